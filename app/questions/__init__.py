from flask import Blueprint

bp = Blueprint("questions", __name__)

from app.questions import flags, redaction, routes  # noqa: E402,F401
