"""Login sessions, security headers, safe redirects, request ids (SECURITY.md HDR-*, REDIR-*)."""

import secrets
import uuid
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect


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


def safe_redirect_target(target: str | None, fallback: str = "/") -> str:
    """`target` when it is a page of this site, else `fallback` (SECURITY.md REDIR-01..03).

    The one check for every redirect that takes a `next` or other user input. The target must
    start with a single `/` even after percent-decoding it again and again (`/%252F%252Fevil`
    is one decoding step from `//evil`), hold no backslash or control character (browsers drop
    tabs and newlines: `/<TAB>/evil` becomes `//evil`), no `.`/`..` segment and no empty one, and
    its path must name a GET route of ours. The query and fragment are kept as given.
    """
    if not target or len(target) > 2000 or not _stays_on_site(target):
        return fallback
    decoded = target
    for _round in range(5):
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    else:  # still changing after five rounds: nobody links like that
        return fallback
    if not _stays_on_site(decoded):
        return fallback
    path = unquote(urlsplit(target).path)
    if any(segment in (".", "..", "") for segment in path.split("/")[1:-1]) or path.endswith(("/.", "/..")):
        return fallback
    try:
        current_app.url_map.bind("zennin.invalid").match(path, method="GET")
    except RequestRedirect:
        pass  # e.g. a missing trailing slash: still one of our routes
    except HTTPException:
        return fallback
    return target


def _stays_on_site(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not (parts.scheme or parts.netloc)
