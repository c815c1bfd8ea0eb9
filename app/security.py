"""Login sessions, security headers, safe redirects, request ids (SECURITY.md HDR-*, REDIR-*)."""

import secrets
import uuid
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager


def init_app(app: Flask, login_manager: LoginManager) -> None:
    from app.services.accounts import load_user_from_session

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("このページを見るにはログインしてください。")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_from_session)

    app.before_request(_assign_request_id)
    app.before_request(_refuse_long_urls)
    app.after_request(_security_headers)


def security_event(event: str, **fields) -> None:
    """One structured log line per security event (login, denial, CSRF, rate limit).

    Values are escaped so a crafted e-mail or path cannot forge extra log lines (CR/LF),
    and no secret (password, token, cookie) is ever passed in.
    """
    parts = [f"event={event}", f"ip={request.remote_addr}", f"request_id={g.get('request_id', '-')}"]
    parts += [f"{key}={_escape(value)}" for key, value in fields.items()]
    current_app.logger.warning("security %s", " ".join(parts))


def _escape(value) -> str:
    text = str(value).encode("unicode_escape").decode("ascii")
    return text.replace(" ", "\\x20")[:300]


def _assign_request_id() -> None:
    g.request_id = uuid.uuid4().hex[:12]


def _refuse_long_urls() -> None:
    """414 for a URL longer than MAX_URL_LENGTH, decided here so the answer is ours (JSON under
    /api/, a page elsewhere). gunicorn.conf.py lets such request lines through for this reason."""
    environ = request.environ
    if len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) > current_app.config["MAX_URL_LENGTH"]:
        abort(414)


def csp_nonce() -> str:
    """Per-response nonce for our own <script> tags; inline scripts without it are refused."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _security_headers(response):
    nonce = csp_nonce()
    # Images only from us (uploads) and the operator's IMAGE_SOURCES: no tracking pixels.
    image_sources = " ".join(["'self'", *sorted(current_app.config["IMAGE_SOURCES"])])
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; "
        f"img-src {image_sources}; "
        "font-src 'self'; "
        "connect-src 'self'; "
        "object-src 'none'; "
        "base-uri 'none'; "
        "form-action 'self'; "
        "frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # Not no-referrer: Flask-WTF's strict HTTPS check needs a same-origin Referer (CSRF-05).
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if "X-Request-Id" not in response.headers and "request_id" in g:
        response.headers["X-Request-Id"] = g.request_id
    return response


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (SECURITY.md REDIR-01).

    Refuses absolute URLs, scheme-relative //evil, backslash tricks (/\\evil), `https:/evil`
    (no netloc but a scheme) and control characters.
    """
    if not target or len(target) > 2000:
        return None
    if any(ch in target for ch in "\\\r\n\t\x00") or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
