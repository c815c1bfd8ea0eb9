"""Configuration classes. Only this module reads the environment.

DESIGN.md §5 names the variables outside tools rely on: DATABASE_URL, SEARCH_INDEX_DIR,
SECRET_KEY, ALLOWED_EMAIL_DOMAINS, MAIL_BACKEND, MAIL_OUTBOX_DIR, PUBLIC_READ (and PORT, read by the Makefile).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_PATH = Path(os.environ.get("ZENNIN_INSTANCE_DIR") or BASE_DIR / "instance")


def _development_secret_key() -> str:
    """A random key generated once into instance/ so sessions survive restarts in development."""
    key_file = INSTANCE_PATH / "secret_key"
    if not key_file.exists():
        INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in value.split(",") if part.strip())


def _image_sources(value: str) -> frozenset[str]:
    """IMAGE_SOURCES: https origins (``https://img.example.jp``) whose images posts may show."""
    origins = frozenset(part.rstrip("/") for part in _csv(value))
    for origin in origins:
        scheme, _, host = origin.partition("://")
        if scheme != "https" or not host or any(ch in host for ch in "/?#@ "):
            raise ValueError(f"IMAGE_SOURCES: {origin!r} is not an https origin such as https://img.example.jp")
    return origins


class Config:
    INSTANCE_DIR = str(INSTANCE_PATH)
    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # filled in by create_app when unset
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'zennin.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # How long a SQLite writer waits for another's lock before the request gives up (503).
    SQLITE_BUSY_TIMEOUT_MS = 10000
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(INSTANCE_PATH / "search-index"))
    # How long a request waits for Whoosh's write lock before leaving the work to `flask search sync`.
    SEARCH_WRITE_TIMEOUT = float(os.environ.get("SEARCH_WRITE_TIMEOUT", "1.0"))

    ALLOWED_EMAIL_DOMAINS = _csv(os.environ.get("ALLOWED_EMAIL_DOMAINS", "lg.jp,go.jp"))
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_PATH / "outbox"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "Zennin <no-reply@zennin.invalid>")
    SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "0") == "1"
    # Absolute links in e-mail (verification, reset). Requests fill it from the Host otherwise.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    PASSWORD_HASH_METHOD = "scrypt"
    EMAIL_TOKEN_MAX_AGE = timedelta(hours=48)
    PASSWORD_RESET_MAX_AGE = timedelta(hours=2)

    # Sessions and cookies (SECURITY.md HDR-*). Secure flags are switched on in ProductionConfig.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    MAX_CONTENT_LENGTH = 1 * 1024 * 1024
    # Path and query string; a search URL of 200 Japanese characters is ~2,000 bytes encoded.
    MAX_URL_LENGTH = 8190
    # Members-only by default (app/access.py); true opens reading to everyone, e.g. a public FAQ portal.
    PUBLIC_READ = os.environ.get("PUBLIC_READ", "").strip().lower() in ("true", "1")
    # Host names this site answers to (Host header check); empty = any, for development.
    TRUSTED_HOSTS = _csv(os.environ.get("TRUSTED_HOSTS", "")) or None
    # How many proxies in front of gunicorn add X-Forwarded-For (README "Production"): 0 = none
    # (development), 1 = nginx on this host. The client address is taken that many hops back
    # and X-Forwarded-Proto is trusted from the nearest one; never more than really exist.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; long answers take time to write

    # Counters in the database (app/ratelimit.py), shared by all workers; redis:// etc. also work.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "zennin-db://")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Logins: only FAILED attempts count (app/services/login_guard.py); scope: (failures allowed,
    # window in seconds). One failure more locks the scope LOGIN_LOCK_FIRST seconds, each further
    # one twice as long, up to LOGIN_LOCK_MAX. "ip" is only a flood ceiling: a whole city hall
    # (or prefecture) shares one LGWAN proxy address, and its honest typos stay far below it.
    LOGIN_FAILURE_LIMITS = {"account_ip": (5, 900), "account": (10, 86400), "ip": (1000, 900)}
    LOGIN_LOCK_FIRST = 60
    LOGIN_LOCK_MAX = 3600
    # Registration, verification and reset mail: per address only against floods (a city hall
    # registering on launch day stays below), per typed e-mail address so no mailbox is flooded.
    REGISTER_RATE_LIMIT = "100 per minute;2000 per hour"
    EMAIL_RATE_LIMIT = "3 per minute;10 per hour"
    RESET_LINK_RATE_LIMIT = "10 per minute"  # per reset link, not per address
    POST_RATE_LIMIT = "20 per minute;300 per hour"
    PREVIEW_RATE_LIMIT = "60 per minute"

    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    LANGUAGES = ("ja", "en")

    # Moderation (app/services/privileges.py, flags, close votes). A new, small site can scale the
    # reputation thresholds down; moderators and admins hold every privilege.
    PRIVILEGE_THRESHOLDS = {
        "vote_up": 0,
        "comment": 0,
        "flag": 0,
        "vote_down": 50,
        "create_tags": 100,
        "propose_synonyms": 250,
        "close_vote": 250,
        "edit_others": 500,
        "review": 1000,
        "confirm_answers": 500,
    }
    FLAG_HIDE_THRESHOLD = 3  # independent flags (other than 個人情報, which hides at once) that hide a post
    FLAG_RATE_LIMIT = "10 per hour;30 per day"
    CLOSE_VOTES_NEEDED = 3
    # Outdated warnings (app/services/freshness.py): an answer for a 年度 this many 年度 before the
    # current one is flagged until someone confirms it again.
    OUTDATED_AFTER_YEARS = int(os.environ.get("OUTDATED_AFTER_YEARS", "2"))

    # Housekeeping (`flask housekeeping`, app/services/housekeeping.py): how long read notifications
    # and sent mail are kept. Unread notifications and undelivered (dead) mail are kept.
    NOTIFICATION_RETENTION_DAYS = int(os.environ.get("NOTIFICATION_RETENTION_DAYS", "180"))
    MAIL_RETENTION_DAYS = int(os.environ.get("MAIL_RETENTION_DAYS", "30"))

    QUESTIONS_PER_PAGE = 20
    MARKDOWN_RENDER_TIMEOUT = 2.0
    # Outside images posts may show (and the CSP allows); by default only our uploads: any other
    # image would tell its server who read the post, and when.
    IMAGE_SOURCES = _image_sources(os.environ.get("IMAGE_SOURCES", ""))
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    UPLOAD_MAX_PIXELS = 24_000_000  # 6000 × 4000; decoding takes ~4 bytes a pixel
    UPLOADS_PER_DAY = 50  # per member, and UPLOAD_BYTES_PER_DAY in all
    UPLOAD_BYTES_PER_DAY = 100 * 1024 * 1024
    UPLOAD_RATE_LIMIT = "20 per 10 minutes"


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    # __Host- cookies: HTTPS only, this host only, path / (SECURITY.md HDR-01/02).
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_NAME = "__Host-remember_token"
    REMEMBER_COOKIE_DURATION = timedelta(days=7)
    PREFERRED_URL_SCHEME = "https"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    MAIL_BACKEND = "file"
    # Fast hashes: the suite creates hundreds of users; production keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    SEARCH_INDEX_DIR = None  # in-memory Whoosh index
    PUBLIC_READ = False  # the production default, whatever the environment says
    # Most tests act as members of a brand-new site; tests of privileges use the real thresholds
    # (@pytest.mark.privileges, see tests/conftest.py).
    PRIVILEGE_THRESHOLDS = dict.fromkeys(Config.PRIVILEGE_THRESHOLDS, 0)
