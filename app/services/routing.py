"""Who hears about a new question: the person it is addressed to, and a few experts of its tags.

Directed (この人に聞く): the asker picked the person; they always get a `directed` notification.

Routed (expert routing), spreading the load fairly:
0. only questions from members are routed: imported ones (placeholder authors) are history;
1. candidates are the people `experts.score_people` finds for the question's tags with at least
   ROUTING_MIN_SCORE points, who opted in (`User.routing_opt_in`, on by default), other than
   the asker and the person the question is addressed to;
2. nobody gets more than ROUTING_WEEKLY_CAP routed questions in 7 days;
3. the strongest ROUTING_POOL candidates left count as equals, and among them the least
   recently routed go first (never routed before comes first, then the higher score);
4. ROUTING_PER_QUESTION of them get a `routed` notification that says why: the career post that
   matched (「あなたは 2019–2022 年に債権回収を担当していたため」), else their answers in the tag.
Every directed and routed question is recorded in `question_routes`: the cap and the rotation
read it, and it shows who was sent what.
"""

from collections.abc import Collection
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models import Question, Tag, User, utcnow
from app.models.career import career_entry_tags
from app.models.ops import QuestionRoute
from app.services import experts, notifications, visibility
from app.services.errors import ValidationFailed
from app.services.tags import resolve_tags

DEFAULTS = {"ROUTING_WEEKLY_CAP": 3, "ROUTING_PER_QUESTION": 2, "ROUTING_POOL": 6, "ROUTING_MIN_SCORE": 5}
WEEK = timedelta(days=7)


def setting(name: str) -> int:
    return current_app.config.get(name, DEFAULTS[name])


def score_candidates(asker: User, tag_names: list[str]) -> list[experts.Expertise]:
    """The people scored for the tags of a question about to be asked (tags that exist already:
    a new tag has no experts yet). `ask_question` calls this before its write transaction, so
    the ranking, which reads many rows, never holds the write lock; the new question changes
    nobody's score."""
    if not asker.is_verified:  # imported questions are not routed
        return []
    return experts.score_people([tag.id for tag in resolve_tags(" ".join(tag_names), creator=None)])


def after_question_asked(
    question: Question, asker: User, scored: list[experts.Expertise], *, directed_to_id: int | None = None
) -> None:
    """Notify the addressee and the chosen experts (from `scored`, see score_candidates()).
    Runs inside `ask_question`'s transaction. A group-private question reaches its group's
    members only."""
    addressed: set[int] = set()
    if question.visibility == visibility.GROUP:
        readers = visibility.group_member_ids(question.group_id)
        scored = [person for person in scored if person.id in readers]
    if directed_to_id is not None:
        person = _addressee(asker, directed_to_id)
        if not visibility.can_see_listed(person, question):
            raise ValidationFailed({"directed_to": _("グループのメンバーのみの質問は、そのグループのメンバーにだけ宛てられます。")})
        _record(question, person, "directed")
        notifications.notify(person, "directed", asker, question)
        addressed.add(person.id)
    if not asker.is_verified:  # an imported question (placeholder author) is history, not a request
        return
    expertise = {person.id: person for person in scored}
    for person in choose_experts(scored, asker, exclude=addressed):
        _record(question, person, "routed")
        notifications.notify(person, "routed", asker, question, reason=routed_reason(expertise[person.id], question))


def routed_reason(person: experts.Expertise, question: Question) -> dict:
    """Why the question reached this expert: their most recent post carrying one of its tags
    (current posts first, as `score_people` orders them), else their answers in its tags."""
    tag_ids = [tag.id for tag in question.tags]
    for post in person.posts:
        label = db.session.scalar(
            sa.select(sa.func.coalesce(Tag.display_name, Tag.name))
            .join(career_entry_tags, career_entry_tags.c.tag_id == Tag.id)
            .where(career_entry_tags.c.career_entry_id == post.id, Tag.id.in_(tag_ids))
            .order_by(Tag.name)
            .limit(1)
        )
        if label is None:  # a post matched through a tag the question no longer carries
            continue
        if post.end_on is None:
            return {"code": "career_current", "start": post.start_on.year, "tag": label}
        return {"code": "career_former", "start": post.start_on.year, "end": post.end_on.year, "tag": label}
    tag = question.tags[0].label if question.tags else ""
    return {"code": "answered_tag", "tag": tag}


def _addressee(asker: User, user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or not person.is_active or not person.is_verified:
        raise ValidationFailed({"directed_to": _("質問の宛先の人が見つかりません。")})
    if person.id == asker.id:
        raise ValidationFailed({"directed_to": _("自分自身には質問できません。")})
    return person


def _record(question: Question, person: User, kind: str) -> None:
    db.session.add(QuestionRoute(question_id=question.id, user_id=person.id, kind=kind))


def choose_experts(scored: list[experts.Expertise], asker: User, *, exclude: Collection[int] = ()) -> list[User]:
    candidates = [
        person
        for person in scored
        if person.score >= setting("ROUTING_MIN_SCORE")
        and person.routing_opt_in
        and person.id != asker.id
        and person.id not in exclude
    ]
    if not candidates:
        return []
    load = routing_load([person.id for person in candidates])
    cap = setting("ROUTING_WEEKLY_CAP")
    pool = [person for person in candidates if load.get(person.id, (0, None))[0] < cap][: setting("ROUTING_POOL")]

    def least_recently_routed(person: experts.Expertise) -> tuple:
        last = load.get(person.id, (0, None))[1]
        return (last is not None, last or datetime.min, -person.score, person.id)

    pool.sort(key=least_recently_routed)
    chosen = [person.id for person in pool[: setting("ROUTING_PER_QUESTION")]]
    users = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(chosen)))}
    return [users[user_id] for user_id in chosen]


def routing_load(user_ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    """For each person: routed questions in the last 7 days, and when they were last routed one."""
    week_ago = utcnow() - WEEK
    rows = db.session.execute(
        sa.select(
            QuestionRoute.user_id,
            sa.func.sum(sa.case((QuestionRoute.created_at >= week_ago, 1), else_=0)),
            sa.func.max(QuestionRoute.created_at),
        )
        .where(QuestionRoute.user_id.in_(user_ids), QuestionRoute.kind == "routed")
        .group_by(QuestionRoute.user_id)
    )
    return {user_id: (this_week or 0, last) for user_id, this_week, last in rows}


def weekly_load(user: User) -> int:
    """Routed questions the person received in the last 7 days (shown next to the opt-in)."""
    return routing_load([user.id]).get(user.id, (0, None))[0]
