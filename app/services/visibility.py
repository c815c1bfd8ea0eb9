"""Who may read a question: the one rule (issue 17), applied wherever a question, its answers or
its comments can surface.

A question is readable when it is visible to every member (`visibility = 'members'`), or when
the viewer is an active member of its group (`visibility = 'group'`). Answers and comments
follow their question. Leaving a group (or a pending application) gives no access, at once:
nothing is cached.

Moderators and admins: they may open a group-private question by its address (flags, review
queues and removals must work on it), `can_read_question`; but such a question never appears
in their lists, search, feeds, digests or counts unless they are members of its group
(`readable_questions`), so every list is the same rule for everyone.
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Answer, GroupMembership, Post, Question, User, question_tags
from app.services.errors import NotFound

MEMBERS, GROUP = "members", "group"


def _viewer_id(viewer: User | None) -> int | None:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return viewer.id


def member_group_ids(viewer: User | None) -> sa.Select:
    """The groups whose private questions `viewer` reads (a subquery of ids)."""
    return sa.select(GroupMembership.group_id).where(
        GroupMembership.user_id == (_viewer_id(viewer) or 0), GroupMembership.status == "active"
    )


def readable_questions(viewer: User | None, question=Question) -> sa.ColumnElement[bool]:
    """SQL: the questions (`question`: Question, Post or an alias) `viewer` may see listed."""
    return (question.visibility == MEMBERS) | question.group_id.in_(member_group_ids(viewer))


def listable_by_id(viewer: User | None, ids: list[int]) -> dict[int, Question]:
    """The questions among `ids` that `viewer` may see listed (not removed or hidden either), by id,
    with their tags and authors: search hits, collections and handover notes' links load them here."""
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Question)
        .where(Question.id.in_(ids), Question.deleted_at.is_(None), Question.hidden_at.is_(None), readable_questions(viewer))
        .options(selectinload(Question.tags), selectinload(Question.author))
    )
    return {question.id: question for question in rows}


def unreadable_question_ids(viewer: User | None) -> sa.Select:
    """The ids of the group-private questions `viewer` may not see listed (few rows: walks the
    group_id index)."""
    return sa.select(Post.id).where(
        Post.group_id.is_not(None), Post.visibility == GROUP, Post.group_id.not_in(member_group_ids(viewer))
    )


def readable_posts(viewer: User | None, post=Post) -> sa.ColumnElement[bool]:
    """SQL for posts of either kind (and comments' posts): a question is checked itself, an
    answer through its question."""
    hidden = unreadable_question_ids(viewer)
    return post.id.not_in(hidden) & (post.question_id.is_(None) | post.question_id.not_in(hidden))


def readable_answers(viewer: User | None, answer=Answer) -> sa.ColumnElement[bool]:
    return answer.question_id.not_in(unreadable_question_ids(viewer))


def group_member_ids(group_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(GroupMembership.user_id).where(GroupMembership.group_id == group_id, GroupMembership.status == "active")
        )
    )


def is_group_member(viewer: User | None, group_id: int) -> bool:
    viewer_id = _viewer_id(viewer)
    if viewer_id is None:
        return False
    status = db.session.scalar(
        sa.select(GroupMembership.status).where(GroupMembership.group_id == group_id, GroupMembership.user_id == viewer_id)
    )
    return status == "active"


def can_read_question(viewer: User | None, question: Post) -> bool:
    """Python: may `viewer` open this question (or, given an answer, its question)?"""
    if question.question_id is not None:  # an answer
        question = question.question
    if question.visibility == MEMBERS:
        return True
    if _viewer_id(viewer) is None:
        return False
    return viewer.is_moderator or is_group_member(viewer, question.group_id)


def can_see_listed(viewer: User | None, question: Post) -> bool:
    """Python twin of `readable_questions`: what lists, mail and feeds may carry."""
    if question.question_id is not None:
        question = question.question
    return question.visibility == MEMBERS or is_group_member(viewer, question.group_id)


def ensure_readable(viewer: User | None, question: Post) -> None:
    """A plain 404 for a question the viewer may not read: its existence is not disclosed."""
    if not can_read_question(viewer, question):
        raise NotFound(question.id)


def unreadable_tag_counts(viewer: User | None, tag_ids: list[int]) -> dict[int, int]:
    """Per tag, the not-deleted group-private questions `viewer` may not read: what a tag's
    counter (`Tag.question_count`, kept for everyone) must not show them."""
    if not tag_ids:
        return {}
    rows = db.session.execute(
        sa.select(question_tags.c.tag_id, sa.func.count())
        .where(
            question_tags.c.tag_id.in_(tag_ids),
            question_tags.c.question_id.in_(unreadable_question_ids(viewer).where(Post.deleted_at.is_(None))),
        )
        .group_by(question_tags.c.tag_id)
    )
    return dict(rows.all())
