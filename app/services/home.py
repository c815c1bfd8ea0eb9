"""The home page for members (issue 15): 「あなたの分野」, the questions in the member's areas.

A member's areas are the tags they watch and the tags of their career posts, current and
former, less the tags they ignore; and the groups they watch (their tags and the questions
posted in them). The section lists the areas' questions by latest activity
and marks the ones the member could answer (no answer yet, still open, asked by someone else).
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import CareerEntry, Question, Tag, User, career_entry_tags, question_tags
from app.services import groups, questions, visibility, watching

AREA_QUESTIONS = 10


@dataclass(frozen=True)
class Areas:
    tags: list[Tag]
    questions: list[Question]
    answerable: frozenset[int]  # ids of the questions the member could answer


def area_tags(user: User) -> list[Tag]:
    career = (
        sa.select(career_entry_tags.c.tag_id)
        .join(CareerEntry, CareerEntry.id == career_entry_tags.c.career_entry_id)
        .where(CareerEntry.user_id == user.id)
    )
    query = (
        sa.select(Tag)
        .where(sa.or_(Tag.id.in_(watching.tag_ids(user, "watch")), Tag.id.in_(career), Tag.id.in_(groups.watched_tag_ids(user))))
        .where(Tag.id.not_in(watching.tag_ids(user, "ignore")))
        .order_by(Tag.name)
    )
    return list(db.session.scalars(query))


def your_areas(user: User, limit: int = AREA_QUESTIONS) -> Areas:
    """In three queries: the areas, their newest-active questions, those questions' tags and
    authors. The list walks the activity index and stops at `limit` rows."""
    tags = area_tags(user)
    in_areas = sa.select(question_tags.c.question_id).where(question_tags.c.tag_id.in_([tag.id for tag in tags]))
    query = (
        sa.select(Question)
        .where(Question.deleted_at.is_(None), Question.hidden_at.is_(None), visibility.readable_questions(user))
        .where(sa.or_(Question.id.in_(in_areas), Question.group_id.in_(groups.watched_group_ids(user))))
        .where(questions.carries_none_of(watching.tag_ids(user, "ignore")))
        .order_by(Question.last_activity_at.desc(), Question.id.desc())
        .limit(limit)
        .options(selectinload(Question.tags), selectinload(Question.author))
    )
    found = list(db.session.scalars(query))
    answerable = frozenset(
        q.id for q in found if q.answer_count == 0 and not q.is_closed and q.author_id != user.id
    )
    return Areas(tags, found, answerable)
