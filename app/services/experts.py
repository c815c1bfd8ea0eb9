"""Experts by tag: who knows an area, ranked the way a colleague would, each with a reason.

The score of a person for a tag (or for a post's tags together):

    career  = Σ over their posts carrying the tag
                10 × years held (at most 6) × ½ ^ (years since the post ended ÷ 5)
              + 5 for a post they hold now (they handle today's rules and forms)
    answers = 1 per answer in the tag + 5 per accepted answer + 1 per net upvote
              (the answer's score; a negative score counts 0). Deleted posts never count.
    score   = career + answers

A three-year former holder with two accepted answers (≈ 27 + 12) stands far above a newcomer
with one upvoted answer (≈ 1 + 5 + 2); a post held long ago fades (half after five years) but
never disappears. Hidden careers (`career_visibility`) count for the score; the reason and the
filters use only what the viewer may see. Three queries, whatever the number of people.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Answer, CareerEntry, Organization, Question, Tag, User, career_entry_tags, question_tags
from app.services import careers
from app.services.errors import NotFound, ValidationFailed
from app.services.pagination import Page

SCOPES = ("nationwide", "prefecture", "organization")
HOLDERS = ("all", "current", "former")

YEAR_POINTS = 10
MAX_YEARS = 6
HALF_LIFE_YEARS = 5
CURRENT_HOLDER_POINTS = 5
ANSWER_POINTS = 1
ACCEPTED_POINTS = 5
UPVOTE_POINTS = 1


@dataclass
class Expertise:
    """What a person's score is made of (hidden posts included: never show this as is)."""

    user: User
    posts: list[CareerEntry] = field(default_factory=list)  # posts carrying the tag(s), newest first
    answers: int = 0
    accepted: int = 0
    upvotes: int = 0
    score: float = 0.0


@dataclass
class ExpertRow:
    """One line of an experts list, as the viewer may see it."""

    user: User
    score: float
    reason: str  # plain Japanese: 「2019–2022 横浜市 財政局 債権回収課 · 回答 12件（採用 5）」
    posts: list[CareerEntry]  # the tagged posts this viewer may see, newest first
    answers: int
    accepted: int
    upvotes: int

    @property
    def is_current_holder(self) -> bool:
        return any(post.is_current for post in self.posts)


def career_points(entry: CareerEntry, today: date) -> float:
    years = min(careers.months_held(entry, today) / 12, MAX_YEARS)
    if entry.is_current:
        return YEAR_POINTS * years + CURRENT_HOLDER_POINTS
    years_since = careers.months_between(entry.end_on, today) / 12
    return YEAR_POINTS * years * 0.5 ** (years_since / HALF_LIFE_YEARS)


def score_people(tag_ids: Sequence[int]) -> list[Expertise]:
    """Everyone with a post or an answer in the tags, best first (ties: more accepted, then id)."""
    if not tag_ids:
        return []
    posts: dict[int, list[CareerEntry]] = defaultdict(list)
    tagged_entries = sa.select(career_entry_tags.c.career_entry_id).where(career_entry_tags.c.tag_id.in_(tag_ids))
    for entry in db.session.scalars(
        sa.select(CareerEntry)
        .where(CareerEntry.id.in_(tagged_entries))
        .order_by(CareerEntry.end_on.is_(None).desc(), CareerEntry.start_on.desc(), CareerEntry.id.desc())
    ):
        posts[entry.user_id].append(entry)

    question = aliased(Question)
    tagged_questions = sa.select(question_tags.c.question_id).where(question_tags.c.tag_id.in_(tag_ids))
    answer_stats = {
        author_id: (answers, accepted or 0, upvotes or 0)
        for author_id, answers, accepted, upvotes in db.session.execute(
            sa.select(
                Answer.author_id,
                sa.func.count(Answer.id),
                sa.func.sum(sa.case((question.accepted_answer_id == Answer.id, 1), else_=0)),
                sa.func.sum(sa.case((Answer.score > 0, Answer.score), else_=0)),
            )
            .join(question, question.id == Answer.question_id)
            .where(question.id.in_(tagged_questions), question.deleted_at.is_(None), Answer.deleted_at.is_(None))
            .group_by(Answer.author_id)
        )
    }

    today = careers.this_month()
    ranked: list[Expertise] = []
    for user in db.session.scalars(
        sa.select(User).where(
            User.id.in_(posts.keys() | answer_stats.keys()), User.disabled_at.is_(None), User.email_verified_at.is_not(None)
        )
    ):
        answers, accepted, upvotes = answer_stats.get(user.id, (0, 0, 0))
        person = Expertise(user, posts.get(user.id, []), answers, accepted, upvotes)
        person.score = round(
            sum(career_points(entry, today) for entry in person.posts)
            + ANSWER_POINTS * answers
            + ACCEPTED_POINTS * accepted
            + UPVOTE_POINTS * upvotes,
            1,
        )
        ranked.append(person)
    ranked.sort(key=lambda person: (-person.score, -person.accepted, person.user.id))
    return ranked


# ---------------------------------------------------------------- what a viewer sees


def available_scopes(viewer: User | None) -> list[tuple[str, str]]:
    """The filters this viewer can use, with their labels: 全国, 神奈川県, 横浜市."""
    scopes = [("nationwide", _("全国"))]
    organization = viewer.organization if viewer is not None and viewer.is_authenticated else None
    if organization is not None:
        if organization.prefecture_code:  # national bodies have none
            prefecture = db.session.get(Organization, organization.prefecture_code)
            scopes.append(("prefecture", _("%(prefecture)s内", prefecture=prefecture.name)))
        scopes.append(("organization", organization.name))
    return scopes


def _visible_posts(viewer: User | None, person: Expertise) -> list[CareerEntry]:
    return person.posts if careers.can_see_career(viewer, person.user) else []


def _in_scope(organization: Organization | None, scope: str, viewer: User) -> bool:
    if organization is None:
        return False
    if scope == "organization":
        return organization.code == viewer.organization_code
    return organization.prefecture_code is not None and organization.prefecture_code == viewer.organization.prefecture_code


def filter_people(
    people: Iterable[Expertise], viewer: User | None, *, scope: str = "nationwide", holders: str = "all"
) -> list[Expertise]:
    """Keep the people matching the filters, judged only on what the viewer may see.

    Scope: the person works there now, or held a tagged post there. Holders: `current` hold a
    tagged post now; `former` held one and hold none now.
    """
    if scope not in SCOPES:
        raise ValidationFailed({"scope": _("地域の絞り込みは nationwide・prefecture・organization のどれかです。")})
    if scope not in dict(available_scopes(viewer)):
        raise ValidationFailed({"scope": _("この絞り込みは使えません（所属団体が登録されていません）。")})
    if holders not in HOLDERS:
        raise ValidationFailed({"holders": _("担当の絞り込みは all・current・former のどれかです。")})
    kept = []
    for person in people:
        posts = _visible_posts(viewer, person)
        if holders == "current" and not any(post.is_current for post in posts):
            continue
        if holders == "former" and (not posts or any(post.is_current for post in posts)):
            continue
        if scope != "nationwide" and not any(
            _in_scope(organization, scope, viewer) for organization in [person.user.organization, *(post.organization for post in posts)]
        ):
            continue
        kept.append(person)
    return kept


def organization_label(organization: Organization) -> str:
    """横浜市, 札幌市, 神奈川県 as they are; 府中市 with its prefecture (two of them exist)."""
    if not organization.is_municipal or organization.kind == "designated_city":
        return organization.name
    return organization.full_name


def post_label(entry: CareerEntry) -> str:
    """「2019–2022 横浜市 財政局 債権回収課」; a current post: 「2022–現在 …」."""
    start = entry.start_on.year
    if entry.end_on is None:
        years = _("%(start)d–現在", start=start)
    elif entry.end_on.year == start:
        years = str(start)
    else:
        years = f"{start}–{entry.end_on.year}"
    return f"{years} {organization_label(entry.organization)} {entry.department}"


def _reason(person: Expertise, posts: list[CareerEntry]) -> str:
    parts = []
    if posts:
        shown = "、".join(post_label(post) for post in posts[:2])
        parts.append(shown + (_(" ほか%(n)d件", n=len(posts) - 2) if len(posts) > 2 else ""))
    elif person.posts:
        parts.append(_("このタグの職歴あり（非公開）"))
    if person.answers:
        parts.append(
            _("回答 %(n)d件（採用 %(accepted)d）", n=person.answers, accepted=person.accepted)
            if person.accepted
            else _("回答 %(n)d件", n=person.answers)
        )
    return " · ".join(parts)


def expert_rows(people: Iterable[Expertise], viewer: User | None) -> list[ExpertRow]:
    rows = []
    for person in people:
        posts = _visible_posts(viewer, person)
        rows.append(
            ExpertRow(
                user=person.user,
                score=person.score,
                reason=_reason(person, posts),
                posts=posts,
                answers=person.answers,
                accepted=person.accepted,
                upvotes=person.upvotes,
            )
        )
    return rows


def rank_experts(
    tag: Tag, *, viewer: User | None, scope: str = "nationwide", holders: str = "all", limit: int = 20, page: int = 1
) -> Page[ExpertRow]:
    """The experts page of a tag (and the API's): ranked rows with reasons, paginated."""
    people = filter_people(score_people([tag.id]), viewer, scope=scope, holders=holders)
    result = Page(items=[], total=len(people), page=page, per_page=limit)
    if page > result.pages:
        raise NotFound("page")
    result.items = expert_rows(people[(page - 1) * limit : page * limit], viewer)
    return result
