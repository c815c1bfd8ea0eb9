"""Export all visible content as JSON Lines (`flask --app wsgi export DIR`): data portability and
the content part of backups. `flask --app wsgi import zennin DIR` restores it into an empty database.

Files: manifest.json, users.jsonl, tags.jsonl, questions.jsonl, answers.jsonl, comments.jsonl —
one JSON object per line, UTF-8, ids as in this database. Visible means not deleted: deleted
posts, deleted comments and the answers and comments of deleted questions are left out.
People are exported with what their public profile shows: no e-mail, password hash, tokens,
session data, notification settings or role.

Group-private questions (app/services/visibility.py), their answers and their comments are left
out: the export carries no groups or memberships, so a restore would make them readable by every
member. `flask backup` (a copy of the database) keeps them with their groups.
"""

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.extensions import db
from app.models import Answer, Comment, Post, Question, Tag, User, utcnow
from app.services.visibility import MEMBERS

FORMAT = "zennin-export"
VERSION = 1
FILES = ("users", "tags", "questions", "answers", "comments")


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="microseconds")


def _batched(session: Session, query: sa.Select, key, size: int = 500) -> Iterator:
    """Rows in id order, a batch at a time, forgetting each batch (flat memory on big sites)."""
    last = None
    while True:
        statement = query if last is None else query.where(key > last)
        rows = session.scalars(statement.order_by(key).limit(size)).unique().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def users(session: Session) -> Iterator[dict]:
    for user in _batched(session, sa.select(User), User.id):
        yield {
            "id": user.id,
            "display_name": user.display_name,
            "organization_code": user.organization_code,
            "department": user.department,
            "bio": user.bio,
            "created_at": _time(user.created_at),
            "placeholder": bool(user.is_placeholder),
        }


def tags(session: Session) -> Iterator[dict]:
    for tag in _batched(session, sa.select(Tag).options(selectinload(Tag.synonyms)), Tag.id):
        yield {
            "id": tag.id,
            "name": tag.name,
            "display_name": tag.display_name,
            "category": tag.category,
            "description": tag.description,
            "synonyms": [synonym.name for synonym in tag.approved_synonyms],
            "created_at": _time(tag.created_at),
        }


def questions(session: Session) -> Iterator[dict]:
    query = sa.select(Question).where(Question.id.in_(_visible_question_ids())).options(selectinload(Question.tags))
    for question in _batched(session, query, Question.id):
        yield {
            "id": question.id,
            "author_id": question.author_id,
            "title": question.title,
            "body": question.body,
            "tags": [tag.name for tag in question.tags],
            "score": question.score,
            "view_count": question.view_count or 0,
            "accepted_answer_id": question.accepted_answer_id,
            "created_at": _time(question.created_at),
            "edited_at": _time(question.edited_at),
            "last_activity_at": _time(question.last_activity_at),
            "closed_at": _time(question.closed_at),
            "close_reason": question.close_reason,
            "duplicate_of_id": question.duplicate_of_id,
        }


def _visible_question_ids() -> sa.Select:
    """Not deleted, and readable by every member."""
    return sa.select(Question.id).where(Question.deleted_at.is_(None), Question.visibility == MEMBERS)


def answers(session: Session) -> Iterator[dict]:
    query = sa.select(Answer).where(Answer.deleted_at.is_(None), Answer.question_id.in_(_visible_question_ids()))
    for answer in _batched(session, query, Answer.id):
        yield {
            "id": answer.id,
            "question_id": answer.question_id,
            "author_id": answer.author_id,
            "body": answer.body,
            "score": answer.score,
            "created_at": _time(answer.created_at),
            "edited_at": _time(answer.edited_at),
        }


def comments(session: Session) -> Iterator[dict]:
    visible_posts = sa.select(Post.id).where(
        Post.deleted_at.is_(None),
        sa.or_(Post.id.in_(_visible_question_ids()), Post.question_id.in_(_visible_question_ids())),
    )
    query = sa.select(Comment).where(Comment.deleted_at.is_(None), Comment.post_id.in_(visible_posts))
    for comment in _batched(session, query, Comment.id):
        yield {
            "id": comment.id,
            "post_id": comment.post_id,
            "author_id": comment.author_id,
            "body": comment.body,
            "created_at": _time(comment.created_at),
        }


def export_all(directory: str | Path) -> dict[str, int]:
    """Write the export into `directory` (created if needed). Returns the line count per file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    producers = {"users": users, "tags": tags, "questions": questions, "answers": answers, "comments": comments}
    # One read transaction of its own: a consistent snapshot, and the caller's session is untouched.
    with Session(db.engine) as session:
        for name in FILES:
            count = 0
            with (directory / f"{name}.jsonl").open("w", encoding="utf-8", newline="\n") as handle:
                for item in producers[name](session):
                    handle.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
                    count += 1
            counts[name] = count
    manifest = {"format": FORMAT, "version": VERSION, "exported_at": _time(utcnow()), "counts": counts}
    (directory / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return counts
