"""The notification center (issue 15, part 2): types with symbols and reasons, read one or all,
the badge, pagination, per-type channels, followers, visibility, and the API contract."""

import email
import email.policy
import json
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, NotificationPreference, QuestionFollow, utcnow
from app.services import following, notification_settings, notifications, questions
from app.services.errors import ValidationFailed
from tests.api_client import assert_error, bearer
from tests.factories import login, make_answer, make_question, make_user
from tests.people_factories import add_post, month


def _mails(outbox, to: str) -> list[email.message.EmailMessage]:
    found = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(outbox.glob("*.eml"))]
    return [m for m in found if m["To"] == to]


def _inbox(user) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))


def _put(client, payload, secret):
    return client.put("/api/v1/users/me/settings", data=json.dumps(payload), content_type="application/json", headers=bearer(secret))


# ---------------------------------------------------------------- followers and reasons


def test_a_new_answer_reaches_every_active_follower_but_never_its_author(app, alice, bob, carol):
    question = make_question(alice)
    dave = make_user(name="横浜 デイブ")
    erin = make_user(name="横浜 エリン")
    with db.session.begin_nested():
        db.session.add_all(
            [
                QuestionFollow(user_id=carol.id, question_id=question.id),
                QuestionFollow(user_id=dave.id, question_id=question.id, active=False),  # unfollowed
                QuestionFollow(user_id=bob.id, question_id=question.id),  # follows, and answers
            ]
        )
    db.session.commit()
    make_answer(bob, question)
    assert [n.kind for n in _inbox(alice)] == ["answer"]
    assert [n.kind for n in _inbox(carol)] == ["answer"]
    assert _inbox(bob) == [] and _inbox(dave) == [] and _inbox(erin) == []
    [asker_line] = [notifications.entry(n, alice) for n in _inbox(alice)]
    [follower_line] = [notifications.entry(n, carol) for n in _inbox(carol)]
    assert asker_line.reason == "あなたの質問のため"
    assert follower_line.reason == "フォローしている質問のため"
    assert follower_line.type.key == "answer" and question.title in follower_line.text


def test_an_asker_who_unfollowed_hears_nothing(app, alice, bob):
    question = make_question(alice)
    following.set_following(alice, question, False)
    make_answer(bob, question)
    assert _inbox(alice) == []


def test_a_routed_question_says_which_post_of_the_career_sent_it(app, alice):
    former = make_user(name="元 債権担当")
    add_post(former, "財政局 債権回収課", tags="債権回収", started=60, ended=24)
    current = make_user(name="今 債権担当")
    add_post(current, "財政局 収納課", tags="債権回収", started=30)
    app.config.update(ROUTING_PER_QUESTION=2, ROUTING_MIN_SCORE=1)
    question = make_question(alice, title="滞納繰越分の時効管理はどうしていますか", tags="債権回収")
    [to_former] = _inbox(former)
    [to_current] = _inbox(current)
    start, end = month(60)[:4], month(24)[:4]
    assert notifications.entry(to_former, former).reason == f"あなたは {start}–{end} 年に債権回収を担当していたため"
    assert notifications.entry(to_current, current).reason == f"あなたは {month(30)[:4]} 年から債権回収を担当しているため"
    assert json.loads(to_former.reason) == {"code": "career_former", "start": int(start), "end": int(end), "tag": "債権回収"}
    assert to_former.question_id == question.id


# ---------------------------------------------------------------- the inbox page


def test_inbox_groups_by_type_with_symbols_and_reasons(app, client, alice, bob):
    question = make_question(alice)
    make_answer(bob, question)
    login(client, alice)
    page = client.get("/notifications").get_data(as_text=True)
    assert "✍" in page and "あなたの質問のため" in page and question.title in page
    only_comments = client.get("/notifications?type=comment").get_data(as_text=True)
    assert question.title not in only_comments and "通知はまだありません。" in only_comments
    assert client.get("/notifications?type=nonsense").status_code == 404


def test_the_badge_clears_when_the_inbox_is_seen_and_items_stay_unread(app, client, alice, bob):
    question = make_question(alice)
    make_answer(bob, question)
    login(client, alice)
    home = client.get("/questions").get_data(as_text=True)
    assert re.search(r'class="badge"[^>]*>1<', home)
    client.get("/notifications")
    assert 'class="badge"' not in client.get("/questions").get_data(as_text=True)
    assert notifications.unread_count(alice) == 0
    assert [n.read_at for n in _inbox(alice)] == [None]  # seen is not read
    make_answer(make_user(), question, body="別の方法として、月次の異動届で処理する自治体もあります。")
    assert notifications.unread_count(alice) == 1  # newer than the last visit


def test_mark_one_read_then_all_read(app, client, alice, bob):
    question = make_question(alice)
    make_answer(bob, question)
    make_answer(make_user(), question, body="当市では異動届出書が届いた月の翌月から普通徴収に切り替えています。")
    first, second = _inbox(alice)
    login(client, alice)
    page = client.get("/notifications").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/notifications/{first.id}/read", data={"csrf_token": token, "open": "1"})
    assert response.status_code == 302 and f"/questions/{question.id}" in response.location
    db.session.expire_all()
    assert first.read_at is not None and second.read_at is None
    other = app.test_client()
    login(other, make_user())
    assert other.post(f"/notifications/{second.id}/read").status_code == 404  # another person's (CSRF is off in tests)
    db.session.expire_all()
    assert second.read_at is None
    client.post("/notifications/read", data={"csrf_token": token})
    db.session.expire_all()
    assert second.read_at is not None


def test_inbox_pages(app, client, alice):
    for _n in range(35):
        db.session.add(Notification(user_id=alice.id, kind="synonym_approved", reason='{"code": "suggester"}'))
    db.session.commit()
    listed = notifications.list_notifications(alice, 2)
    assert listed.total == 35 and len(listed.items) == 5
    login(client, alice)
    assert client.get("/notifications?page=2").status_code == 200
    assert client.get("/notifications?page=3").status_code == 404


# ---------------------------------------------------------------- channels


def test_defaults_answers_by_mail_comments_in_the_inbox_and_old_switch_respected(app, alice):
    assert notification_settings.channels(alice)["answer"] == "email"
    assert notification_settings.channels(alice)["comment"] == "app"
    alice.notify_by_email = False
    db.session.commit()
    assert set(notification_settings.channels(alice).values()) <= {"app"}


def test_email_now_digest_or_off_per_type(app, alice, bob, outbox):
    question = make_question(alice)
    make_answer(bob, question)
    [mail] = _mails(outbox, alice.email)
    assert mail["List-Unsubscribe"].startswith("<http") and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert {part.get_content_type() for part in mail.iter_parts()} == {"text/plain", "text/html"}
    assert "あなたの質問のため" in mail.get_body(("plain",)).get_content()

    notification_settings.update(alice, notification_channels={"answer": "digest"})
    make_answer(make_user(), question, body="うちでは普通徴収への切替を翌月分から行っています。")
    assert len(_mails(outbox, alice.email)) == 1 and len(_inbox(alice)) == 2

    notification_settings.update(alice, notification_channels={"answer": "off"})
    make_answer(make_user(), question, body="給与担当と住民税担当で月末に突き合わせをしています。")
    assert len(_inbox(alice)) == 2


def test_moderation_cannot_be_turned_off(app, alice):
    with pytest.raises(ValidationFailed):
        notification_settings.update(alice, notification_channels={"moderation": "off"})
    notification_settings.update(alice, notification_channels={"moderation": "app"})
    assert db.session.get(NotificationPreference, (alice.id, "moderation")).channel == "app"


def test_settings_page_saves_the_table_and_the_digest(app, client, alice):
    login(client, alice)
    page = client.get("/settings").get_data(as_text=True)
    assert 'name="channel-answer"' in page and 'name="digest"' in page and "通知をメールでも受け取る" not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "digest": "weekly", "channel-answer": "digest", "channel-comment": "email"}
    assert client.post("/settings/notifications", data=form).status_code == 302
    db.session.expire_all()
    assert alice.digest_frequency == "weekly"
    assert notification_settings.channels(alice)["answer"] == "digest"
    bad = client.post("/settings/notifications", data={**form, "channel-moderation": "off"})
    assert bad.status_code == 422


# ---------------------------------------------------------------- visibility


def test_a_removed_question_no_longer_shows_its_title_to_followers(app, alice, bob, carol, moderator):
    question = make_question(alice, title="秘密にすべき題名の質問です（削除予定）")
    db.session.add(QuestionFollow(user_id=carol.id, question_id=question.id))
    db.session.commit()
    make_answer(bob, question)
    questions.delete_question(moderator, question, reason="spam")
    [line] = [notifications.entry(n, carol) for n in _inbox(carol)]
    assert "秘密にすべき" not in line.text and line.url is None
    [own] = [notifications.entry(n, alice) for n in _inbox(alice) if n.kind == "answer"]
    assert "秘密にすべき" in own.text  # its author may still read it


# ---------------------------------------------------------------- the API contract


def test_api_settings_digest_validated(app, client, alice, alice_token):
    response = _put(client, {"digest": "daily"}, alice_token)
    assert response.status_code == 200 and response.get_json()["digest"] == "daily"
    db.session.expire_all()
    assert alice.digest_frequency == "daily"
    for bad in ({"digest": "hourly"}, {"digest": None}, {"digest": 1}, {"notifications": {"moderation": "off"}}, {"colour": "red"}):
        assert_error(_put(client, bad, alice_token), 422)
    assert_error(client.put("/api/v1/users/me/settings", data="not json", headers=bearer(alice_token)), 400)
    both = _put(client, {"digest": "weekly", "notifications": {"answer": "app"}}, alice_token).get_json()
    assert both["digest"] == "weekly" and both["notifications"]["answer"] == "app"


def test_api_notifications_contract(app, client, alice, bob, alice_token):
    question = make_question(alice)
    make_answer(bob, question)
    body = client.get("/api/v1/users/me/notifications", headers=bearer(alice_token)).get_json()
    assert set(body) == {"items", "total", "page"} and body["total"] == 1 and body["page"] == 1
    [item] = body["items"]
    assert {"id", "type", "reason", "read", "url", "created_at"} <= set(item)
    assert item["type"] == "answer" and item["reason"] == "あなたの質問のため" and item["read"] is False
    assert item["url"].endswith(f"#answer-{question.answers[0].id}") and item["created_at"].endswith("Z")
    read = client.post(f"/api/v1/users/me/notifications/{item['id']}/read", headers=bearer(alice_token))
    assert read.status_code == 200 and read.get_json()["read"] is True
    assert_error(client.get("/api/v1/users/me/notifications?type=nope", headers=bearer(alice_token)), 400)


def test_api_cannot_read_someone_elses_notification(app, client, alice, bob, bob_token):
    make_answer(bob, make_question(alice))
    [notice] = _inbox(alice)
    assert_error(client.post(f"/api/v1/users/me/notifications/{notice.id}/read", headers=bearer(bob_token)), 404)
    assert notice.read_at is None and utcnow()
