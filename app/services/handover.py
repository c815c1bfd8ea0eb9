"""Handover notes (引継書): one living note per post, written by the people who hold or held it.

A post is an organization and a normalized department (`careers.department_key`); the note is
found for a post the way 前任者 are (`careers.same_post`: 「財政局 債権回収課」 and 「財政局
債権回収課 徴収係」 are the same post), the exactly keyed one first.

Who may:
- write and edit: a holder of the post, current or past (a career entry of theirs matches it);
- read: holders; verified members of the note's organization (`organization`, the default: a note
  may hold internal matters); every verified member when a holder chose `members`; moderators
  (to act on a report). Everyone else gets a 404, as if there were no note.
Every save is checked by the personal-information guard and adds a HandoverRevision; edits are
based on `revision_count` (two holders saving at once: the second gets a Conflict).
"""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import CareerEntry, HandoverNote, HandoverRevision, Question, User, utcnow
from app.models.knowledge import HANDOVER_VISIBILITY
from app.services import careers, permissions, privacy_guard, visibility
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.posting import check_body
from app.services.revisions import DiffLine, diff

VISIBILITY_LABELS = {"organization": _l("同じ団体の職員だけ"), "members": _l("すべての会員")}
LINKED_LIMIT = 30
# A link to a Q&A in the note, however written: [題](/questions/12), a full address, or bare.
_QUESTION_LINK = re.compile(r"/questions/([1-9][0-9]{0,17})(?![0-9])")


@dataclass(frozen=True)
class HandoverInput:
    body: str
    visibility: str = "organization"


@dataclass(frozen=True)
class RevisionChange:
    revision: HandoverRevision
    body_diff: list[DiffLine]


# ---------------------------------------------------------------- who may


def note_for_post(organization_code: str, key: str) -> HandoverNote | None:
    """The note of a post: the one keyed exactly, else the most recently updated matching one."""
    if not key:
        return None
    exact = HandoverNote.department_key == key
    return db.session.scalars(
        sa.select(HandoverNote)
        .where(careers.same_post(organization_code, key, HandoverNote))
        .order_by(exact.desc(), HandoverNote.updated_at.desc(), HandoverNote.id.desc())
        .limit(1)
    ).first()


def is_holder(user: User | None, organization_code: str, key: str) -> bool:
    """A verified member with a career entry (current or past) for the post."""
    if not permissions.is_verified_member(user) or not key:
        return False
    query = sa.select(CareerEntry.id).where(CareerEntry.user_id == user.id, careers.same_post(organization_code, key))
    return db.session.scalar(query.limit(1)) is not None


def can_read(viewer: User | None, note: HandoverNote) -> bool:
    if not permissions.is_verified_member(viewer):
        return False
    if viewer.is_moderator or note.visibility == "members" or viewer.organization_code == note.organization_code:
        return True
    return is_holder(viewer, note.organization_code, note.department_key)


def can_edit(viewer: User | None, note: HandoverNote) -> bool:
    return is_holder(viewer, note.organization_code, note.department_key)


def get_note(viewer: User | None, note_id: int) -> HandoverNote:
    note = db.session.get(HandoverNote, note_id)
    if note is None or not can_read(viewer, note):
        raise NotFound(note_id)
    return note


def readable_note_for(viewer: User | None, entry: CareerEntry) -> HandoverNote | None:
    """What the onboarding page and the career page show for one of the viewer's posts."""
    note = note_for_post(entry.organization_code, entry.department_key)
    return note if note is not None and can_read(viewer, note) else None


# ---------------------------------------------------------------- writing


def _check(data: HandoverInput, confirmed_categories) -> tuple[str, str, frozenset[str]]:
    if data.visibility not in HANDOVER_VISIBILITY:
        raise ValidationFailed({"visibility": _("公開範囲を選んでください。")})
    body, body_html = check_body(data.body)
    return body, body_html, privacy_guard.check({"body": body}, confirmed_categories)


def start_note(actor: User, entry_id: int, data: HandoverInput, *, confirmed_categories=()) -> HandoverNote:
    """The first note of the post of one of the actor's own career entries. Conflict when the post
    already has one (someone wrote it meanwhile): the caller sends the writer to edit it."""
    permissions.ensure_can_write(actor)
    entry = careers.get_own_entry(actor, entry_id)
    body, body_html, confirmed = _check(data, confirmed_categories)
    with write_transaction():
        if note_for_post(entry.organization_code, entry.department_key) is not None:
            raise Conflict(entry.department_key)
        now = utcnow()
        note = HandoverNote(
            organization_code=entry.organization_code,
            department_key=entry.department_key,
            department=entry.department,
            body=body,
            body_html=body_html,
            visibility=data.visibility,
            revision_count=1,
            created_at=now,
            updated_at=now,
            updated_by_id=actor.id,
        )
        db.session.add(note)
        db.session.flush()
        db.session.add(HandoverRevision(note_id=note.id, number=1, body=body, author_id=actor.id, created_at=now))
        privacy_guard.record_confirmation(actor, confirmed, "handover_note", note.id)
    return note


def edit_note(actor: User, note: HandoverNote, data: HandoverInput, *, base_revision: int, confirmed_categories=()) -> HandoverNote:
    permissions.ensure_can_write(actor)
    if not can_edit(actor, note):
        raise PermissionDenied()
    body, body_html, confirmed = _check(data, confirmed_categories)
    with write_transaction():
        db.session.refresh(note, with_for_update={"of": HandoverNote})  # not its joined organization (PostgreSQL)
        if note.revision_count != base_revision:
            raise Conflict(note.revision_count)
        if note.body == body and note.visibility == data.visibility:
            return note
        now = utcnow()
        if note.body != body:
            note.revision_count += 1
            note.body, note.body_html = body, body_html
            db.session.add(HandoverRevision(note_id=note.id, number=note.revision_count, body=body, author_id=actor.id, created_at=now))
        note.visibility = data.visibility
        note.updated_at = now
        note.updated_by_id = actor.id
        privacy_guard.record_confirmation(actor, confirmed, "handover_note", note.id)
    return note


# ---------------------------------------------------------------- reading


def history(note: HandoverNote) -> list[RevisionChange]:
    """Newest first, each revision against the one before (plain text: templates escape it)."""
    revisions = list(
        db.session.scalars(
            sa.select(HandoverRevision)
            .where(HandoverRevision.note_id == note.id)
            .order_by(HandoverRevision.number)
            .options(selectinload(HandoverRevision.author))
        )
    )
    changes, before = [], ""
    for revision in revisions:
        changes.append(RevisionChange(revision, diff(before, revision.body)))
        before = revision.body
    return list(reversed(changes))


def linked_questions(viewer: User | None, note: HandoverNote) -> list[Question]:
    """The Q&As the note links to, in the order it first links them, that the viewer may read."""
    ids = list(dict.fromkeys(int(found) for found in _QUESTION_LINK.findall(note.body)))[:LINKED_LIMIT]
    readable = visibility.listable_by_id(viewer, ids)
    return [readable[question_id] for question_id in ids if question_id in readable]

