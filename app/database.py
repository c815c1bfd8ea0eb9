"""Database engine settings and the one way services write: `write_transaction()`.

SQLite (SECURITY.md SQLITE-01..04): WAL so readers never block the writer, a busy timeout so a
writer waits instead of failing, foreign keys on, and `BEGIN IMMEDIATE` for write transactions.
A deferred transaction that reads first and writes later fails with SQLITE_BUSY_SNAPSHOT when
another process committed in between, which loses concurrent votes; IMMEDIATE takes the write
lock up front, so writers queue instead.

PostgreSQL: services lock the rows they read-modify-write (`with_for_update`) and update
counters with `SET x = x + 1`, so concurrent requests cannot lose an update (CONC-01..04).

Redaction must leave no copy of the old text in the files: SQLite runs with `secure_delete`
(freed space is zeroed) and `scrub_old_versions()` empties the WAL; PostgreSQL vacuums.
"""

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.extensions import db

_IMMEDIATE = "zennin_immediate"
_AFTER_COMMIT = "zennin_after_commit"
_DEPTH = "zennin_write_depth"
_FLUSHED = "zennin_flushed"
T = TypeVar("T")


def configure_engine(engine: sa.Engine, busy_timeout_ms: int) -> None:
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event (below) issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # Overwrite deleted and replaced content with zeros instead of leaving it in free space.
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _sqlite_begin(connection):
        immediate = connection.get_execution_options().get(_IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Run the block in a write transaction and commit it; roll back on any error.

    Re-entrant: a service called from another service joins the outer transaction.
    """
    session = db.session()
    info = session.info
    if info.get(_DEPTH):
        info[_DEPTH] += 1
        try:
            yield session
        finally:
            info[_DEPTH] -= 1
        return

    if session.in_transaction():
        if session.new or session.dirty or session.deleted or info.get(_FLUSHED):
            # Rolling back the read snapshot below would silently drop these changes.
            raise RuntimeError("changes made outside write_transaction(); make them inside it")
        # Drop the read snapshot; loaded objects reload under the write lock.
        session.rollback()
    session.connection(execution_options={_IMMEDIATE: True})
    info[_DEPTH] = 1
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        info[_DEPTH] = 0


def short_write(work: Callable[[Session], T], *, attempts: int, first_wait: float = 0.05) -> T:
    """Run `work(session)` in its own short write transaction (BEGIN IMMEDIATE on SQLite) and
    commit it; when the database is busy (SQLite `database is locked` after the busy timeout, a
    PostgreSQL lock or serialization failure: all OperationalError) roll back, wait (doubling from
    `first_wait`) and run it again, up to `attempts` times; then the last error is raised.

    For bookkeeping that must not share the request's transaction nor fail with it: claiming
    and marking mail (app/mail.py), index positions, housekeeping batches. Objects it returns
    stay loaded (no expiry on commit)."""
    for attempt in range(attempts):
        with Session(db.engine, expire_on_commit=False) as session:
            try:
                session.connection(execution_options={_IMMEDIATE: True})
                result = work(session)
                session.commit()
                return result
            except sa.exc.OperationalError:
                session.rollback()
                if attempt == attempts - 1:
                    raise
        time.sleep(first_wait * 2**attempt)
    raise ValueError("attempts must be at least 1")


def upsert(model: type, values: dict, *, update: dict | None = None) -> None:
    """INSERT the row, or on a primary-key clash do nothing (`update` None) or SET `update`: one
    statement, so two requests racing for the same row (a double click) both succeed."""
    table = model.__table__
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    keys = list(table.primary_key.columns)
    if update:
        statement = statement.on_conflict_do_update(index_elements=keys, set_=update)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    db.session.execute(statement)


def scrub_old_versions(tables: Sequence[str]) -> bool:
    """After a commit that removed text: drop the old row versions the database still keeps.

    SQLite: the committed pages (zeroed where text was freed, see `secure_delete`) are copied
    from the WAL into the database file and the WAL is truncated to nothing; this waits up to
    the busy timeout for older readers. PostgreSQL: VACUUM `tables`, pruning dead row versions
    (a `pg_dump` never shows them; WAL segments keep them until they are recycled).
    Returns False when the WAL could not be truncated now; the next full checkpoint does it.
    """
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            # On the driver connection: no BEGIN around it (a checkpoint cannot run in a transaction).
            busy, _, _ = connection.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            return not busy
        names = ", ".join(connection.dialect.identifier_preparer.quote(table) for table in tables)
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(f"VACUUM {names}")
    return True


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction has committed (never if it rolls back)."""
    callbacks = session.info.setdefault(_AFTER_COMMIT, [])
    if callback not in callbacks:
        callbacks.append(callback)


@sa.event.listens_for(db.session, "after_flush")
def _note_flush(session: Session, _flush_context) -> None:
    session.info[_FLUSHED] = True


@sa.event.listens_for(db.session, "after_transaction_end")
def _forget_flush(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_FLUSHED, None)


@sa.event.listens_for(db.session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:  # the data is committed; a failed side effect must not turn into a 500
            current_app.logger.exception("after-commit task failed: %r", callback)


@sa.event.listens_for(db.session, "after_soft_rollback")
def _forget_after_commit(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)
