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
"""

from collections.abc import Collection, Sequence

import sqlalchemy as sa
from flask_babel import gettext as _

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, CareerEntry, Question, User, career_entry_tags, question_tags
from app.models.knowledge import CONFIRMATION_VERDICTS, Confirmation
from app.services import experts, freshness, permissions, privacy_guard, privileges
from app.services.errors import NotFound, PermissionDenied, ValidationFailed

NOTE_MAX = 500
EARLIEST_YEAR = 2000


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


def confirmable_ids(user: User | None, question: Question, answers: Sequence[Answer]) -> set[int]:
    """The ids of the question's answers the user may confirm: one query at most (the expert rule
    depends on the question's tags, the same for every answer of the page)."""
    if user is None or not getattr(user, "is_authenticated", False) or permissions.is_suspended(user):
        return set()
    live = [answer for answer in answers if not answer.is_deleted]
    if privileges.has(user, "confirm_answers"):
        return {answer.id for answer in live}
    allowed = {answer.id for answer in live if answer.author_id == user.id}
    if len(allowed) < len(live) and is_expert(user, [tag.id for tag in question.tags]):
        return {answer.id for answer in live}
    return allowed


def can_confirm(user: User | None, answer: Answer) -> bool:
    return answer.id in confirmable_ids(user, answer.question, [answer])


def _fiscal_year(value: object) -> int:
    latest = freshness.fiscal_year_of(freshness.today_jst()) + 1  # in March, people confirm for the coming 年度
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
    year = freshness.fiscal_year_of(freshness.today_jst()) if fiscal_year is None else _fiscal_year(fiscal_year)
    confirmed = privacy_guard.check({"note": note}, confirmed_categories)
    with write_transaction():
        confirmation = Confirmation(post_id=answer.id, user_id=user.id, verdict=verdict, fiscal_year=year, note=note)
        db.session.add(confirmation)
        db.session.flush()
        privacy_guard.record_confirmation(user, confirmed, "confirmation", confirmation.id)
    return confirmation
