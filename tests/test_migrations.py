"""The schema comes only from migrations: upgrading an empty database gives exactly the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db
from tests import databases


def test_upgrade_on_an_empty_database_matches_the_models(app):
    # `app` runs on a copy of a database built by `flask db upgrade` (see conftest).
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


@pytest.mark.skipif(databases.is_postgres(), reason="SQLite settings; PostgreSQL has no such pragmas")
def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(app):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_foreign_keys_are_enforced(app):
    with db.engine.connect() as connection:
        try:
            connection.execute(sa.text("INSERT INTO votes (post_id, user_id, value, created_at) VALUES (999999, 999999, 1, '2026-01-01')"))
            connection.commit()
        except sa.exc.IntegrityError:
            return
    raise AssertionError("a vote for a missing post was accepted")
