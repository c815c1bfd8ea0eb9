"""Fixtures: a fresh app per test on its own copy of a migrated database (SQLite file, or a
PostgreSQL database cloned from a template: see tests/databases.py), its own on-disk search
index, the file mail backend in a temporary folder."""

import importlib.util
from pathlib import Path

import pytest
from flask import Flask, g

from app import create_app, indexing
from app.extensions import db
from config import Config, TestingConfig
from tests import databases, factories


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
def database_lane(tmp_path_factory, worker_id):
    """The schema built by the real migrations, plus the organization list and the starter
    jargon list (as `make db`), once per worker."""
    import flask_migrate

    from app.services.organizations import load_organizations
    from app.services.search import load_starter_synonyms

    folder = tmp_path_factory.mktemp("template")
    lane = databases.open_lane(folder, worker_id)
    app = create_app(_test_config(lane.template_url, folder))
    with app.app_context():
        flask_migrate.upgrade()
        load_organizations()  # what `make db` loads on a fresh install
        load_starter_synonyms()
        db.session.remove()
        db.engine.dispose()
    yield lane
    lane.close()


@pytest.fixture
def app_factory(database_lane, tmp_path):
    """Build an app on a fresh copy of the migrated database, with config overrides."""
    created: list[tuple[Flask, str]] = []

    def build(**overrides) -> Flask:
        url = database_lane.clone(tmp_path)
        app = create_app(_test_config(url, tmp_path, **overrides))
        created.append((app, url))
        return app

    yield build
    for app, url in created:
        with app.app_context():
            indexing.forget_index()  # close Whoosh's files before the folder goes
            db.session.remove()
            db.engine.dispose()
        database_lane.drop(url)


def _fresh_request_globals() -> None:
    # Tests keep one app context open around client requests, and Flask reuses it for each
    # request; per-request state in `g` (the logged-in user, the inbox count) must not leak.
    g.__dict__.clear()


@pytest.fixture
def app(app_factory, request):
    # Members-only, the production default; @pytest.mark.public_read for a site open to reading;
    # @pytest.mark.privileges for the real reputation thresholds (otherwise all 0: a new site);
    # @pytest.mark.privileges(create_tags=0) changes some of them.
    overrides = {}
    if request.node.get_closest_marker("public_read"):
        overrides["PUBLIC_READ"] = True
    if marker := request.node.get_closest_marker("privileges"):
        overrides["PRIVILEGE_THRESHOLDS"] = {**Config.PRIVILEGE_THRESHOLDS, **marker.kwargs}
    app = app_factory(**overrides)
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


@pytest.fixture(scope="session")
def compiled_catalog() -> Path:
    """What `make translations` does (scripts/i18n.py), only when the .mo is missing or older than
    the .po: for tests that read English pages."""
    spec = importlib.util.spec_from_file_location("zennin_i18n_script", Path(__file__).resolve().parent.parent / "scripts" / "i18n.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.compile_catalogs(only_if_stale=True)
    return script.mo_path("en")


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
def member_client(client, carol):
    """The test client signed in as carol, a member: the site is members-only by default."""
    factories.login(client, carol)
    return client


@pytest.fixture
def moderator(app):
    return factories.make_user(email="mod@soumu.go.jp", name="モデレーター", role="moderator")


@pytest.fixture
def alice_token(alice) -> str:
    """A read-write API token of alice's."""
    from app.services import tokens

    return tokens.create_token(alice, "アリスの連携", "write").secret


@pytest.fixture
def bob_token(bob) -> str:
    from app.services import tokens

    return tokens.create_token(bob, "ボブの連携", "write").secret
