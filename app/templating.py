"""Jinja setup: filters (dates in JST, numbers), globals (permissions, privileges, CSP nonce, inbox count)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, g, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from app.rendering import excerpt
from app.security import csp_nonce
from app.services import fiscal_years, groups, organizations, permissions, privileges, removal, review
from app.text import slugify

JST = ZoneInfo("Asia/Tokyo")


def init_app(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(
        csp_nonce=csp_nonce,
        get_locale=get_locale,
        permissions=permissions,
        privileges=privileges,
        removal=removal,
        question_url=question_url,
        page_url=page_url,
        unread_notifications=unread_notifications,
        is_reviewer=review.is_reviewer,
        group_by_id=groups.group_by_id,
    )
    app.jinja_env.filters.update(
        datetime=format_jst, ago=time_ago, number=format_number, sanitized=sanitized, org_kind=organizations.kind_label
    )
    app.jinja_env.filters.update(fiscal_year=fiscal_years.html)  # 令和8年度, the Western year on hover
    app.jinja_env.filters.update(excerpt=excerpt)  # sanitized HTML → a line of its text, cut


def question_url(question, **values) -> str:
    return url_for("questions.show", question_id=question.id, slug=slugify(question.title), **values)


def page_url(page: int) -> str:
    """The current URL with another page number (keeps tab, filter, query)."""
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def unread_notifications() -> int:
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        from app.services.notifications import unread_count

        g.unread_notifications = unread_count(current_user)
    return g.unread_notifications


def format_jst(value: datetime | None, fmt: str = "yyyy/MM/dd HH:mm") -> str:
    if value is None:
        return ""
    return format_datetime(value.replace(tzinfo=UTC), fmt)


def time_ago(value: datetime | None) -> str:
    if value is None:
        return ""
    seconds = (datetime.now(UTC).replace(tzinfo=None) - value).total_seconds()
    if seconds < 60:
        return _("たった今")
    if seconds < 3600:
        return _("%(n)d分前", n=seconds // 60)
    if seconds < 86400:
        return _("%(n)d時間前", n=seconds // 3600)
    if seconds < 86400 * 30:
        return _("%(n)d日前", n=seconds // 86400)
    return format_jst(value, "yyyy/MM/dd")


def format_number(value: int | None) -> str:
    return f"{value or 0:,}"


def sanitized(html: str) -> Markup:
    """Mark HTML safe. Only for *_html columns written by app.rendering (the template lint checks)."""
    return Markup(html)
