"""Career history (職歴): where a person has worked, the source of expertise and of 前任者."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow
from app.models.organization import Organization
from app.models.tag import Tag

career_entry_tags = sa.Table(
    "career_entry_tags",
    db.metadata,
    sa.Column("career_entry_id", sa.ForeignKey("career_entries.id"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id"), primary_key=True, index=True),
)


class CareerEntry(db.Model):
    __tablename__ = "career_entries"
    __table_args__ = (
        sa.CheckConstraint("end_on IS NULL OR end_on >= start_on", name="period"),
        sa.Index("ix_career_entries_post", "organization_code", "department_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organization_code: Mapped[str] = mapped_column(sa.ForeignKey("organizations.code"))
    department: Mapped[str] = mapped_column(sa.String(100))  # as typed
    department_key: Mapped[str] = mapped_column(sa.String(100))  # normalized for matching posts
    start_on: Mapped[date]  # first day of the month
    end_on: Mapped[date | None]  # last day of the month; None: the current post
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", back_populates="career")
    organization: Mapped[Organization] = relationship(lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=career_entry_tags, order_by=Tag.name)

    @property
    def is_current(self) -> bool:
        return self.end_on is None

    @property
    def start_month(self) -> str:
        """「2019-04」: how months are typed, shown in forms and exchanged with the API."""
        return self.start_on.strftime("%Y-%m")

    @property
    def end_month(self) -> str | None:
        return self.end_on.strftime("%Y-%m") if self.end_on else None
