"""Personal feed URLs: feed readers cannot log in, so a member's feed URLs carry a secret token.

The token is derived, not stored: `<user id>.<HMAC-SHA256(SECRET_KEY, "feed:<id>:<feed_key>")>`,
cut to 32 URL-safe characters (192 bits). `users.feed_key` is a random secret per person;
clearing it revokes every feed URL of theirs at once, and a new key gives new URLs.
"""

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from app.database import write_transaction
from app.extensions import db
from app.models import User
from app.services import audit
from app.services.errors import PermissionDenied
from app.web import MAX_ID

SIGNATURE_LENGTH = 32
TOKEN_MAX = 11 + SIGNATURE_LENGTH  # up to 10 digits of id, the dot, the signature


def derive_token(user_id: int, feed_key: str, secret_key: str) -> str:
    digest = hmac.new(secret_key.encode(), f"feed:{user_id}:{feed_key}".encode(), hashlib.sha256).digest()
    return f"{user_id}.{base64.urlsafe_b64encode(digest).decode('ascii')[:SIGNATURE_LENGTH]}"


def feed_token(user: User) -> str | None:
    """The token in this person's feed URLs, None when they have none."""
    if user.feed_key is None:
        return None
    return derive_token(user.id, user.feed_key, current_app.config["SECRET_KEY"])


def user_for_token(token: str) -> User | None:
    """The member a feed token stands for: a live key, an active verified account; else None."""
    if not isinstance(token, str) or len(token) > TOKEN_MAX:
        return None
    user_id, _dot, _signature = token.partition(".")
    if not (user_id.isascii() and user_id.isdigit() and 0 < int(user_id) <= MAX_ID):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.feed_key is None or not user.is_active or not user.is_verified or user.is_placeholder:
        return None
    expected = derive_token(user.id, user.feed_key, current_app.config["SECRET_KEY"])
    return user if hmac.compare_digest(expected.encode(), token.encode()) else None


def create_feed_key(user: User) -> None:
    """Give the person feed URLs (a no-op when they already have them)."""
    if user.is_placeholder or not user.is_active:
        raise PermissionDenied()
    with write_transaction():
        if user.feed_key is None:
            user.feed_key = secrets.token_hex(16)
            audit.record(user, "feed_token_create", "user", user.id)


def revoke_feed_key(user: User) -> None:
    """Every feed URL of the person stops working at once."""
    with write_transaction():
        if user.feed_key is not None:
            user.feed_key = None
            audit.record(user, "feed_token_revoke", "user", user.id)
