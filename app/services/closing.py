"""Closing and reopening questions, duplicates, and moving a duplicate's answers to its original.

Members with the `close_vote` privilege vote; `CLOSE_VOTES_NEEDED` votes of one round close (or
reopen) the question, and moderators act at once. A round's votes are deleted when it decides:
the audit log keeps who decided. A duplicate points at its original (`duplicate_of_id`), which
search shows in its place (app.services.search).
"""

import difflib
import re
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import indexing
from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Post, Question, User, utcnow
from app.models.moderation import CloseVote
from app.services import audit, notifications, privileges, reputation, search
from app.services.errors import PermissionDenied, ValidationFailed
from app.text import normalize_key
from app.web import MAX_ID

REASONS = {
    "duplicate": _l("重複"),
    "off_topic": _l("範囲外"),
    "unclear": _l("不明確"),
    "resolved_case": _l("解決済み（個別案件）"),
}
# Titles this alike after normalisation (difflib's ratio) make the ask page warn of a duplicate:
# 「…について」 and 「…について教えてください」 are 0.84 apart, two questions sharing a topic ~0.5.
NEAR_DUPLICATE_RATIO = 0.8
_ID = re.compile(r"#?(\d{1,19})")
_QUESTION_LINK = re.compile(r"/questions/(\d{1,19})(?:[/?#]|$)")
_NOT_WORD = re.compile(r"[\W_]+")


def label(code: str | None) -> str:
    """The reason in the reader's language; an unknown code as it is."""
    return str(REASONS[code]) if code in REASONS else (code or "")


def reason_of(question: Question) -> str | None:
    """Why a closed question is closed. Duplicates imported before reasons were recorded carry
    only their original, and are duplicates all the same."""
    if not question.is_closed:
        return None
    return question.close_reason or ("duplicate" if question.duplicate_of_id else None)


@dataclass(frozen=True)
class Round:
    """The votes cast so far to close an open question, or to reopen a closed one."""

    kind: str  # "close" or "reopen"
    count: int
    needed: int
    voted: bool  # the viewer has voted in this round


@dataclass(frozen=True)
class Status:
    """What the question page shows: the reason of a closed question, and to members who may
    vote, the round and what they can do."""

    reason: str | None
    reason_label: str
    round: Round | None  # None: the viewer may not vote
    immediate: bool  # a moderator: closes or reopens at once
    can_merge: bool


@dataclass(frozen=True)
class Outcome:
    decided: bool  # the question closed (or reopened) with this vote
    round: Round  # the round as it stands now


def _needed() -> int:
    return current_app.config["CLOSE_VOTES_NEEDED"]


def _round(viewer: User | None, question: Question) -> Round:
    kind = "reopen" if question.is_closed else "close"
    voters = db.session.scalars(
        sa.select(CloseVote.user_id).where(CloseVote.question_id == question.id, CloseVote.kind == kind)
    ).all()
    return Round(kind, len(voters), _needed(), viewer is not None and viewer.id in voters)


def status(viewer: User | None, question: Question) -> Status:
    reason = reason_of(question)
    may_vote = privileges.has(viewer, "close_vote") and not question.is_deleted
    moderator = may_vote and viewer.is_moderator
    return Status(
        reason=reason,
        reason_label=label(reason),
        round=_round(viewer, question) if may_vote else None,
        immediate=moderator,
        can_merge=moderator and reason == "duplicate" and (question.answer_count or 0) > 0,
    )


def parse_question_ref(value: object) -> int:
    """The original as typed: its number (「１２３」 too) or the URL of its page."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = normalize_key(value) if isinstance(value, str) else ""
        match = _ID.fullmatch(text) or _QUESTION_LINK.search(text)
        number = int(match.group(1)) if match else 0
    if not 1 <= number <= MAX_ID:
        raise ValidationFailed({"duplicate_of": _("元の質問の番号か URL を入力してください。")})
    return number


def _original_problem(question: Question, original_id: int) -> str | None:
    """Why `original_id` cannot be the original of `question` (None: it can)."""
    if original_id == question.id:
        return _("質問を自分自身の重複にはできません。")
    original = db.session.get(Post, original_id)
    if not isinstance(original, Question) or original.is_deleted or original.hidden_at is not None:
        return _("元の質問が見つかりません。")
    if original.visibility == "group" and original.group_id != question.group_id:
        # Its title would show on this question's page to people who may not read it.
        return _("グループのメンバーのみの質問は、同じグループの質問の元の質問にだけできます。")
    if original.duplicate_of_id == question.id:
        return _("その質問はこの質問の重複として閉じられています（循環する指定はできません）。")
    if original.duplicate_of_id is not None:
        return _("その質問も重複として閉じられています。その元の質問を指定してください。")
    return None


def _check_votable(question: Question, kind: str) -> None:
    if question.is_deleted:
        raise PermissionDenied()
    if kind == "close" and question.is_closed:
        raise ValidationFailed({"reason": _("この質問はすでに閉じられています。")})
    if kind == "reopen" and not question.is_closed:
        raise ValidationFailed({"reason": _("この質問は閉じられていません。")})


def _votes(question: Question, kind: str) -> list[CloseVote]:
    return list(
        db.session.scalars(
            sa.select(CloseVote)
            .where(CloseVote.question_id == question.id, CloseVote.kind == kind)
            .order_by(CloseVote.created_at, CloseVote.id)
        )
    )


def _cast(actor: User, question: Question, kind: str, **choice) -> list[CloseVote] | None:
    """Record a member's vote; the round's votes once they decide, else None. A moderator's
    act decides at once (with the votes cast before it)."""
    if actor.is_moderator:
        return _votes(question, kind)
    if db.session.scalar(
        sa.select(CloseVote.id).where(CloseVote.question_id == question.id, CloseVote.user_id == actor.id, CloseVote.kind == kind)
    ):
        raise ValidationFailed({"reason": _("この質問にはすでに投票しています。")})
    db.session.add(CloseVote(question_id=question.id, user_id=actor.id, kind=kind, **choice))
    db.session.flush()
    votes = _votes(question, kind)
    return votes if len(votes) >= _needed() else None


def _ranked(votes: list[CloseVote], key: Callable[[CloseVote], Hashable]) -> list:
    """The values `key` takes, most votes first; ties go to the earliest vote."""
    counts = Counter(key(vote) for vote in votes)
    first: dict = {}
    for position, vote in enumerate(votes):
        first.setdefault(key(vote), position)
    return sorted(counts, key=lambda value: (-counts[value], first[value]))


def _decide(question: Question, votes: list[CloseVote]) -> tuple[str, int | None]:
    """The reason most votes named; for a duplicate, the original most of its votes named among
    those still valid (one may have been deleted or closed since)."""
    for reason in _ranked(votes, lambda vote: vote.reason):
        if reason != "duplicate":
            return reason, None
        named = [vote for vote in votes if vote.reason == "duplicate"]
        for original_id in _ranked(named, lambda vote: vote.duplicate_of_id):
            if _original_problem(question, original_id) is None:
                return reason, original_id
    raise ValidationFailed({"duplicate_of": _("元の質問が見つかりません。")})


def close(actor: User, question: Question, reason: str | None, duplicate_of: object = None) -> Outcome:
    """Vote to close (a moderator: close) with a reason; `duplicate_of` (an id or a URL) names
    the original of a duplicate."""
    privileges.require(actor, "close_vote")
    if not isinstance(reason, str) or reason not in REASONS:
        raise ValidationFailed({"reason": _("閉じる理由を選んでください。")})
    original_id = parse_question_ref(duplicate_of) if reason == "duplicate" else None
    with write_transaction():
        db.session.refresh(question, with_for_update=True)
        _check_votable(question, "close")
        if original_id is not None and (problem := _original_problem(question, original_id)):
            raise ValidationFailed({"duplicate_of": problem})
        votes = _cast(actor, question, "close", reason=reason, duplicate_of_id=original_id)
        if votes is None:
            return Outcome(False, _round(actor, question))
        if not actor.is_moderator:
            reason, original_id = _decide(question, votes)
        question.closed_at = utcnow()
        question.close_reason = reason
        question.duplicate_of_id = original_id
        _end_round(actor, question, "question_close", votes, reason=reason, duplicate_of=original_id)
        notifications.notify(question.author, "closed", actor, question)
    return Outcome(True, _round(actor, question))


def reopen(actor: User, question: Question) -> Outcome:
    """Vote to reopen a closed question (a moderator: reopen it)."""
    privileges.require(actor, "close_vote")
    with write_transaction():
        db.session.refresh(question, with_for_update=True)
        _check_votable(question, "reopen")
        votes = _cast(actor, question, "reopen")
        if votes is None:
            return Outcome(False, _round(actor, question))
        reason, original_id = reason_of(question), question.duplicate_of_id
        question.closed_at = None
        question.close_reason = None
        question.duplicate_of_id = None
        _end_round(actor, question, "question_reopen", votes, reason=reason, duplicate_of=original_id)
        notifications.notify(question.author, "reopened", actor, question)
    return Outcome(True, _round(actor, question))


def _end_round(actor: User, question: Question, action: str, votes: list[CloseVote], **detail) -> None:
    db.session.execute(sa.delete(CloseVote).where(CloseVote.question_id == question.id))
    audit.record(actor, action, "post", question.id, **detail, votes=[vote.user_id for vote in votes])


def merge_answers(actor: User, duplicate: Question) -> int:
    """Move a duplicate's visible answers to its original (moderators); how many moved.

    The question row holds acceptance, so an accepted answer that moves is no longer accepted
    anywhere: the duplicate's acceptance (and the reputation it gave) is taken back."""
    if not actor.is_moderator:
        raise PermissionDenied()
    with write_transaction():
        db.session.refresh(duplicate, with_for_update=True)
        if duplicate.is_deleted or reason_of(duplicate) != "duplicate":
            raise ValidationFailed({"merge": _("重複として閉じられた質問だけが統合できます。")})
        original = db.session.get(Question, duplicate.duplicate_of_id, with_for_update=True)
        if original is None or original.is_deleted:
            raise ValidationFailed({"merge": _("元の質問が削除されているため統合できません。")})
        moving = db.session.scalars(
            sa.select(Answer.id)
            .where(Answer.question_id == duplicate.id, Answer.deleted_at.is_(None), Answer.hidden_at.is_(None))
            .order_by(Answer.id)
        ).all()
        if not moving:
            raise ValidationFailed({"merge": _("統合する回答がありません。")})
        unaccepted = duplicate.accepted_answer_id if duplicate.accepted_answer_id in moving else None
        if unaccepted is not None:
            reputation.apply_acceptance(duplicate, db.session.get(Answer, unaccepted), -1)
            duplicate.accepted_answer_id = None
            db.session.flush()  # the composite key would refuse the move while it is accepted here
        db.session.execute(
            sa.update(Post).where(Post.id.in_(moving)).values(question_id=original.id),
            execution_options={"synchronize_session": False},
        )
        for question, delta in ((duplicate, -len(moving)), (original, len(moving))):
            db.session.execute(sa.update(Post).where(Post.id == question.id).values(answer_count=Post.answer_count + delta))
            indexing.touch(db.session, question.id)  # bulk updates: the ORM does not see them
        now = utcnow()
        duplicate.last_activity_at = original.last_activity_at = now
        audit.record(actor, "answers_merge", "post", duplicate.id, duplicate_of=original.id, answers=list(moving), unaccepted=unaccepted)
        for asker in {duplicate.author_id: duplicate.author, original.author_id: original.author}.values():
            notifications.notify(asker, "merged", actor, original)
    return len(moving)


# ---------------------------------------------------------------- the ask page


def _title_key(title: str) -> str:
    return _NOT_WORD.sub("", normalize_key(title))


def is_near_duplicate(title: str, other: str) -> bool:
    """Nearly the same title once width, case, spaces and punctuation are set aside."""
    key, other_key = _title_key(title), _title_key(other)
    return bool(key) and difflib.SequenceMatcher(None, key, other_key).ratio() >= NEAR_DUPLICATE_RATIO


def near_duplicates(title: str) -> list[Question]:
    """Existing questions a new one with this title would most likely duplicate."""
    return [question for question in search.similar_questions(title, limit=5) if is_near_duplicate(title, question.title)]
