"""Community moderation: flags, close and reopen votes, suggested edits, reputation history.

Issue 14. Each row records a person's act; moderators' decisions also go to the audit log.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow
from app.models.post import TITLE_MAX
from app.models.user import User

FLAG_REASONS = ("personal_information", "spam", "offensive", "duplicate", "outdated", "other")
CLOSE_REASONS = ("duplicate", "off_topic", "unclear", "resolved_case")


class Flag(db.Model):
    """One member's report on a question, an answer or a comment (exactly one of the two ids)."""

    __tablename__ = "flags"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "post_id"),
        sa.UniqueConstraint("user_id", "comment_id"),
        sa.CheckConstraint("(post_id IS NULL) <> (comment_id IS NULL)", name="one_target"),
        sa.CheckConstraint(f"reason IN {FLAG_REASONS}", name="reason"),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('dismissed', 'upheld')", name="outcome"),
        sa.Index("ix_flags_queue", "resolved_at", "created_at"),
        sa.Index("ix_flags_post", "post_id", "resolved_at"),
        sa.Index("ix_flags_comment", "comment_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"))
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id"))
    reason: Mapped[str] = mapped_column(sa.String(30))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(sa.String(10))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CloseVote(db.Model):
    """A privileged member's vote to close (with a reason) or to reopen a question. The votes of
    a round are deleted when the question closes or reopens (the audit log keeps who decided)."""

    __tablename__ = "close_votes"
    __table_args__ = (
        sa.UniqueConstraint("question_id", "user_id", "kind"),
        sa.CheckConstraint("kind IN ('close', 'reopen')", name="kind"),
        sa.CheckConstraint(f"reason IS NULL OR reason IN {CLOSE_REASONS}", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str | None] = mapped_column(sa.String(30))
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class SuggestedEdit(db.Model):
    """An edit of someone else's post by a member below the edit privilege, waiting for review."""

    __tablename__ = "suggested_edits"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        sa.Index("ix_suggested_edits_queue", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str | None] = mapped_column(sa.String(TITLE_MAX))
    body: Mapped[str] = mapped_column(sa.Text)
    tags: Mapped[str | None] = mapped_column(sa.String(300))  # as typed, for questions
    summary: Mapped[str] = mapped_column(sa.String(200), default="")
    base_revision: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]

    author: Mapped[User] = relationship(foreign_keys=[author_id])


class ReputationEvent(db.Model):
    """One change of a person's reputation and its cause, for the history on the profile."""

    __tablename__ = "reputation_events"
    __table_args__ = (sa.Index("ix_reputation_events_user", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    delta: Mapped[int]
    cause: Mapped[str] = mapped_column(sa.String(30))  # upvote, downvote, accepted, accepter, suggested_edit, …
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
