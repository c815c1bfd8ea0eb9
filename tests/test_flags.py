"""Flags: a 個人情報 flag hides a post or a comment at once from everyone but its author and
moderators (pages, lists, search, feeds, the API); other reasons hide after
FLAG_HIDE_THRESHOLD members; one flag per member, never one's own, rate-limited."""

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLog, Comment, Flag, Notification
from app.services import comments, flags, questions, search, tokens
from app.services.errors import ValidationFailed
from config import Config
from tests.api_client import assert_error, bearer, post_json
from tests.factories import PASSWORD, login, make_answer, make_question, make_user

TITLE = "固定資産税の減免申請の審査基準について"
BODY = "災害による減免申請の審査で、被害割合の認定はどのように行っていますか？"
ANSWER = "罹災証明書の被害区分をもとに、減免割合の表で判定しています。"
NOTE = "本文に職員の個人的な連絡先が書かれています。ﾌﾟﾗｲﾊﾞｼｰ保護のため確認をお願いします🙏"


def signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _token(user) -> str:
    return tokens.create_token(user, "報告テスト", "write").secret


def test_a_personal_information_flag_hides_a_question_at_once_from_everyone_else(app, alice, bob, carol, moderator):
    question = make_question(alice, title=TITLE, body=BODY)
    response = signed_in(app, carol).post(f"/posts/{question.id}/flag", data={"reason": "personal_information", "note": NOTE})
    # The flagger cannot see it any more either: back to the list, with a thank-you.
    assert response.status_code == 302 and response.headers["Location"].endswith("/questions")
    db.session.refresh(question)
    assert question.hidden_at is not None

    bob_client = signed_in(app, bob)
    assert bob_client.get(f"/questions/{question.id}").status_code == 404
    assert TITLE not in bob_client.get("/questions").get_data(as_text=True)
    assert bob_client.get(f"/api/v1/questions/{question.id}", headers=bearer(_token(bob))).status_code == 404
    assert question.id not in [q.id for q in questions.list_questions("newest", 1, 20, viewer=None).items]  # lists and feeds
    assert question.id not in [hit.question.id for hit in search.search_questions("固定資産税 減免").hits]
    assert question.id not in [q.id for q in questions.questions_by_user(alice, 1, viewer=alice).items]

    for viewer in (alice, moderator):
        page = signed_in(app, viewer).get(f"/questions/{question.id}", follow_redirects=True)
        assert page.status_code == 200
        assert "報告を受けて、確認が終わるまで非表示になっています" in page.get_data(as_text=True)
    assert signed_in(app, alice).get(f"/api/v1/questions/{question.id}", headers=bearer(_token(alice))).status_code == 200

    [notice] = db.session.scalars(sa.select(Notification).where(Notification.kind == "hidden"))
    assert (notice.user_id, notice.actor_id, notice.question_id) == (alice.id, None, question.id)  # flaggers stay anonymous
    [entry] = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "flag_hide"))
    assert entry.target_id == question.id and NOTE not in entry.detail  # codes and ids, never the note


def test_the_api_contract_a_flagged_answer_is_omitted_for_others_and_kept_for_author_and_moderator(app, alice, bob, carol, moderator):
    question = make_question(alice, title=TITLE, body=BODY)
    answer = make_answer(bob, question, ANSWER)
    response = post_json(app.test_client(), f"/api/v1/posts/{answer.id}/flags", {"reason": "personal_information", "note": NOTE}, _token(carol))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["reason"] == "personal_information" and body["post_id"] == answer.id and body["hidden"] is True
    assert body["comment_id"] is None and body["note"] == NOTE

    def answer_ids(user):
        got = app.test_client().get(f"/api/v1/questions/{question.id}", headers=bearer(_token(user)))
        assert got.status_code == 200
        return [a["id"] for a in got.get_json()["answers"]]

    assert answer_ids(alice) == [] and answer_ids(carol) == []
    assert answer_ids(bob) == [answer.id] and answer_ids(moderator) == [answer.id]
    page = signed_in(app, carol).get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert ANSWER not in page
    assert app.test_client().post(f"/api/v1/posts/{answer.id}/vote", json={"value": 1}, headers=bearer(_token(carol))).status_code == 404


def test_other_reasons_hide_only_after_the_threshold_of_independent_flags(app, alice):
    question = make_question(alice, title=TITLE, body=BODY)
    members = [make_user() for _ in range(app.config["FLAG_HIDE_THRESHOLD"])]
    for number, member in enumerate(members, start=1):
        flags.flag(member, question, "spam", "宣伝のリンクがあります（ｾｰﾙ情報）")
        db.session.refresh(question)
        assert (question.hidden_at is not None) == (number == len(members))


def test_one_flag_per_member_and_never_on_ones_own_post(app, alice, carol):
    question = make_question(alice, title=TITLE, body=BODY)
    client = signed_in(app, carol)
    client.post(f"/posts/{question.id}/flag", data={"reason": "outdated", "note": ""})
    again = client.post(f"/posts/{question.id}/flag", data={"reason": "spam"}, follow_redirects=True)
    assert "すでに報告済み" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 1
    assert_error(post_json(app.test_client(), f"/api/v1/posts/{question.id}/flags", {"reason": "spam"}, _token(carol)), 422, "validation_failed")
    own = post_json(app.test_client(), f"/api/v1/posts/{question.id}/flags", {"reason": "spam"}, _token(alice))
    assert "自分の投稿" in assert_error(own, 422)["message"]


def test_bad_reasons_and_a_missing_note_for_other_are_422(app, alice, carol):
    question = make_question(alice, title=TITLE, body=BODY)
    client, secret = app.test_client(), _token(carol)
    for payload in ({"reason": "個人情報"}, {"reason": 1}, {}, {"reason": "other", "note": "　 "}, {"reason": "spam", "note": "ｱ" * 501}):
        assert_error(post_json(client, f"/api/v1/posts/{question.id}/flags", payload, secret), 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 0
    ok = post_json(client, f"/api/v1/posts/{question.id}/flags", {"reason": "other", "note": "２０２４年度の制度改正前の内容です"}, secret)
    assert ok.status_code == 201 and ok.get_json()["hidden"] is False


def test_flagging_needs_the_flag_privilege(app_factory):
    app = app_factory(PRIVILEGE_THRESHOLDS={**Config.PRIVILEGE_THRESHOLDS, "flag": 15, "create_tags": 0})
    with app.app_context():
        author, newcomer = make_user(), make_user()
        question = make_question(author, title=TITLE, body=BODY)
        response = post_json(app.test_client(), f"/api/v1/posts/{question.id}/flags", {"reason": "spam"}, _token(newcomer))
        assert_error(response, 403)
        page = signed_in(app, newcomer).get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
        assert f'action="/posts/{question.id}/flag"' not in page  # no form for what would be refused
        db.session.remove()


def test_flags_are_rate_limited_per_member_pages_and_api_together(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, FLAG_RATE_LIMIT="2 per hour")
    with app.app_context():
        author, flagger = make_user(), make_user()
        posts = [make_question(author, title=f"{TITLE}（その{n}）", body=BODY) for n in "１２３"]
        client = signed_in(app, flagger)
        assert client.post(f"/posts/{posts[0].id}/flag", data={"reason": "spam"}).status_code == 302
        assert post_json(app.test_client(), f"/api/v1/posts/{posts[1].id}/flags", {"reason": "spam"}, _token(flagger)).status_code == 201
        assert client.post(f"/posts/{posts[2].id}/flag", data={"reason": "spam"}).status_code == 429
        assert post_json(app.test_client(), f"/api/v1/posts/{posts[2].id}/flags", {"reason": "spam"}, _token(flagger)).status_code == 429
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 2
        db.session.remove()


def test_a_flagged_comment_is_hidden_from_others_and_shown_to_its_author(app, alice, bob, carol, moderator):
    question = make_question(alice, title=TITLE, body=BODY)
    comment = comments.add_comment(bob, question, "担当課の内線番号は別途お知らせします😊")
    response = post_json(app.test_client(), f"/api/v1/comments/{comment.id}/flags", {"reason": "personal_information"}, _token(carol))
    assert response.status_code == 201 and response.get_json()["comment_id"] == comment.id
    assert "内線番号" not in signed_in(app, carol).get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    for viewer in (bob, moderator):
        page = signed_in(app, viewer).get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
        assert "内線番号" in page and "確認が終わるまで非表示" in page
    # Hidden from carol: she cannot flag it again nor even find it.
    assert post_json(app.test_client(), f"/api/v1/comments/{comment.id}/flags", {"reason": "spam"}, _token(carol)).status_code == 404


def test_the_flag_form_is_offered_on_others_posts_and_comments_only(app, alice, bob, carol):
    question = make_question(alice, title=TITLE, body=BODY)
    comments.add_comment(bob, question, "参考になる通知があります。")
    page = signed_in(app, carol).get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert f'action="/posts/{question.id}/flag"' in page and "/flag\"" in page
    assert 'name="reason" value="personal_information"' in page
    own = signed_in(app, alice).get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert f'action="/posts/{question.id}/flag"' not in own


def csrf_client(app, user):
    """A client signed in through the real form, with the CSRF token of its pages."""
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    return client, token


def test_the_flag_form_needs_a_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        author, flagger = make_user(), make_user()
        question = make_question(author, title=TITLE, body=BODY)
        client, token = csrf_client(app, flagger)
        assert client.post(f"/posts/{question.id}/flag", data={"reason": "spam"}).status_code == 400
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 0
        assert client.post(f"/posts/{question.id}/flag", data={"reason": "spam", "csrf_token": token}).status_code == 302
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 1
        db.session.remove()


def test_the_service_refuses_a_second_flag_on_a_comment_too(app, alice, bob):
    question = make_question(alice, title=TITLE, body=BODY)
    comment = comments.add_comment(alice, question, "補足: 令和６年度の要綱を参照してください。")
    flags.flag(bob, comment, "outdated")
    try:
        flags.flag(bob, comment, "spam")
    except ValidationFailed as failure:
        assert "すでに報告済み" in failure.errors["reason"]
    else:
        raise AssertionError("a second flag was accepted")
    assert db.session.get(Comment, comment.id).hidden_at is None
