"""Career history (職歴): the posts a person has held, and who held a post before (前任者).

Months are typed as 「2019-04」 (also 2019/4, 2019年4月, 令和元年5月, R5.4, full-width digits). A post
starts on the first day of its first month and ends on the last day of its last month, so the
post 2019-04 … 2022-03 lasted exactly 36 months. A post with no end is current.

Everyone sees their own career; others see it as the person chose (`User.career_visibility`,
checked by `can_see_career`). Hidden entries still count for ranking experts.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import CareerEntry, Tag, User
from app.services.errors import NotFound, PermissionDenied, ValidationFailed, validate_all
from app.services.organizations import get_organization
from app.services.permissions import is_verified_member
from app.services.tags import MAX_TAGS, check_tag_name, parse_tag_input, resolve_tags
from app.text import clean_line, normalize_key

DEPARTMENT_MAX = 100
JST = ZoneInfo("Asia/Tokyo")

# Common spelling variants of department names, folded for matching (shown as typed).
_DEPARTMENT_VARIANTS = str.maketrans({"ヶ": "ケ", "ヵ": "カ", "之": "の", "・": None, " ": None})
# A remark in parentheses describes the person, not the post: 「環境局 環境政策部（出向）」.
_REMARK = re.compile(r"\([^)]*\)")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_ERA_MONTH = re.compile(r"^(令和|平成|昭和|r|h|s)\s*(\d{1,2}|元)\s*[-/.年]\s*(\d{1,2})\s*月?$")
_ERA_OFFSET = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}


def department_key(department: str) -> str:
    """「財政局　債権回収課」, 「財政局債権回収課」 and 「財政局 債権回収課」 are the same post."""
    return _REMARK.sub("", normalize_key(department)).translate(_DEPARTMENT_VARIANTS)


def current_post_entry(user: User) -> CareerEntry:
    """A current career entry from the post on the user's profile, starting this month."""
    return CareerEntry(
        user_id=user.id,
        organization_code=user.organization_code,
        department=user.department or "",
        department_key=department_key(user.department or ""),
        start_on=this_month(),
    )


# ---------------------------------------------------------------- months


def this_month() -> date:
    """The first day of the current month in Japan (posts change on 4月1日 JST, not UTC)."""
    return datetime.now(JST).date().replace(day=1)


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(first: date) -> date:
    return date.fromordinal(add_months(first, 1).toordinal() - 1)


def months_between(earlier: date, later: date) -> int:
    """Calendar months from one month to another (days ignored); 0 when `later` is earlier."""
    return max((later.year - earlier.year) * 12 + later.month - earlier.month, 0)


def months_held(entry: CareerEntry, today: date) -> int:
    """Whole months in the post, counting the first and the last (a current post: until today)."""
    if entry.start_on > today:  # declared ahead of the move (内示)
        return 0
    return months_between(entry.start_on, entry.end_on or today) + 1


def parse_month(text: str | None, field: str) -> date:
    """The first day of a typed month; ValidationFailed on anything else."""
    key = normalize_key(text or "")
    year = month = None
    if match := _MONTH.match(key):
        year, month = int(match.group(1)), int(match.group(2))
    elif match := _ERA_MONTH.match(key):
        era_year = 1 if match.group(2) == "元" else int(match.group(2))
        year, month = _ERA_OFFSET[match.group(1)] + era_year, int(match.group(3))
    if year is None or not 1 <= month <= 12 or year < 1940:
        raise ValidationFailed({field: _("年月は「2019-04」の形で入力してください。")})
    return date(year, month, 1)


# ---------------------------------------------------------------- validation


@dataclass(frozen=True)
class CareerInput:
    """A post as typed in the form or sent to the API."""

    organization: str  # a code, or the picker's text 「神奈川県横浜市 (141003)」
    department: str
    tags: str | Sequence[str] = ""  # typed like question tags, or a list of names; 0–5
    start: str = ""  # 「2019-04」
    end: str | None = None  # empty or None: the current post
    concurrent: bool = False  # 兼務: keep another current post running


def check_department(text: str) -> str:
    department = clean_line(text or "")
    if not department_key(department):
        raise ValidationFailed({"department": _("部署名を入力してください（例: 財政局 債権回収課）。")})
    if len(department) > DEPARTMENT_MAX:
        raise ValidationFailed({"department": _("部署名は%(n)d文字以内にしてください。", n=DEPARTMENT_MAX)})
    return department


def _tag_text(tags: str | Sequence[str]) -> str:
    return tags if isinstance(tags, str) else " ".join(tags)


def check_career_tags(tags: str | Sequence[str]) -> list[str]:
    names = [check_tag_name(name) for name in parse_tag_input(_tag_text(tags))]
    if len(names) > MAX_TAGS:
        raise ValidationFailed({"tags": _("タグは%(n)d個までです。", n=MAX_TAGS)})
    return names


def check_start(text: str) -> date:
    start = parse_month(text, "start")
    # A transfer is announced (内示) a few weeks ahead: the next month may already be declared.
    if start > add_months(this_month(), 1):
        raise ValidationFailed({"start": _("開始月は来月までにしてください。")})
    return start


def check_end(text: str | None, start: date | None) -> date | None:
    if not normalize_key(text or ""):
        return None
    end = parse_month(text, "end")
    if end > this_month():
        raise ValidationFailed({"end": _("終了月に未来の月は入れられません。")})
    if start is not None and end < start:
        raise ValidationFailed({"end": _("終了月は開始月と同じか、それより後にしてください。")})
    return month_end(end)


def _validate(data: CareerInput) -> dict:
    valid = validate_all(
        organization=lambda: get_organization(data.organization),
        department=lambda: check_department(data.department),
        tags=lambda: check_career_tags(data.tags),
        start=lambda: check_start(data.start),
    )
    valid["end"] = check_end(data.end, valid["start"])
    return valid


def resolve_career_tags(actor: User, tags: str | Sequence[str]) -> list[Tag]:
    # Unknown names become new tags, as when asking (a post's area is worth a tag), and by the same
    # privilege: below it, a career entry is refused rather than losing a tag silently.
    text = _tag_text(tags)
    return resolve_tags(text, creator=actor) if parse_tag_input(text) else []


def current_entries(user: User, *, excluding: int | None = None) -> list[CareerEntry]:
    query = sa.select(CareerEntry).where(CareerEntry.user_id == user.id, CareerEntry.end_on.is_(None))
    if excluding is not None:
        query = query.where(CareerEntry.id != excluding)
    return list(db.session.scalars(query.order_by(CareerEntry.start_on.desc(), CareerEntry.id.desc())))


def _check_single_current(user: User, data: CareerInput, *, excluding: int | None = None) -> None:
    if data.concurrent:
        return
    others = current_entries(user, excluding=excluding)
    if others:
        other = others[0]
        raise ValidationFailed(
            {
                "end": _(
                    "現在の職（%(post)s）がすでにあります。どちらかに終了月を入れるか、兼務として登録してください。",
                    post=f"{other.organization.name} {other.department}",
                )
            }
        )


def follow_current_post(user: User) -> None:
    """The profile's organization and department show the latest current post."""
    current = current_entries(user)
    if current:
        user.organization_code = current[0].organization_code
        user.department = current[0].department


# ---------------------------------------------------------------- use cases


def can_see_career(viewer: User | None, person: User) -> bool:
    """Past posts as the person chose: every member, members of their own organization, or nobody
    (ranking only). Never anyone who is not signed in, even on a site open to public reading."""
    if not is_verified_member(viewer):
        return False
    if viewer.id == person.id or viewer.is_admin or person.career_visibility == "members":
        return True
    if person.career_visibility == "organization":
        return viewer.organization_code is not None and viewer.organization_code == person.organization_code
    return False


def list_entries(viewer: User | None, person: User) -> list[CareerEntry] | None:
    """The person's posts, newest first; None when their career is hidden from this viewer."""
    if not can_see_career(viewer, person):
        return None
    return list(
        db.session.scalars(
            sa.select(CareerEntry)
            .where(CareerEntry.user_id == person.id)
            .order_by(CareerEntry.end_on.is_(None).desc(), CareerEntry.start_on.desc(), CareerEntry.id.desc())
            .options(selectinload(CareerEntry.tags))
        )
    )


def get_own_entry(actor: User, entry_id: int) -> CareerEntry:
    entry = db.session.get(CareerEntry, entry_id)
    if entry is None:
        raise NotFound(entry_id)
    if entry.user_id != actor.id:
        raise PermissionDenied()
    return entry


def add_entry(actor: User, data: CareerInput) -> CareerEntry:
    valid = _validate(data)
    with write_transaction():
        if valid["end"] is None:
            _check_single_current(actor, data)
        entry = CareerEntry(
            user_id=actor.id,
            organization_code=valid["organization"].code,
            department=valid["department"],
            department_key=department_key(valid["department"]),
            start_on=valid["start"],
            end_on=valid["end"],
            tags=resolve_career_tags(actor, data.tags),
        )
        db.session.add(entry)
        db.session.flush()
        follow_current_post(actor)
    return entry


def update_entry(actor: User, entry_id: int, data: CareerInput) -> CareerEntry:
    valid = _validate(data)
    with write_transaction():
        entry = get_own_entry(actor, entry_id)
        if valid["end"] is None:
            _check_single_current(actor, data, excluding=entry.id)
        entry.organization_code = valid["organization"].code
        entry.department = valid["department"]
        entry.department_key = department_key(valid["department"])
        entry.start_on = valid["start"]
        entry.end_on = valid["end"]
        entry.tags = resolve_career_tags(actor, data.tags)
        db.session.flush()
        follow_current_post(actor)
    return entry


def end_entry(actor: User, entry_id: int, end: str) -> CareerEntry:
    """Close a current post at the end of the given month."""
    with write_transaction():
        entry = get_own_entry(actor, entry_id)
        end_on = check_end(end, entry.start_on)
        if end_on is None:
            raise ValidationFailed({"end": _("終了月を入力してください。")})
        entry.end_on = end_on
        db.session.flush()
        follow_current_post(actor)
    return entry


def delete_entry(actor: User, entry_id: int) -> None:
    with write_transaction():
        db.session.delete(get_own_entry(actor, entry_id))
        db.session.flush()
        follow_current_post(actor)


def latest_current_entry(person: User) -> CareerEntry | None:
    current = current_entries(person)
    return current[0] if current else None


# ---------------------------------------------------------------- 前任者


def same_post(organization_code: str, key: str, model=CareerEntry) -> sa.ColumnElement[bool]:
    """Rows of `model` (career entries; also handover notes) for the post: same organization, and
    one department is the other or contains it.

    「財政局 債権回収課」 and 「財政局 債権回収課 徴収係」 are the same post: people type the 課 or
    the 係 as they like.
    """
    column = model.department_key
    return sa.and_(
        model.organization_code == organization_code,
        sa.or_(
            column.startswith(key, autoescape=True),
            sa.func.substr(sa.literal(key, sa.String), 1, sa.func.length(column)) == column,
        ),
    )


def post_holders(
    viewer: User | None, organization_code: str, department: str, *, before: date | None = None, exclude_user: User | None = None
) -> list[CareerEntry]:
    """Who held the post (organization + department), most recent first, with their dates.

    `before`: only those who started before that month (a profile's "before me"). Entries of
    people whose career the viewer may not see are left out.
    """
    key = department_key(department)
    if not key:
        return []
    query = (
        sa.select(CareerEntry)
        .join(User, User.id == CareerEntry.user_id)
        .where(same_post(organization_code, key), User.disabled_at.is_(None), User.email_verified_at.is_not(None))
        .order_by(CareerEntry.start_on.desc(), CareerEntry.id.desc())
        .options(joinedload(CareerEntry.user), selectinload(CareerEntry.tags))
    )
    if before is not None:
        query = query.where(CareerEntry.start_on < before)
    if exclude_user is not None:
        query = query.where(CareerEntry.user_id != exclude_user.id)
    return [entry for entry in db.session.scalars(query) if can_see_career(viewer, entry.user)]
