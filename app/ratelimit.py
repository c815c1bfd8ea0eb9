"""Rate-limit counters in the database, shared by every worker and server (SECURITY.md AUTH-02).

Flask-Limiter's `memory://` store is per process: with three gunicorn workers a login limit
of 10 per minute becomes 30, and a restart forgets it. Zennin has no Redis on closed
government networks, so the counters live in the `rate_limits` table (fixed windows),
updated with one atomic upsert. Configure with RATELIMIT_STORAGE_URI = "zennin-db://".
"""

import random
import time

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import RateLimitCounter

_PRUNE_PROBABILITY = 0.01  # now and then, drop windows that ended long ago


class DatabaseStorage(Storage):
    STORAGE_SCHEME = ["zennin-db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        table = RateLimitCounter.__table__
        insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(table)
        expired = table.c.expires_at <= now
        statement = insert.values(key=key, count=amount, expires_at=now + expiry).on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": sa.case((expired, amount), else_=table.c.count + amount),
                "expires_at": sa.case((expired, now + expiry), else_=table.c.expires_at),
            },
        ).returning(table.c.count)
        # Own connection and transaction: never mixed into the request's unit of work.
        with db.engine.connect().execution_options(zennin_immediate=True) as connection, connection.begin():
            count = connection.execute(statement).scalar_one()
            if random.random() < _PRUNE_PROBABILITY:
                connection.execute(sa.delete(table).where(table.c.expires_at < now - 3600))
        return count

    def _row(self, key: str):
        with db.engine.connect() as connection:
            return connection.execute(
                sa.select(RateLimitCounter.count, RateLimitCounter.expires_at).where(RateLimitCounter.key == key)
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.count if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row is not None and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as connection:
                connection.execute(sa.select(1))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(sa.delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(sa.delete(RateLimitCounter).where(RateLimitCounter.key == key))
