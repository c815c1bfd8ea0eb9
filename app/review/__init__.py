"""The review queue under /review (blueprint "review"): flags and first posts, for moderators
and members with the `review` privilege (app/services/review.py decides who sees what)."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from app.review import routes  # noqa: E402,F401
