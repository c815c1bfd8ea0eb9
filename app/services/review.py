"""The review queue: open flags grouped per item, the first posts of new members, and what a
reviewer decides about them.

Moderators see everything and may dismiss, delete with a reason, restore visibility (after an
edit or a redaction), warn or suspend the author. Members with the `review` privilege see only
items without a 個人情報 flag and may dismiss or delete with a reason. Every decision is audited
(codes and ids only) and tells the flaggers and the author the outcome; a warning and a
suspension carry the moderator's words in the author's inbox, never in the audit log.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import Comment, Flag, Post, Question, User, utcnow
from app.models.user import new_session_token
from app.services import answers, audit, comments, flags, notifications, privileges, questions, removal, visibility
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.flags import SENSITIVE
from app.text import clean_text

QUEUE_LIMIT = 500  # open flags read at once: a queue longer than this is worked from the top
FIRST_POSTS_DAYS = 14  # "new member": joined within this many days
FIRST_POSTS_LIMIT = 50
MESSAGE_MAX = removal.NOTE_MAX


@dataclass
class Item:
    """One flagged post or comment with its open flags, oldest first."""

    target: flags.Target
    flags: list[Flag]

    @property
    def kind(self) -> str:
        return "comment" if isinstance(self.target, Comment) else self.target.kind

    @property
    def question(self) -> Question:
        return flags.question_of(self.target)

    @property
    def sensitive(self) -> bool:
        return any(item.reason == SENSITIVE for item in self.flags)


def is_reviewer(user: User | None) -> bool:
    """Who gets the queue (and the nav link): moderators, and members with the privilege."""
    return privileges.has(user, "review")


def open_items(viewer: User) -> list[Item]:
    privileges.require(viewer, "review")
    rows = db.session.scalars(
        sa.select(Flag)
        .where(Flag.resolved_at.is_(None))
        .order_by(Flag.created_at, Flag.id)
        .limit(QUEUE_LIMIT)
        .options(selectinload(Flag.user))
    )
    grouped: dict[tuple[str, int], list[Flag]] = {}
    for row in rows:
        key = ("comment", row.comment_id) if row.comment_id is not None else ("post", row.post_id)
        grouped.setdefault(key, []).append(row)
    # Two queries for the flagged posts and comments, not one per item.
    loaded = {
        (kind, item.id): item
        for kind, model in (("post", Post), ("comment", Comment))
        for item in db.session.scalars(
            sa.select(model).where(model.id.in_([item_id for key, item_id in grouped if key == kind]))
        )
    }
    items = [Item(loaded[key], rows) for key, rows in grouped.items()]
    # Reviewers who are not moderators see neither sensitive flags nor group-private posts of
    # groups they are not in (visibility.py); moderators see everything to moderate.
    return [
        item
        for item in items
        if viewer.is_moderator or (not item.sensitive and visibility.can_see_listed(viewer, item.question))
    ]


def first_posts(viewer: User) -> list[Post]:
    """The first or second question or answer of members who joined in the last FIRST_POSTS_DAYS."""
    privileges.require(viewer, "review")
    since = utcnow() - timedelta(days=FIRST_POSTS_DAYS)
    earlier = aliased(Post)
    earlier_posts = sa.select(sa.func.count()).where(earlier.author_id == Post.author_id, earlier.id < Post.id).scalar_subquery()
    query = (
        sa.select(Post)
        .join(User, User.id == Post.author_id)
        .where(Post.created_at >= since, User.created_at >= since, Post.deleted_at.is_(None), earlier_posts <= 1)
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(FIRST_POSTS_LIMIT)
        .options(selectinload(Post.author))
    )
    if not viewer.is_moderator:
        query = query.where(Post.hidden_at.is_(None), visibility.readable_posts(viewer))
    return list(db.session.scalars(query))


def _may_decide(actor: User, target: flags.Target, *, moderators_only: bool = False) -> None:
    privileges.require(actor, "review")
    if actor.is_moderator:
        return
    # Reviewers: never their own posts, never what may hold personal information.
    if moderators_only or target.author_id == actor.id or any(item.reason == SENSITIVE for item in flags.open_flags(target)):
        raise PermissionDenied()


def _resolve(actor: User, target: flags.Target, outcome: str) -> list[Flag]:
    resolved = flags.open_flags(target)
    now = utcnow()
    for item in resolved:
        item.resolved_at = now
        item.resolved_by_id = actor.id
        item.outcome = outcome
    return resolved


def _tell(actor: User, target: flags.Target, resolved: list[Flag], flagger_kind: str, author_kind: str | None, message: str | None = None) -> None:
    question = flags.question_of(target)
    anchor = flags.anchor_post_id(target)
    for flagger in {item.user_id: item.user for item in resolved}.values():
        notifications.notify(flagger, flagger_kind, actor, question, anchor)
    if author_kind is not None:
        notifications.notify(target.author, author_kind, actor, question, anchor, message=message)


def _record(actor: User, action: str, target: flags.Target, resolved: list[Flag], **detail) -> None:
    audit.record(actor, action, flags.target_type(target), target.id, flags=[item.id for item in resolved], **detail)


def dismiss(actor: User, target: flags.Target) -> None:
    """No problem: the flags are dismissed and the item is shown again."""
    _may_decide(actor, target)
    with write_transaction():
        resolved = _resolve(actor, target, "dismissed")
        if not resolved:
            raise ValidationFailed({"flags": _("この投稿への報告は、すでに処理されています。")})
        target.hidden_at = None
        _record(actor, "flag_dismiss", target, resolved)
        _tell(actor, target, resolved, "flag_dismissed", "flags_dismissed")


def remove(actor: User, target: flags.Target, reason: str | None, note: str | None) -> None:
    """Delete with a reason (the delete services record and tell the author); the flags are upheld."""
    _may_decide(actor, target)
    reason, note = removal.check(actor, target, reason, note)
    with write_transaction():  # the delete services join this transaction
        if isinstance(target, Comment):
            comments.delete_comment(actor, target, reason=reason, by_review=True)
            author_kind = "comment_removed"  # posts: mark_removed tells the author with the reason
        elif isinstance(target, Question):
            questions.delete_question(actor, target, reason=reason, note=note, by_review=True)
            author_kind = None
        else:
            answers.delete_answer(actor, target, reason=reason, note=note, by_review=True)
            author_kind = None
        target.hidden_at = None  # removal governs now; a later undelete shows it again
        resolved = _resolve(actor, target, "upheld")
        _record(actor, "flag_uphold", target, resolved, outcome="delete", reason=reason)
        _tell(actor, target, resolved, "flag_upheld", author_kind, note)


def restore(actor: User, target: flags.Target) -> None:
    """Shown again after an edit or a redaction fixed it: the flags were right (upheld)."""
    _may_decide(actor, target, moderators_only=True)
    with write_transaction():
        resolved = _resolve(actor, target, "upheld")
        target.hidden_at = None
        _record(actor, "flag_uphold", target, resolved, outcome="restore")
        _tell(actor, target, resolved, "flag_upheld", "unhidden")


def _message(text: str | None, field: str, required: str) -> str:
    text = clean_text(text or "").strip()
    if not text:
        raise ValidationFailed({field: required})
    if len(text) > MESSAGE_MAX:
        raise ValidationFailed({field: _("%(n)d文字以内にしてください。", n=MESSAGE_MAX)})
    return text


def warn(actor: User, target: flags.Target, message: str | None) -> None:
    """A moderator's message to the author, in their inbox; the flags stay open for a decision."""
    _may_decide(actor, target, moderators_only=True)
    message = _message(message, "message", _("投稿者へのメッセージを入力してください。"))
    with write_transaction():
        audit.record(actor, "user_warn", "user", target.author_id, **{flags.target_type(target): target.id})
        _tell(actor, target, [], "flag_upheld", "warned", message)


def suspend(actor: User, target: flags.Target, until: str | None, reason: str | None) -> date:
    """No writing until the end of the day `until` (Japan time); every session of the author
    ends now. Lifts by itself (permissions.is_suspended). Returns the last day."""
    _may_decide(actor, target, moderators_only=True)
    author = target.author
    if author.is_moderator:
        raise ValidationFailed({"until": _("モデレーターや管理者は停止できません。")})
    last_day = audit.parse_day(until, "until")
    if last_day is None or audit.utc_start_of(last_day + timedelta(days=1)) <= utcnow():
        raise ValidationFailed({"until": _("停止の終了日を、今日以降の日付で入力してください（例: 2026-12-31）。")})
    reason = _message(reason, "reason", _("停止の理由を入力してください（本人に通知されます）。"))
    with write_transaction():
        # "of": the joined organization (a LEFT JOIN) cannot be locked on PostgreSQL.
        db.session.refresh(author, with_for_update={"of": User})
        author.suspended_until = audit.utc_start_of(last_day + timedelta(days=1))
        author.suspension_reason = reason
        author.session_token = new_session_token()  # every session and remember-me cookie ends
        audit.record(actor, "user_suspend", "user", author.id, until=last_day.isoformat(), **{flags.target_type(target): target.id})
        message = _("%(day)s まで（この日の終わりまで）: %(reason)s", day=last_day.strftime("%Y/%m/%d"), reason=reason)
        _tell(actor, target, [], "flag_upheld", "suspended", message)
    return last_day


def load_target(kind: str, item_id: int) -> flags.Target | None:
    """The post or comment a review form names ("posts" or "comments"), whatever its state."""
    return db.session.get(Comment if kind == "comments" else Post, item_id)

