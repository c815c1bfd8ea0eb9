"""Reputation: what votes, acceptance and approved edits are worth, applied atomically,
recorded as history, and recomputable.

Up-vote on a post: +10 to its author. Down-vote: −2. Accepted answer: +15 to the answerer and
+2 to the asker who accepted (not when accepting one's own answer). Approved suggested edit: +2
to the suggester. Deleting a post keeps the reputation it earned. Every change writes a
`ReputationEvent` in the same transaction, so the history on the profile adds up to the total;
`recompute()` derives the same number from the votes, acceptances, approved edits and the
reputation imported from another site.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Answer, Post, Question, ReputationEvent, SuggestedEdit, User, Vote
from app.services.pagination import Page, paginate

VOTE_VALUE = {1: 10, -1: -2, 0: 0}
VOTE_CAUSE = {1: "upvote", -1: "downvote"}
ACCEPTED = 15
ACCEPTER = 2
SUGGESTED_EDIT = 2

# Causes as the history on the profile names them.
CAUSES = {
    "upvote": _l("高評価を受けました"),
    "upvote_withdrawn": _l("高評価が取り消されました"),
    "downvote": _l("低評価を受けました"),
    "downvote_withdrawn": _l("低評価が取り消されました"),
    "accepted": _l("回答が採用されました"),
    "accepted_withdrawn": _l("回答の採用が取り消されました"),
    "accepter": _l("回答を採用しました"),
    "accepter_withdrawn": _l("回答の採用を取り消しました"),
    "suggested_edit": _l("編集の提案が承認されました"),
    "claim": _l("移行した投稿を引き継ぎました"),
    "imported": _l("移行元のサイトから引き継いだ評価ポイント"),
    "history_start": _l("履歴の記録を始めた時点の評価ポイント"),
}


def cause_label(cause: str) -> str:
    return str(CAUSES.get(cause, cause))


def add(user_id: int, delta: int, cause: str, post_id: int | None = None) -> None:
    """Move a person's reputation and record why, inside the caller's write transaction."""
    if delta:
        db.session.execute(sa.update(User).where(User.id == user_id).values(reputation=User.reputation + delta))
        db.session.add(ReputationEvent(user_id=user_id, delta=delta, cause=cause, post_id=post_id))


def apply_vote_change(post: Post, old: int, new: int) -> None:
    """A changed vote is two events: the old vote withdrawn, the new one cast."""
    if old:
        add(post.author_id, -VOTE_VALUE[old], f"{VOTE_CAUSE[old]}_withdrawn", post.id)
    if new:
        add(post.author_id, VOTE_VALUE[new], VOTE_CAUSE[new], post.id)


def apply_acceptance(question: Question, answer: Answer, sign: int) -> None:
    """Grant (sign=1) or take back (sign=-1) what accepting `answer` is worth."""
    if answer.author_id != question.author_id:
        suffix = "" if sign > 0 else "_withdrawn"
        add(answer.author_id, sign * ACCEPTED, "accepted" + suffix, answer.id)
        add(question.author_id, sign * ACCEPTER, "accepter" + suffix, answer.id)


def settle(user_id: int, cause: str) -> None:
    """Bring the running total to `recompute()` after rows moved in bulk (claims, imports),
    recording the difference as one event."""
    db.session.flush()
    current = db.session.scalar(sa.select(User.reputation).where(User.id == user_id)) or 0
    add(user_id, recompute(user_id) - current, cause)


def imported(user_id: int) -> int:
    """Reputation brought from another site (it cannot be derived from rows here)."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ReputationEvent.delta), 0)).where(
            ReputationEvent.user_id == user_id, ReputationEvent.cause == "imported"
        )
    )


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
    edits = db.session.scalar(
        sa.select(sa.func.count()).where(SuggestedEdit.author_id == user_id, SuggestedEdit.status == "approved")
    )
    return votes + earned + edits * SUGGESTED_EDIT + imported(user_id)


def rules() -> list[tuple[str, int]]:
    """How reputation is earned, with the real numbers, for the help page."""
    return [
        (cause_label("upvote"), VOTE_VALUE[1]),
        (cause_label("downvote"), VOTE_VALUE[-1]),
        (cause_label("accepted"), ACCEPTED),
        (cause_label("accepter"), ACCEPTER),
        (cause_label("suggested_edit"), SUGGESTED_EDIT),
    ]


@dataclass(frozen=True)
class HistoryEntry:
    event: ReputationEvent
    label: str
    question: Question | None  # where the change came from, when it is still shown
    post: Post | None


def history(user: User, page: int, per_page: int) -> Page:
    """The person's reputation changes, newest first, each with its cause and post."""
    query = (
        sa.select(ReputationEvent)
        .where(ReputationEvent.user_id == user.id)
        .order_by(ReputationEvent.created_at.desc(), ReputationEvent.id.desc())
    )
    result = paginate(query, page, per_page)
    # Two queries whatever the page holds: the posts, then their questions (into the identity
    # map, so `post.question` below costs nothing).
    post_ids = {event.post_id for event in result.items if event.post_id is not None}
    posts = {post.id: post for post in db.session.scalars(sa.select(Post).where(Post.id.in_(post_ids)))}
    question_ids = {post.question_id for post in posts.values() if post.question_id is not None}
    db.session.scalars(sa.select(Post).where(Post.id.in_(question_ids - posts.keys()))).all()
    entries = []
    for event in result.items:
        post = posts.get(event.post_id)
        question = post if isinstance(post, Question) else post.question if post is not None else None
        # Removed or flagged-and-hidden posts are not linked (nor their titles shown) here.
        if post is None or any(p.is_deleted or p.hidden_at is not None for p in (post, question)):
            post = question = None
        entries.append(HistoryEntry(event, cause_label(event.cause), question, post))
    result.items = entries
    return result
