"""Zennin (前任): a Q&A knowledge base for Japan's public servants.

`create_app()` reads as the table of contents of the application.
"""

import os
from pathlib import Path

from flask import Flask

from config import Config, DevelopmentConfig, ProductionConfig, _development_secret_key

CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig}
MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config_class: type[Config] | None = None) -> Flask:
    if config_class is None:
        config_class = CONFIGS[os.environ.get("ZENNIN_ENV", "development")]
    app = Flask(__name__, instance_path=config_class.INSTANCE_DIR, instance_relative_config=False)
    app.config.from_object(config_class)
    app.json.ensure_ascii = False  # JSON shows 日本語 as is, not \uXXXX
    _configure_secret_key(app)
    if app.config["TRUSTED_PROXY_COUNT"] > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Host is not taken from X-Forwarded-Host: nginx passes `Host $host` (TRUSTED_HOSTS checks it).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXY_COUNT"], x_proto=1)

    from app import access, database, errors, ratelimit, security, templating  # noqa: F401 (ratelimit registers its storage)
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate
    from app.i18n import select_locale

    db.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"])
    limiter.init_app(app)
    security.init_app(app, login_manager)
    access.init_app(app, login_manager)  # members-only unless PUBLIC_READ: one gate for every URL

    from app.web import IdConverter

    app.url_map.converters["id"] = IdConverter
    _register_blueprints(app)
    errors.register_error_handlers(app)
    templating.init_app(app)

    from app.cli import register_commands

    register_commands(app)
    return app


def _configure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("SESSION_COOKIE_SECURE"):  # production settings: never invent a key
        raise RuntimeError("SECRET_KEY must be set in production")
    app.config["SECRET_KEY"] = _development_secret_key()


def _register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.auth import bp as auth_bp
    from app.curation import bp as collections_bp
    from app.groups import bp as groups_bp
    from app.handover import bp as handover_bp
    from app.laws import bp as laws_bp
    from app.main import bp as main_bp
    from app.meetings import bp as meetings_bp
    from app.people import bp as people_bp
    from app.questions import bp as questions_bp
    from app.review import bp as review_bp
    from app.review_edits import bp as review_edits_bp
    from app.search_views import bp as search_bp
    from app.tags import bp as tags_bp
    from app.uploads import bp as uploads_bp
    from app.users import bp as users_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(questions_bp)
    app.register_blueprint(tags_bp)
    app.register_blueprint(groups_bp)  # /groups: theme groups and their members
    app.register_blueprint(users_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(admin_bp)  # /admin: the audit log, roles
    app.register_blueprint(review_bp)  # /review: flags and first posts, for moderators and reviewers
    app.register_blueprint(review_edits_bp)  # /review/edits: suggested edits
    app.register_blueprint(uploads_bp)  # /uploads: images for posts, kept in the database
    app.register_blueprint(handover_bp)  # /handover: handover notes (引継書) of posts
    app.register_blueprint(collections_bp)  # /collections: curated lists of Q&As
    app.register_blueprint(meetings_bp)  # /meetings, /groups/<slug>/meetings/…: exchange meetings (情報交換会)
    app.register_blueprint(laws_bp)  # /laws: Q&As per cited law, amendments recorded by moderators

    from app import api, feeds

    api.init_app(app)  # /api/v1 (JSON, token auth, no CSRF), /api and /settings/tokens
    feeds.init_app(app)  # /feeds/… (Atom)
