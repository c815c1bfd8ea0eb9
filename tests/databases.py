"""The two database lanes of the suite.

SQLite (default): the migrated schema is built once per session, then each test gets a copy
of the file. PostgreSQL (when DATABASE_URL is a postgresql URL, as `make test-pg` sets it):
a template database is migrated once per worker, then each test gets
`CREATE DATABASE … TEMPLATE …` and drops it afterwards.
"""

import os
import shutil
from itertools import count
from pathlib import Path

import sqlalchemy as sa

POSTGRES_URL = os.environ.get("DATABASE_URL", "") if os.environ.get("DATABASE_URL", "").startswith("postgresql") else ""


def is_postgres() -> bool:
    return bool(POSTGRES_URL)


class SqliteLane:
    def __init__(self, folder: Path):
        self.template = folder / "zennin.sqlite"
        self._numbers = count()

    @property
    def template_url(self) -> str:
        return f"sqlite:///{self.template}"

    def clone(self, folder: Path) -> str:
        path = folder / f"zennin-{next(self._numbers)}.sqlite"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Files live in the test's tmp_path; pytest removes them."""

    def close(self) -> None:
        pass


class PostgresLane:
    def __init__(self, worker: str):
        self._url = sa.make_url(POSTGRES_URL)
        self._prefix = f"zennin_test_{worker}"
        self.template_name = f"{self._prefix}_template"
        self._numbers = count()
        # CREATE/DROP DATABASE cannot run inside a transaction.
        self._admin = sa.create_engine(self._url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self._run(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')
        self._run(f'CREATE DATABASE "{self.template_name}"')

    def _run(self, statement: str) -> None:
        with self._admin.connect() as connection:
            connection.exec_driver_sql(statement)

    @property
    def template_url(self) -> str:
        return self._url.set(database=self.template_name).render_as_string(hide_password=False)

    def clone(self, folder: Path) -> str:
        name = f"{self._prefix}_{next(self._numbers)}"
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._run(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"')
        return self._url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')
        self._admin.dispose()


def open_lane(folder: Path, worker: str) -> "SqliteLane | PostgresLane":
    return PostgresLane(worker) if is_postgres() else SqliteLane(folder)

