"""Reputation: what votes and acceptance are worth, applied atomically and recomputable.

Up-vote on a post: +10 to its author. Down-vote: −2. Accepted answer: +15 to the answerer and
+2 to the asker who accepted (not when accepting one's own answer). Deleting a post keeps the
reputation it earned; `recompute()` derives the same number from the votes and acceptances.
"""

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Answer, Post, Question, User, Vote

VOTE_VALUE = {1: 10, -1: -2, 0: 0}
ACCEPTED = 15
ACCEPTER = 2


def add(user_id: int, delta: int) -> None:
    if delta:
        db.session.execute(sa.update(User).where(User.id == user_id).values(reputation=User.reputation + delta))


def for_vote_change(old: int, new: int) -> int:
    return VOTE_VALUE[new] - VOTE_VALUE[old]


def apply_acceptance(question: Question, answer: Answer, sign: int) -> None:
    """Grant (sign=1) or take back (sign=-1) what accepting `answer` is worth."""
    if answer.author_id != question.author_id:
        add(answer.author_id, sign * ACCEPTED)
        add(question.author_id, sign * ACCEPTER)


def recompute(user_id: int) -> int:
    """Reputation derived from scratch (tests use it to prove the running total never drifts)."""
    votes = db.session.scalar(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((Vote.value == 1, VOTE_VALUE[1]), else_=VOTE_VALUE[-1])), 0)
        )
        .select_from(Vote)
        .join(Post, Post.id == Vote.post_id)
        .where(Post.author_id == user_id)
    )
    accepted_answer = aliased(Post)
    acceptances = db.session.execute(
        sa.select(Post.author_id, accepted_answer.author_id)
        .join(accepted_answer, accepted_answer.id == Post.accepted_answer_id)
        .where(sa.or_(Post.author_id == user_id, accepted_answer.author_id == user_id))
    ).all()
    earned = 0
    for asker_id, answerer_id in acceptances:
        if asker_id == answerer_id:
            continue
        earned += ACCEPTED if answerer_id == user_id else ACCEPTER
    return votes + earned
