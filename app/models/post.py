"""Questions and answers (one `posts` table, as Stack Exchange does), comments, votes, revisions.

Questions and answers share one id space, so a vote, a revision or a comment points at a post
whatever its kind (`POST /api/v1/posts/ID/vote`). Nothing a person wrote is ever deleted: posts
and comments carry `deleted_at`, and every edit leaves a Revision.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship, remote

from app.extensions import db
from app.models.base import utcnow
from app.models.knowledge import PostLaw
from app.models.tag import Tag, question_tags
from app.models.user import User

TITLE_MAX = 150
COMMENT_MAX = 600
BODY_MAX = 30_000  # Markdown source of a post or a tag description: forms, API, services, textarea
# Who may read a question: every member, or only the members of its group (app/services/visibility.py).
VISIBILITIES = ("members", "group")


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('question', 'answer')", name="kind"),
        sa.CheckConstraint(f"visibility IN {VISIBILITIES}", name="visibility"),
        # Members-only content belongs to a group; answers follow their question's visibility.
        sa.CheckConstraint("visibility = 'members' OR (kind = 'question' AND group_id IS NOT NULL)", name="group_visibility"),
        sa.CheckConstraint("fiscal_year IS NULL OR fiscal_year BETWEEN 1900 AND 2200", name="fiscal_year"),
        sa.CheckConstraint(
            "(kind = 'question' AND title IS NOT NULL AND question_id IS NULL)"
            " OR (kind = 'answer' AND question_id IS NOT NULL AND title IS NULL"
            " AND accepted_answer_id IS NULL)",
            name="kind_columns",
        ),
        # The accepted answer must be an answer to this very question: (accepted_answer_id, id)
        # references (id, question_id) of the answer row. The question row is the single source
        # of truth for acceptance, so there can never be two accepted answers.
        sa.UniqueConstraint("id", "question_id", name="uq_posts_id_question_id"),
        sa.ForeignKeyConstraint(
            ["accepted_answer_id", "id"],
            ["posts.id", "posts.question_id"],
            name="fk_posts_accepted_answer",
        ),
        # List pages: one index per sort order of the questions list.
        sa.Index("ix_posts_kind_created", "kind", "deleted_at", "created_at"),
        sa.Index("ix_posts_kind_activity", "kind", "deleted_at", "last_activity_at"),
        # The whole sort (score, then newest, then id): deep pages walk the index, no temporary sort.
        sa.Index("ix_posts_kind_score", "kind", "deleted_at", "score", "created_at", "id"),
        sa.Index("ix_posts_kind_unanswered", "kind", "deleted_at", "answer_count", "created_at"),
        # A question's answers; with kind, author and score, the experts ranking reads only the index.
        sa.Index("ix_posts_question", "question_id", "deleted_at", "kind", "author_id", "score"),
        # A person's posts; a profile reads its answers (best first), acceptances and tags from it.
        sa.Index("ix_posts_author", "author_id", "kind", "deleted_at", "score", "created_at", "question_id"),
    )

    # autoincrement spelled out: `id` is also part of the accepted-answer foreign key below.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)  # Markdown source, the truth
    body_html: Mapped[str] = mapped_column(sa.Text)  # sanitized HTML, rendered once at write time
    score: Mapped[int] = mapped_column(default=0)  # imported_score + sum of votes, kept by atomic updates
    # Votes cast elsewhere (a Stack Exchange dump's score, a restored export's score): they have no
    # voters here, so they earn no reputation; local votes move `score` on top of this offset.
    imported_score: Mapped[int] = mapped_column(default=0, server_default="0")
    revision_count: Mapped[int] = mapped_column(default=1)  # optimistic lock for edits
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Why a moderator removed someone else's post (a code of app.services.removal), and their note:
    # shown to the author instead of a bare 404.
    removal_reason: Mapped[str | None] = mapped_column(sa.String(30))
    removal_note: Mapped[str | None] = mapped_column(sa.String(500))
    # Hidden from everyone but its author and moderators while flags on it wait for a decision.
    hidden_at: Mapped[datetime | None]
    # The fiscal year (年度) the post describes, as the Western year it starts in (2026: 令和8年度).
    fiscal_year: Mapped[int | None]

    # Question-only columns (NULL on answers).
    title: Mapped[str | None] = mapped_column(sa.String(TITLE_MAX))
    view_count: Mapped[int | None] = mapped_column(default=None)
    answer_count: Mapped[int | None] = mapped_column(default=None)  # visible answers
    accepted_answer_id: Mapped[int | None] = mapped_column()
    last_activity_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(sa.String(30))  # app.models.moderation.CLOSE_REASONS
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"))
    # Posted in a theme group (visible to all members unless visibility is 'group'), or raised at
    # an exchange meeting and turned into a post.
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("groups.id"), index=True)
    visibility: Mapped[str] = mapped_column(sa.String(7), default="members", server_default="members")
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"), index=True)

    # Answer-only column.
    question_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    comments: Mapped[list["Comment"]] = relationship(
        back_populates="post", order_by="Comment.created_at", lazy="select"
    )
    laws: Mapped[list[PostLaw]] = relationship(order_by=PostLaw.position, cascade="all, delete-orphan")

    __mapper_args__ = {"polymorphic_on": kind}

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Question(Post):
    __mapper_args__ = {"polymorphic_identity": "question", "polymorphic_load": "inline"}

    tags: Mapped[list[Tag]] = relationship(secondary=question_tags, order_by=Tag.name)
    answers: Mapped[list["Answer"]] = relationship(
        primaryjoin=lambda: Question.id == foreign(remote(Answer.question_id)),
        back_populates="question",
        order_by=lambda: Answer.id,
    )
    accepted_answer: Mapped["Answer | None"] = relationship(
        primaryjoin=lambda: foreign(Question.accepted_answer_id) == remote(Answer.id),
        viewonly=True,
    )
    duplicate_of: Mapped["Question | None"] = relationship(
        primaryjoin=lambda: foreign(Question.duplicate_of_id) == remote(Question.id),
        viewonly=True,
    )

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.title!r}>"


class Answer(Post):
    __mapper_args__ = {"polymorphic_identity": "answer", "polymorphic_load": "inline"}

    question: Mapped[Question] = relationship(
        primaryjoin=lambda: foreign(Answer.question_id) == remote(Question.id),
        back_populates="answers",
    )

    @property
    def is_accepted(self) -> bool:
        return self.question.accepted_answer_id == self.id

    def __repr__(self) -> str:
        return f"<Answer {self.id} to {self.question_id}>"


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(sa.String(COMMENT_MAX))  # plain text, escaped on output
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]  # flagged, waiting for a moderator (see Post.hidden_at)

    post: Mapped[Post] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class Vote(db.Model):
    __tablename__ = "votes"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "user_id"),
        sa.CheckConstraint("value IN (-1, 1)", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    value: Mapped[int] = mapped_column(sa.SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Revision(db.Model):
    """One version of a post. Revision 1 is the original; the history page diffs neighbours."""

    __tablename__ = "revisions"
    __table_args__ = (sa.UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"))
    number: Mapped[int]
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str | None] = mapped_column(sa.String(TITLE_MAX))
    body: Mapped[str] = mapped_column(sa.Text)
    tags: Mapped[str | None] = mapped_column(sa.String(300))  # space-separated tag names
    summary: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    redacted_at: Mapped[datetime | None]  # a passage was removed from this revision (the audit log says who and why)

    author: Mapped[User] = relationship()
