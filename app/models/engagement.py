"""Keeping up (issue 15): watched and ignored tags, followed questions, bookmarks, per-type
notification channels, and the ledger of digests already sent."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow

NOTIFICATION_CHANNELS = ("app", "email", "digest", "off")
DIGEST_FREQUENCIES = ("off", "daily", "weekly")


class TagWatch(db.Model):
    """A member watches a tag (its questions come first on the home page and in digests) or
    ignores it (its questions are dimmed or left out)."""

    __tablename__ = "tag_watches"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('watch', 'ignore')", name="kind"),
        sa.Index("ix_tag_watches_tag", "tag_id", "kind"),
    )

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(6), default="watch")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuestionFollow(db.Model):
    """A member follows a question: new answers (and comments) reach them. Asking or answering
    follows automatically; `active = False` remembers an unfollow so it is not re-added."""

    __tablename__ = "question_follows"
    __table_args__ = (sa.Index("ix_question_follows_question", "question_id", "active"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Bookmark(db.Model):
    """A post a member saved (保存) to read again."""

    __tablename__ = "bookmarks"
    __table_args__ = (sa.Index("ix_bookmarks_user_recent", "user_id", "created_at"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationPreference(db.Model):
    """How one type of notification reaches a member: in-app only, immediate e-mail, in the
    digest, or not at all. No row means the type's default (app/services/notification_settings)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.CheckConstraint(f"channel IN {NOTIFICATION_CHANNELS}", name="channel"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(6))


class DigestRun(db.Model):
    """One digest per member per period, claimed in the transaction that queues its mail: a
    second run for the same period (or a run killed midway and started again) finds the row."""

    __tablename__ = "digest_runs"
    __table_args__ = (sa.UniqueConstraint("user_id", "frequency", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    frequency: Mapped[str] = mapped_column(sa.String(6))
    period_start: Mapped[datetime]  # the JST period's start, stored in UTC
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    mail_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mail_messages.id", ondelete="SET NULL"))
    item_count: Mapped[int] = mapped_column(default=0)
