"""Knowledge that stays true (issue 16): the laws a post cites, amendments moderators record,
expert confirmations, 「うちでも採用」 adoptions, handover notes (引継書) and curated collections.

A post's fiscal year (年度) lives on the post itself (`Post.fiscal_year`).
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow
from app.models.organization import Organization
from app.models.tag import Tag
from app.models.user import User

CONFIRMATION_VERDICTS = ("current", "outdated")  # 「令和N年度も有効と確認」 / 「古い情報」
HANDOVER_VISIBILITY = ("organization", "members")  # same organization only (default) / every member
LAW_MAX, ARTICLE_MAX, CITATION_MAX = 100, 60, 200


class PostLaw(db.Model):
    """One legal basis (根拠法令) a post relies on: the law as normalized (地方税法) and its
    article where one was given (第15条の7), beside the words the author typed."""

    __tablename__ = "post_laws"
    __table_args__ = (sa.Index("ix_post_laws_law", "law", "article"),)

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    law: Mapped[str] = mapped_column(sa.String(LAW_MAX))
    article: Mapped[str | None] = mapped_column(sa.String(ARTICLE_MAX))
    text: Mapped[str] = mapped_column(sa.String(CITATION_MAX))  # as typed


class LawAmendment(db.Model):
    """A moderator's record that a law (or one article) was amended, effective `amended_on`:
    posts citing it from before that day are flagged `law_amended`."""

    __tablename__ = "law_amendments"
    __table_args__ = (sa.Index("ix_law_amendments_law", "law", "amended_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    law: Mapped[str] = mapped_column(sa.String(LAW_MAX))
    article: Mapped[str | None] = mapped_column(sa.String(ARTICLE_MAX))  # None: the whole law
    amended_on: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User] = relationship()


class Confirmation(db.Model):
    """An expert's, the author's or a privileged member's review of a post for a fiscal year:
    still valid (`current`) or outdated. The latest one is shown on the post."""

    __tablename__ = "confirmations"
    __table_args__ = (
        sa.CheckConstraint(f"verdict IN {CONFIRMATION_VERDICTS}", name="verdict"),
        sa.Index("ix_confirmations_post", "post_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    verdict: Mapped[str] = mapped_column(sa.String(8))
    fiscal_year: Mapped[int]
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class Adoption(db.Model):
    """「うちでも採用」: an organization does it the way this answer says. One per organization;
    any member of it may add or withdraw it (`user_id` is who marked it)."""

    __tablename__ = "adoptions"
    __table_args__ = (sa.Index("ix_adoptions_organization", "organization_code"),)

    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    organization_code: Mapped[str] = mapped_column(sa.ForeignKey("organizations.code"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined")


class HandoverNote(db.Model):
    """The living handover note (引継書) of one post: an organization and a normalized department
    (the key career entries use). Versioned in `handover_revisions`."""

    __tablename__ = "handover_notes"
    __table_args__ = (
        sa.UniqueConstraint("organization_code", "department_key"),
        sa.CheckConstraint(f"visibility IN {HANDOVER_VISIBILITY}", name="visibility"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_code: Mapped[str] = mapped_column(sa.ForeignKey("organizations.code"))
    department_key: Mapped[str] = mapped_column(sa.String(100))
    department: Mapped[str] = mapped_column(sa.String(100))  # as last typed, for display
    body: Mapped[str] = mapped_column(sa.Text)  # Markdown source
    body_html: Mapped[str] = mapped_column(sa.Text)
    visibility: Mapped[str] = mapped_column(sa.String(12), default="organization")
    revision_count: Mapped[int] = mapped_column(default=1)  # optimistic lock, as on posts
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    organization: Mapped[Organization] = relationship(lazy="joined")
    updated_by: Mapped[User] = relationship()


class HandoverRevision(db.Model):
    __tablename__ = "handover_revisions"
    __table_args__ = (sa.UniqueConstraint("note_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(sa.ForeignKey("handover_notes.id", ondelete="CASCADE"))
    number: Mapped[int]
    body: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()


class Collection(db.Model):
    """An ordered, curated list of Q&As with a short introduction (「債権回収 はじめの10問」),
    for a tag or for a department (the normalized key career entries use)."""

    __tablename__ = "collections"
    __table_args__ = (sa.Index("ix_collections_tag", "tag_id", "deleted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    intro: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown source
    intro_html: Mapped[str] = mapped_column(sa.Text, default="")
    tag_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tags.id"))
    department_key: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    tag: Mapped[Tag | None] = relationship()
    created_by: Mapped[User] = relationship()
    items: Mapped[list["CollectionItem"]] = relationship(
        order_by="CollectionItem.position", cascade="all, delete-orphan"
    )


class CollectionItem(db.Model):
    __tablename__ = "collection_items"

    collection_id: Mapped[int] = mapped_column(sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int]
    note: Mapped[str] = mapped_column(sa.String(300), default="")  # why this one, in a line


class SavedCollection(db.Model):
    __tablename__ = "saved_collections"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    collection_id: Mapped[int] = mapped_column(sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
