"""Personal API tokens: create (the secret is shown once), list, revoke, authenticate.

Only the SHA-256 of a token is stored, so a database leak does not leak usable tokens; the
secret has 256 random bits, so a plain hash (no salt, no slow KDF) is enough and lookups stay
one indexed query. A token acts for its owner with a scope: "read" (GET only) or "write".
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.database import write_transaction
from app.extensions import db
from app.models import ApiToken, User, utcnow
from app.services import audit
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.text import clean_line

PREFIX = "znn_"
SCOPES = ("read", "write")
NAME_MAX = 60
MAX_ACTIVE_TOKENS = 20
# last_used_at is bookkeeping: refresh it at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown to the person once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name) -> str:
    name = clean_line(name if isinstance(name, str) else "")
    if not name:
        raise ValidationFailed({"name": _("トークンの名前を入力してください（例: 庁内チャットボット）。")})
    if len(name) > NAME_MAX:
        raise ValidationFailed({"name": _("名前は%(n)d文字以内にしてください。", n=NAME_MAX)})
    return name


def create_token(user: User, name: str, scope: str = "write") -> NewToken:
    name = check_name(name)
    if scope not in SCOPES:
        raise ValidationFailed({"scope": _("権限を選んでください。")})
    if user.is_placeholder or not user.is_active:
        raise PermissionDenied()
    secret = PREFIX + secrets.token_urlsafe(32)
    with write_transaction():
        if len(active_tokens(user)) >= MAX_ACTIVE_TOKENS:
            raise ValidationFailed(
                {"name": _("有効なトークンは%(n)d個までです。使っていないものを無効にしてください。", n=MAX_ACTIVE_TOKENS)}
            )
        token = ApiToken(user_id=user.id, name=name, token_hash=hash_secret(secret), prefix=secret[:12], scope=scope)
        db.session.add(token)
        db.session.flush()
        audit.record(user, "api_token_create", "api_token", token.id, scope=scope)
    return NewToken(token, secret)


def active_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> None:
    """Only the owner revokes; someone else's token id looks like a missing one."""
    with write_transaction():
        token = db.session.get(ApiToken, token_id)
        if token is None or token.user_id != user.id:
            raise NotFound(token_id)
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit.record(user, "api_token_revoke", "api_token", token.id, scope=token.scope)


def authenticate(secret: str) -> ApiToken | None:
    """The live token for this secret (owner active, not a placeholder), or None."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or token.revoked_at is not None:
        return None
    owner = token.user
    if not owner.is_active or owner.is_placeholder or not owner.is_verified:
        return None
    return token


def note_use(token: ApiToken) -> None:
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    with write_transaction():
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
