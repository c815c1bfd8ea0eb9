"""Fiscal years (年度): April to March in Japan time, stored as the Western year in which the
年度 starts (令和8年度 = 2026), shown with the era name and typed in either form."""

import re
import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from markupsafe import Markup

from app.services.errors import ValidationFailed

JST = ZoneInfo("Asia/Tokyo")
FIRST, LAST = 1989, 2200  # 平成元年度 onward: older 年度 are not what this site is about
REIWA, HEISEI = 2019, 1989  # first Western year of each era (its 元年度)
ERAS = {"令和": REIWA, "r": REIWA, "平成": HEISEI, "h": HEISEI}
# 2026 / 2026年度 / 令和8 / R8 / 令和元年度 / H30年度 (after NFKC: full-width digits and letters fold).
_TYPED = re.compile(r"^(?:(令和|平成|r|h)\s*(元|\d{1,2})|(\d{4}))\s*(?:年度?)?$")


def of_day(day: date) -> int:
    """The 年度 a day belongs to: 2026-03-31 → 2025, 2026-04-01 → 2026."""
    return day.year if day.month >= 4 else day.year - 1


def current(now: datetime | None = None) -> int:
    """The current 年度 in Japan time (`now`: an aware or naive-UTC datetime, for tests)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return of_day(now.astimezone(JST).date())


def label(year: int) -> str:
    """「令和8年度」, 「令和元年度」, 「平成30年度」 (the era in force on 1 April of that year)."""
    if year >= REIWA:
        era, number = "令和", year - REIWA + 1
    elif year >= HEISEI:
        era, number = "平成", year - HEISEI + 1
    else:
        return _("%(year)d年度", year=year)
    return f"{era}{'元' if number == 1 else number}年度"


def western(year: int) -> str:
    return _("%(year)d年度", year=year)


def html(year: int | None) -> Markup:
    """The label with the Western year on hover: <span title="2026年度">令和8年度</span>."""
    if year is None:
        return Markup("")
    return Markup('<span class="fiscal-year" title="{}">{}</span>').format(western(year), label(year))


def parse(text: str | int | None, field: str = "fiscal_year") -> int | None:
    """The Western start year of a typed 年度 (or of a year given as a number, in the API), None
    when left empty; a form error on `field` otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        return check(text, field)
    if text is not None and not isinstance(text, str):
        raise ValidationFailed({field: _("年度は「2026」「令和8年度」「R8」のように入力してください。")})
    folded = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not folded:
        return None
    match = _TYPED.match(folded)
    if match is None:
        raise ValidationFailed({field: _("年度は「2026」「令和8年度」「R8」のように入力してください。")})
    if match.group(3):
        year = int(match.group(3))
    else:
        number = 1 if match.group(2) == "元" else int(match.group(2))
        start = ERAS[match.group(1)]
        if number < 1 or (start == HEISEI and number > REIWA - HEISEI + 1):  # 平成は31年度まで
            raise ValidationFailed({field: _("%(era)s%(n)d年度という年度はありません。", era=match.group(1).upper(), n=number)})
        year = start + number - 1
    return check(year, field)


def check(year: int, field: str = "fiscal_year") -> int:
    if not FIRST <= year <= LAST:
        raise ValidationFailed({field: _("年度は%(first)d年度から%(last)d年度の間で入力してください。", first=FIRST, last=LAST)})
    return year
