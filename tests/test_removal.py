"""A removed post explains itself: the moderator's reason and note reach its author (page,
notification, e-mail, API); everyone else gets a 410 page that names at most the category."""

import email
import email.policy
import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLog, Notification
from app.services import answers, notifications, questions, removal
from app.services.errors import Gone, NotFound, PermissionDenied, ValidationFailed
from tests.api_client import bearer
from tests.factories import login, make_answer, make_question, make_user

NOTE = "滞納者の氏名と住所（川崎市川崎区宮本町１－２－３）が書かれていたため削除しました。ｶﾀｶﾅの部分も含みます 🙏"
BODY = "滞納整理の進め方について、具体例を交えて教えてください。"


def _audit(action: str) -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _removed_question(alice, moderator):
    question = make_question(alice, title="滞納整理の進め方（２０２６年度）", body=BODY)
    questions.delete_question(moderator, question, reason="personal_information", note=NOTE)
    return question


def test_a_moderator_removes_with_a_reason_and_a_note_the_audit_keeps_only_the_code(app, alice, moderator):
    question = _removed_question(alice, moderator)
    assert (question.removal_reason, question.removal_note) == ("personal_information", NOTE)
    [entry] = _audit("question_delete")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (moderator.id, "post", question.id)
    assert json.loads(entry.detail) == {"reason": "personal_information"}  # the note is text a person wrote: never here


@pytest.mark.parametrize(
    "reason, note, field",
    [(None, "", "reason"), ("", "", "reason"), ("個人情報", "", "reason"), ("spam", "あ" * 501, "note")],
)
def test_someone_elses_post_is_not_removed_without_a_valid_reason(app, alice, bob, moderator, reason, note, field):
    question = make_question(alice)
    answer = make_answer(bob, question)
    for remove, post in ((questions.delete_question, question), (answers.delete_answer, answer)):
        with pytest.raises(ValidationFailed) as failure:
            remove(moderator, post, reason=reason, note=note)
        assert field in failure.value.errors
        db.session.refresh(post)
        assert not post.is_deleted
    assert _audit("question_delete") == [] and _audit("answer_delete") == []


def test_a_note_of_exactly_500_characters_fits_and_an_empty_one_is_none(app, alice, bob, moderator):
    question = make_question(alice)
    first, second = make_answer(bob, question), make_answer(bob, question, "別の回答です。十分な長さがあります。")
    answers.delete_answer(moderator, first, reason="spam", note="ｱ" * removal.NOTE_MAX)
    answers.delete_answer(moderator, second, reason="outdated", note="  \n ")
    assert len(first.removal_note) == 500 and second.removal_note is None


def test_an_author_deletes_their_own_post_without_a_reason_and_is_still_audited(app, alice, bob):
    question = make_question(alice)
    answer = make_answer(bob, question)
    answers.delete_answer(bob, answer, reason="spam", note="無視されるメモ")
    questions.delete_question(alice, make_question(alice, title="取り下げる質問です"))
    assert (answer.removal_reason, answer.removal_note) == (None, None)
    assert [(e.actor_id, e.detail) for e in _audit("answer_delete")] == [(bob.id, "")]
    assert [e.actor_id for e in _audit("question_delete")] == [alice.id]
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.kind.in_(["removed", "restored"]))).all()
    assert kinds == []  # nobody is told about their own deletion


def test_the_author_is_notified_in_the_inbox_and_by_mail_with_the_reason(app, client, alice, outbox):
    moderator = make_user(name="総務 花子", role="moderator")
    question = _removed_question(alice, moderator)
    [notice] = db.session.scalars(sa.select(Notification).where(Notification.user_id == alice.id, Notification.kind == "removed"))
    text = notifications.describe(notice)
    assert "滞納整理の進め方（２０２６年度）" in text and "個人情報を含む" in text and moderator.display_name not in text
    [mail] = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in outbox.glob("*.eml")]
    assert mail["To"] == alice.email and "個人情報を含む" in mail["Subject"] and "個人情報を含む" in mail.get_body(("plain",)).get_content()
    login(client, alice)
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "モデレーターにより削除されました" in inbox and "個人情報を含む" in inbox
    questions.undelete_question(moderator, question)
    restored = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == alice.id).order_by(Notification.id)).all()
    assert restored[-1] == "restored"


def test_undelete_clears_the_reason_and_the_note_and_is_audited(app, alice, bob, moderator):
    question = _removed_question(alice, moderator)
    answer = make_answer(bob, make_question(alice, title="別の質問で回答を削除します"))
    answers.delete_answer(moderator, answer, reason="offensive", note="表現が不適切でした")
    questions.undelete_question(moderator, question)
    answers.undelete_answer(moderator, answer)
    for post in (question, answer):
        assert (post.is_deleted, post.removal_reason, post.removal_note) == (False, None, None)
    assert [e.target_id for e in _audit("question_undelete")] == [question.id]
    assert [e.target_id for e in _audit("answer_undelete")] == [answer.id]


def test_the_author_sees_the_banner_others_get_410_moderators_the_content(app, alice, carol, moderator):
    question = _removed_question(alice, moderator)
    pages = {}
    for user in (alice, carol, moderator):
        client = app.test_client()
        login(client, user)
        pages[user.email] = client.get(f"/questions/{question.id}", follow_redirects=True)
    mine = pages[alice.email].get_data(as_text=True)
    assert pages[alice.email].status_code == 200
    assert all(text in mine for text in ("この質問は削除されました", "個人情報を含む", "宮本町１－２－３", "内容は保存されています", BODY))
    assert 'name="body"' not in mine  # no answer form, no comment box on a removed question
    theirs = pages[carol.email]
    assert theirs.status_code == 410
    html = theirs.get_data(as_text=True)
    assert "この投稿は削除されました" in html and "個人情報を含む" in html
    assert BODY not in html and "滞納整理の進め方" not in html and "宮本町" not in html
    assert pages[moderator.email].status_code == 200 and BODY in pages[moderator.email].get_data(as_text=True)


def test_a_question_its_author_deleted_is_410_without_a_reason_to_others(app, client, alice, carol):
    question = make_question(alice, title="自分で取り下げた質問です")
    questions.delete_question(alice, question)
    login(client, carol)
    response = client.get(f"/questions/{question.id}")
    assert response.status_code == 410 and "理由の分類" not in response.get_data(as_text=True)
    with pytest.raises(Gone):
        questions.get_question(carol, question.id)
    with pytest.raises(NotFound):  # a Gone is still a NotFound for every caller that expects one
        questions.get_question(alice, question.id)


def test_the_author_of_a_removed_answer_sees_it_in_place_others_do_not(app, alice, bob, moderator):
    question = make_question(alice)
    answer = make_answer(bob, question, "督促状は納期限後２０日以内に発送します（ﾃｽﾄ）。")
    answers.delete_answer(moderator, answer, reason="outdated", note="令和６年の改正で古くなりました。")
    bodies = {}
    for user in (alice, bob):
        client = app.test_client()
        login(client, user)
        bodies[user.email] = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert "督促状は納期限後" in bodies[bob.email] and "この回答は削除されました" in bodies[bob.email]
    assert "古い情報" in bodies[bob.email] and "令和６年の改正で古くなりました。" in bodies[bob.email]
    assert "督促状は納期限後" not in bodies[alice.email] and "令和６年" not in bodies[alice.email]


def test_the_author_may_not_edit_or_comment_on_a_removed_post(app, client, alice, moderator):
    question = _removed_question(alice, moderator)
    login(client, alice)
    assert client.get(f"/questions/{question.id}/edit").status_code == 410
    assert client.post(f"/posts/{question.id}/comments", data={"body": "消された理由を教えてください"}).status_code == 410
    with pytest.raises(PermissionDenied):
        questions.edit_question(alice, question, questions.QuestionInput("書き直した質問です", BODY, "住民税"), base_revision=1)


def test_the_web_form_asks_moderators_for_a_reason_and_authors_for_a_confirm(app, alice, bob, moderator):
    question = make_question(alice)
    own = make_answer(moderator, question, "モデレーター自身の回答です。削除は確認だけです。")
    moderator_client, author_client = app.test_client(), app.test_client()
    login(moderator_client, moderator)
    login(author_client, alice)
    page = moderator_client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert f'id="removal-reason-{question.id}"' in page and "スパム・宣伝" in page
    assert f'id="removal-reason-{own.id}"' not in page  # its own answer: a plain confirm
    assert '<select id="removal-reason' not in author_client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)

    refused = moderator_client.post(f"/questions/{question.id}/delete", data={"note": "理由なし"}, follow_redirects=True)
    assert "削除の理由を選んでください。" in refused.get_data(as_text=True)
    db.session.refresh(question)
    assert not question.is_deleted
    moderator_client.post(f"/questions/{question.id}/delete", data={"reason": "duplicate", "note": "同じ質問が先にあります。"})
    db.session.refresh(question)
    assert (question.removal_reason, question.removal_note) == ("duplicate", "同じ質問が先にあります。")


def test_the_api_keeps_404_for_others_and_explains_to_the_author(app, client, alice, bob, alice_token, bob_token, moderator):
    question = _removed_question(alice, moderator)
    mine = client.get(f"/api/v1/questions/{question.id}", headers=bearer(alice_token))
    assert mine.status_code == 200
    assert mine.get_json()["removed"] == {"reason": "personal_information", "note": NOTE}
    theirs = client.get(f"/api/v1/questions/{question.id}", headers=bearer(bob_token))
    assert theirs.status_code == 404 and theirs.get_json()["error"]["code"] == "not_found"
    # Reading is all: answering a removed question stays 404, even for its author.
    assert client.post(f"/api/v1/questions/{question.id}/answers", json={"body": BODY}, headers=bearer(alice_token)).status_code == 404


def test_the_api_shows_a_removed_answer_to_its_author_only(app, client, alice, bob, alice_token, bob_token, moderator):
    question = make_question(alice)
    answer = make_answer(bob, question)
    answers.delete_answer(moderator, answer, reason="other", note=None)
    theirs = client.get(f"/api/v1/questions/{question.id}", headers=bearer(bob_token)).get_json()
    assert [(a["id"], a["removed"]) for a in theirs["answers"]] == [(answer.id, {"reason": "other", "note": None})]
    assert client.get(f"/api/v1/questions/{question.id}", headers=bearer(alice_token)).get_json()["answers"] == []


def test_reason_labels_come_from_one_table():
    assert list(removal.REASONS) == ["personal_information", "spam", "offensive", "duplicate", "outdated", "other"]
    assert removal.label("unknown_code") == "unknown_code" and removal.label(None) == ""
