"""Watched and ignored tags (issue 15). A member watches a tag (its questions lead the home
page's 「あなたの分野」) or ignores it (its questions are left out of the home page's lists).
One row per member and tag: watching an ignored tag stops ignoring it, and the other way round."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app.database import upsert, write_transaction
from app.extensions import db
from app.models import Tag, TagWatch, User, utcnow
from app.services.errors import ValidationFailed

KINDS = ("watch", "ignore")


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationFailed({"kind": _("kind は watch か ignore です。")})
    return kind


def set_state(user: User, tag: Tag, kind: str) -> None:
    """Watch or ignore `tag` (the tag must exist: watching never creates one)."""
    _check_kind(kind)
    with write_transaction():
        upsert(TagWatch, {"user_id": user.id, "tag_id": tag.id, "kind": kind, "created_at": utcnow()}, update={"kind": kind})


def clear_state(user: User, tag: Tag, kind: str | None = None) -> None:
    """Stop watching or ignoring `tag`; with `kind`, only when that is its state (DELETE of a
    watched-tags entry leaves an ignored tag ignored)."""
    query = sa.delete(TagWatch).where(TagWatch.user_id == user.id, TagWatch.tag_id == tag.id)
    if kind is not None:
        query = query.where(TagWatch.kind == _check_kind(kind))
    with write_transaction():
        db.session.execute(query)


def state_of(user: User | None, tag: Tag) -> str | None:
    """'watch', 'ignore' or None (also for visitors)."""
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(sa.select(TagWatch.kind).where(TagWatch.user_id == user.id, TagWatch.tag_id == tag.id))


def tags_of(user: User, kind: str) -> list[Tag]:
    """The member's watched (or ignored) tags, by name."""
    query = (
        sa.select(Tag)
        .join(TagWatch, TagWatch.tag_id == Tag.id)
        .where(TagWatch.user_id == user.id, TagWatch.kind == _check_kind(kind))
        .order_by(Tag.name)
    )
    return list(db.session.scalars(query))


def tag_ids(user: User, kind: str) -> sa.Select:
    """The ids of the member's watched (or ignored) tags, as a subquery to filter by."""
    return sa.select(TagWatch.tag_id).where(TagWatch.user_id == user.id, TagWatch.kind == _check_kind(kind))
