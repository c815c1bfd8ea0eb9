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
filters use only what the viewer may see.

Cost: three queries whatever the number of people, then two for the people shown. People are
scored from plain rows; only the shown ones are loaded as objects. Rankings are computed on every
call, never cached: a cache would have to see every vote, acceptance, answer, deletion, career and
setting change in every process, and a stale ranking routes questions to the wrong people.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import aliased
from werkzeug.local import LocalProxy

from app.extensions import db
from app.models import Answer, CareerEntry, Organization, Question, Tag, User, career_entry_tags, question_tags
from app.services import careers, visibility
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


@dataclass(frozen=True)
class TaggedPost:
    """A career post carrying the tag(s), as the score and the filters need it (plain values)."""

    id: int
    organization_code: str
    prefecture_code: str | None
    start_on: date
    end_on: date | None

    @property
    def is_current(self) -> bool:
        return self.end_on is None


@dataclass
class Expertise:
    """What a person's score is made of, in plain values: cheap for thousands of people, and
    what the filters read. `posts` includes hidden ones: never show this as is (expert_rows()
    turns the shown people into rows with their visible posts)."""

    id: int  # the user's; `careers.can_see_career(viewer, expertise)` reads these three fields
    career_visibility: str
    organization_code: str | None
    prefecture_code: str | None  # of the organization where the person works now
    routing_opt_in: bool
    posts: list[TaggedPost] = field(default_factory=list)  # posts carrying the tag(s), newest first
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


def career_points(entry: CareerEntry | TaggedPost, today: date) -> float:
    years = min(careers.months_held(entry, today) / 12, MAX_YEARS)
    if entry.is_current:
        return YEAR_POINTS * years + CURRENT_HOLDER_POINTS
    years_since = careers.months_between(entry.end_on, today) / 12
    return YEAR_POINTS * years * 0.5 ** (years_since / HALF_LIFE_YEARS)


def score_people(tag_ids: Sequence[int]) -> list[Expertise]:
    """Everyone with a post or an answer in the tags, best first (ties: more accepted, then id).

    Plain rows, no ORM objects: a popular tag has thousands of people, and a page shows 20.
    """
    if not tag_ids:
        return []
    posts: dict[int, list[TaggedPost]] = defaultdict(list)
    tagged_entries = sa.select(career_entry_tags.c.career_entry_id).where(career_entry_tags.c.tag_id.in_(tag_ids))
    for user_id, *post in db.session.execute(
        sa.select(
            CareerEntry.user_id, CareerEntry.id, CareerEntry.organization_code, Organization.prefecture_code,
            CareerEntry.start_on, CareerEntry.end_on,
        )  # fmt: skip
        .join(Organization, Organization.code == CareerEntry.organization_code)
        .where(CareerEntry.id.in_(tagged_entries))
        .order_by(CareerEntry.end_on.is_(None).desc(), CareerEntry.start_on.desc(), CareerEntry.id.desc())
    ):
        posts[user_id].append(TaggedPost(*post))
    answer_stats = _count_answers(tag_ids)

    today = careers.this_month()
    ranked: list[Expertise] = []
    for person in _people(posts.keys() | answer_stats.keys()):
        person.posts = posts.get(person.id, [])
        person.answers, person.accepted, person.upvotes = answer_stats.get(person.id, (0, 0, 0))
        person.score = round(
            sum(career_points(entry, today) for entry in person.posts)
            + ANSWER_POINTS * person.answers
            + ACCEPTED_POINTS * person.accepted
            + UPVOTE_POINTS * person.upvotes,
            1,
        )
        ranked.append(person)
    ranked.sort(key=lambda person: (-person.score, -person.accepted, person.id))
    return ranked


def _people(user_ids: Iterable[int], chunk: int = 5000) -> Iterator[Expertise]:
    """Active, verified people among `user_ids`, with what the filters read."""
    ids = sorted(user_ids)
    for start in range(0, len(ids), chunk):
        for row in db.session.execute(
            sa.select(User.id, User.career_visibility, User.organization_code, Organization.prefecture_code, User.routing_opt_in)
            .outerjoin(Organization, Organization.code == User.organization_code)
            .where(User.id.in_(ids[start : start + chunk]), User.disabled_at.is_(None), User.email_verified_at.is_not(None))
        ):
            yield Expertise(*row)


def _count_answers(tag_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """(answers, accepted, net upvotes) per author, over the visible answers to the visible
    questions carrying any of the tags."""
    question = aliased(Question)
    tagged_questions = sa.select(question_tags.c.question_id).where(question_tags.c.tag_id.in_(tag_ids))
    return {
        author_id: (answers, accepted or 0, upvotes or 0)
        for author_id, answers, accepted, upvotes in db.session.execute(
            sa.select(
                Answer.author_id,
                sa.func.count(Answer.id),
                sa.func.sum(sa.case((question.accepted_answer_id == Answer.id, 1), else_=0)),
                sa.func.sum(sa.case((Answer.score > 0, Answer.score), else_=0)),
            )
            .join(question, question.id == Answer.question_id)
            # Answers by question (ix_posts_question holds every column read here), questions
            # by the tag's list: a few index probes per question, never a scan of all answers.
            .where(Answer.question_id.in_(tagged_questions), question.deleted_at.is_(None), Answer.deleted_at.is_(None))
            # Answers in group-private questions never count: the ranking is the same for every
            # viewer and must not tell who answers inside a group (app/services/visibility.py).
            .where(question.visibility == visibility.MEMBERS)
            .group_by(Answer.author_id)
        )
    }


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


def _visible_posts(viewer: User | None, person: Expertise) -> list[TaggedPost]:
    return person.posts if careers.can_see_career(viewer, person) else []


def _in_scope(organization_code: str | None, prefecture_code: str | None, scope: str, viewer: User) -> bool:
    if organization_code is None:
        return False
    if scope == "organization":
        return organization_code == viewer.organization_code
    return prefecture_code is not None and prefecture_code == viewer.organization.prefecture_code


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
    if scope == "nationwide" and holders == "all":
        return list(people)
    viewer = _unproxied(viewer)  # read thousands of times below
    kept = []
    for person in people:
        posts = _visible_posts(viewer, person)
        if holders == "current" and not any(post.is_current for post in posts):
            continue
        if holders == "former" and (not posts or any(post.is_current for post in posts)):
            continue
        places = [(person.organization_code, person.prefecture_code), *((post.organization_code, post.prefecture_code) for post in posts)]
        if scope != "nationwide" and not any(_in_scope(code, prefecture, scope, viewer) for code, prefecture in places):
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
        parts.append(shown + (ngettext(" ほか%(num)d件", " ほか%(num)d件", len(posts) - 2) if len(posts) > 2 else ""))
    elif person.posts:
        parts.append(_("このタグの職歴あり（非公開）"))
    if person.answers:
        parts.append(
            ngettext("回答 %(num)d件（採用 %(accepted)d）", "回答 %(num)d件（採用 %(accepted)d）", person.answers, accepted=person.accepted)
            if person.accepted
            else ngettext("回答 %(num)d件", "回答 %(num)d件", person.answers)
        )
    return " · ".join(parts)


def _unproxied(viewer: User | None) -> User | None:
    """The user behind Flask-Login's `current_user` proxy, whose every attribute read goes
    through the request context."""
    return viewer._get_current_object() if isinstance(viewer, LocalProxy) else viewer


def expert_rows(people: Iterable[Expertise], viewer: User | None) -> list[ExpertRow]:
    """The rows shown, with their people and visible posts loaded (two queries for the page)."""
    viewer = _unproxied(viewer)
    shown = [(person, _visible_posts(viewer, person)) for person in people]
    users = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_([p.id for p, _ in shown])))}
    post_ids = [post.id for _, posts in shown for post in posts]
    entries = {entry.id: entry for entry in db.session.scalars(sa.select(CareerEntry).where(CareerEntry.id.in_(post_ids)))} if post_ids else {}
    rows = []
    for person, posts in shown:
        visible = [entries[post.id] for post in posts]
        rows.append(
            ExpertRow(
                user=users[person.id],
                score=person.score,
                reason=_reason(person, visible),
                posts=visible,
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
