"""The audit log: moderators' and admins' actions, deletions and restores, role changes, login
lockouts…, each written in the same transaction as the action.

Append-only: `record` is the only code that writes a row, and database triggers (migration 0006)
refuse UPDATE and DELETE. Reading is for admins (`list_entries`, the page /admin/audit) and for
the operator's console (`export_entries`, `flask audit export`); both share one filter.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import AuditLog, Comment, Post, User
from app.services.errors import PermissionDenied, ValidationFailed, validate_all
from app.services.pagination import Page, paginate
from app.text import normalize_key

JST = ZoneInfo("Asia/Tokyo")
PER_PAGE = 50
EXPORT_FIELDS = ("id", "created_at", "actor_id", "actor_email", "action", "target_type", "target_id", "detail")
_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_CODE = re.compile(r"^[a-z0-9_]{1,50}$")


def record(actor: User | None, action: str, target_type: str = "", target_id: int | None = None, **detail) -> None:
    db.session.add(
        AuditLog(
            actor_id=actor.id if actor is not None else None,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else "",
        )
    )


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class AuditFilter:
    """Who (an actor's id, or part of their e-mail address), what (an action code), when (days in
    Japan time, both ends included) and which target. Empty fields do not filter."""

    who: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None
    target_type: str = ""
    target_id: int | None = None


def parse_day(text: str | None, field: str) -> date | None:
    """「2026-12-01」, 2026/12/1, 2026年12月1日, full-width digits; empty means no bound."""
    key = normalize_key(text or "")
    if not key:
        return None
    match = _DAY.match(key)
    try:
        if match is None:
            raise ValueError(key)
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValidationFailed({field: _("日付は「2026-12-01」の形で入力してください。")}) from None


def _code(text: str | None, field: str) -> str:
    code = (text or "").strip()
    if code and not _CODE.match(code):
        raise ValidationFailed({field: _("英小文字・数字・下線の記号で指定してください。")})
    return code


def _target_id(text: str | None) -> int | None:
    raw = normalize_key(text or "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise ValidationFailed({"target_id": _("対象の ID は数字で入力してください。")})
    return int(raw)


def parse_filter(
    who: str | None = "", action: str | None = "", since: str | None = "", until: str | None = "",
    target_type: str | None = "", target_id: str | None = "",
) -> AuditFilter:
    """The filter as typed on the page or the command line; ValidationFailed names each bad field."""
    valid = validate_all(
        who=lambda: normalize_key(who or "")[:254],
        action=lambda: _code(action, "action"),
        since=lambda: parse_day(since, "since"),
        until=lambda: parse_day(until, "until"),
        target_type=lambda: _code(target_type, "target_type"),
        target_id=lambda: _target_id(target_id),
    )
    if valid["since"] and valid["until"] and valid["since"] > valid["until"]:
        raise ValidationFailed({"until": _("終了日は開始日以降にしてください。")})
    return AuditFilter(**valid)


def utc_start_of(day: date) -> datetime:
    return datetime.combine(day, time(), JST).astimezone(UTC).replace(tzinfo=None)


def _conditions(filters: AuditFilter) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if filters.who.isascii() and filters.who.isdigit():
        conditions.append(AuditLog.actor_id == int(filters.who))
    elif filters.who:
        conditions.append(AuditLog.actor_id.in_(sa.select(User.id).where(User.email.contains(filters.who, autoescape=True))))
    if filters.action:
        conditions.append(AuditLog.action == filters.action)
    if filters.since:
        conditions.append(AuditLog.created_at >= utc_start_of(filters.since))
    if filters.until:
        conditions.append(AuditLog.created_at < utc_start_of(filters.until + timedelta(days=1)))
    if filters.target_type:
        conditions.append(AuditLog.target_type == filters.target_type)
    if filters.target_id is not None:
        conditions.append(AuditLog.target_id == filters.target_id)
    return conditions


def list_entries(viewer: User | None, typed: dict[str, str], page: int, per_page: int = PER_PAGE) -> Page[AuditLog]:
    """Newest first, for the admin page, filtered as typed there (`parse_filter`'s fields).
    Admins only: moderators may not read it, as it records their own actions."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_admin:
        raise PermissionDenied()
    query = (
        sa.select(AuditLog)
        .where(*_conditions(parse_filter(**typed)))
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .options(selectinload(AuditLog.actor))
    )
    return paginate(query, page, per_page)


def export_entries(filters: AuditFilter) -> Iterator[dict]:
    """Every matching row, oldest first, as `as_record` shapes it; streamed in batches."""
    query = (
        sa.select(AuditLog, User.email)
        .outerjoin(User, AuditLog.actor_id == User.id)
        .where(*_conditions(filters))
        .order_by(AuditLog.id)
        .execution_options(yield_per=500)
    )
    for entry, email in db.session.execute(query):
        yield as_record(entry, email)


def detail_of(entry: AuditLog) -> dict:
    return json.loads(entry.detail) if entry.detail else {}


def as_record(entry: AuditLog, actor_email: str | None) -> dict:
    """One entry as exported (EXPORT_FIELDS): time in UTC, ISO 8601; detail as an object."""
    return {
        "id": entry.id,
        "created_at": entry.created_at.isoformat(timespec="seconds") + "Z",
        "actor_id": entry.actor_id,
        "actor_email": actor_email,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "detail": detail_of(entry),
    }


def load_targets(entries: list[AuditLog]) -> dict[tuple[str, int], object]:
    """The posts, comments and people a page of entries points at, in one query per kind, so
    the page can link them: {("post", 12): <Question 12>, ("user", 3): <User 3>, …}."""
    models = {"post": Post, "comment": Comment, "user": User}
    found: dict[tuple[str, int], object] = {}
    for kind, model in models.items():
        ids = {entry.target_id for entry in entries if entry.target_type == kind and entry.target_id is not None}
        if ids:
            found.update(((kind, item.id), item) for item in db.session.scalars(sa.select(model).where(model.id.in_(ids))))
    return found
