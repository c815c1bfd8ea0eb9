"""Suggested edits with the real thresholds: a member below edit_others suggests, a reviewer
approves (a revision by the suggester, +2) or rejects; conflicts, audit rows, notifications."""

import pytest
import sqlalchemy as sa

from app.database import write_transaction
from app.extensions import db
from app.models import AuditLog, Notification, Revision, SuggestedEdit, User
from app.services import answers, audit, questions, reputation, suggested_edits
from app.services.errors import Conflict, PermissionDenied, PersonalInformationFound, ValidationFailed
from app.services.privileges import PrivilegeRequired
from tests.factories import login, make_answer, make_question, make_user

# Tag creation stays open: the fixtures' askers (0 points) create the tags these tests use.
pytestmark = pytest.mark.privileges(create_tags=0)

NEW_BODY = "年度途中で退職した職員の特別徴収から普通徴収への切替は、異動届出書で処理します（２０２５年度版）😀"


def grant(user: User, points: int) -> None:
    with write_transaction():
        reputation.add(user.id, points, "imported")
    db.session.refresh(user)


@pytest.fixture
def reviewer(app):
    user = make_user(email="reviewer@city.sapporo.lg.jp", name="札幌 レビュアー", org="011002")
    grant(user, 1000)
    return user


def suggest_question_edit(suggester: User, question, body: str = NEW_BODY, title: str | None = None):
    data = questions.QuestionInput(title or question.title, body, "住民税 特別徴収")
    return questions.edit_question(suggester, question, data, base_revision=question.revision_count, summary="ｶﾅ表記を修正")


def audit_rows(action: str) -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)))


def test_below_edit_others_an_edit_is_a_pending_suggestion(app, alice, bob):
    question = make_question(alice)
    suggestion = suggest_question_edit(bob, question)
    db.session.refresh(question)
    assert isinstance(suggestion, SuggestedEdit)
    assert (suggestion.status, suggestion.author_id, suggestion.base_revision) == ("pending", bob.id, 1)
    assert suggestion.tags == "住民税 特別徴収" and suggestion.summary == "ｶﾅ表記を修正"
    assert question.body != NEW_BODY and question.revision_count == 1


def test_with_edit_others_the_edit_is_direct(app, alice, bob):
    question = make_question(alice)
    grant(bob, 500)
    result = suggest_question_edit(bob, question)
    assert result is question and question.body == NEW_BODY and question.revision_count == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SuggestedEdit)) == 0


def test_one_pending_suggestion_per_post_and_member(app, alice, bob, carol):
    question = make_question(alice)
    suggest_question_edit(bob, question)
    with pytest.raises(ValidationFailed):
        suggest_question_edit(bob, question, body=NEW_BODY + "（再提案）")
    assert isinstance(suggest_question_edit(carol, question), SuggestedEdit)  # another member may


def test_the_personal_information_guard_runs_on_suggestions(app, alice, bob):
    answer = make_answer(alice, make_question(alice))
    body = "詳しくは担当の携帯 090-1234-5678 までお問い合わせください。"
    with pytest.raises(PersonalInformationFound):
        answers.edit_answer(bob, answer, body, base_revision=1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SuggestedEdit)) == 0
    suggestion = answers.edit_answer(bob, answer, body, base_revision=1, confirmed_categories=["phone"])
    confirm = audit_rows("pii_confirm")[-1]
    assert (confirm.target_type, confirm.target_id) == ("suggested_edit", suggestion.id)


def test_approve_applies_it_as_the_suggesters_revision(app, alice, bob, reviewer):
    question = make_question(alice)
    suggestion = suggest_question_edit(bob, question)
    suggested_edits.approve(reviewer, suggestion.id)
    db.session.refresh(question)
    db.session.refresh(bob)
    assert question.body == NEW_BODY and question.revision_count == 2
    assert sorted(tag.name for tag in question.tags) == ["住民税", "特別徴収"]
    revision = db.session.scalar(sa.select(Revision).where(Revision.post_id == question.id, Revision.number == 2))
    assert revision.author_id == bob.id and revision.summary == "ｶﾅ表記を修正"
    assert (suggestion.status, suggestion.reviewed_by_id) == ("approved", reviewer.id)
    assert bob.reputation == reputation.SUGGESTED_EDIT == reputation.recompute(bob.id)
    (row,) = audit_rows("suggested_edit_approve")
    assert (row.actor_id, row.target_id) == (reviewer.id, question.id)
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == bob.id))
    assert note.kind == "edit_approved" and note.actor_id is None


def test_reject_with_a_reason_notifies_and_audits(app, alice, bob, reviewer):
    answer = make_answer(alice, make_question(alice))
    suggestion = answers.edit_answer(bob, answer, NEW_BODY, base_revision=1)
    with pytest.raises(ValidationFailed):
        suggested_edits.reject(reviewer, suggestion.id, "思いつき")
    suggested_edits.reject(reviewer, suggestion.id, "changes_meaning")
    db.session.refresh(answer)
    assert suggestion.status == "rejected" and answer.revision_count == 1 and answer.body != NEW_BODY
    (row,) = audit_rows("suggested_edit_reject")
    assert audit.detail_of(row)["reason"] == "changes_meaning" and NEW_BODY not in row.detail
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == bob.id))
    assert (note.kind, note.post_id) == ("edit_rejected", answer.id)
    assert bob.reputation == 0
    with pytest.raises(ValidationFailed):  # decided once
        suggested_edits.approve(reviewer, suggestion.id)


def test_a_post_changed_since_is_a_conflict_that_can_only_be_rejected(app, alice, bob, reviewer):
    question = make_question(alice)
    suggestion = suggest_question_edit(bob, question)
    questions.edit_question(alice, question, questions.QuestionInput(question.title, "作者が先に直しました。", "住民税"), base_revision=1)
    _page, (item,) = suggested_edits.queue(reviewer, 1, 20)
    assert item.conflict
    with pytest.raises(Conflict):
        suggested_edits.approve(reviewer, suggestion.id)
    db.session.refresh(question)
    db.session.refresh(suggestion)
    assert question.body == "作者が先に直しました。" and suggestion.status == "pending" and bob.reputation == 0
    suggested_edits.reject(reviewer, suggestion.id, "conflict")
    assert suggest_question_edit(bob, question).base_revision == 2  # suggesting again on the new text


def test_only_reviewers_and_moderators_decide_and_never_on_their_own(app, alice, bob, carol, moderator):
    question = make_question(alice)
    suggestion = suggest_question_edit(bob, question)
    with pytest.raises(PrivilegeRequired):
        suggested_edits.queue(carol, 1, 20)
    with pytest.raises(PrivilegeRequired):
        suggested_edits.approve(carol, suggestion.id)
    grant(bob, 1000)
    with pytest.raises(PermissionDenied):
        suggested_edits.approve(bob, suggestion.id)
    suggested_edits.approve(moderator, suggestion.id)
    assert suggestion.status == "approved"


def test_queue_page_shows_the_diff_and_decides_through_csrf_forms(app, client, alice, bob, reviewer):
    question = make_question(alice)
    suggestion = suggest_question_edit(bob, question)
    login(client, bob)
    response = client.get("/review/edits")
    assert response.status_code == 403 and "レビュー待ちの一覧を扱う" in response.get_data(as_text=True)
    client.post("/logout")
    login(client, reviewer)
    page = client.get("/review/edits").get_data(as_text=True)
    assert f'id="suggestion-{suggestion.id}"' in page
    assert f'<span class="diff-line added">+ {NEW_BODY}</span>' in page
    assert 'name="csrf_token"' in page and "却下の理由" in page
    response = client.post(f"/review/edits/{suggestion.id}/approve")
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/edits")
    db.session.refresh(suggestion)
    assert suggestion.status == "approved"
    assert "レビュー待ちの編集の提案はありません。" in client.get("/review/edits").get_data(as_text=True)


def test_edit_form_of_someone_elses_post_says_it_suggests(app, client, alice, bob):
    question = make_question(alice)
    login(client, bob)
    page = client.get(f"/questions/{question.id}/edit").get_data(as_text=True)
    assert "この編集は「提案」として送られ" in page and "編集を提案する" in page
    response = client.post(
        f"/questions/{question.id}/edit",
        data={"title": question.title, "body": NEW_BODY, "tags": "住民税", "base_revision": "1"},
        follow_redirects=True,
    )
    assert "編集の提案を送りました。" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(SuggestedEdit.author_id)) == bob.id
    shown = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert "編集を提案" in shown
