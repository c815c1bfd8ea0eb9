"""The JSON API (`/api/v1`, DESIGN.md §5) and its human side (the `/api` page, `/settings/tokens`).

A second front end over the same services as the HTML views: it parses JSON, calls one service,
and serializes the result. Requests authenticate with `Authorization: Bearer TOKEN` only; a
session cookie is ignored, so there is no CSRF to defend against and the blueprint is exempt.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
pages_bp = Blueprint("api_pages", __name__)

from app.api import groups, pages, routes  # noqa: E402,F401  (registers the views)


def init_app(app) -> None:
    from app.extensions import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(pages_bp)
