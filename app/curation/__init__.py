"""Collections (まとめ): curated, ordered lists of Q&As; members save them."""

from flask import Blueprint

bp = Blueprint("collections", __name__)

from app.curation import routes  # noqa: E402,F401
