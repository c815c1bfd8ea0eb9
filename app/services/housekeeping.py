"""Housekeeping: trim the tables that otherwise grow forever, never a row still needed.
`flask --app wsgi housekeeping` runs it (daily, from a timer: README, "Production").

- **search_outbox**: a row goes only when every search index seen within CONSUMER_WINDOW (each
  records its position when it syncs: `indexing.sync_index`) has applied it, its id being below
  the lowest of their positions, on every host; and when it is older than REPLAY_WINDOW, which
  `search sync` still re-applies. While no index has recorded a position, nothing goes. An index
  silent for longer than the window is taken as gone; if it comes back, it must be rebuilt
  (its next sync says so in the log).
- **notifications**: read ones older than NOTIFICATION_RETENTION_DAYS; unread ones stay.
- **rate_limits**: windows that have expired.
- **mail_messages**: sent ones older than MAIL_RETENTION_DAYS; dead ones stay for an admin
  (/admin/mail), queued and sending ones are still being delivered.

Each table is trimmed in batches of BATCH rows, each its own short transaction, so a large first
run never holds the database's write lock for long.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.database import short_write
from app.extensions import db
from app.indexing import CONSUMER_WINDOW, REPLAY_WINDOW
from app.models import IndexConsumer, MailMessage, Notification, RateLimitCounter, SearchOutbox, utcnow

BATCH = 5000


@dataclass
class Trimmed:
    outbox: int = 0
    notifications: int = 0
    rate_limits: int = 0
    mail: int = 0


def trim(now: datetime | None = None) -> Trimmed:
    """Trim every table by its rule (see the module's docstring); how many rows went from each."""
    now = now or utcnow()
    config = current_app.config
    return Trimmed(
        outbox=trim_outbox(now),
        notifications=_delete(
            Notification,
            Notification.read_at.is_not(None),
            Notification.read_at < now - timedelta(days=config["NOTIFICATION_RETENTION_DAYS"]),
        ),
        rate_limits=_delete(RateLimitCounter, RateLimitCounter.expires_at < time.time()),
        mail=_delete(
            MailMessage,
            MailMessage.status == "sent",
            MailMessage.sent_at < now - timedelta(days=config["MAIL_RETENTION_DAYS"]),
        ),
    )


def trim_outbox(now: datetime) -> int:
    lowest = db.session.scalar(
        sa.select(sa.func.min(IndexConsumer.position)).where(IndexConsumer.updated_at >= now - CONSUMER_WINDOW)
    )
    db.session.rollback()  # end the read: the deletes below run in their own transactions
    if lowest is None:
        return 0
    return _delete(SearchOutbox, SearchOutbox.id < lowest, SearchOutbox.created_at < now - REPLAY_WINDOW)


def _delete(model, *conditions) -> int:
    key = model.__mapper__.primary_key[0]
    chosen = sa.select(key).where(*conditions).limit(BATCH).scalar_subquery()

    def batch(session: Session) -> int:
        return session.execute(sa.delete(model).where(key.in_(chosen)).execution_options(synchronize_session=False)).rowcount

    total = 0
    while deleted := short_write(batch, attempts=6):
        total += deleted
    return total
