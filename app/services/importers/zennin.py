"""Restore a `flask export` folder into an empty database (`flask --app wsgi import zennin DIR`).

A restore keeps the ids, so links between posts (and URLs people saved) keep working; that is
why it writes rows itself instead of asking through the services, which would number them anew.
Every text still passes the same checks and the same Markdown → sanitized-HTML pipeline, derived
counters (answer counts, tag counts, reputation) are recomputed, not trusted from the file, and
scores come back as imported scores (the export names no voters). People come back as
placeholders: the export holds no e-mail addresses or passwords; `flask users claim` gives a
person their posts back once they have registered.
"""

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app import indexing
from app.database import write_transaction
from app.extensions import db
from app.models import (
    Answer,
    Comment,
    Organization,
    Post,
    Question,
    Revision,
    Tag,
    TagSynonym,
    User,
    question_tags,
    utcnow,
)
from app.models.moderation import CLOSE_REASONS
from app.services import counters, reputation
from app.services.errors import ValidationFailed
from app.services.export import FORMAT
from app.services.importers.common import (
    ImportReport,
    Progress,
    no_progress,
    parse_timestamp,
    patient_rendering,
    placeholder_email,
)
from app.services.posting import check_body, check_comment, check_title, render_body

BATCH_SIZE = 500
SOURCE = "zennin"


class NotEmpty(Exception):
    """The database already has people or posts; a restore would mix two sites."""


def _lines(folder: Path, name: str):
    path = folder / f"{name}.jsonl"
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _batches(items, size: int = BATCH_SIZE):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def restore(folder: str | Path, *, progress: Progress = no_progress) -> ImportReport:
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{folder} is not a Zennin export (manifest format {manifest.get('format')!r})")
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)) or db.session.scalar(sa.select(sa.func.count()).select_from(Post)):
        raise NotEmpty("the database already has users or posts")
    report = ImportReport()
    counts = manifest.get("counts", {})
    with indexing.deferred(), patient_rendering():
        _users(folder, report, progress, counts.get("users", 0))
        tag_ids = _tags(folder, report)
        questions = _questions(folder, report, tag_ids, progress, counts.get("questions", 0))
        answered = _answers(folder, report, questions, progress, counts.get("answers", 0))
        _comments(folder, report, set(questions) | answered)
        _finish(questions, answered)
    applied = indexing.try_sync()
    report.notes.append(f"search index: {applied} changes applied" if applied is not None else "search index busy: run `flask search sync`")
    return report


def _users(folder: Path, report: ImportReport, progress: Progress, total: int) -> None:
    known_orgs = set(db.session.scalars(sa.select(Organization.code)))
    done = 0
    for batch in _batches(_lines(folder, "users")):
        with write_transaction():
            for item in batch:
                db.session.add(
                    User(
                        id=item["id"],
                        email=placeholder_email(SOURCE, item["id"]),
                        password_hash=None,
                        display_name=item["display_name"],
                        organization_code=item["organization_code"] if item.get("organization_code") in known_orgs else None,
                        department=item.get("department") or "",
                        bio=item.get("bio") or "",
                        created_at=parse_timestamp(item.get("created_at")),
                        is_placeholder=True,
                        notify_by_email=False,
                    )
                )
                report.created["users"] += 1
        done += len(batch)
        progress("users", done, total)


def _tags(folder: Path, report: ImportReport) -> dict[str, int]:
    ids: dict[str, int] = {}
    with write_transaction():
        for item in _lines(folder, "tags"):
            description = item.get("description") or ""
            tag = Tag(
                id=item["id"],
                name=item["name"],
                display_name=item.get("display_name"),
                category=item.get("category") or "topic",
                description=description,
                description_html=render_body(description, field="description") if description else "",
                created_at=parse_timestamp(item.get("created_at")),
            )
            tag.synonyms = [TagSynonym(name=name, approved_at=utcnow()) for name in item.get("synonyms", [])]
            db.session.add(tag)
            ids[tag.name] = tag.id
            report.created["tags"] += 1
    return ids


def _questions(folder: Path, report: ImportReport, tag_ids: dict[str, int], progress: Progress, total: int) -> dict[int, dict]:
    """Insert the questions; returns id → the line (acceptance and duplicates are set at the end)."""
    restored: dict[int, dict] = {}
    done = 0
    for batch in _batches(_lines(folder, "questions")):
        with write_transaction():
            for item in batch:
                try:
                    title, (body, body_html) = check_title(item["title"]), check_body(item["body"])
                except ValidationFailed as failure:
                    report.skipped[f"questions refused by our rules ({', '.join(sorted(failure.errors))})"] += 1
                    continue
                created = parse_timestamp(item["created_at"])
                question = Question(
                    id=item["id"],
                    author_id=item["author_id"],
                    title=title,
                    body=body,
                    body_html=body_html,
                    score=item.get("score", 0),
                    imported_score=item.get("score", 0),
                    view_count=item.get("view_count", 0),
                    answer_count=0,
                    created_at=created,
                    edited_at=parse_timestamp(item.get("edited_at")),
                    last_activity_at=parse_timestamp(item.get("last_activity_at")) or created,
                    closed_at=parse_timestamp(item.get("closed_at")),
                    close_reason=item.get("close_reason") if item.get("close_reason") in CLOSE_REASONS else None,
                )
                db.session.add(question)
                db.session.flush()
                names = [name for name in item.get("tags", []) if name in tag_ids]
                if names:
                    db.session.execute(sa.insert(question_tags), [{"question_id": question.id, "tag_id": tag_ids[n]} for n in names])
                db.session.add(
                    Revision(post_id=question.id, number=1, author_id=question.author_id, title=title, body=body,
                             tags=" ".join(sorted(names)), created_at=question.edited_at or created)
                )  # fmt: skip
                restored[question.id] = item
                report.created["questions"] += 1
                report.check_personal_information("posts", question.id, title, body)
        done += len(batch)
        progress("questions", done, total)
    return restored


def _answers(folder: Path, report: ImportReport, questions: dict[int, dict], progress: Progress, total: int) -> set[int]:
    restored: set[int] = set()
    done = 0
    for batch in _batches(_lines(folder, "answers")):
        with write_transaction():
            for item in batch:
                if item["question_id"] not in questions:
                    report.skipped["answers whose question was not restored"] += 1
                    continue
                try:
                    body, body_html = check_body(item["body"])
                except ValidationFailed as failure:
                    report.skipped[f"answers refused by our rules ({', '.join(sorted(failure.errors))})"] += 1
                    continue
                created = parse_timestamp(item["created_at"])
                answer = Answer(
                    id=item["id"],
                    question_id=item["question_id"],
                    author_id=item["author_id"],
                    body=body,
                    body_html=body_html,
                    score=item.get("score", 0),
                    imported_score=item.get("score", 0),
                    created_at=created,
                    edited_at=parse_timestamp(item.get("edited_at")),
                )
                db.session.add(answer)
                db.session.flush()
                db.session.add(Revision(post_id=answer.id, number=1, author_id=answer.author_id, body=body, created_at=answer.edited_at or created))
                restored.add(answer.id)
                report.created["answers"] += 1
                report.check_personal_information("posts", answer.id, body)
        done += len(batch)
        progress("answers", done, total)
    return restored


def _comments(folder: Path, report: ImportReport, posts: set[int]) -> None:
    for batch in _batches(_lines(folder, "comments")):
        with write_transaction():
            for item in batch:
                if item["post_id"] not in posts:
                    report.skipped["comments whose post was not restored"] += 1
                    continue
                try:
                    body = check_comment(item["body"])
                except ValidationFailed:
                    report.skipped["comments refused by our rules"] += 1
                    continue
                db.session.add(Comment(id=item["id"], post_id=item["post_id"], author_id=item["author_id"], body=body, created_at=parse_timestamp(item["created_at"])))
                report.created["comments"] += 1
                report.check_personal_information("comments", item["id"], body)


def _finish(questions: dict[int, dict], answered: set[int]) -> None:
    """Acceptance and duplicates (they point at rows restored later), then the derived counters."""
    with write_transaction():
        for question_id, item in questions.items():
            accepted = item.get("accepted_answer_id")
            duplicate_of = item.get("duplicate_of_id")
            values = {}
            if accepted in answered:
                values["accepted_answer_id"] = accepted
            if duplicate_of in questions:
                values["duplicate_of_id"] = duplicate_of
                values["close_reason"] = "duplicate"  # exports older than close reasons have none
            if values:
                db.session.execute(sa.update(Post).where(Post.id == question_id).values(**values))
                indexing.touch(db.session, question_id)
        reply = aliased(Post)  # the same table: an alias keeps the correlation unambiguous
        answer_count = (
            sa.select(sa.func.count(reply.id)).where(reply.question_id == Post.id, reply.deleted_at.is_(None)).scalar_subquery()
        )
        db.session.execute(sa.update(Post).where(Post.kind == "question").values(answer_count=answer_count))
        tag_count = sa.select(sa.func.count()).select_from(question_tags).where(question_tags.c.tag_id == Tag.id).scalar_subquery()
        db.session.execute(sa.update(Tag).values(question_count=tag_count))
        counters.recount()
        for user_id in db.session.scalars(sa.select(User.id)).all():
            reputation.settle(user_id, "history_start")  # history starts with the import
        _reset_sequences()


def _reset_sequences() -> None:
    """PostgreSQL hands out ids from sequences that explicit ids did not move."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("users", "tags", "tag_synonyms", "posts", "revisions", "comments"):
        db.session.execute(
            sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))")
        )
