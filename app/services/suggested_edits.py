"""Suggested edits: below the edit privilege, an edit of someone else's post waits for review.

A member makes at most one pending suggestion per post. Reviewers (the `review` privilege, and
moderators) approve it — it is saved through the normal edit path as a revision by the suggester,
based on the revision the suggestion was made from, and earns the suggester reputation — or
reject it with a reason. A suggestion whose post changed since is a conflict: it cannot be
approved any more (the suggester can suggest again on the current text).
"""

from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Post, Question, SuggestedEdit, User, utcnow
from app.services import (
    answers,
    audit,
    notifications,
    permissions,
    privacy_guard,
    privileges,
    questions,
    reputation,
    revisions,
)
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.pagination import Page, paginate

REJECT_REASONS = {
    "no_improvement": _l("内容の改善になっていない"),
    "changes_meaning": _l("投稿者の意図を変えてしまう"),
    "vandalism": _l("無関係な変更・荒らし"),
    "conflict": _l("提案の後に投稿が編集された"),
    "other": _l("その他"),
}


def must_suggest(actor: User, post: Post) -> bool:
    """Whether `actor`'s edit of `post` is a suggestion (else a direct edit); PermissionDenied
    when it can be neither (a removed post, someone signed out)."""
    if permissions.can_edit(actor, post):
        return False
    if not permissions.can_suggest_edit(actor, post):
        raise PermissionDenied()
    return True


def suggest(
    actor: User, post: Post, fields: dict[str, str], base_revision: int, summary: str, confirmed_categories: Collection[str]
) -> SuggestedEdit:
    """Store a validated edit (`fields`: title, body, tags as typed) as a pending suggestion.
    The personal-information guard runs as for an edit; a stale base is a Conflict, as for an edit."""
    confirmed = privacy_guard.check({**fields, "summary": summary}, confirmed_categories)
    with write_transaction():
        db.session.refresh(post, with_for_update=True)
        if post.revision_count != base_revision:
            raise Conflict(post.revision_count)
        if pending_of(actor, post) is not None:
            raise ValidationFailed({"body": _("この投稿には、あなたの編集の提案がすでにレビュー待ちです。")})
        suggestion = SuggestedEdit(
            post_id=post.id,
            author_id=actor.id,
            title=fields.get("title"),
            body=fields["body"],
            tags=fields.get("tags"),
            summary=" ".join(summary.split())[:200],
            base_revision=base_revision,
        )
        db.session.add(suggestion)
        db.session.flush()
        privacy_guard.record_confirmation(actor, confirmed, "suggested_edit", suggestion.id)
    return suggestion


def pending_of(user: User, post: Post) -> SuggestedEdit | None:
    return db.session.scalar(
        sa.select(SuggestedEdit).where(
            SuggestedEdit.post_id == post.id, SuggestedEdit.author_id == user.id, SuggestedEdit.status == "pending"
        )
    )


def _require_reviewer(user: User) -> None:
    privileges.require(user, "review")


@dataclass(frozen=True)
class Item:
    """A pending suggestion as the queue shows it: compared with the post's current text."""

    suggestion: SuggestedEdit
    post: Post
    question: Question
    title_before: str | None
    tags_before: str | None
    body_diff: list[revisions.DiffLine]

    @property
    def conflict(self) -> bool:
        return self.post.revision_count != self.suggestion.base_revision


def _item(suggestion: SuggestedEdit) -> Item:
    post = db.session.get(Post, suggestion.post_id)
    question = post if isinstance(post, Question) else post.question
    tags_now = " ".join(sorted(tag.name for tag in question.tags)) if isinstance(post, Question) else None
    tags_then = " ".join(sorted(suggestion.tags.split())) if suggestion.tags is not None else None
    return Item(
        suggestion=suggestion,
        post=post,
        question=question,
        title_before=post.title if suggestion.title is not None and suggestion.title != post.title else None,
        tags_before=tags_now if tags_then is not None and tags_then != tags_now else None,
        body_diff=revisions.diff(post.body, suggestion.body),
    )


def queue(reviewer: User, page: int, per_page: int) -> tuple[Page, list[Item]]:
    """Pending suggestions, oldest first (those waiting longest), on posts still shown."""
    _require_reviewer(reviewer)
    query = (
        sa.select(SuggestedEdit)
        .join(Post, Post.id == SuggestedEdit.post_id)
        .where(SuggestedEdit.status == "pending", Post.deleted_at.is_(None))
        .options(selectinload(SuggestedEdit.author))
        .order_by(SuggestedEdit.created_at, SuggestedEdit.id)
    )
    result = paginate(query, page, per_page)
    return result, [_item(suggestion) for suggestion in result.items]


def pending_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(SuggestedEdit.status == "pending"))


def _pending(suggestion_id: int) -> SuggestedEdit:
    suggestion = db.session.get(SuggestedEdit, suggestion_id, with_for_update=True)
    if suggestion is None:
        raise NotFound(suggestion_id)
    if suggestion.status != "pending":
        raise ValidationFailed({"suggestion": _("この提案はすでにレビューされています。")})
    return suggestion


def approve(reviewer: User, suggestion_id: int) -> SuggestedEdit:
    """Save the suggestion as the suggester's revision. Raises Conflict when the post changed since."""
    _require_reviewer(reviewer)
    with write_transaction():
        suggestion = _pending(suggestion_id)
        post = db.session.get(Post, suggestion.post_id)
        if suggestion.author_id == reviewer.id:
            raise PermissionDenied()  # nobody approves their own suggestion
        if post.is_deleted:
            raise NotFound(post.id)
        author = suggestion.author
        # The suggester confirmed every category the guard found when suggesting; the text is unchanged.
        confirmed = set(privacy_guard.categories_in(suggestion.title or "", suggestion.body, suggestion.summary))
        if isinstance(post, Question):
            data = questions.QuestionInput(suggestion.title or post.title, suggestion.body, suggestion.tags or "")
            questions.apply_edit(
                author, post, data, base_revision=suggestion.base_revision, summary=suggestion.summary, confirmed_categories=confirmed
            )
        else:
            answers.apply_edit(
                author,
                post,
                suggestion.body,
                base_revision=suggestion.base_revision,
                summary=suggestion.summary,
                confirmed_categories=confirmed,
            )
        _decide(reviewer, suggestion, "approved")
        reputation.add(author.id, reputation.SUGGESTED_EDIT, "suggested_edit", post.id)
        audit.record(reviewer, "suggested_edit_approve", "post", post.id, suggestion=suggestion.id, suggester=author.id)
        _notify(suggestion, post, "edit_approved")
    return suggestion


def reject(reviewer: User, suggestion_id: int, reason: str) -> SuggestedEdit:
    _require_reviewer(reviewer)
    if reason not in REJECT_REASONS:
        raise ValidationFailed({"reason": _("却下の理由を選んでください。")})
    with write_transaction():
        suggestion = _pending(suggestion_id)
        if suggestion.author_id == reviewer.id:
            raise PermissionDenied()
        post = db.session.get(Post, suggestion.post_id)
        _decide(reviewer, suggestion, "rejected")
        audit.record(
            reviewer, "suggested_edit_reject", "post", post.id, suggestion=suggestion.id, suggester=suggestion.author_id, reason=reason
        )
        _notify(suggestion, post, "edit_rejected")
    return suggestion


def _decide(reviewer: User, suggestion: SuggestedEdit, status: str) -> None:
    suggestion.status = status
    suggestion.reviewed_by_id = reviewer.id
    suggestion.reviewed_at = utcnow()


def _notify(suggestion: SuggestedEdit, post: Post, kind: str) -> None:
    question = post if isinstance(post, Question) else db.session.get(Question, post.question_id)
    # The decision is the site's, as for removals: the reviewer is not named.
    notifications.notify(suggestion.author, kind, None, question, post.id if isinstance(post, Answer) else None)
