"""Dates and deadlines written in a post: 令和7年3月31日, R7.3.31, 2025年3月末, 2025-03-31,
「3月31日まで」, 「今年度末まで」… Pure Python (no Flask), so it can be tested over many real
writings directly.

`find_dates(text, fiscal_year)` returns every date it reads, with its span in the text (the
original text: full-width digits are read as digits but the offsets stay those of the input)
and whether it reads as a deadline or the end of a validity period:

- followed by まで・までに・迄・限り・期限・締切・終了・廃止・失効・満了・打ち切り (a weekday in
  brackets or a time of day may come between: 「3月31日（月）17時まで」);
- preceded by 期限・締切・〆切・終了日・満了日 (「申請期限：令和7年3月31日」);
- the end of a range (「令和6年4月1日～令和7年3月31日」); the start of a range never is;
- written as an end: 「3月末」「令和6年度末」「今年度中」「年度内」「3月中」, unless an event follows
  (「2025年3月末に改正された」 says when something happened, not until when it holds) or a
  particle makes it a point in time (「令和5年度末に普及率が81％を超えた」). A bare 「年度末」 is
  any year's (「年度末の工事だと」): it counts only with まで etc.

Anything else is a date mentioned, not a deadline: 「2019年に制定」, 「平成31年4月30日に公布」,
「平成19年1月27日までに生まれた」.

Dates without a year (「3月31日まで」) and relative ones (「今年度末」「来年度末」「年度内」) are read
against the post's 年度 (`fiscal_year`: the Western year in which it starts, April to March):
January to March belong to the next calendar year. Without a 年度 they are not read. Not read
either: recurring dates (「毎年3月31日まで」「例年」「各年度末」: they never pass), rules
(「退職なら7月10日まで」「18歳到達後最初の3月31日まで」), a month alone (「7月まで総務省にいた」) and
months in kanji without a year (in statutes 「六月を経過」 means six months).
"""

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988, "S": 1925}
KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
YEAR_RANGE = (1900, 2200)


@dataclass(frozen=True)
class FoundDate:
    start: int
    end: int
    text: str  # as written in the post
    on: date  # the day it means (a month's or 年度's last day for 「3月末」「年度末」)
    deadline: bool


def _fold(text: str) -> str:
    """Full-width digits, letters and signs read as ASCII, one character for one (spans stay)."""
    return "".join(folded if len(folded := unicodedata.normalize("NFKC", char)) == 1 else char for char in text)


def _number(text: str) -> int:
    """「7」「07」「元」「七」「三十一」 → int."""
    if text == "元":
        return 1
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return KANJI_DIGITS.get(tens, 1) * 10 + KANJI_DIGITS.get(ones, 0)
    return int("".join(str(KANJI_DIGITS[char]) for char in text))


NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
ERA = r"(?P<era>令和|平成|昭和|(?<![A-Za-z0-9])[RHSrhs](?=\s*\d))"
# What may follow a month: a day, or a part of it. 末 and 下旬 are its end.
DAY_PART = rf"(?:\s*(?P<day>{NUM})\s*日|\s*(?P<part>末日|末|上旬|中旬|下旬|中))?"

PATTERNS = [
    # 令和7年3月31日, 令和7（2025）年3月末, R7年度末, 令和元年, 平成31年4月30日, 令和七年三月三十一日
    re.compile(
        rf"{ERA}\s*(?P<year>{NUM}|元)\s*(?:[(（]\s*\d{{4}}\s*[)）])?\s*"
        rf"(?:(?P<fy>年度)(?P<fypart>末日|末|中|内)?|年(?:\s*(?P<month>{NUM})\s*月{DAY_PART}|(?P<ypart>末))?)"
    ),
    # R7.3.31, R7/3/31, H31.4.30, R07-03-31
    re.compile(rf"{ERA}\s*(?P<year>\d{{1,2}})\s*[./\-]\s*(?P<month>\d{{1,2}})\s*[./\-]\s*(?P<day>\d{{1,2}})(?!\d)"),
    # 2025年3月31日, 2025年3月末, 2025年度末, 2025年末
    re.compile(
        r"(?<!\d)(?P<western>\d{4})\s*"
        rf"(?:(?P<fy>年度)(?P<fypart>末日|末|中|内)?|年(?:\s*(?P<month>\d{{1,2}})\s*月{DAY_PART}|(?P<ypart>末))?)"
    ),
    # 2025/3/31, 2025-03-31, 2025.3.31
    re.compile(r"(?<![\d./])(?P<western>\d{4})\s*([./\-])\s*(?P<month>\d{1,2})\s*\2\s*(?P<day>\d{1,2})(?![\d./])"),
    # 今年度末, 本年度中, 来年度末, 前年度末, 年度内
    re.compile(r"(?P<relative>今年度|本年度|当年度|来年度|翌年度|次年度|前年度|昨年度|年度)(?P<fypart>末日|末|中|内)?"),
    # 3月31日, 3月末 (the year from the post's 年度); never a bare 「6月」 (「7月まで総務省にいた」), and
    # digits only: in statutes 「六月を経過」 means six months
    re.compile(r"(?<![\d年/.〜~\-])(?P<month>\d{1,2})\s*月(?:\s*(?P<day>\d{1,2})\s*日|\s*(?P<part>末日|末|上旬|中旬|下旬|中))"),
    # 3/31 — only as a deadline (a bare 3/31 may be a fraction or a score)
    re.compile(r"(?<![\d./\-])(?P<month>\d{1,2})/(?P<day>\d{1,2})(?![\d./])"),
]
SLASH_MONTH_DAY = len(PATTERNS) - 1
RELATIVE = 4  # this pattern and the ones after it have no year of their own
RELATIVE_YEARS = {"今年度": 0, "本年度": 0, "当年度": 0, "年度": 0, "来年度": 1, "翌年度": 1, "次年度": 1, "前年度": -1, "昨年度": -1}

_DEADLINE_AFTER = re.compile(
    r"\s*(?:[(（][^()（）]{1,6}[)）])?\s*"  # （月）, (金・祝)
    r"(?:の?\s*(?:\d{1,2}\s*[:時]\s*\d{0,2}\s*分?|正午|中)\s*)?(?:付け?)?"  # 17時, 17:00, 正午; 付けで
    r"(?:まで|迄|限り|かぎり|[がをのはで]?\s*(?:期限|締切|締め切|〆切|〆|期日)"
    r"|(?:で|に|を以て|をもって|を持って)?\s*(?:終了|廃止|失効|満了|打ち?切|締め?切|終わ|終え))"
)
_DEADLINE_BEFORE = re.compile(r"(?:期限|締切|締め切り|〆切|終了日|満了日|最終日|有効期限|提出期限|申請期限)\s*(?:日|は|が|:|：|\s|＝|=)*$")
_RANGE_BEFORE = re.compile(r"(?:[〜~]|(?<=\S)[ \t]*[-–—]|から)[ \t]*$")  # not a Markdown bullet
_RANGE_AFTER = re.compile(r"^\s*(?:[(（][^()（）]{1,6}[)）])?\s*(?:[〜～~–—]|から|より|以降|-(?!\d{1,2}[-/.]))")
_EVENT_AFTER = re.compile(r"^\s*(?:に|で|から)?\s*(?:制定|施行|改正|公布|発出|通知|策定|実施され|開始|始ま|導入|創設|新設|退職|退任|異動|着任|採用|入庁)")
_RECURRING_BEFORE = re.compile(r"(?:毎年度?|例年|各年度?|毎月|隔年|各|毎)\s*の?\s*$")
# A date without a year after these is a rule, not a day: 「6月末退職なら7月10日まで」「18歳到達後最初の3月31日まで」.
_RULE_BEFORE = re.compile(r"(?:なら|場合は?|ときは|最初の|最後の|直後の|後の|前の|翌|翌年|前年|昨年|今年|来年)\s*の?\s*$")
# 「令和5年度末に普及率が81％を超えた」: 末 followed by に・の・は・が is a point in time, not an end.
_POINT_AFTER = re.compile(r"\s*[にのはが]")
_BIRTH_AFTER = re.compile(r"^\s*(?:まで|までに|以前に)\s*(?:生まれ|出生|誕生)")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _day(year: int, month: int | None, day: int | None, part: str | None) -> date:
    if month is None:
        return date(year, 12, 31)
    if day is not None:
        return date(year, month, day)
    return {"上旬": date(year, month, 10), "中旬": date(year, month, 20)}.get(part) or _month_end(year, month)


def _reading(match: re.Match, fiscal_year: int | None) -> tuple[date, bool] | None:
    """The day a match means and whether it is written as an end (末・年度中…), or None."""
    groups = {name: value for name, value in match.groupdict().items() if value is not None}
    if "era" in groups:
        year = ERAS.get(groups["era"], ERAS.get(groups["era"].upper(), 0)) + _number(groups["year"])
    elif "western" in groups:
        year = int(groups["western"])
    elif "relative" in groups:
        if fiscal_year is None:
            return None
        year = fiscal_year + RELATIVE_YEARS[groups["relative"]]
        part = groups.get("fypart")
        if groups["relative"] == "年度" and part is None:
            return None  # a bare 年度 says nothing about a date
        # A bare 「年度末」 is often any year's (「年度末の工事だと」): an end only with まで etc.
        return date(year + 1, 3, 31), part is not None and not (groups["relative"] == "年度" and part.startswith("末"))
    else:  # month and day only: read against the post's 年度
        if fiscal_year is None:
            return None
        month = _number(groups["month"])
        year = fiscal_year + 1 if 1 <= month <= 3 else fiscal_year
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        return None
    if "fy" in groups:
        return date(year + 1, 3, 31), "fypart" in groups
    month = _number(groups["month"]) if "month" in groups else None
    day = _number(groups["day"]) if "day" in groups else None
    part = groups.get("part") or groups.get("ypart")
    if part == "中" and day is None:
        part = "末"  # 「3月中」: by the end of March
    ends = part in ("末", "末日") or groups.get("part") == "中"
    try:
        return _day(year, month, day, part), ends
    except ValueError:  # 2025年2月30日, 13月
        return None


def find_dates(text: str, fiscal_year: int | None = None) -> list[FoundDate]:
    """Every date the text states, in order of appearance (see the module's docstring)."""
    folded = _fold(text)
    taken: list[tuple[int, int]] = []
    found: list[FoundDate] = []
    for index, pattern in enumerate(PATTERNS):
        for match in pattern.finditer(folded):
            start, end = match.span()
            if any(start < taken_end and taken_start < end for taken_start, taken_end in taken):
                continue
            before, after = folded[max(0, start - 12) : start], folded[end : end + 24]
            if _RECURRING_BEFORE.search(before) or (index >= RELATIVE and _RULE_BEFORE.search(before)):
                continue
            reading = _reading(match, fiscal_year)
            if reading is None:
                continue
            on, written_as_end = reading
            starts_range = bool(_RANGE_AFTER.match(after))
            deadline = not starts_range and not _BIRTH_AFTER.match(after) and (
                bool(_DEADLINE_AFTER.match(after))
                or bool(_DEADLINE_BEFORE.search(before))
                or bool(_RANGE_BEFORE.search(before))
                or (written_as_end and not _EVENT_AFTER.match(after) and not (match.group(0).endswith(("末", "末日")) and _POINT_AFTER.match(after)))
            )
            if index == SLASH_MONTH_DAY and not deadline:
                continue
            taken.append((start, end))
            found.append(FoundDate(start, end, text[start:end], on, deadline))
    return sorted(found, key=lambda item: item.start)


def deadlines(text: str, fiscal_year: int | None = None) -> list[FoundDate]:
    """The dates that read as deadlines or ends of validity."""
    return [item for item in find_dates(text, fiscal_year) if item.deadline]


def passed_deadlines(text: str, fiscal_year: int | None, today: date) -> list[FoundDate]:
    return [item for item in deadlines(text, fiscal_year) if item.on < today]
