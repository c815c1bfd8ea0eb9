from flask import Blueprint

bp = Blueprint("questions", __name__)

from app.questions import closing, flags, redaction, routes  # noqa: E402,F401
