"""Claiming a placeholder: an imported author's posts become a real person's.

The person registers and verifies their address as anyone does; an administrator who has
checked who they are runs `flask --app wsgi users claim PLACEHOLDER_ID EMAIL`. Their posts,
revisions and comments move to the account, votes the person had cast on those posts are
withdrawn (nobody votes on their own posts), reputation is recomputed from the votes and
acceptances (reputation imported from the old site
moves along; every change is a `ReputationEvent`), and the placeholder is disabled (its profile page disappears).
"""

import sqlalchemy as sa

from app.database import write_transaction
from app.extensions import db
from app.models import Comment, Post, Revision, User, Vote, utcnow
from app.services import audit, reputation
from app.services.errors import NotFound, ValidationFailed


def claim_placeholder(placeholder_id: int, email: str, actor: User | None = None) -> User:
    with write_transaction():
        placeholder = db.session.get(User, placeholder_id)
        if placeholder is None or not placeholder.is_placeholder or placeholder.disabled_at is not None:
            raise NotFound(placeholder_id)
        person = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
        if person is None or person.is_placeholder or not person.is_verified or not person.is_active:
            raise ValidationFailed({"email": "no verified, active account has this address"})
        post_ids = sa.select(Post.id).where(Post.author_id == placeholder.id)
        own_votes = db.session.execute(
            sa.select(Vote.post_id, Vote.value).where(Vote.user_id == person.id, Vote.post_id.in_(post_ids))
        ).all()
        for post_id, value in own_votes:
            db.session.execute(sa.update(Post).where(Post.id == post_id).values(score=Post.score - value))
        db.session.execute(sa.delete(Vote).where(Vote.user_id == person.id, Vote.post_id.in_(post_ids)))
        db.session.execute(sa.update(Post).where(Post.author_id == placeholder.id).values(author_id=person.id))
        db.session.execute(sa.update(Revision).where(Revision.author_id == placeholder.id).values(author_id=person.id))
        db.session.execute(sa.update(Comment).where(Comment.author_id == placeholder.id).values(author_id=person.id))
        placeholder.disabled_at = utcnow()
        # Reputation brought from the old site moves with the posts; the rest follows from them.
        brought = reputation.imported(placeholder.id)
        reputation.add(placeholder.id, -brought, "imported")
        reputation.add(person.id, brought, "imported")
        reputation.settle(placeholder.id, "claim")
        reputation.settle(person.id, "claim")
        audit.record(actor, "placeholder_claim", "user", placeholder.id, claimed_by=person.id)
    return person
