"""Who may read: members-only unless the operator sets PUBLIC_READ (DESIGN.md §5).

One `before_request` gate decides for every URL. Anonymous visitors reach only the endpoints in
`OPEN_ENDPOINTS` (the front door, sign-up and sign-in, health checks, static files); everything
else, a blueprint added later included, needs a signed-in, verified, active member. The JSON API
is closed by its own bearer-token check (app/api/routes.py), and feed readers, which cannot log
in, present a personal token instead (app/services/feeds.py). When members-only, every response
also says `X-Robots-Tag: noindex, nofollow` (base.html adds the meta tag).
"""

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from flask_login import LoginManager, current_user

from app.api import auth as api_auth
from app.errors import error_response
from app.models import User
from app.security import security_event
from app.services import feeds
from app.services.permissions import is_verified_member as is_member

OPEN_ENDPOINTS = frozenset(
    {
        "main.index",  # a front door without content for visitors (main/welcome.html)
        "main.about",
        "main.healthz",
        "main.set_language",
        "static",
        "auth.login",
        "auth.logout",
        "auth.register",
        "auth.verify_email",
        "auth.resend_verification",
        "auth.forgot_password",
        "auth.reset_password",
        "users.organization_search",  # the registration form's picker; public list of 団体
        "users.unsubscribe",  # links in e-mail: the signed token is the permission (app/services/unsubscribe.py)
    }
)
FEED_ENDPOINTS = frozenset({"feeds.questions_feed", "feeds.tag_feed", "feeds.search_feed"})
TOKEN_BLUEPRINTS = frozenset({"api"})  # they refuse requests without a bearer token themselves
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NOINDEX = "noindex, nofollow"


def init_app(app: Flask, login_manager: LoginManager) -> None:
    login_manager.request_loader(_feed_reader)
    app.before_request(_gate)
    app.after_request(_noindex)
    app.jinja_env.globals.update(can_read=can_read, is_member=is_member)


def public_read() -> bool:
    return bool(current_app.config["PUBLIC_READ"])


def can_read(user: User | None) -> bool:
    return public_read() or is_member(user)


def _feed_reader(req) -> User | None:
    """Flask-Login's request loader: on a feed URL, a valid personal token signs its member in
    for this request only (no session is written), so the feed is served as that member."""
    token = req.args.get("token")
    return feeds.user_for_token(token) if token and req.endpoint in FEED_ENDPOINTS else None


def _gate() -> Response | None:
    endpoint = request.endpoint
    if endpoint in OPEN_ENDPOINTS or request.blueprint in TOKEN_BLUEPRINTS:
        return None
    if endpoint in FEED_ENDPOINTS and "token" in request.args and feeds.user_for_token(request.args["token"]) is None:
        # A revoked or mistyped personal URL fails loudly, even where tokenless feeds are open.
        security_event("feed_token_invalid", path=request.path)
        return _plain(403, _("このフィードURLは無効です。設定ページで新しいフィードURLを作成してください。"))
    if is_member(current_user) or (public_read() and request.method in READ_METHODS):
        return None
    if endpoint in FEED_ENDPOINTS:
        return _plain(401, _("このフィードを読むには、設定ページで作成した個人用のフィードURLを使ってください。"))
    if request.path.startswith("/api/"):
        # The API checks the bearer token on its own routes; here for a path it does not route (404, 405).
        return None if api_auth.resolve_token() is not None else error_response(401)
    if current_user.is_authenticated:  # signed in, but the address is not verified yet
        return error_response(403, _("メールアドレスの確認が済んでいません。届いたメールのリンクを開いてください。"))
    return current_app.login_manager.unauthorized()  # to /login?next=<this path>, and back afterwards


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status, content_type="text/plain; charset=utf-8")


def _noindex(response: Response) -> Response:
    if not public_read():
        response.headers["X-Robots-Tag"] = NOINDEX
    return response
