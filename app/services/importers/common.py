"""Pieces every importer shares: the id registry, placeholder authors, backdated posts, reports."""

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Answer, ImportRecord, Notification, Post, Question, Revision, User
from app.models.tag import TAG_NAME_MAX
from app.services import answers, fiscal_years, privacy_guard, questions
from app.services.accounts import NAME_MAX
from app.services.errors import ValidationFailed
from app.services.tags import check_tag_name
from app.text import clean_line

# progress(label, done, total): the CLI draws a bar; tests pass nothing.
Progress = Callable[[str, int, int], None]
PLACEHOLDER_DOMAIN = "placeholder.invalid"  # RFC 2606: can never receive mail or register
# An operator's batch job may wait longer for a render than a web request: the budget protects
# web workers from hostile Markdown, and a busy machine (or the helper process starting) must not
# make an import drop ordinary posts. The length cap still applies.
IMPORT_RENDER_TIMEOUT = 10.0
_INVALID_TAG_CHARS = re.compile(r"[^\w\u3005\u30fb\u30fc+.\-]+")


def as_tag(key: str) -> str | None:
    """A normalized name from another system as one of our tags: characters our tags refuse
    become single hyphens; None when it still cannot be a tag (too long, nothing left)."""
    key = re.sub(r"-{2,}", "-", _INVALID_TAG_CHARS.sub("-", key).strip("-"))
    if not key or len(key) > TAG_NAME_MAX:
        return None
    try:
        return check_tag_name(key)
    except ValidationFailed:
        return None


@contextmanager
def patient_rendering() -> Iterator[None]:
    config = current_app.config
    previous = config["MARKDOWN_RENDER_TIMEOUT"]
    config["MARKDOWN_RENDER_TIMEOUT"] = max(previous, IMPORT_RENDER_TIMEOUT)
    try:
        yield
    finally:
        config["MARKDOWN_RENDER_TIMEOUT"] = previous


def no_progress(_label: str, _done: int, _total: int) -> None:
    pass


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # "reason" → count
    notes: list[str] = field(default_factory=list)
    # Imports report personal information instead of holding it: the operator reviews these.
    personal_information: Counter = field(default_factory=Counter)  # category → findings
    to_review: dict[str, list[int]] = field(default_factory=dict)  # "posts"/"comments" → ids

    def check_personal_information(self, kind: str, item_id: int, *texts: str) -> None:
        """Count what the detector finds in an imported item's texts; remember the item's id (never the text)."""
        found = privacy_guard.categories_in(*texts)
        if found:
            self.personal_information.update(found)
            self.to_review.setdefault(kind, []).append(item_id)

    def lines(self) -> list[str]:
        out = [f"created {kind}: {count}" for kind, count in sorted(self.created.items())]
        out += [f"skipped {reason}: {count}" for reason, count in sorted(self.skipped.items())]
        out += [f"possible personal information, {category}: {count}" for category, count in sorted(self.personal_information.items())]
        out += [f"{kind} to review for personal information: {', '.join(map(str, ids))}" for kind, ids in sorted(self.to_review.items())]
        return out + self.notes


class Registry:
    """Source id → local id for one source, loaded once, written as ImportRecord rows."""

    def __init__(self, source: str):
        self.source = source
        self._ids: dict[tuple[str, str], int] = {
            (kind, external_id): local_id
            for kind, external_id, local_id in db.session.execute(
                sa.select(ImportRecord.kind, ImportRecord.external_id, ImportRecord.local_id).where(ImportRecord.source == source)
            )
        }

    def get(self, kind: str, external_id) -> int | None:
        return self._ids.get((kind, str(external_id)))

    def remember(self, kind: str, external_id, local_id: int) -> None:
        key = (kind, str(external_id))
        self._ids[key] = local_id
        db.session.add(ImportRecord(source=self.source, kind=kind, external_id=str(external_id), local_id=local_id))


def placeholder_email(source: str, external_id) -> str:
    digest = hashlib.sha256(source.encode()).hexdigest()[:10]
    return f"imported-{digest}-{external_id}@{PLACEHOLDER_DOMAIN}".lower()


def placeholder_user(
    registry: Registry, external_id, display_name: str, *, organization_code: str | None = None, created_at: datetime | None = None
) -> User:
    """An author who cannot log in (no password, unverified, mail off) until claimed (`flask users claim`)."""
    name = clean_line(display_name or "")[:NAME_MAX] or f"ユーザー{external_id}"[:NAME_MAX]
    user = User(
        email=placeholder_email(registry.source, external_id),
        password_hash=None,
        display_name=name,
        organization_code=organization_code,
        is_placeholder=True,
        notify_by_email=False,
    )
    if created_at is not None:
        user.created_at = created_at
    db.session.add(user)
    db.session.flush()
    registry.remember("user", external_id, user.id)
    return user


def add_question(
    author: User,
    *,
    title: str,
    body: str,
    tags: list[str],
    created_at: datetime,
    last_activity_at: datetime | None = None,
    view_count: int = 0,
    imported_score: int = 0,
) -> Question:
    """Ask through the questions service (validation, rendering, tags, revision), then date it as
    it was at the source. Raises ValidationFailed like the ask form does; personal information is
    not held here: the importer reports it (`ImportReport.check_personal_information`)."""
    data = questions.QuestionInput(title, body, ",".join(tags))
    question = questions.ask_question(author, data, confirmed_categories=privacy_guard.IMPORT)
    _backdate(question, created_at, imported_score)
    question.last_activity_at = max(last_activity_at or created_at, created_at)
    question.view_count = max(view_count, 0)
    return question


def add_answer(author: User, question: Question, *, body: str, created_at: datetime, imported_score: int = 0) -> Answer:
    db.session.flush()  # the service re-reads the question under a lock; keep what was set on it
    answer = answers.post_answer(author, question, body, confirmed_categories=privacy_guard.IMPORT)
    _backdate(answer, created_at, imported_score)
    if question.last_activity_at is None or question.last_activity_at < created_at:
        question.last_activity_at = created_at
    return answer


def accept(question: Question, answer: Answer) -> None:
    """Acceptance through the answers service, as the asker: the reputation follows the usual rule."""
    db.session.flush()
    answers.accept_answer(question.author, answer)


def _backdate(post: Post, created_at: datetime, imported_score: int) -> None:
    post.created_at = created_at
    post.fiscal_year = fiscal_years.current(created_at)  # the 年度 it was written in, not today's
    post.imported_score = imported_score
    post.score = post.score + imported_score
    db.session.execute(sa.update(Revision).where(Revision.post_id == post.id).values(created_at=created_at))


def forget_notifications(question_ids: list[int]) -> None:
    """Imported answers and acceptances are history, not news: drop the inbox entries they made."""
    if question_ids:
        db.session.execute(sa.delete(Notification).where(Notification.question_id.in_(question_ids)))


def parse_timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.rstrip("Z"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)
