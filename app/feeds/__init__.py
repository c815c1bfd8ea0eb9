"""Atom feeds: the newest questions overall, per tag, and per search (a saved search)."""

from flask import Blueprint

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

from app.feeds import routes  # noqa: E402,F401  (registers the views)


def init_app(app) -> None:
    from app.feeds.routes import feed_links

    app.register_blueprint(bp)
    app.jinja_env.globals["feed_links"] = feed_links
