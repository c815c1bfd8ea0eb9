"""Flags: a member reports a question, an answer or a comment that needs a moderator.

A 個人情報 flag hides the item at once (public-sector caution beats convenience); other reasons
hide it once FLAG_HIDE_THRESHOLD members have flagged it and no one has decided yet. A hidden
item is shown only to its author and moderators (`permissions.can_see_hidden`; lists, search,
feeds and the API filter `hidden_at`). Moderators and reviewers decide in the review queue
(app/services/review.py). The reasons and their labels are removal's, so an upheld flag reads
the same as the removal it leads to.
"""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import InstrumentedAttribute

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Comment, Flag, Post, Question, User, utcnow
from app.services import audit, notifications, permissions, privileges, removal
from app.services.errors import PermissionDenied, ValidationFailed
from app.text import clean_text

REASONS = removal.REASONS
NOTE_MAX = removal.NOTE_MAX
SENSITIVE = "personal_information"  # hides at once; only moderators see these flags

Target = Post | Comment


def target_type(target: Target) -> str:
    """The audit log's name for it ("post" or "comment")."""
    return "comment" if isinstance(target, Comment) else "post"


def flag_column(target: Target) -> InstrumentedAttribute:
    return Flag.comment_id if isinstance(target, Comment) else Flag.post_id


def question_of(target: Target) -> Question:
    post = target.post if isinstance(target, Comment) else target
    return post.question if isinstance(post, Answer) else post


def anchor_post_id(target: Target) -> int | None:
    """The post a notification about this item points into (None: the question itself)."""
    post_id = target.post_id if isinstance(target, Comment) else target.id
    return None if post_id == question_of(target).id else post_id


def _check(user: User, target: Target, reason: str | None, note: str | None) -> tuple[str, str]:
    if target.author_id == user.id:
        raise ValidationFailed({"reason": _("自分の投稿は報告できません。編集や削除をお使いください。")})
    if reason not in REASONS:
        raise ValidationFailed({"reason": _("報告の理由を選んでください。")})
    note = clean_text(note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed({"note": _("補足は%(n)d文字以内にしてください。", n=NOTE_MAX)})
    if reason == "other" and not note:
        raise ValidationFailed({"note": _("「その他」を選んだときは、理由を補足に書いてください。")})
    return reason, note


def flag(user: User, target: Target, reason: str | None, note: str | None = "") -> Flag:
    """Report `target` (a post or a comment the user can see). One flag per member and item,
    never on one's own; ValidationFailed says why in the user's language."""
    permissions.ensure_can_write(user)
    privileges.require(user, "flag")
    reason, note = _check(user, target, reason, note)
    column = flag_column(target)
    with write_transaction():
        db.session.refresh(target, with_for_update=True)
        if target.deleted_at is not None:
            raise PermissionDenied()
        if db.session.scalar(sa.select(Flag.id).where(column == target.id, Flag.user_id == user.id)) is not None:
            raise ValidationFailed({"reason": _("この投稿はすでに報告済みです。モデレーターの確認をお待ちください。")})
        item = Flag(user_id=user.id, reason=reason, note=note, **{column.key: target.id})
        db.session.add(item)
        db.session.flush()
        if target.hidden_at is None and (reason == SENSITIVE or _open_count(target) >= current_app.config["FLAG_HIDE_THRESHOLD"]):
            target.hidden_at = utcnow()
            # Who hid it is the site, on these flags: the audit row names the flag, not a person.
            audit.record(None, "flag_hide", target_type(target), target.id, reason=reason, flag=item.id)
            notifications.notify(target.author, "hidden", None, question_of(target), anchor_post_id(target))
    return item


def _open_count(target: Target) -> int:
    column = flag_column(target)
    return db.session.scalar(sa.select(sa.func.count()).where(column == target.id, Flag.resolved_at.is_(None)))


def open_flags(target: Target) -> list[Flag]:
    column = flag_column(target)
    return list(db.session.scalars(sa.select(Flag).where(column == target.id, Flag.resolved_at.is_(None)).order_by(Flag.id)))
