"""Administration: people's roles. Only admins (and the operator's console) change a role, the
site always keeps one active admin, and every change goes to the audit log."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app.database import write_transaction
from app.extensions import db
from app.models import User
from app.models.user import ROLES
from app.services import audit
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.pagination import Page, paginate
from app.text import normalize_key

PER_PAGE = 50


def require_admin(viewer: User | None) -> None:
    if viewer is None or not viewer.is_authenticated or not viewer.is_admin:
        raise PermissionDenied()


def list_users(viewer: User | None, query: str, page: int, per_page: int = PER_PAGE) -> Page[User]:
    """Accounts that can log in (not imported placeholders), searched by part of the e-mail
    address or the display name."""
    require_admin(viewer)
    select = sa.select(User).where(User.is_placeholder.is_(False)).order_by(User.id)
    text = normalize_key(query or "")[:254]
    if text:
        select = select.where(User.email.contains(text, autoescape=True) | User.display_name.contains(text, autoescape=True))
    return paginate(select, page, per_page)


def user_by_email(email: str) -> User:
    """The account of an address as the operator typed it (any case); NotFound otherwise."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(email)
    return user


def set_role(actor: User | None, user: User, role: str) -> bool:
    """Give `user` the role; False when they already had it. `actor` None is the operator at the
    console (`flask users role`), who needs no account."""
    if actor is not None:
        require_admin(actor)
    if role not in ROLES:
        raise ValidationFailed({"role": _("権限は %(roles)s のいずれかです。", roles=", ".join(ROLES))})
    if user.is_placeholder:
        raise ValidationFailed({"role": _("インポートされた投稿者には権限を付けられません。")})
    with write_transaction():
        # Lock every admin row: two admins demoting each other at once cannot both succeed.
        admins = db.session.scalars(
            sa.select(User.id).where(User.role == "admin", User.disabled_at.is_(None)).with_for_update()
        ).all()
        db.session.refresh(user)
        old = user.role
        if old == role:
            return False
        if old == "admin" and list(admins) == [user.id]:
            raise ValidationFailed({"role": _("最後の管理者の権限は外せません。先にほかの人を管理者にしてください。")})
        user.role = role
        audit.record(actor, "role_change", "user", user.id, old_role=old, new_role=role, **({} if actor else {"via": "cli"}))
    return True


def set_org_admin(actor: User | None, user: User, value: bool) -> bool:
    """Make `user` their organization's administrator (analytics of that organization only), or
    stop it; False when nothing changed. Audited with the organization it applies to."""
    require_admin(actor)
    if value and (user.organization_code is None or user.is_placeholder):
        raise ValidationFailed({"org_admin": _("所属団体のないユーザーは団体管理者にできません。")})
    with write_transaction():
        db.session.refresh(user)
        if user.is_org_admin == value:
            return False
        user.is_org_admin = value
        audit.record(actor, "org_admin_change", "user", user.id, organization=user.organization_code, before=not value, after=value)
    return True
