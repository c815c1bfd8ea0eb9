"""Votes: one per person and post, changeable, never on one's own post; scores move atomically."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app import indexing
from app.database import write_transaction
from app.extensions import db
from app.models import Post, User, Vote
from app.services import permissions, privileges, reputation
from app.services.errors import PermissionDenied, ValidationFailed

VOTE_PRIVILEGE = {1: "vote_up", -1: "vote_down"}


def cast_vote(voter: User, post: Post, value: int) -> int:
    """Set the voter's vote on `post` to +1, -1 or 0 (withdraw). Returns the post's new score."""
    permissions.ensure_can_write(voter)
    if value not in (-1, 0, 1):
        raise ValidationFailed({"value": _("投票の値は 1、-1、0 のいずれかです。")})
    with write_transaction():
        # The row lock serializes votes on one post on PostgreSQL (SQLite: BEGIN IMMEDIATE).
        db.session.refresh(post, with_for_update=True)
        if not permissions.can_vote(voter, post):
            raise PermissionDenied()
        vote = db.session.scalar(sa.select(Vote).where(Vote.post_id == post.id, Vote.user_id == voter.id))
        old = vote.value if vote else 0
        if value == old:
            return post.score
        if value:  # withdrawing a vote is always allowed
            privileges.require(voter, VOTE_PRIVILEGE[value])
        if value == 0:
            db.session.delete(vote)  # a vote is a setting, not content: withdrawing removes it
        elif vote is None:
            db.session.add(Vote(post_id=post.id, user_id=voter.id, value=value))
        else:
            vote.value = value
        db.session.execute(sa.update(Post).where(Post.id == post.id).values(score=Post.score + (value - old)))
        reputation.apply_vote_change(post, old, value)
        indexing.touch(db.session, post.question_id or post.id)
    db.session.refresh(post)
    return post.score


def vote_of(user: User | None, post_ids: list[int]) -> dict[int, int]:
    """The user's votes on these posts, for showing pressed buttons."""
    if user is None or not user.is_authenticated or not post_ids:
        return {}
    rows = db.session.execute(
        sa.select(Vote.post_id, Vote.value).where(Vote.user_id == user.id, Vote.post_id.in_(post_ids))
    )
    return dict(rows.all())
