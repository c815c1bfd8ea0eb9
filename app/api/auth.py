"""Bearer-token authentication and per-token rate limits for the API.

Every request under /api/v1 (except the OpenAPI document) needs `Authorization: Bearer TOKEN`.
The person the token belongs to is `api_user()`; Flask-Login's `current_user` (the session
cookie) is never consulted here, so a logged-in browser cannot be tricked into API calls.
"""

from flask import current_app, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.extensions import limiter
from app.models import ApiToken, User
from app.services import tokens

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Defaults; override with API_RATE_LIMIT / API_WRITE_RATE_LIMIT in the configuration.
DEFAULT_RATE_LIMIT = "300 per minute"
DEFAULT_WRITE_RATE_LIMIT = "20 per minute;300 per hour"
_UNSET = object()
_ENVIRON_KEY = "zennin.api_token"


class ApiError(Exception):
    """An error with a status, a stable machine code and a message for people."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None, headers: dict | None = None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}


def _presented_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def resolve_token() -> ApiToken | None:
    """The token of this request (looked up once per request), or None."""
    # Kept in the WSGI environ, which belongs to this request alone (tests reuse one `g`).
    cached = request.environ.get(_ENVIRON_KEY, _UNSET)
    if cached is not _UNSET:
        return cached
    secret = _presented_secret()
    token = tokens.authenticate(secret) if secret else None
    request.environ[_ENVIRON_KEY] = token
    return token


def require_token() -> None:
    """Run before every API view: 401 without a live token, 403 for a write with a read token."""
    token = resolve_token()
    if token is None:
        challenge = 'Bearer realm="zennin"'
        if _presented_secret() is not None:
            challenge += ', error="invalid_token"'
            message = _("トークンが無効です。取り消されたか、正しくコピーされていない可能性があります。")
            raise ApiError(401, "invalid_token", message, headers={"WWW-Authenticate": challenge})
        message = _("Authorization: Bearer ヘッダーで API トークンを送ってください。")
        raise ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})
    if request.method not in READ_METHODS and token.scope != "write":
        raise ApiError(403, "insufficient_scope", _("このトークンは読み取り専用です。書き込みには読み書き用のトークンを作成してください。"))
    tokens.note_use(token)


def api_user() -> User:
    token = resolve_token()
    if token is None:  # views only run after require_token()
        raise ApiError(401, "unauthorized", _("API トークンが必要です。"))
    return token.user


def rate_limit_key() -> str:
    """Per token when one is presented and valid; per client address otherwise."""
    token = resolve_token()
    return f"api-token:{token.id}" if token is not None else f"api-ip:{get_remote_address()}"


def read_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def write_limit() -> str:
    return current_app.config.get("API_WRITE_RATE_LIMIT", DEFAULT_WRITE_RATE_LIMIT)


def member_key() -> str:
    """Per person, whichever way they come (the pages with a session, the API with a token)."""
    token = resolve_token()
    user = token.user if token is not None else current_user
    return f"member:{user.id}" if user.is_authenticated else f"ip:{get_remote_address()}"


# Flags from the pages and from the API count together (FLAG_RATE_LIMIT per member).
flag_limit = limiter.shared_limit(lambda: current_app.config["FLAG_RATE_LIMIT"], scope="flags", key_func=member_key)
