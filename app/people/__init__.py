"""People and transfers: career history, experts by tag, the 異動 flow, asking a person."""

from flask import Blueprint

bp = Blueprint("people", __name__)

from app.people import routes  # noqa: E402,F401
