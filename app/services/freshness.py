"""Whether a question or an answer may be out of date, and why (issue 16).

Four reasons, each a code the API carries in `"outdated"`:

- `old_fiscal_year`: the post speaks for a 年度 (`Post.fiscal_year`; the 年度 it was written in
  when none was given) OUTDATED_AFTER_YEARS or more 年度 before the current one (default 2:
  a 令和6年度 answer is flagged from 令和8年度 on), and no `current` confirmation since names a
  later 年度. A confirmation for 令和8年度 counts as the post speaking for 令和8年度.
- `date_passed`: a deadline or validity end written in the text (app/services/deadlines.py,
  read against the post's 年度) is before today (JST).
- `law_amended`: a law the post cites (PostLaw rows) has a LawAmendment in effect (amended_on
  no later than today) dated after the post's last edit (or creation) and after the latest
  confirmation. An amendment naming an article matches only posts citing that article; one
  naming none matches every post citing the law.
- `marked_outdated`: the latest confirmation's verdict is 「古い情報」 (`outdated`).

A `current` confirmation for 年度 Y (the latest one) clears `old_fiscal_year` and
`date_passed` while Y is the current 年度 or later; a later 「古い情報」 confirmation overrides it.

`check(posts)` answers for a whole list in three queries (confirmations, cited laws, their
amendments), whatever the number of posts: lists never ask post by post.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, joinedload

from app.extensions import db
from app.models import Answer, Post, Question
from app.models.knowledge import Confirmation, LawAmendment, PostLaw
from app.services import deadlines, fiscal_years
from app.services.fiscal_years import JST

CODES = ("old_fiscal_year", "date_passed", "law_amended", "marked_outdated")


def today_jst() -> date:
    return datetime.now(JST).date()


def _jst_date(moment: datetime) -> date:
    """A naive UTC timestamp from the database → the day in Japan."""
    return moment.replace(tzinfo=UTC).astimezone(JST).date()


def post_fiscal_year(post: Post) -> int:
    return post.fiscal_year or fiscal_years.of_day(_jst_date(post.created_at))


@dataclass(frozen=True)
class Reason:
    code: str
    fiscal_year: int | None = None  # old_fiscal_year: the 年度 the post (or its last confirmation) speaks for
    deadline: deadlines.FoundDate | None = None  # date_passed: the first passed deadline
    law: str | None = None  # law_amended: the citation as typed
    amended_on: date | None = None
    confirmation: Confirmation | None = None  # marked_outdated

    def text(self, kind: str) -> str:
        """The notice in plain Japanese; `kind`: 'question' or 'answer'."""
        subject = _("この質問") if kind == "question" else _("この回答")
        if self.code == "old_fiscal_year":
            return _(
                "%(subject)sは%(year)sの情報です。その後、今も有効かどうか確認されていません。",
                subject=subject,
                year=fiscal_years.label(self.fiscal_year),
            )
        if self.code == "date_passed":
            return _("%(subject)sの期限（%(date)s）は過ぎています。", subject=subject, date=self.deadline.text)
        if self.code == "law_amended":
            return _(
                "根拠法令（%(law)s）が%(date)sに改正されています。%(subject)sは改正前の内容かもしれません。",
                law=self.law,
                date=f"{self.amended_on:%Y-%m-%d}",
                subject=subject,
            )
        return _("%(name)sさんが「古い情報」と指摘しています。", name=self.confirmation.user.display_name)

    @property
    def label(self) -> str:
        """A short badge for lists."""
        return {
            "old_fiscal_year": _("古い年度"),
            "date_passed": _("期限切れ"),
            "law_amended": _("法令改正"),
            "marked_outdated": _("古い情報"),
        }[self.code]


@dataclass
class Freshness:
    reasons: list[Reason] = field(default_factory=list)
    latest: Confirmation | None = None  # the latest confirmation, shown on the post

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]

    @property
    def is_current(self) -> bool:
        return not self.reasons

    @property
    def latest_text(self) -> str | None:
        return confirmation_text(self.latest) if self.latest else None


def confirmation_text(confirmation: Confirmation) -> str:
    """「令和8年度も有効と確認（山田, 2026-05-01）」 or 「古い情報と指摘（山田, 2026-05-01）」."""
    who_when = {"name": confirmation.user.display_name, "date": f"{_jst_date(confirmation.created_at):%Y-%m-%d}"}
    if confirmation.verdict == "current":
        return _("%(year)sも有効と確認（%(name)s, %(date)s）", year=fiscal_years.label(confirmation.fiscal_year), **who_when)
    return _("古い情報と指摘（%(name)s, %(date)s）", **who_when)


def latest_confirmations(post_ids: Iterable[int]) -> dict[int, Confirmation]:
    ids = list(post_ids)
    if not ids:
        return {}
    newest = sa.select(sa.func.max(Confirmation.id)).where(Confirmation.post_id.in_(ids)).group_by(Confirmation.post_id)
    rows = db.session.scalars(sa.select(Confirmation).where(Confirmation.id.in_(newest)).options(joinedload(Confirmation.user)))
    return {row.post_id: row for row in rows}


def _amended_laws(post_ids: list[int], today: date) -> dict[int, list[tuple[PostLaw, LawAmendment]]]:
    """Each post's citations with the amendments in effect that match them (law, and article if named)."""
    cited: dict[int, list[PostLaw]] = defaultdict(list)
    for row in db.session.scalars(sa.select(PostLaw).where(PostLaw.post_id.in_(post_ids)).order_by(PostLaw.position)):
        cited[row.post_id].append(row)
    laws = {row.law for rows in cited.values() for row in rows}
    if not laws:
        return {}
    amendments = db.session.scalars(
        sa.select(LawAmendment).where(LawAmendment.law.in_(laws), LawAmendment.amended_on <= today).order_by(LawAmendment.amended_on.desc())
    ).all()
    matched: dict[int, list[tuple[PostLaw, LawAmendment]]] = defaultdict(list)
    for post_id, rows in cited.items():
        for row in rows:
            for amendment in amendments:
                if amendment.law == row.law and amendment.article in (None, row.article):
                    matched[post_id].append((row, amendment))
    return matched


def check(posts: Iterable[Post], today: date | None = None) -> dict[int, Freshness]:
    """Post id → its outdated reasons and latest confirmation, for a whole list at once."""
    posts = [post for post in posts if post is not None]
    if not posts:
        return {}
    today = today or today_jst()
    current_year = fiscal_years.of_day(today)
    after_years = current_app.config["OUTDATED_AFTER_YEARS"]
    ids = [post.id for post in posts]
    latest = latest_confirmations(ids)
    amended = _amended_laws(ids, today)
    result: dict[int, Freshness] = {}
    for post in posts:
        confirmation = latest.get(post.id)
        confirmed_year = confirmation.fiscal_year if confirmation and confirmation.verdict == "current" else None
        reasons: list[Reason] = []
        speaks_for = max(post_fiscal_year(post), confirmed_year or 0)
        if current_year - speaks_for >= after_years:
            reasons.append(Reason("old_fiscal_year", fiscal_year=speaks_for))
        if confirmed_year is None or confirmed_year < current_year:
            text = f"{post.title}\n{post.body}" if post.title else post.body
            if passed := deadlines.passed_deadlines(text, post_fiscal_year(post), today):
                reasons.append(Reason("date_passed", deadline=passed[0]))
        reviewed_on = max(_jst_date(post.edited_at or post.created_at), _jst_date(confirmation.created_at) if confirmation else date.min)
        for citation, amendment in amended.get(post.id, []):
            if amendment.amended_on > reviewed_on:
                reasons.append(Reason("law_amended", law=citation.text or citation.law, amended_on=amendment.amended_on))
                break
        if confirmation is not None and confirmation.verdict == "outdated":
            reasons.append(Reason("marked_outdated", confirmation=confirmation))
        result[post.id] = Freshness(reasons, confirmation)
    return result


def outdated_reasons(post: Post, today: date | None = None) -> list[Reason]:
    return check([post], today)[post.id].reasons


def codes(post: Post, today: date | None = None) -> list[str]:
    return [reason.code for reason in outdated_reasons(post, today)]


def best_answer_reasons(questions: Iterable[Post], today: date | None = None) -> dict[int, list[Reason]]:
    """Question id → the outdated reasons of the answer a reader acts on (the accepted one, else
    the best scored), for lists of Q&As (onboarding): two queries more than `check`."""
    ids = [question.id for question in questions]
    if not ids:
        return {}
    best: dict[int, Answer] = {}
    question = aliased(Question)  # the same table as Answer
    for answer in db.session.scalars(
        sa.select(Answer)
        .join(question, question.id == Answer.question_id)
        .where(Answer.question_id.in_(ids), Answer.deleted_at.is_(None), Answer.hidden_at.is_(None))
        .order_by((question.accepted_answer_id == Answer.id).desc(), Answer.score.desc(), Answer.id)
    ):
        best.setdefault(answer.question_id, answer)
    checked = check(best.values(), today)
    return {question_id: checked[answer.id].reasons for question_id, answer in best.items()}
