"""The bridge between the database and the search index (DESIGN.md §4, SEARCH.md §5).

The database is the source of truth and the index a rebuildable cache:

1. after_flush   — note which questions a flush touched (ids only).
2. before_commit — write one `search_outbox` row per touched question, in the same transaction.
3. after commit  — drain the outbox into the index under Whoosh's lock with a short timeout.
   If the lock is busy or the index is broken, the rows stay; `flask search sync` drains them.

The index remembers the last outbox id it applied (its position), so several processes can
drain into it and replays are harmless; each reads and applies a batch under the index's lock. Services that change a question with a bulk UPDATE
(votes) call `touch()` themselves, because the ORM does not see those rows change.
"""

import os
import socket
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.orm import Session

from app.database import after_commit, short_write
from app.extensions import db
from app.models import (
    Adoption,
    Answer,
    AuditLog,
    IndexConsumer,
    Organization,
    Post,
    Question,
    SearchOutbox,
    Tag,
    User,
    question_tags,
    utcnow,
)
from app.models.knowledge import PostLaw
from app.rendering import plain_text
from app.services.organizations import peer_class
from search import AnswerDocument, Batch, QuestionDocument, SearchIndex, SearchUnavailable, rebuild_index

_TOUCHED = "zennin_touched_questions"
_EXTENSION = "zennin.search_index"
_DEFERRED = "zennin_index_deferred"
# On PostgreSQL an outbox id is taken at insert and seen by others only at commit, so a row can
# appear after a higher id was applied, behind the index's position. `flask search sync` (cron,
# every minute) re-applies the questions of the rows written this recently. On SQLite writers
# are serialized (BEGIN IMMEDIATE), ids commit in order and the replay only repeats work.
REPLAY_WINDOW = timedelta(minutes=10)
# An index that recorded no position for this long is taken as gone: housekeeping may trim the
# outbox past it (app/services/housekeeping.py), so if it comes back it must be rebuilt.
CONSUMER_WINDOW = timedelta(days=7)
# Audit actions (on target_type "post") after which the index must not keep old documents.
REDACTIONS = ("post_redact", "revision_redact")


def touch(session: Session, question_id: int) -> None:
    session.info.setdefault(_TOUCHED, set()).add(question_id)


@sa.event.listens_for(db.session, "after_flush")
def _note_touched(session: Session, _flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Question) and obj.id is not None:
            touch(session, obj.id)
        elif isinstance(obj, Answer) and obj.question_id is not None:
            touch(session, obj.question_id)


@sa.event.listens_for(db.session, "before_commit")
def _write_outbox(session: Session) -> None:
    session.flush()  # so that after_flush has seen every pending change
    touched = session.info.pop(_TOUCHED, None)
    if touched:
        session.execute(sa.insert(SearchOutbox), [{"question_id": qid} for qid in sorted(touched)])
        after_commit(session, _sync_after_commit)


@sa.event.listens_for(db.session, "after_soft_rollback")
def _forget_touched(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_TOUCHED, None)


def _sync_after_commit() -> None:
    if not g.get(_DEFERRED):
        try_sync()


def try_sync() -> int | None:
    """Drain the outbox now if the index can be written within a short wait; else leave it."""
    try:
        return sync_index(timeout=current_app.config["SEARCH_WRITE_TIMEOUT"])
    except SearchUnavailable as error:
        current_app.logger.warning("search index not updated now (%s); `flask search sync` will", error)
        return None


@contextmanager
def deferred() -> Iterator[None]:
    """Bulk loads (seed, import): commits still fill the outbox, but the index is updated once,
    by the caller, after the block."""
    previous = g.get(_DEFERRED, False)
    setattr(g, _DEFERRED, True)
    try:
        yield
    finally:
        setattr(g, _DEFERRED, previous)


def get_index() -> SearchIndex:
    """This process's index (in memory when SEARCH_INDEX_DIR is unset, as in tests).

    Raises SearchUnavailable when it cannot be opened; the next call tries again.
    """
    index = current_app.extensions.get(_EXTENSION)
    if index is None:
        path = current_app.config["SEARCH_INDEX_DIR"]
        index = SearchIndex.in_memory() if path is None else SearchIndex.open(path)
        current_app.extensions[_EXTENSION] = index
    return index


def forget_index() -> None:
    """Close and drop the cached index (after a rebuild in this process, or on shutdown)."""
    index = current_app.extensions.pop(_EXTENSION, None)
    if index is not None:
        index.close()


def sync_index(*, limit: int = 500, timeout: float | None = None, replay: timedelta | None = None) -> int:
    """Apply outbox rows past the index's position. Returns how many rows were applied.

    Each batch is read and built while the index's apply lock is held (SearchIndex.apply_pending):
    two processes can never apply an older state of a question over a newer one. `replay`
    also re-applies the questions of rows written that recently (see REPLAY_WINDOW).
    """
    index = get_index()
    applied = 0
    with Session(db.engine) as session:

        def next_batch(position: int) -> Batch | None:
            nonlocal applied
            session.rollback()  # read what is committed now, under the lock
            rows = session.execute(
                sa.select(SearchOutbox.id, SearchOutbox.question_id)
                .where(SearchOutbox.id > position)
                .order_by(SearchOutbox.id)
                .limit(limit)
            ).all()
            if not rows:
                return None
            applied += len(rows)
            return Batch(*build_documents(session, {question_id for _, question_id in rows}), position=rows[-1].id)

        def recent_batch(_position: int) -> Batch | None:
            session.rollback()
            recent = session.scalars(
                sa.select(SearchOutbox.question_id).where(SearchOutbox.created_at >= utcnow() - replay).distinct()
            ).all()
            return Batch(*build_documents(session, recent)) if recent else None

        if replay is not None:
            index.apply_pending(recent_batch, timeout=timeout or 2.0)
        while index.apply_pending(next_batch, timeout=timeout or 2.0):
            pass
    if applied or replay is not None:
        _record_position(index)
    return applied


def consumer_name() -> str | None:
    """This index's name among the outbox's consumers: host and directory (None: in memory,
    a per-process cache that needs no outbox row kept for it)."""
    path = current_app.config["SEARCH_INDEX_DIR"]
    return None if path is None else f"{socket.gethostname()}:{os.path.abspath(path)}"


def _record_position(index: SearchIndex) -> None:
    """Record how far this index got, so housekeeping never trims a row it has not applied.
    The recorded position may lag the index's own (a later sync records it): trimming below it
    is still safe."""
    name = consumer_name()
    if name is None:
        return
    position, now = index.position, utcnow()

    def record(session: Session) -> IndexConsumer | None:
        previous = session.get(IndexConsumer, name, with_for_update=True)
        if previous is None:
            session.add(IndexConsumer(name=name, position=position, updated_at=now))
            return None
        seen, previous.position, previous.updated_at = previous.updated_at, position, now
        return seen

    try:
        seen = short_write(record, attempts=3)
    except sa.exc.SQLAlchemyError as error:  # a later sync records it; the index itself is fine
        current_app.logger.warning("search index position not recorded: %s", error)
        return
    if seen is not None and seen < now - CONSUMER_WINDOW:
        current_app.logger.warning(
            "search index %s had not synced since %s: housekeeping may have trimmed updates it missed; "
            "run `flask search rebuild` on this server",
            name,
            seen,
        )


def purge_redactions(*, timeout: float) -> bool:
    """Drop every trace of redacted text from the index files. False when nothing was pending.

    A redaction's outbox row only flags the question's old document deleted; Whoosh keeps its
    stored text and terms until its segment is merged. The redactions in the audit log past
    the index's `purged_through` mark are re-applied (their outbox row may not be applied yet:
    PostgreSQL commits ids out of order) and every segment with deleted documents is rewritten
    (Batch.purged_through). The redacting request calls this; when the index is locked the
    mark stays behind and `flask search sync` (cron, on every server's index) does it.
    """
    index = get_index()
    with Session(db.engine) as session:

        def pending(_position: int) -> Batch | None:
            session.rollback()
            rows = session.execute(
                sa.select(AuditLog.id, sa.func.coalesce(Post.question_id, Post.id))
                .join(Post, Post.id == AuditLog.target_id)
                .where(
                    AuditLog.action.in_(REDACTIONS),
                    AuditLog.target_type == "post",
                    AuditLog.id > index.purged_through,
                )
            ).all()
            if not rows:
                return None
            question_ids = {question_id for _, question_id in rows}
            return Batch(*build_documents(session, question_ids), purged_through=max(id_ for id_, _ in rows))

        return index.apply_pending(pending, timeout=timeout)


def build_documents(session: Session, question_ids: Iterable[int]) -> tuple[list[QuestionDocument], list[int]]:
    """Documents for the visible questions among `question_ids`, and the ids to delete."""
    ids = set(question_ids)
    upserts = load_documents(session, sorted(ids))
    return upserts, sorted(ids - {doc.id for doc in upserts})


def iter_documents(session: Session, batch_size: int = 500) -> Iterator[QuestionDocument]:
    """Every visible question, in id order (for a rebuild)."""
    ids = session.scalars(sa.select(Question.id).where(_indexed(Question)).order_by(Question.id)).all()
    for start in range(0, len(ids), batch_size):
        yield from load_documents(session, ids[start : start + batch_size])


def count_documents(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Question).where(_indexed(Question)))


def _peer_keys(session: Session, codes: set[str | None]) -> dict[str, tuple[str, ...]]:
    """Organization code → the keys `orgkind:` matches: its kind and its 「同規模」 class."""
    rows = session.execute(
        sa.select(Organization.code, Organization.kind, Organization.population).where(Organization.code.in_(codes - {None}))
    )
    return {row.code: tuple(dict.fromkeys((row.kind, peer_class(row)))) for row in rows}


def _indexed(post: type[Post]) -> sa.ColumnElement[bool]:
    """What search may find: not removed, not hidden by flags (a hidden answer's text must not
    surface in a snippet); hiding and unhiding touch the question, so the index follows."""
    return post.deleted_at.is_(None) & post.hidden_at.is_(None)


def rebuild(*, procs: int = 2, progress=None) -> int:
    """Rebuild the on-disk index from the database and swap it in. Returns the document count."""
    path = current_app.config["SEARCH_INDEX_DIR"]
    with Session(db.engine) as session:
        # Rows up to this id are reflected in what we read next; later ones are replayed by sync.
        position = session.scalar(sa.select(sa.func.coalesce(sa.func.max(SearchOutbox.id), 0)))
        count = rebuild_index(path, iter_documents(session), position=position, procs=procs, progress=progress)
    forget_index()
    return count


def load_documents(session: Session, question_ids: Sequence[int]) -> list[QuestionDocument]:
    """Documents of the visible questions among `question_ids`, in id order.

    Five plain selects (questions, their tags, their visible answers, the laws they cite, adoptions): loading ORM objects
    was ~60 % of the CPU a rebuild's feeding process spends, taken from its index workers.
    """
    # Posts by primary key, the kind checked here: given `kind IN (...)`, SQLite without
    # statistics (ANALYZE) walks the kind index over every question instead.
    questions = [
        row
        for row in session.execute(
            sa.select(
                Post.id,
                Post.kind,
                Post.title,
                Post.body_html,
                Post.author_id,
                User.organization_code,
                Post.created_at,
                Post.score,
                Post.answer_count,
                Post.accepted_answer_id,
                Post.fiscal_year,
                Post.visibility,
                Post.group_id,
            )
            .join(User, User.id == Post.author_id)
            .where(Post.id.in_(question_ids), _indexed(Post))
            .order_by(Post.id)
        )
        if row.kind == Question.__mapper__.polymorphic_identity
    ]
    ids = [row.id for row in questions]
    tags: dict[int, list[str]] = defaultdict(list)
    for question_id, name in session.execute(
        sa.select(question_tags.c.question_id, Tag.name)
        .join(Tag, Tag.id == question_tags.c.tag_id)
        .where(question_tags.c.question_id.in_(ids))
        .order_by(question_tags.c.question_id, Tag.name)
    ):
        tags[question_id].append(name)
    answers: dict[int, list] = defaultdict(list)
    for row in session.execute(
        sa.select(
            Answer.question_id, Answer.id, Answer.body_html, Answer.author_id, Answer.score, Answer.fiscal_year, User.organization_code
        )
        .join(User, User.id == Answer.author_id)
        .where(Answer.question_id.in_(ids), _indexed(Answer))
        .order_by(Answer.question_id, Answer.id)
    ):
        answers[row.question_id].append(row)
    cited: dict[int, list[str]] = defaultdict(list)
    for question_id, law, article in session.execute(
        sa.select(sa.func.coalesce(Post.question_id, Post.id), PostLaw.law, PostLaw.article)
        .join(Post, Post.id == PostLaw.post_id)
        .where(sa.or_(Post.id.in_(ids), Post.question_id.in_(ids)), _indexed(Post))
        .order_by(PostLaw.post_id, PostLaw.position)
    ):
        cited[question_id] += [law, law + article] if article else [law]
    adopters: dict[int, set[str]] = defaultdict(set)
    for question_id, code in session.execute(
        sa.select(Answer.question_id, Adoption.organization_code)
        .join(Adoption, Adoption.answer_id == Answer.id)
        .where(Answer.question_id.in_(ids), _indexed(Answer))
    ):
        adopters[question_id].add(code)
    taking_part = {q.organization_code for q in questions} | {a.organization_code for rows in answers.values() for a in rows}
    peers = _peer_keys(session, taking_part | set().union(*adopters.values()))
    return [
        QuestionDocument(
            id=question.id,
            title=question.title,
            body=plain_text(question.body_html),
            tags=tuple(tags[question.id]),
            author_id=question.author_id,
            org_code=question.organization_code,
            created_at=question.created_at,
            score=question.score,
            answer_count=question.answer_count or 0,
            has_accepted=question.accepted_answer_id is not None,
            peers=tuple(
                key
                for code in {question.organization_code, *(a.organization_code for a in answers[question.id]), *adopters[question.id]}
                for key in peers.get(code, ())
            ),
            adopted=len(adopters[question.id]),
            answers=tuple(
                AnswerDocument(
                    id=answer.id,
                    body=plain_text(answer.body_html),
                    author_id=answer.author_id,
                    score=answer.score,
                    accepted=answer.id == question.accepted_answer_id,
                )
                for answer in answers[question.id]
            ),
            fiscal_years=tuple(
                year for year in (question.fiscal_year, *(a.fiscal_year for a in answers[question.id])) if year is not None
            ),
            laws=tuple(cited[question.id]),
            private_group=question.group_id if question.visibility == "group" else None,
        )
        for question in questions
    ]
