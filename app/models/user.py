"""People: accounts, roles and the settings that govern what others see."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow
from app.models.organization import Organization

ROLES = ("member", "moderator", "admin")
# Who sees a person's past posts: every member, members of the same organization, or nobody
# (the career then only counts for rankings and expert routing).
CAREER_VISIBILITY = ("members", "organization", "ranking_only")


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('member', 'moderator', 'admin')", name="role"),
        sa.CheckConstraint(
            "career_visibility IN ('members', 'organization', 'ranking_only')", name="career_visibility"
        ),
        sa.CheckConstraint("digest_frequency IN ('off', 'daily', 'weekly')", name="digest_frequency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(50))
    organization_code: Mapped[str | None] = mapped_column(sa.ForeignKey("organizations.code"), index=True)
    department: Mapped[str] = mapped_column(sa.String(100), default="")
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    reputation: Mapped[int] = mapped_column(default=0)
    role: Mapped[str] = mapped_column(sa.String(16), default="member")
    # An organization's own administrator: reads analytics of their organization only.
    is_org_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    email_verified_at: Mapped[datetime | None]
    # Part of the login cookie's identity: rotating it ends every session and remember-me cookie.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)
    career_visibility: Mapped[str] = mapped_column(sa.String(16), default="members")
    # Secret behind the person's feed URLs (app/services/feeds.py derives the token); rotating it
    # revokes every feed URL at once, None means no feed URL.
    feed_key: Mapped[str | None] = mapped_column(sa.String(32))
    notify_by_email: Mapped[bool] = mapped_column(default=True)
    # Expert routing: new questions in the person's areas may be sent to them (capped per week).
    # On by default, so a new expert is found without a settings visit; one click turns it off.
    routing_opt_in: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    # E-mail digest (issue 15): off, daily or weekly, sent in JST by `flask mail digest`.
    digest_frequency: Mapped[str] = mapped_column(sa.String(6), default="off", server_default="off")
    # The unread badge counts notifications newer than this (it clears when the inbox is seen).
    notifications_seen_at: Mapped[datetime | None]
    # The guided first run after verification (organization, current post, areas): None until done.
    first_run_done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    # A moderator's suspension: no writing (and no session) until this time; the reason is shown to them.
    suspended_until: Mapped[datetime | None]
    suspension_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # Imported authors (Stack Exchange, FAQ CSV, a restored export): no password, no verified
    # address, cannot log in. `flask users claim` hands their posts to a real account.
    is_placeholder: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    organization: Mapped[Organization | None] = relationship(lazy="joined")
    career = relationship("CareerEntry", back_populates="user", order_by="CareerEntry.start_on")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_moderator(self) -> bool:
        return self.role in ("moderator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
