"""Tags: policy areas (政策分野), department tasks (部署業務) and topics, with synonyms."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

TAG_CATEGORIES = ("policy", "department", "topic")
TAG_NAME_MAX = 35

question_tags = sa.Table(
    "question_tags",
    db.metadata,
    sa.Column("question_id", sa.ForeignKey("posts.id"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id"), primary_key=True, index=True),
)


class Tag(db.Model):
    __tablename__ = "tags"
    __table_args__ = (sa.CheckConstraint("category IN ('policy', 'department', 'topic')", name="category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalized (NFKC, lower-case): Ｐｙｔｈｏｎ and python are the same tag.
    name: Mapped[str] = mapped_column(sa.String(TAG_NAME_MAX), unique=True)
    # As people write it (DX, SDGs), shown on pages; `name` stays the case-folded key. None: name.
    display_name: Mapped[str | None] = mapped_column(sa.String(TAG_NAME_MAX))
    category: Mapped[str] = mapped_column(sa.String(16), default="topic")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    # Visible (not deleted) questions carrying the tag; kept by the question services.
    question_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    synonyms: Mapped[list["TagSynonym"]] = relationship(
        back_populates="tag", order_by="TagSynonym.name", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        """What pages, the API and feeds show: DX, not the key dx."""
        return self.display_name or self.name

    @property
    def approved_synonyms(self) -> list["TagSynonym"]:
        return [synonym for synonym in self.synonyms if synonym.approved_at is not None]

    def __repr__(self) -> str:
        return f"<Tag {self.name}>"


class TagSynonym(db.Model):
    """Another name that resolves to a tag when typed (徴収 → 債権回収)."""

    __tablename__ = "tag_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(TAG_NAME_MAX), unique=True)
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("tags.id"), index=True)
    # A member's proposal waits (approved_at None) until a moderator approves it; only approved
    # synonyms resolve. Moderators' own synonyms are approved at once.
    proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]

    tag: Mapped[Tag] = relationship(back_populates="synonyms")


class SearchSynonym(db.Model):
    """A group of administrative-jargon terms that search treats as equivalent (滞納整理 ≈ 債権回収).

    Moderators edit these; search applies them at query time, so no reindex is needed.
    """

    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Comma-separated, normalized terms.
    terms: Mapped[str] = mapped_column(sa.String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def term_list(self) -> list[str]:
        return [term for term in self.terms.split(",") if term]
