"""Review by the people who know (issue 16): 「令和N年度も有効と確認」 or 「古い情報」 on an answer.

Who may confirm an answer:
- its author;
- an expert of the question's tags. The rule: someone the experts ranking
  (app/services/experts.py) lists for one of the tags because of experience, not a single answer:
  they hold or held a post (career entry) carrying the tag, or wrote an accepted answer to a
  question carrying it. `experts_of` (for the review notifications) and `is_expert` (one person,
  one cheap query) apply the same rule;
- members with the `confirm_answers` privilege (reputation; moderators always).

The latest confirmation is what counts (app/services/freshness.py).

Each tag has a review page (/tags/<name>/review) listing its answers that need attention (any
outdated reason), most read first (the question's view count). The experts of a tag hear of it
from a `review_due` notification: `remind_experts()` (run by `flask housekeeping`, daily) sends
the REVIEW_EXPERTS best-ranked experts of each tag with such answers one notification naming the
count, at most once every REMIND_EVERY_DAYS per person and tag, so running it again sends nothing.
"""

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, CareerEntry, Notification, Question, Tag, User, career_entry_tags, question_tags, utcnow
from app.models.knowledge import CONFIRMATION_VERDICTS, Confirmation
from app.services import experts, fiscal_years, freshness, notifications, permissions, privacy_guard, privileges
from app.services.errors import NotFound, PermissionDenied, ValidationFailed

NOTE_MAX = 500
EARLIEST_YEAR = 2000
REVIEW_LIMIT = 50  # answers listed on a tag's review page
REVIEW_SCAN = 2000  # the most-read answers of a tag looked at for it
REVIEW_EXPERTS = 3
REMIND_EVERY_DAYS = 7
CHUNK = 500


def experts_of(tag_ids: Sequence[int]) -> list[experts.Expertise]:
    """The experts of the tags by the rule above, best first."""
    return [person for person in experts.score_people(tag_ids) if person.posts or person.accepted]


def is_expert(user: User, tag_ids: Sequence[int]) -> bool:
    if not tag_ids:
        return False
    held = sa.select(CareerEntry.id).where(
        CareerEntry.user_id == user.id,
        CareerEntry.id.in_(sa.select(career_entry_tags.c.career_entry_id).where(career_entry_tags.c.tag_id.in_(tag_ids))),
    )
    accepted_in_tags = sa.select(Question.accepted_answer_id).where(
        Question.deleted_at.is_(None),
        Question.id.in_(sa.select(question_tags.c.question_id).where(question_tags.c.tag_id.in_(tag_ids))),
    )
    accepted = sa.select(Answer.id).where(Answer.author_id == user.id, Answer.deleted_at.is_(None), Answer.id.in_(accepted_in_tags))
    return bool(db.session.scalar(sa.select(sa.or_(sa.exists(held), sa.exists(accepted)))))


def confirmable_ids(user: User | None, tag_ids: Sequence[int], answers: Sequence[Answer]) -> set[int]:
    """The ids of the answers (to questions carrying all of `tag_ids`: one question's answers, or
    a tag's review list) the user may confirm: one query at most."""
    if user is None or not getattr(user, "is_authenticated", False) or permissions.is_suspended(user):
        return set()
    live = [answer for answer in answers if not answer.is_deleted]
    if privileges.has(user, "confirm_answers"):
        return {answer.id for answer in live}
    allowed = {answer.id for answer in live if answer.author_id == user.id}
    if len(allowed) < len(live) and is_expert(user, tag_ids):
        return {answer.id for answer in live}
    return allowed


def can_confirm(user: User | None, answer: Answer) -> bool:
    return answer.id in confirmable_ids(user, [tag.id for tag in answer.question.tags], [answer])


def _fiscal_year(value: object) -> int:
    latest = fiscal_years.current() + 1  # in March, people confirm for the coming 年度
    if isinstance(value, bool) or not isinstance(value, int) or not EARLIEST_YEAR <= value <= latest:
        raise ValidationFailed(
            {"fiscal_year": _("fiscal_year は%(first)dから%(last)dまでの西暦の年（年度の始まる年）で指定してください。", first=EARLIEST_YEAR, last=latest)}
        )
    return value


def confirm(
    user: User,
    answer: Answer,
    *,
    fiscal_year: object = None,
    verdict: object = "current",
    note: object = "",
    confirmed_categories: Collection[str] = (),
) -> Confirmation:
    """Record a review of the answer. `fiscal_year` defaults to the current 年度. Raises
    PermissionDenied for people who may not confirm, NotFound for a removed answer,
    ValidationFailed for bad values and PersonalInformationFound for a note that needs confirming."""
    if answer.is_deleted:
        raise NotFound(answer.id)
    permissions.ensure_can_write(user)
    if not can_confirm(user, answer):
        raise PermissionDenied()
    if verdict not in CONFIRMATION_VERDICTS:
        raise ValidationFailed({"verdict": _("verdict は current（今も有効）か outdated（古い情報）です。")})
    if not isinstance(note, str):
        raise ValidationFailed({"note": _("メモは文字列で指定してください。")})
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed({"note": _("メモは%(n)d文字以内にしてください。", n=NOTE_MAX)})
    year = fiscal_years.current() if fiscal_year is None else _fiscal_year(fiscal_year)
    confirmed = privacy_guard.check({"note": note}, confirmed_categories)
    with write_transaction():
        confirmation = Confirmation(post_id=answer.id, user_id=user.id, verdict=verdict, fiscal_year=year, note=note)
        db.session.add(confirmation)
        db.session.flush()
        privacy_guard.record_confirmation(user, confirmed, "confirmation", confirmation.id)
        if verdict == "outdated":  # the author is the one who can bring it up to date
            notifications.notify(answer.author, "marked_outdated", user, answer.question, answer.id)
    return confirmation


# ---------------------------------------------------------------- review by tag


@dataclass
class ReviewItem:
    answer: Answer
    freshness: freshness.Freshness

    @property
    def question(self) -> Question:
        return self.answer.question


def _live_answers(tag_ids: Sequence[int] | sa.Select) -> list:
    """Conditions on Answer: anyone may read it (not removed or hidden, on a members-wide
    question) and its question carries one of the tags."""
    tagged = sa.select(question_tags.c.question_id).where(question_tags.c.tag_id.in_(tag_ids))
    readable = sa.select(Question.id).where(
        Question.id.in_(tagged), Question.deleted_at.is_(None), Question.hidden_at.is_(None), Question.visibility == "members"
    )
    return [Answer.question_id.in_(readable), Answer.deleted_at.is_(None), Answer.hidden_at.is_(None)]


def needs_review(tag: Tag, today: date | None = None, limit: int = REVIEW_LIMIT) -> list[ReviewItem]:
    """The tag's answers with an outdated reason, the most read first (then the better scored)."""
    question = aliased(Question)  # the same table as Answer
    query = (
        sa.select(Answer)
        .where(*_live_answers([tag.id]))
        .join(question, question.id == Answer.question_id)
        .order_by(sa.func.coalesce(question.view_count, 0).desc(), Answer.score.desc(), Answer.id)
        .limit(REVIEW_SCAN)
        .options(selectinload(Answer.question), selectinload(Answer.author))
    )
    items: list[ReviewItem] = []
    answers = db.session.scalars(query).all()
    for start in range(0, len(answers), CHUNK):
        chunk = answers[start : start + CHUNK]
        checked = freshness.check(chunk, today)
        items += [ReviewItem(answer, checked[answer.id]) for answer in chunk if checked[answer.id].reasons]
        if len(items) >= limit:
            break
    return items[:limit]


def _counts_by_tag(today: date | None) -> dict[int, int]:
    """Tag id → how many of its answers need attention (every live answer, in chunks)."""
    counts: dict[int, int] = defaultdict(int)
    tag_ids_of: dict[int, list[int]] = defaultdict(list)
    for question_id, tag_id in db.session.execute(sa.select(question_tags.c.question_id, question_tags.c.tag_id)):
        tag_ids_of[question_id].append(tag_id)
    ids = db.session.scalars(sa.select(Answer.id).where(*_live_answers(sa.select(Tag.id))).order_by(Answer.id)).all()
    for start in range(0, len(ids), CHUNK):
        chunk = db.session.scalars(sa.select(Answer).where(Answer.id.in_(ids[start : start + CHUNK]))).all()
        checked = freshness.check(chunk, today)
        for answer in chunk:
            if checked[answer.id].reasons:
                for tag_id in tag_ids_of[answer.question_id]:
                    counts[tag_id] += 1
    return counts


def remind_experts(now: datetime | None = None, today: date | None = None) -> int:
    """Send each tag's best experts a `review_due` notification (see the module's docstring);
    how many were sent."""
    now = now or utcnow()
    counts = _counts_by_tag(today)
    since = now - timedelta(days=REMIND_EVERY_DAYS)
    sent = 0
    with write_transaction():
        recent: dict[int, set[str]] = defaultdict(set)
        for user_id, reason in db.session.execute(
            sa.select(Notification.user_id, Notification.reason).where(Notification.kind == "review_due", Notification.created_at >= since)
        ):
            recent[user_id].add(json.loads(reason or "{}").get("name", ""))
        for tag in db.session.scalars(sa.select(Tag).where(Tag.id.in_(list(counts))).order_by(Tag.id)):
            for person in experts_of([tag.id])[:REVIEW_EXPERTS]:
                if tag.name in recent[person.id]:
                    continue
                user = db.session.get(User, person.id)
                reason = {"code": "tag_expert", "tag": tag.label, "name": tag.name, "count": counts[tag.id]}
                notifications.notify(user, "review_due", None, None, reason=reason)
                recent[person.id].add(tag.name)
                sent += 1
    return sent
