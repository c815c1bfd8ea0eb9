"""What a profile page shows, respecting the person's privacy choice for their career."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, CareerEntry, Question, Tag, User, question_tags
from app.services import accounts, careers, visibility
from app.services.pagination import Page, paginate
from app.text import normalize_key


@dataclass
class TagActivity:
    tag: Tag
    answers: int
    score: int


@dataclass
class Profile:
    user: User
    career: list[CareerEntry] | None  # newest first; None: hidden from this viewer
    current_post: CareerEntry | None  # the latest current post, when the career is visible
    predecessors: list[CareerEntry]  # who held the current post before this person
    questions: list[Question]
    answers: list[Answer]
    question_count: int
    answer_count: int
    accepted_count: int
    top_tags: list[TagActivity]


def profile(viewer: User | None, person: User) -> Profile:
    """Lists and counts leave out the group-private posts `viewer` may not read."""
    readable = visibility.readable_questions(viewer)
    questions = list(
        db.session.scalars(
            sa.select(Question)
            .where(Question.author_id == person.id, Question.deleted_at.is_(None), Question.hidden_at.is_(None), readable)
            .order_by(Question.created_at.desc())
            .limit(10)
            .options(selectinload(Question.tags))
        )
    )
    visible_answer = sa.and_(
        Answer.author_id == person.id, Answer.deleted_at.is_(None), Answer.hidden_at.is_(None), visibility.readable_answers(viewer)
    )
    answers = list(
        db.session.scalars(
            sa.select(Answer)
            .where(visible_answer)
            .order_by(Answer.score.desc(), Answer.created_at.desc())
            .limit(10)
            .options(selectinload(Answer.question))
        )
    )
    counts = db.session.execute(
        sa.select(
            sa.select(sa.func.count())
            .where(Question.author_id == person.id, Question.deleted_at.is_(None), Question.hidden_at.is_(None), readable)
            .scalar_subquery(),
            # select_from: a criterion wrapped in and_() carries no entity, so without it the
            # `kind = 'answer'` filter is dropped and the person's questions count as answers.
            sa.select(sa.func.count()).select_from(Answer).where(visible_answer).scalar_subquery(),
        )
    ).one()
    # From the person's answers (ix_posts_author) to their questions: a few probes per answer.
    answered = aliased(Question)
    accepted = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Answer)
        .join(answered, sa.and_(answered.id == Answer.question_id, answered.accepted_answer_id == Answer.id))
        .where(visible_answer, answered.deleted_at.is_(None))
    )
    career = careers.list_entries(viewer, person)
    current_post = next((entry for entry in career or [] if entry.is_current), None)
    predecessors = (
        careers.post_holders(viewer, current_post.organization_code, current_post.department, before=current_post.start_on, exclude_user=person)
        if current_post is not None
        else []
    )
    return Profile(
        user=person,
        career=career,
        current_post=current_post,
        predecessors=predecessors,
        questions=questions,
        answers=answers,
        question_count=counts[0],
        answer_count=counts[1],
        accepted_count=accepted or 0,
        top_tags=top_answer_tags(person, viewer),
    )


def top_answer_tags(person: User, viewer: User | None, limit: int = 8) -> list[TagActivity]:
    """Tags of the questions a person answered, by the answers' total score."""
    question = aliased(Question)
    rows = db.session.execute(
        sa.select(Tag, sa.func.count(Answer.id), sa.func.coalesce(sa.func.sum(Answer.score), 0))
        # From the person's answers (ix_posts_author), not from every tag's questions.
        .select_from(Answer)
        .join(question, question.id == Answer.question_id)
        .join(question_tags, question_tags.c.question_id == question.id)
        .join(Tag, Tag.id == question_tags.c.tag_id)
        .where(Answer.author_id == person.id, Answer.deleted_at.is_(None), question.deleted_at.is_(None))
        .where(visibility.readable_questions(viewer, question))
        .group_by(Tag.id)
        .order_by(sa.func.sum(Answer.score).desc(), sa.func.count(Answer.id).desc(), Tag.name)
        .limit(limit)
    ).all()
    return [TagActivity(tag, count, score) for tag, count, score in rows]


def update_settings(user: User, update: accounts.ProfileUpdate, *, routing_opt_in: bool) -> None:
    """The settings page: the profile and the expert-routing opt-in, saved together."""
    with write_transaction():
        accounts.update_profile(user, update)
        user.routing_opt_in = routing_opt_in


def list_users(filter_text: str, page: int, per_page: int = 36) -> Page[User]:
    query = sa.select(User).where(User.disabled_at.is_(None), User.email_verified_at.is_not(None))
    key = normalize_key(filter_text)
    if key:
        query = query.where(sa.or_(User.display_name.contains(key, autoescape=True), User.department.contains(key, autoescape=True)))
    return paginate(query.order_by(User.reputation.desc(), User.id), page, per_page)
