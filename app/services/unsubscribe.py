"""Signed one-click unsubscribe links (RFC 8058) for the digest and for notification e-mail.

The token names the member and the list and carries an HMAC-SHA256 of both under SECRET_KEY, so
it works without a login and cannot be forged for someone else or another list. Nothing is
stored: changing SECRET_KEY retires every link (the settings page still works).
"""

import hashlib
import hmac
from base64 import urlsafe_b64encode

from flask import current_app

from app.extensions import db
from app.models import User
from app.services import notification_settings
from app.urls import external_url

LISTS = ("digest", "notifications")


def _signature(user_id: int, list_name: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"unsubscribe:{user_id}:{list_name}".encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def token(user: User, list_name: str) -> str:
    assert list_name in LISTS
    return f"{user.id}.{list_name}.{_signature(user.id, list_name)}"


def verify(raw: str) -> tuple[User, str] | None:
    """The member and list of a genuine token, or None (tampered, unknown, or a gone account)."""
    user_id, _sep, rest = raw.partition(".")
    list_name, _sep, signature = rest.partition(".")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 12) or list_name not in LISTS:
        return None
    if not hmac.compare_digest(signature.encode(), _signature(int(user_id), list_name).encode()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active:
        return None
    return user, list_name


def apply(user: User, list_name: str) -> None:
    if list_name == "digest":
        notification_settings.update(user, digest="off")
    else:
        notification_settings.stop_email(user)


def link(user: User, list_name: str) -> str:
    return external_url("users.unsubscribe", token=token(user, list_name))


def headers(user: User, list_name: str) -> dict[str, str]:
    """The headers that let mail programs offer 「配信停止」 themselves (a POST to the same link)."""
    return {"List-Unsubscribe": f"<{link(user, list_name)}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
