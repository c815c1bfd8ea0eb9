"""Rate limits are counted in the database, so every worker and server shares them (AUTH-02)."""

import time

from app import create_app
from app.extensions import db
from app.ratelimit import DatabaseStorage
from config import ProductionConfig


def test_two_app_instances_share_one_counter(app_factory):
    first = app_factory(RATELIMIT_ENABLED=True, LOGIN_FAILURE_LIMITS={"account_ip": (2, 60), "account": (10, 60), "ip": (100, 60)})
    # A second "worker": another app object on the same database.
    second = create_app(_same_database_config(first))
    attempts = [first, second, first, second]
    codes = [
        app.test_client().post("/login", data={"email": "x@city.yokohama.lg.jp", "password": "wrong-password"}).status_code
        for app in attempts
    ]
    assert codes == [200, 200, 200, 429]  # the third failure starts the lock, counted across both
    with second.app_context():
        db.engine.dispose()


def _same_database_config(app):
    from config import TestingConfig

    return type("SecondWorker", (TestingConfig,), {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SEARCH_INDEX_DIR", "MAIL_OUTBOX_DIR", "INSTANCE_DIR", "RATELIMIT_ENABLED", "LOGIN_FAILURE_LIMITS")})


def test_windows_expire_and_counts_are_atomic(app):
    storage = DatabaseStorage("zennin-db://")
    assert [storage.incr("ログイン/alice", expiry=1) for _ in range(3)] == [1, 2, 3]
    assert storage.get("ログイン/alice") == 3 and storage.get_expiry("ログイン/alice") > time.time()
    time.sleep(1.1)
    assert storage.get("ログイン/alice") == 0
    assert storage.incr("ログイン/alice", expiry=60) == 1  # a new window
    storage.clear("ログイン/alice")
    assert storage.get("ログイン/alice") == 0 and storage.check()


def test_production_does_not_count_in_process_memory():
    assert not ProductionConfig.RATELIMIT_STORAGE_URI.startswith("memory://")
