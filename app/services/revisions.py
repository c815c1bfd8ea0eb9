"""Edit history: every revision of a post, each compared with the one before it."""

import difflib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Post, Revision
from app.services.errors import NotFound


@dataclass(frozen=True)
class DiffLine:
    op: str  # "+", "-" or " "
    text: str


@dataclass(frozen=True)
class RevisionChange:
    revision: Revision
    title_before: str | None
    tags_before: str | None
    body_diff: list[DiffLine]


def diff(before: str, after: str) -> list[DiffLine]:
    lines = difflib.ndiff(before.splitlines(), after.splitlines())
    return [DiffLine(line[0], line[2:]) for line in lines if line[:1] in "+- "]


def history(post: Post) -> list[RevisionChange]:
    """Newest first. Text stays plain: templates escape it (SECURITY.md XSS-08 diffs)."""
    revisions = list(
        db.session.scalars(
            sa.select(Revision)
            .where(Revision.post_id == post.id)
            .order_by(Revision.number)
            .options(selectinload(Revision.author))
        )
    )
    changes: list[RevisionChange] = []
    previous: Revision | None = None
    for revision in revisions:
        changes.append(
            RevisionChange(
                revision=revision,
                title_before=previous.title if previous and previous.title != revision.title else None,
                tags_before=previous.tags if previous and previous.tags != revision.tags else None,
                body_diff=diff(previous.body if previous else "", revision.body),
            )
        )
        previous = revision
    return list(reversed(changes))


def get_revision(post: Post, number: int) -> Revision:
    revision = db.session.scalar(sa.select(Revision).where(Revision.post_id == post.id, Revision.number == number))
    if revision is None:
        raise NotFound(number)
    return revision
