"""Administration pages under /admin (blueprint "admin"): the audit log and people's roles. Admins only."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import routes  # noqa: E402,F401
