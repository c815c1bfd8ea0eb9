"""Answers: post, edit, delete, accept. The question row alone records which answer is accepted."""

from collections.abc import Collection

import sqlalchemy as sa
from flask_babel import gettext as _

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Post, Question, Revision, SuggestedEdit, User, utcnow
from app.services import (
    audit,
    fiscal_years,
    following,
    laws,
    notifications,
    permissions,
    privacy_guard,
    removal,
    reputation,
    suggested_edits,
)
from app.services.errors import Conflict, PermissionDenied, ValidationFailed, validate_all
from app.services.posting import add_revision, check_body, mark_removed, mark_restored


def _adjust_answer_count(question_id: int, delta: int) -> None:
    db.session.execute(
        sa.update(Post).where(Post.id == question_id).values(answer_count=Post.answer_count + delta)
    )


def _check(body: str, fiscal_year: str | int | None, cited: str | list[str] | None) -> tuple[str, str, int | None, list]:
    """The body and its HTML, the 年度 (None: not given) and the citations, every error at once."""
    valid = validate_all(
        body=lambda: check_body(body), fiscal_year=lambda: fiscal_years.parse(fiscal_year), laws=lambda: laws.parse(cited)
    )
    return *valid["body"], valid["fiscal_year"], valid["laws"]


def post_answer(
    author: User,
    question: Question,
    body: str,
    *,
    fiscal_year: str | int | None = None,
    cited: str | list[str] | None = None,
    confirmed_categories: Collection[str] | privacy_guard.Unchecked = (),
) -> Answer:
    """Answer. Raises PersonalInformationFound like `questions.ask_question`. `fiscal_year` as
    typed (empty: the current 年度), `cited`: the 根拠法令 as typed."""
    permissions.ensure_can_write(author)
    body, body_html, year, citations = _check(body, fiscal_year, cited)
    confirmed = privacy_guard.check({"body": body}, confirmed_categories)
    with write_transaction():
        db.session.refresh(question, with_for_update=True)
        if question.is_deleted:
            raise PermissionDenied()
        if question.is_closed:
            raise ValidationFailed({"body": _("この質問は締め切られているため回答できません。")})
        now = utcnow()
        answer = Answer(
            question_id=question.id,
            author_id=author.id,
            body=body,
            body_html=body_html,
            created_at=now,
            fiscal_year=year or fiscal_years.current(),
        )
        db.session.add(answer)
        db.session.flush()
        laws.set_citations(answer, citations)
        db.session.add(Revision(post_id=answer.id, number=1, author_id=author.id, body=body, created_at=now))
        privacy_guard.record_confirmation(author, confirmed, "post", answer.id)
        _adjust_answer_count(question.id, +1)
        question.last_activity_at = now
        following.follow_automatically(author, question.id)
        notifications.notify_followers(question, answer.id, author)
    return answer


def edit_answer(
    actor: User,
    answer: Answer,
    body: str,
    *,
    base_revision: int,
    summary: str = "",
    fiscal_year: str | int | None = None,
    cited: str | list[str] | None = None,
    confirmed_categories: Collection[str] = (),
) -> Answer | SuggestedEdit:
    """Save an edit; the whole text is checked again (see questions.edit_question, also for
    suggestions, which carry the text only). `fiscal_year`/`cited` None: kept as they are."""
    permissions.ensure_can_write(actor)
    if suggested_edits.must_suggest(actor, answer):
        return suggested_edits.suggest(actor, answer, {"body": check_body(body)[0]}, base_revision, summary, confirmed_categories)
    return apply_edit(
        actor, answer, body, base_revision=base_revision, summary=summary,
        fiscal_year=fiscal_year, cited=cited, confirmed_categories=confirmed_categories,
    )


def apply_edit(
    actor: User,
    answer: Answer,
    body: str,
    *,
    base_revision: int,
    summary: str = "",
    fiscal_year: str | int | None = None,
    cited: str | list[str] | None = None,
    confirmed_categories: Collection[str] = (),
) -> Answer:
    """The edit itself, as `actor`; the caller has decided that it may be saved."""
    body, body_html, year, citations = _check(body, fiscal_year, cited)
    confirmed = privacy_guard.check({"body": body, "summary": summary}, confirmed_categories)
    with write_transaction():
        db.session.refresh(answer, with_for_update=True)
        if answer.revision_count != base_revision:
            raise Conflict(answer.revision_count)
        # 年度 and 根拠法令 are not in revisions: changing only them saves them without a new revision.
        if year is not None:
            answer.fiscal_year = year
        if cited is not None:
            laws.set_citations(answer, citations)
        if answer.body == body:
            return answer
        now = utcnow()
        answer.body = body
        answer.body_html = body_html
        add_revision(actor, answer, summary, now)
        answer.question.last_activity_at = now
        privacy_guard.record_confirmation(actor, confirmed, "post", answer.id)
    return answer


def delete_answer(
    actor: User, answer: Answer, *, reason: str | None = None, note: str | None = None, by_review: bool = False
) -> None:
    """Soft-delete; a moderator removing someone else's answer gives a reason, as for questions."""
    if not permissions.can_delete(actor, answer, by_review=by_review):
        raise PermissionDenied()
    reason, note = removal.check(actor, answer, reason, note)
    with write_transaction():
        question = answer.question
        db.session.refresh(question, with_for_update=True)
        db.session.refresh(answer)
        if answer.is_deleted:
            return
        if question.accepted_answer_id == answer.id:
            reputation.apply_acceptance(question, answer, -1)
            question.accepted_answer_id = None
        _adjust_answer_count(question.id, -1)
        mark_removed(actor, answer, reason, note)


def undelete_answer(actor: User, answer: Answer) -> None:
    if not actor.is_moderator:
        raise PermissionDenied()
    with write_transaction():
        db.session.refresh(answer.question, with_for_update=True)
        db.session.refresh(answer)
        if not answer.is_deleted:
            return
        _adjust_answer_count(answer.question_id, +1)
        mark_restored(actor, answer)


def accept_answer(actor: User, answer: Answer) -> None:
    """Make `answer` the accepted one (replacing any other). Only the asker or a moderator."""
    question = answer.question
    with write_transaction():
        # Lock the question: concurrent accepts on PostgreSQL queue here instead of racing.
        db.session.refresh(question, with_for_update=True)
        db.session.refresh(answer)
        if not permissions.can_accept(actor, answer):
            raise PermissionDenied()
        if question.accepted_answer_id == answer.id:
            return
        if question.accepted_answer_id is not None:
            previous = db.session.get(Answer, question.accepted_answer_id)
            reputation.apply_acceptance(question, previous, -1)
        question.accepted_answer_id = answer.id
        question.last_activity_at = utcnow()
        reputation.apply_acceptance(question, answer, +1)
        notifications.notify(answer.author, "accepted", actor, question, answer.id)
        if actor.id != question.author_id:
            audit.record(actor, "answer_accept", "post", answer.id)


def unaccept_answer(actor: User, question: Question) -> None:
    # The same people who may accept, whether or not an answer is accepted right now.
    if not (actor.is_moderator or actor.id == question.author_id):
        raise PermissionDenied()
    with write_transaction():
        db.session.refresh(question, with_for_update=True)
        if question.accepted_answer_id is None:
            return
        answer = db.session.get(Answer, question.accepted_answer_id)
        if not permissions.can_accept(actor, answer):
            raise PermissionDenied()
        reputation.apply_acceptance(question, answer, -1)
        question.accepted_answer_id = None
        if actor.id != question.author_id:
            audit.record(actor, "answer_unaccept", "post", answer.id)
