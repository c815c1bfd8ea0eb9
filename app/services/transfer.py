"""異動 (transfer): declare the new post; then what to read, whom to ask, and what to hand over.

Declaring ends every current post at the end of the month before the new one starts, adds the
new post as current, and moves the profile's organization and department to it. The onboarding
page is computed for the person's latest current post, so it can be reopened at any time.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, CareerEntry, Collection, HandoverNote, Organization, Question, Tag, User, question_tags
from app.services import careers, curation, experts, freshness, tag_inference, visibility
from app.services import handover as handover_note
from app.services.errors import ValidationFailed, validate_all
from app.services.organizations import get_organization

ESSENTIAL_LIMIT = 8
UNANSWERED_LIMIT = 8
EXPERTS_LIMIT = 6
ANSWERABLE_LIMIT = 8
HANDOVER_LIMIT = 20


@dataclass(frozen=True)
class TransferInput:
    organization: str  # a code, or the picker's text 「神奈川県横浜市 (141003)」
    department: str
    tags: str | Sequence[str] = ""  # empty: the tags the post's previous holders gave it
    start: str = ""  # 「2025-04」


def _tags_of_post(organization_code: str, key: str) -> list[Tag]:
    """The tags of the post as its most recent holder described it (a post's area, not a person's)."""
    entry = db.session.scalars(
        sa.select(CareerEntry)
        .where(careers.same_post(organization_code, key), CareerEntry.tags.any())
        .order_by(CareerEntry.start_on.desc(), CareerEntry.id.desc())
        .limit(1)
    ).first()
    return list(entry.tags) if entry is not None else []


def suggested_start(user: User) -> date:
    """The month the transfer form proposes: this month, or the month after the latest current
    post began (someone who registered this month and moves now). Never past next month (内示)."""
    latest = max((entry.start_on for entry in careers.current_entries(user)), default=None)
    earliest = careers.this_month() if latest is None else max(careers.this_month(), careers.add_months(latest, 1))
    return min(earliest, careers.add_months(careers.this_month(), 1))


def current_organization(user: User) -> Organization | None:
    """What the transfer form proposes: most transfers stay inside the organization."""
    post = careers.latest_current_entry(user)
    return post.organization if post is not None else user.organization


def declare_transfer(user: User, data: TransferInput) -> CareerEntry:
    valid = validate_all(
        organization=lambda: get_organization(data.organization),
        department=lambda: careers.check_department(data.department),
        tags=lambda: careers.check_career_tags(data.tags),
        start=lambda: careers.check_start(data.start),
    )
    start = valid["start"]
    key = careers.department_key(valid["department"])
    with write_transaction():
        for entry in careers.current_entries(user):
            if entry.start_on >= start:
                raise ValidationFailed(
                    {
                        "start": _(
                            "新しい職の開始月は、今の職（%(post)s、%(since)s〜）より後にしてください。",
                            post=f"{entry.organization.name} {entry.department}",
                            since=entry.start_on.strftime("%Y.%m"),
                        )
                    }
                )
            entry.end_on = careers.month_end(careers.add_months(start, -1))
        tags = careers.resolve_career_tags(user, data.tags) or _tags_of_post(valid["organization"].code, key)
        new_post = CareerEntry(
            user_id=user.id,
            organization_code=valid["organization"].code,
            department=valid["department"],
            department_key=key,
            start_on=start,
            tags=tags,
        )
        db.session.add(new_post)
        db.session.flush()
        careers.follow_current_post(user)
    return new_post


# ---------------------------------------------------------------- onboarding


@dataclass
class Handover:
    post: CareerEntry  # the post just left
    answers: list[Answer]  # what the person wrote in its area: worth re-checking before leaving
    note: HandoverNote | None  # its handover note (引継書): the leaving holder is asked to update it
    stale: dict[int, list[freshness.Reason]] = field(default_factory=dict)  # answer id → why it may be outdated

    @property
    def note_needs_update(self) -> bool:
        """No note yet, or none saved since a month before leaving (handing over starts at the 内示)."""
        return self.note is None or self.note.updated_at.date() < careers.add_months(self.post.end_on.replace(day=1), -1)


@dataclass
class Onboarding:
    post: CareerEntry
    inferred: list[tag_inference.InferredTag]  # when the post has no tags: shown, and used until confirmed
    essential: list[Question]  # answered Q&As of the post's tags: accepted, then votes, then views
    unanswered: list[Question]
    predecessors: list[CareerEntry]  # the literal 前任者: the same post, most recent first
    experts: list[experts.ExpertRow]  # nationwide, for the post's tags (predecessors left out)
    former_tags: list[Tag]
    answerable: list[Question]  # open questions in the person's former areas
    handover: Handover | None
    note: HandoverNote | None  # the post's handover note (引継書), shown first
    collections: list[Collection]  # curated for the post's tags or for the post itself
    stale: dict[int, list[freshness.Reason]] = field(default_factory=dict)  # essential question id → its best answer's reasons

    @property
    def tags(self) -> list[Tag]:
        """The post's tags, or the inferred ones until the member confirms them."""
        return list(self.post.tags) or [item.tag for item in self.inferred]


def _questions_in(viewer: User, tag_ids: list[int]) -> sa.Select:
    tagged = sa.select(question_tags.c.question_id).where(question_tags.c.tag_id.in_(tag_ids))
    return (
        sa.select(Question)
        .where(Question.id.in_(tagged), Question.deleted_at.is_(None), Question.hidden_at.is_(None))
        .where(visibility.readable_questions(viewer))
        .options(selectinload(Question.tags), selectinload(Question.author))
    )


def essential_questions(viewer: User, tag_ids: list[int]) -> list[Question]:
    query = _questions_in(viewer, tag_ids).where(Question.answer_count > 0)
    order = (Question.accepted_answer_id.is_not(None).desc(), Question.score.desc(), Question.view_count.desc(), Question.id.desc())
    return list(db.session.scalars(query.order_by(*order).limit(ESSENTIAL_LIMIT)))


def unanswered_questions(viewer: User, tag_ids: list[int]) -> list[Question]:
    query = _questions_in(viewer, tag_ids).where(Question.answer_count == 0, Question.closed_at.is_(None))
    return list(db.session.scalars(query.order_by(Question.created_at.desc(), Question.id.desc()).limit(UNANSWERED_LIMIT)))


def answerable_questions(user: User, tag_ids: list[int]) -> list[Question]:
    """Open questions (no accepted answer) in these tags that the person did not ask or answer yet."""
    answered_by_user = sa.select(Answer.question_id).where(Answer.author_id == user.id)
    query = _questions_in(user, tag_ids).where(
        Question.accepted_answer_id.is_(None),
        Question.closed_at.is_(None),
        Question.author_id != user.id,
        Question.id.not_in(answered_by_user),
    )
    order = (Question.answer_count, Question.created_at.desc(), Question.id.desc())
    return list(db.session.scalars(query.order_by(*order).limit(ANSWERABLE_LIMIT)))


def handover(user: User) -> Handover | None:
    """The post most recently left, and the person's answers in its area."""
    left = db.session.scalars(
        sa.select(CareerEntry)
        .where(CareerEntry.user_id == user.id, CareerEntry.end_on.is_not(None))
        .order_by(CareerEntry.end_on.desc(), CareerEntry.id.desc())
        .limit(1)
    ).first()
    if left is None:
        return None
    tag_ids = [tag.id for tag in left.tags]
    answers: list[Answer] = []
    if tag_ids:
        tagged = sa.select(question_tags.c.question_id).where(question_tags.c.tag_id.in_(tag_ids))
        visible_questions = sa.select(Question.id).where(
            Question.id.in_(tagged), Question.deleted_at.is_(None), Question.hidden_at.is_(None), visibility.readable_questions(user)
        )
        answers = list(
            db.session.scalars(
                sa.select(Answer)
                .where(Answer.author_id == user.id, Answer.deleted_at.is_(None), Answer.hidden_at.is_(None), Answer.question_id.in_(visible_questions))
                .order_by(Answer.score.desc(), Answer.created_at.desc())
                .limit(HANDOVER_LIMIT)
                .options(selectinload(Answer.question))
            )
        )
    return Handover(
        post=left,
        answers=answers,
        note=handover_note.readable_note_for(user, left),
        stale={key: value.reasons for key, value in freshness.check(answers).items()},
    )


def onboarding(user: User) -> Onboarding | None:
    """What the person's current post needs; None when they have no current post."""
    post = careers.latest_current_entry(user)
    if post is None:
        return None
    inferred = [] if post.tags else tag_inference.infer_post_tags(post)
    tag_ids = [tag.id for tag in post.tags] or [item.tag.id for item in inferred]
    predecessors = careers.post_holders(user, post.organization_code, post.department, exclude_user=user)
    already_listed = {user.id, *(entry.user_id for entry in predecessors)}
    nationwide = [person for person in experts.score_people(tag_ids) if person.id not in already_listed]
    former_tags = sorted(
        {tag for entry in user.career if not entry.is_current for tag in entry.tags} - set(post.tags), key=lambda tag: tag.name
    )
    essential = essential_questions(user, tag_ids)
    stale = freshness.best_answer_reasons(essential)
    essential.sort(key=lambda question: bool(stale.get(question.id)))  # current answers first, each group in its order
    return Onboarding(
        post=post,
        inferred=inferred,
        essential=essential,
        unanswered=unanswered_questions(user, tag_ids),
        predecessors=predecessors,
        experts=experts.expert_rows(nationwide[:EXPERTS_LIMIT], user),
        former_tags=former_tags,
        answerable=answerable_questions(user, [tag.id for tag in former_tags]) if former_tags else [],
        handover=handover(user),
        note=handover_note.readable_note_for(user, post),
        collections=curation.for_tags(tag_ids, post.department_key),
        stale=stale,
    )
