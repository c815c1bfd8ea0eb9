"""The community's own structure (issue 17): theme groups, their members, exchange meetings
(情報交換会) and registrations; and daily read counts for administrators' analytics.

A question posted to a group as members-only carries `Post.group_id` and
`Post.visibility = 'group'`; who may read it is decided in app/services/visibility.py only.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow
from app.models.tag import Tag
from app.models.user import User

JOIN_POLICIES = ("open", "approval")
GROUP_ROLES = ("member", "organizer")
MEMBERSHIP_STATUSES = ("active", "pending")
REGISTRATION_STATUSES = ("registered", "cancelled", "attended")
GROUP_NAME_MAX, GROUP_SLUG_MAX, MEETING_TITLE_MAX = 100, 60, 150

group_tags = sa.Table(
    "group_tags",
    db.metadata,
    sa.Column("group_id", sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Group(db.Model):
    """A theme group (財政, 債権回収, SDGs…) of public servants from many organizations."""

    __tablename__ = "groups"
    __table_args__ = (sa.CheckConstraint(f"join_policy IN {JOIN_POLICIES}", name="join_policy"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(GROUP_SLUG_MAX), unique=True)
    name: Mapped[str] = mapped_column(sa.String(GROUP_NAME_MAX))
    description: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown source
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    join_policy: Mapped[str] = mapped_column(sa.String(8), default="open")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]

    tags: Mapped[list[Tag]] = relationship(secondary=group_tags, order_by=Tag.name)

    def __repr__(self) -> str:
        return f"<Group {self.slug}>"


class GroupMembership(db.Model):
    """A member or organizer of a group; `pending` until an organizer approves (approval groups).
    `watching`: the group's new questions reach the member as a watched tag's do."""

    __tablename__ = "group_memberships"
    __table_args__ = (
        sa.CheckConstraint(f"role IN {GROUP_ROLES}", name="role"),
        sa.CheckConstraint(f"status IN {MEMBERSHIP_STATUSES}", name="status"),
        sa.Index("ix_group_memberships_user", "user_id", "status"),
    )

    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(9), default="member")
    status: Mapped[str] = mapped_column(sa.String(7), default="active")
    watching: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]

    group: Mapped[Group] = relationship()
    user: Mapped[User] = relationship()


class Meeting(db.Model):
    """An exchange meeting (情報交換会) of a group. Times are naive UTC like every timestamp;
    pages, mail and .ics show them in Asia/Tokyo. The online link is for registered members only."""

    __tablename__ = "meetings"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="period"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity"),
        sa.Index("ix_meetings_group_start", "group_id", "starts_at"),
        sa.Index("ix_meetings_start", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id"))
    title: Mapped[str] = mapped_column(sa.String(MEETING_TITLE_MAX))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    agenda: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown source
    agenda_html: Mapped[str] = mapped_column(sa.Text, default="")
    capacity: Mapped[int | None]
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    notes: Mapped[str | None] = mapped_column(sa.Text)  # Markdown, published after the meeting
    notes_html: Mapped[str | None] = mapped_column(sa.Text)
    notes_published_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]

    group: Mapped[Group] = relationship(lazy="joined")


class MeetingRegistration(db.Model):
    """A member's place at a meeting. `reminded_at` is set in the transaction that queues the
    reminder mail, so `mail reminders` never sends one twice."""

    __tablename__ = "meeting_registrations"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {REGISTRATION_STATUSES}", name="status"),
        sa.Index("ix_meeting_registrations_meeting", "meeting_id", "status"),
    )

    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="registered")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class QuestionView(db.Model):
    """Reads of a question per JST day: 「most read in this period」 for analytics and review
    queues (`Post.view_count` is the all-time total)."""

    __tablename__ = "question_views"
    __table_args__ = (sa.Index("ix_question_views_day", "day"),)

    question_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    views: Mapped[int] = mapped_column(default=0)
