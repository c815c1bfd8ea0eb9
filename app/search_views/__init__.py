"""The search page and the similar-questions endpoint (blueprint "search")."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from app.search_views import routes  # noqa: E402,F401
