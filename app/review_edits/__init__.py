from flask import Blueprint

bp = Blueprint("review_edits", __name__, url_prefix="/review/edits")

from app.review_edits import routes  # noqa: E402,F401
