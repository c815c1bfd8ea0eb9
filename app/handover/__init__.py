"""Handover notes (引継書): a post's living note, its history, and writing it."""

from flask import Blueprint

bp = Blueprint("handover", __name__)

from app.handover import routes  # noqa: E402,F401
