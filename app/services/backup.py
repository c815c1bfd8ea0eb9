"""Backups of the database, the source of truth (the search index is rebuilt from it).

SQLite: the online backup API copies a consistent snapshot while writers keep working.
PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore`. A restore goes into an
empty database only, and the SQLite copy is checked with `PRAGMA integrity_check`.
"""

import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import User


class BackupError(Exception):
    pass


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(url.database)


def _pg_url(url: sa.URL) -> str:
    # pg_dump speaks libpq URLs, without SQLAlchemy's driver suffix.
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def backup(destination: Path) -> Path:
    """Write a consistent copy of the database to `destination`; returns the path written."""
    url = db.engine.url
    destination.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(destination)
        try:
            with target:
                # One step: a WAL read snapshot, so writers go on and the copy is consistent.
                source.backup(target)
        finally:
            target.close()
            source.close()
        check_integrity(destination)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={destination}", _pg_url(url)])
    return destination


def check_integrity(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
        broken = connection.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        connection.close()
    if result != "ok" or broken:
        raise BackupError(f"integrity check failed: {result}, foreign keys: {broken[:5]}")


def restore(source: Path) -> None:
    """Load a backup into the configured database, which must be empty (no users yet)."""
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if _has_data():
        raise BackupError("the target database is not empty; restore into a fresh database")
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        check_integrity(source)
        target = _sqlite_path(url)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, target)
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_pg_url(url)}", str(source)])


def _has_data() -> bool:
    try:
        return db.session.scalar(sa.select(sa.func.count()).select_from(User)) > 0
    except sa.exc.SQLAlchemyError:  # no schema yet: empty
        db.session.rollback()
        return False


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=3600)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed") from error
    except subprocess.CalledProcessError as error:
        raise BackupError(error.stderr.decode(errors="replace")[-500:]) from error
