from flask import Blueprint

bp = Blueprint("laws", __name__)

from app.laws import routes  # noqa: E402,F401
