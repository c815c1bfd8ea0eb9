"""Fixtures: a fresh app per test on a real SQLite file (migrated once per session, then copied),
its own on-disk search index, the file mail backend in a temporary folder."""

import shutil
from pathlib import Path

import pytest
from flask import Flask, g

from app import create_app
from app.extensions import db
from config import TestingConfig
from tests import factories


def _test_config(database_uri: str, tmp_path: Path, **overrides) -> type[TestingConfig]:
    return type(
        "PerTestConfig",
        (TestingConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
            "INSTANCE_DIR": str(tmp_path / "instance"),
            # A real on-disk index per test, as in production.
            "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
            **overrides,
        },
    )


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> Path:
    """The schema built by the real migrations, plus the organization list, once per session."""
    import flask_migrate

    from app.services.organizations import load_organizations

    path = tmp_path_factory.mktemp("template") / "zennin.sqlite"
    app = create_app(_test_config(f"sqlite:///{path}", path.parent))
    with app.app_context():
        flask_migrate.upgrade()
        load_organizations()
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture
def app_factory(migrated_database, tmp_path):
    """Build an app on a copy of the migrated database, with config overrides."""
    created: list[Flask] = []

    def build(**overrides) -> Flask:
        path = tmp_path / f"zennin-{len(created)}.sqlite"
        shutil.copyfile(migrated_database, path)
        app = create_app(_test_config(f"sqlite:///{path}", tmp_path, **overrides))
        created.append(app)
        return app

    yield build
    for app in created:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _fresh_request_globals() -> None:
    # Tests keep one app context open around client requests, and Flask reuses it for each
    # request; per-request state in `g` (the logged-in user, the inbox count) must not leak.
    g.__dict__.clear()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_globals)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app) -> Path:
    return Path(app.config["MAIL_OUTBOX_DIR"])


@pytest.fixture
def alice(app):
    """Asks questions."""
    return factories.make_user(email="alice@city.yokohama.lg.jp", name="横浜 アリス", org="141003")


@pytest.fixture
def bob(app):
    """Answers them."""
    return factories.make_user(email="bob@city.osaka.lg.jp", name="大阪 ボブ", org="271004")


@pytest.fixture
def carol(app):
    """Unrelated member."""
    return factories.make_user(email="carol@pref.hokkaido.lg.jp", name="北海道 キャロル", org="010006")


@pytest.fixture
def moderator(app):
    return factories.make_user(email="mod@soumu.go.jp", name="モデレーター", role="moderator")
