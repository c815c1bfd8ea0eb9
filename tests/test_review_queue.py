"""The review queue: what moderators and reviewers see, and what each decision does (the item,
the flags, the audit row, the notifications to flaggers and author); suspensions."""

import json
from datetime import timedelta

import sqlalchemy as sa

from app.database import write_transaction
from app.extensions import db
from app.models import AuditLog, Flag, Notification, User, utcnow
from app.services import audit, comments, flags, review
from config import Config
from tests.factories import make_answer, make_question, make_user
from tests.test_flags import csrf_client
from tests.test_flags import signed_in as _client

TITLE = "生活保護の医療扶助の手続きについて"
BODY = "医療券の発行までの流れと、急患の場合の扱いを教えてください。"
ANSWER = "急患の場合は事後に医療要否意見書を取り寄せて処理しています。"
MESSAGE = "個人が特定できる記載は控えてください。ご協力をお願いします🙇 ｹｲｼﾞﾊﾞﾝの規約も参照"


def _audit(action: str) -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)))


def _notices(kind: str) -> list[tuple[int, int | None]]:
    return sorted((n.user_id, n.post_id) for n in db.session.scalars(sa.select(Notification).where(Notification.kind == kind)))


def _flagged_answer(alice, bob, reason="personal_information"):
    question = make_question(alice, title=TITLE, body=BODY)
    answer = make_answer(bob, question, ANSWER)
    first, second = make_user(), make_user()
    flags.flag(first, answer, reason, "受給者の住所が書かれています")
    flags.flag(second, answer, "offensive")
    return question, answer, (first, second)


def test_moderators_see_each_flagged_item_with_its_content_flaggers_and_links(app, alice, bob, moderator):
    _question, answer, (first, _second) = _flagged_answer(alice, bob)
    page = _client(app, moderator).get("/review").get_data(as_text=True)
    assert ANSWER in page  # the content, even though it is hidden
    assert TITLE in page and "受給者の住所が書かれています" in page and first.display_name in page
    assert "個人情報を含む" in page and "不適切な表現" in page
    assert f"/posts/{answer.id}/revisions#redact" in page and f"/answers/{answer.id}/edit" in page
    assert page.count(f'id="review-posts-{answer.id}"') == 1  # grouped: one item, two flags


def test_reviewers_see_only_items_without_a_personal_information_flag(app, alice, bob, carol):
    _question, sensitive, _ = _flagged_answer(alice, bob)
    other_question = make_question(alice, title="保育所の入所選考の指数について", body=BODY)
    flags.flag(make_user(), other_question, "spam")
    # carol holds the review privilege (test thresholds are 0) but is no moderator.
    page = _client(app, carol).get("/review").get_data(as_text=True)
    assert ANSWER not in page and "保育所の入所選考" in page
    assert [item.target.id for item in review.open_items(carol)] == [other_question.id]
    for action in ("dismiss", "delete", "restore", "warn", "suspend"):
        response = _client(app, carol).post(f"/review/posts/{sensitive.id}/{action}", data={"reason": "spam", "tab": "queue"})
        assert response.status_code == 403, action
    for action in ("restore", "warn", "suspend"):  # moderators only, even on a non-sensitive item
        assert _client(app, carol).post(f"/review/posts/{other_question.id}/{action}", data={"tab": "queue"}).status_code == 403


def test_without_the_privilege_the_queue_is_refused_and_not_linked(app_factory):
    app = app_factory(PRIVILEGE_THRESHOLDS=Config.PRIVILEGE_THRESHOLDS)
    with app.app_context():
        member = make_user()
        client = _client(app, member)
        assert client.get("/review").status_code == 403
        assert 'href="/review"' not in client.get("/questions").get_data(as_text=True)
        boss = make_user(role="moderator").id
        db.session.remove()
    with app.app_context():  # a fresh `g`: the signed-in user is cached there per context
        assert 'href="/review"' in _client(app, db.session.get(User, boss)).get("/questions").get_data(as_text=True)
        db.session.remove()


def test_dismiss_shows_the_item_again_and_tells_flaggers_and_author(app, alice, bob, moderator):
    question, answer, (first, second) = _flagged_answer(alice, bob)
    response = _client(app, moderator).post(f"/review/posts/{answer.id}/dismiss", data={"tab": "queue"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")
    db.session.refresh(answer)
    assert answer.hidden_at is None and not answer.is_deleted
    assert {f.outcome for f in db.session.scalars(sa.select(Flag))} == {"dismissed"}
    [entry] = _audit("flag_dismiss")
    assert (entry.actor_id, entry.target_id, len(json.loads(entry.detail)["flags"])) == (moderator.id, answer.id, 2)
    assert _notices("flag_dismissed") == sorted([(first.id, answer.id), (second.id, answer.id)])
    assert _notices("flags_dismissed") == [(bob.id, answer.id)]
    assert ANSWER in _client(app, alice).get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert "確認を待っている報告はありません" in _client(app, moderator).get("/review").get_data(as_text=True)


def test_delete_with_a_reason_removes_it_and_upholds_the_flags(app, alice, bob, moderator):
    _question, answer, (first, second) = _flagged_answer(alice, bob)
    note = "住所の記載があったため削除しました。"
    _client(app, moderator).post(f"/review/posts/{answer.id}/delete", data={"reason": "personal_information", "note": note, "tab": "queue"})
    db.session.refresh(answer)
    assert answer.is_deleted and answer.removal_reason == "personal_information" and answer.hidden_at is None
    assert {f.outcome for f in db.session.scalars(sa.select(Flag))} == {"upheld"}
    [entry] = _audit("flag_uphold")
    detail = json.loads(entry.detail)
    assert detail["outcome"] == "delete" and detail["reason"] == "personal_information" and note not in entry.detail
    assert len(_audit("answer_delete")) == 1
    assert _notices("flag_upheld") == sorted([(first.id, answer.id), (second.id, answer.id)])
    assert _notices("removed") == [(bob.id, answer.id)]


def test_a_delete_without_a_reason_changes_nothing(app, alice, bob, moderator):
    _question, answer, _ = _flagged_answer(alice, bob)
    page = _client(app, moderator).post(f"/review/posts/{answer.id}/delete", data={"reason": "", "tab": "queue"}, follow_redirects=True)
    assert "削除の理由を選んでください" in page.get_data(as_text=True)
    db.session.refresh(answer)
    assert not answer.is_deleted and answer.hidden_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag).where(Flag.resolved_at.is_(None))) == 2


def test_a_reviewer_may_delete_a_spam_comment_with_a_reason(app, alice, bob, carol):
    question = make_question(alice, title=TITLE, body=BODY)
    comment = comments.add_comment(bob, question, "格安セール開催中！今すぐクリック🎉")
    flagger = make_user()
    flags.flag(flagger, comment, "spam")
    _client(app, carol).post(f"/review/comments/{comment.id}/delete", data={"reason": "spam", "note": "宣伝のため", "tab": "queue"})
    db.session.refresh(comment)
    assert comment.deleted_at is not None
    assert json.loads(_audit("comment_delete")[0].detail)["reason"] == "spam"
    assert _notices("flag_upheld") == [(flagger.id, None)]
    [removed] = db.session.scalars(sa.select(Notification).where(Notification.kind == "comment_removed"))
    assert removed.user_id == bob.id and removed.message == "宣伝のため"


def test_restore_after_a_redaction_shows_it_again(app, alice, bob, moderator):
    _question, answer, (first, _second) = _flagged_answer(alice, bob)
    _client(app, moderator).post(f"/review/posts/{answer.id}/restore", data={"tab": "queue"})
    db.session.refresh(answer)
    assert answer.hidden_at is None and not answer.is_deleted
    assert {f.outcome for f in db.session.scalars(sa.select(Flag))} == {"upheld"}
    assert json.loads(_audit("flag_uphold")[0].detail)["outcome"] == "restore"
    assert (first.id, answer.id) in _notices("flag_upheld") and _notices("unhidden") == [(bob.id, answer.id)]


def test_a_warning_reaches_the_author_with_the_message_the_audit_keeps_no_text(app, alice, bob, moderator):
    _question, answer, _ = _flagged_answer(alice, bob)
    _client(app, moderator).post(f"/review/posts/{answer.id}/warn", data={"message": MESSAGE, "tab": "queue"})
    [warned] = db.session.scalars(sa.select(Notification).where(Notification.kind == "warned"))
    assert warned.user_id == bob.id and warned.message == MESSAGE
    assert MESSAGE in _client(app, bob).get("/notifications").get_data(as_text=True)
    [entry] = _audit("user_warn")
    assert entry.target_id == bob.id and json.loads(entry.detail) == {"post": answer.id}


def test_suspension_ends_sessions_blocks_writing_until_the_date_then_lifts(app, alice, bob, moderator):
    question, answer, _ = _flagged_answer(alice, bob, reason="spam")
    bob_client = _client(app, bob)
    assert bob_client.get("/settings").status_code == 200
    last_day = (utcnow() + timedelta(days=10)).date()
    _client(app, moderator).post(
        f"/review/posts/{answer.id}/suspend", data={"until": last_day.isoformat(), "reason": "度重なる宣伝投稿のため", "tab": "queue"}
    )
    db.session.refresh(bob)
    assert bob.suspended_until == audit.utc_start_of(last_day + timedelta(days=1))
    response = bob_client.get("/settings")
    assert response.status_code == 302 and "/login" in response.headers["Location"]  # every session ended
    [entry] = _audit("user_suspend")
    assert entry.target_id == bob.id and json.loads(entry.detail) == {"until": last_day.isoformat(), "post": answer.id}
    [notice] = db.session.scalars(sa.select(Notification).where(Notification.kind == "suspended"))
    assert last_day.strftime("%Y/%m/%d") in notice.message and "度重なる宣伝投稿" in notice.message

    bob_client = _client(app, bob)  # may sign in again and read…
    assert bob_client.get(f"/questions/{question.id}", follow_redirects=True).status_code == 200
    refused = bob_client.post(f"/questions/{question.id}/answers", data={"body": "停止中の投稿は受け付けられないはずです。"})
    assert refused.status_code == 403
    assert "まで投稿・編集・コメント・投票・報告が停止されています" in refused.get_data(as_text=True)
    assert bob_client.post(f"/posts/{question.id}/vote", data={"value": "1"}).status_code == 403
    assert bob_client.post(f"/posts/{question.id}/flag", data={"reason": "spam"}).status_code == 403

    with write_transaction():  # the date passes
        db.session.get(User, bob.id).suspended_until = utcnow() - timedelta(minutes=1)
    assert bob_client.post(f"/posts/{question.id}/vote", data={"value": "1"}).status_code == 302


def test_suspension_needs_a_future_date_and_a_reason_and_never_a_moderator(app, alice, bob, moderator):
    _question, answer, _ = _flagged_answer(alice, bob, reason="spam")
    client = _client(app, moderator)
    yesterday = (utcnow() - timedelta(days=2)).date().isoformat()
    for data in ({"until": yesterday, "reason": "理由"}, {"until": "来週", "reason": "理由"}, {"until": "２０９９年１月１日", "reason": ""}):
        client.post(f"/review/posts/{answer.id}/suspend", data={**data, "tab": "queue"})
    assert db.session.get(User, bob.id).suspended_until is None and _audit("user_suspend") == []
    own = make_question(moderator, title="モデレーター自身の質問です", body=BODY)
    flags.flag(alice, own, "spam")
    client.post(f"/review/posts/{own.id}/suspend", data={"until": "2099-01-01", "reason": "理由", "tab": "queue"})
    assert db.session.get(User, moderator.id).suspended_until is None


def test_first_posts_of_new_members_are_listed(app, alice, bob, moderator):
    question = make_question(alice, title=TITLE, body=BODY)
    first = make_answer(bob, question, ANSWER)
    for n in "２３":
        make_question(alice, title=f"三回目以降の質問は載りません（その{n}）", body=BODY)
    page = _client(app, moderator).get("/review/first-posts").get_data(as_text=True)
    assert f'id="review-posts-{first.id}"' in page and f'id="review-posts-{question.id}"' in page
    assert "（その２）" in page and "（その３）" not in page  # a member's first two posts only
    _client(app, moderator).post(f"/review/posts/{first.id}/delete", data={"reason": "spam", "tab": "first_posts"})
    assert db.session.get(type(first), first.id).is_deleted


def test_first_posts_empty_state_is_in_japanese(app, moderator):
    assert "最近参加したメンバーの投稿はありません" in _client(app, moderator).get("/review/first-posts").get_data(as_text=True)


def test_review_decisions_need_a_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        author, flagger, boss = make_user(), make_user(), make_user(role="moderator")
        question = make_question(author, title=TITLE, body=BODY)
        flags.flag(flagger, question, "personal_information")
        client, token = csrf_client(app, boss)
        assert client.post(f"/review/posts/{question.id}/dismiss", data={"tab": "queue"}).status_code == 400
        assert db.session.get(type(question), question.id).hidden_at is not None
        assert client.post(f"/review/posts/{question.id}/dismiss", data={"tab": "queue", "csrf_token": token}).status_code == 302
        db.session.remove()
