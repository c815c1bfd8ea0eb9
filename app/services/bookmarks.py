"""Bookmarks (保存, issue 15): questions and answers a member saved to read again.

The list shows only what the member may still see: a removed post (or an answer whose question
was removed) drops out, and a post hidden by flags stays only for its author and moderators,
as everywhere else (permissions.can_see_hidden). The rows stay, so a restored post comes back.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from app.database import upsert, write_transaction
from app.extensions import db
from app.models import Bookmark, Post, Question, User, utcnow
from app.services import visibility
from app.services.errors import NotFound
from app.services.pagination import Page

PER_PAGE = 20


@dataclass(frozen=True)
class Saved:
    post: Post
    question: Question  # the post itself, or the answer's question
    saved_at: datetime


def set_saved(user: User, post: Post, saved: bool) -> None:
    with write_transaction():
        if saved:
            upsert(Bookmark, {"user_id": user.id, "post_id": post.id, "created_at": utcnow()})
        else:
            db.session.execute(sa.delete(Bookmark).where(Bookmark.user_id == user.id, Bookmark.post_id == post.id))


def saved_ids(user: User | None, post_ids: Iterable[int]) -> set[int]:
    """Which of these posts the member has saved (one query for a whole question page)."""
    ids = list(post_ids)
    if user is None or not user.is_authenticated or not ids:
        return set()
    query = sa.select(Bookmark.post_id).where(Bookmark.user_id == user.id, Bookmark.post_id.in_(ids))
    return set(db.session.scalars(query))


def _seen_by(user: User, post) -> sa.ColumnElement[bool]:
    """SQL for "not removed, and not hidden from `user`" on `post` (a Post or an alias of it)."""
    visible = post.deleted_at.is_(None) & visibility.readable_posts(user, post)  # left the group: gone from the list
    if user.is_moderator:
        return visible
    return visible & (post.hidden_at.is_(None) | (post.author_id == user.id))


def list_saved(user: User, page: int, per_page: int = PER_PAGE) -> Page[Saved]:
    """Newest saved first (ix_bookmarks_user_recent), in a fixed number of queries."""
    parent = aliased(Post)
    query = (
        sa.select(Post, Bookmark.created_at)
        .join(Bookmark, Bookmark.post_id == Post.id)
        .outerjoin(parent, parent.id == Post.question_id)
        .where(Bookmark.user_id == user.id, _seen_by(user, Post))
        .where((Post.question_id.is_(None)) | _seen_by(user, parent))
        .order_by(Bookmark.created_at.desc(), Bookmark.post_id.desc())
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    result: Page[Saved] = Page(items=[], total=total or 0, page=page, per_page=per_page)
    if page > result.pages:
        raise NotFound("page")
    rows = db.session.execute(query.options(selectinload(Post.author)).limit(per_page).offset((page - 1) * per_page)).all()
    question_ids = {post.question_id or post.id for post, _saved_at in rows}
    loaded = db.session.scalars(
        sa.select(Question).where(Question.id.in_(question_ids)).options(selectinload(Question.tags))
    )
    questions = {question.id: question for question in loaded}
    result.items = [Saved(post, questions[post.question_id or post.id], saved_at) for post, saved_at in rows]
    return result
