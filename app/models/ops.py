"""Operational tables: the search outbox, the mail queue, the audit log, notifications, question
routes, API tokens, counters."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow
from app.models.user import User


class SearchOutbox(db.Model):
    """One row per question whose search document must be refreshed.

    Written in the same transaction as the change, so the index can never miss an update;
    each index remembers the last id it applied (its position), so replays are harmless.
    """

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


MAIL_STATUSES = ("queued", "sending", "sent", "dead")


class MailMessage(db.Model):
    """Outgoing e-mail, queued in the transaction that caused it and sent after commit.

    Delivery is exactly once: a sender claims a row (queued → sending, with its claim token)
    in its own committed transaction before talking to SMTP, and marks it sent after; a row
    left in `sending` by a crash is not resent blindly (app/mail.py). `message_id` is fixed at
    queue time so a resend after an unknown outcome carries the same Message-ID."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {MAIL_STATUSES}", name="status"),
        sa.Index("ix_mail_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    # Extra headers as a JSON object (List-Unsubscribe, List-Unsubscribe-Post…).
    headers: Mapped[str | None] = mapped_column(sa.Text)
    message_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    status: Mapped[str] = mapped_column(sa.String(8), default="queued", server_default="queued")
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    sent_at: Mapped[datetime | None]


class IndexConsumer(db.Model):
    """One search index (one host's directory) and the last outbox id it applied. The outbox is
    trimmed only below the lowest position of the indexes seen recently, so no host loses a row
    it has not applied (app/services/housekeeping.py)."""

    __tablename__ = "index_consumers"

    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Upload(db.Model):
    """An image a member uploaded for a post. Kept in the database (the source of truth, backed
    up with everything else), re-encoded without EXIF; served by us, so posts need no outside image."""

    __tablename__ = "uploads"
    __table_args__ = (sa.Index("ix_uploads_user", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    content_type: Mapped[str] = mapped_column(sa.String(30))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(db.Model):
    """Append-only: database triggers (migration 0006) refuse UPDATE and DELETE. `detail` holds
    JSON facts about the action (categories, reasons), never the text a person wrote."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_action", "action", "created_at"),
        sa.Index("ix_audit_log_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(50))
    target_type: Mapped[str] = mapped_column(sa.String(30), default="")
    target_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_inbox", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    question_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"))
    # A moderator's words to the person (a warning, a suspension); never copied to the audit log.
    message: Mapped[str | None] = mapped_column(sa.String(500))
    # Why it reached this person (「あなたは 2019–2022 年に債権回収を担当していたため」), fixed when sent.
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # Set when a digest has carried it (the digest channel), so no digest repeats it.
    digested_at: Mapped[datetime | None]

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    question = relationship("Question", foreign_keys=[question_id], viewonly=True)


class QuestionRoute(db.Model):
    """A question sent to one person: `directed` (the asker chose them: この人に聞く) or
    `routed` (expert routing chose them). The routed rows are the fairness ledger that the
    weekly cap and the rotation read."""

    __tablename__ = "question_routes"
    __table_args__ = (
        sa.UniqueConstraint("question_id", "user_id"),
        sa.CheckConstraint("kind IN ('directed', 'routed')", name="kind"),
        sa.Index("ix_question_routes_load", "user_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (sa.CheckConstraint("scope IN ('read', 'write')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))  # shown in lists to tell tokens apart
    scope: Mapped[str] = mapped_column(sa.String(8), default="write")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class RateLimitCounter(db.Model):
    """One fixed-window counter of app.ratelimit.DatabaseStorage."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[float] = mapped_column(sa.Float, index=True)  # epoch seconds


class Counter(db.Model):
    """A site-wide number kept up to date by the services that change it (app/services/counters.py),
    because counting it on every page grows with the site."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
