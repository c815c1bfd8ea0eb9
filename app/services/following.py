"""Followed questions (issue 15): new answers to a followed question reach its followers
(app/services/notifications reads the active rows). Asking or answering follows the question
automatically; an unfollow is remembered (`active = False`) so answering again does not undo it."""

import sqlalchemy as sa

from app.database import upsert, write_transaction
from app.extensions import db
from app.models import Question, QuestionFollow, User, utcnow


def follow_automatically(user: User, question_id: int) -> None:
    """In the asking or answering transaction: follow unless a row exists (an unfollow stays)."""
    upsert(QuestionFollow, {"user_id": user.id, "question_id": question_id, "active": True, "created_at": utcnow()})


def set_following(user: User, question: Question, active: bool) -> None:
    """Follow or unfollow by hand."""
    with write_transaction():
        upsert(
            QuestionFollow,
            {"user_id": user.id, "question_id": question.id, "active": active, "created_at": utcnow()},
            update={"active": active},
        )


def is_following(user: User | None, question: Question) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return bool(
        db.session.scalar(
            sa.select(QuestionFollow.active).where(
                QuestionFollow.user_id == user.id, QuestionFollow.question_id == question.id
            )
        )
    )


def follower_ids(question_id: int) -> sa.Select:
    """Who follows the question now (uses ix_question_follows_question)."""
    return sa.select(QuestionFollow.user_id).where(
        QuestionFollow.question_id == question_id, QuestionFollow.active.is_(True)
    )
