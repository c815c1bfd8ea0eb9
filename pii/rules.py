"""Pattern rules on the folded text: numbers by shape and label, phones, e-mail, birth dates, addresses.

Each rule yields ``(category, start, end)`` in folded offsets. "Before" and "after" context
never crosses a sentence end (。 or a line break): a label in the previous sentence says
nothing about this number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Candidate = tuple[str, int, int]

_CLAUSE_END = re.compile(r"[。\n]")


def _before(text: str, pos: int, width: int) -> str:
    start = max(0, pos - width)
    ends = [m.end() for m in _CLAUSE_END.finditer(text, start, pos)]
    return text[ends[-1] if ends else start : pos]


def _after(text: str, pos: int, width: int) -> str:
    end = _CLAUSE_END.search(text, pos, pos + width)
    return text[pos : end.start() if end else pos + width]


# A number's unit says it is an amount or a count, never an identifier.
_UNIT = re.compile(r"\s?(?:円|件|人|号|個|枚|冊|世帯|%|年|日|歳|万|億)")


# ── 個人番号 ──────────────────────────────────────────────────────────────────

_MY_NUMBER = re.compile(
    r"(?<![0-9])(?<![0-9][,.\-])([0-9]{4})([ -]?)([0-9]{4})\2([0-9]{4})(?![0-9]|[,.\-][0-9])"
)
_MY_NUMBER_LABEL = re.compile(r"個人番号|マイナンバー|番号確認|通知カード")
# Twelve digits with a valid check digit still happen by chance (1 in 11) in codes and totals.
_NOT_A_PERSON = re.compile(r"コード|事業番号|法人番号|科目|予算|会計|統計|合計|集計|JAN|ISBN")


def my_number_is_valid(digits: str) -> bool:
    """The 番号法 check digit (施行令第8条): weights n+1 for the n-th digit from the right up to
    the 6th, n-5 after; 11 minus the sum mod 11, and 0 when the remainder is 0 or 1."""
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * (n + 1 if n <= 6 else n - 5) for n, d in enumerate(reversed(digits[:11]), 1))
    remainder = total % 11
    return int(digits[11]) == (0 if remainder <= 1 else 11 - remainder)


def my_numbers(text: str) -> Iterator[Candidate]:
    """Valid numbers anywhere, except after a code's label; invalid ones only after a 個人番号 label
    (a mistyped number is still somebody's number written down)."""
    for m in _MY_NUMBER.finditer(text):
        if _UNIT.match(text, m.end()):
            continue
        before = _before(text, m.start(), 20)
        labelled = _MY_NUMBER_LABEL.search(before) is not None
        if my_number_is_valid(m.group(1) + m.group(3) + m.group(4)):
            if labelled or not _NOT_A_PERSON.search(before[-12:]):
                yield "my_number", m.start(), m.end()
        elif labelled:
            yield "my_number", m.start(), m.end()


# ── 電話番号 ──────────────────────────────────────────────────────────────────

_PHONE = re.compile(
    r"""(?<![0-9A-Za-z+\-.])
    (?:\+81[ -]?\(?0?[0-9]{1,4}\)?|\(?0[0-9]{1,4}\)?)
    [ -]?\(?[0-9]{1,4}\)?[ -]?[0-9]{3,4}
    (?![0-9]|-[0-9])""",
    re.X,
)
_MOBILE_LIKE = ("050", "060", "070", "080", "090", "0800")  # the 11-digit prefixes
# The office's own published numbers: 代表, お問い合わせ先 anywhere in the sentence before, or a
# unit of an office right before the number (市民税課（電話 ）, or one named in brackets after it.
_OFFICE_SENTENCE = re.compile(r"代表|問い?合わ?せ|問合せ|フリーダイヤル|ナビダイヤル|コールセンター")
_OFFICE_UNIT = r"(?:課|係|センター|窓口|役所|役場|庁舎|県庁|都庁|事務所|支所|出張所|局)"
_OFFICE_RIGHT_BEFORE = re.compile(
    _OFFICE_UNIT + r"(?:[\s():、・]|の|は|電話|番号|TEL|Tel|tel|FAX|Fax|ファクス|℡)*$"
)
_OFFICE_AFTER = re.compile(r"\s?\([^)]{0,20}?" + _OFFICE_UNIT)


def _phone_digits(number: str) -> str:
    digits = re.sub(r"[^0-9]", "", number)
    if number.startswith("+81"):
        digits = "0" + digits[2:].removeprefix("0")
    return digits


def phones(text: str) -> Iterator[Candidate]:
    for m in _PHONE.finditer(text):
        digits = _phone_digits(m.group())
        if digits.startswith("00") or not (
            len(digits) == 10 or (len(digits) == 11 and digits.startswith(_MOBILE_LIKE))
        ):
            continue
        before = _before(text, m.start(), 60)
        if (
            _OFFICE_SENTENCE.search(before)
            or _OFFICE_RIGHT_BEFORE.search(before[-16:])
            or _OFFICE_AFTER.match(text, m.end())
        ):
            continue
        # 「（044-987-6543）」: the bracket is the sentence's, not the area code's.
        start = m.start() + 1 if m.group().startswith("(") and ")" not in m.group() else m.start()
        yield "phone", start, m.end()


# ── メールアドレス ────────────────────────────────────────────────────────────

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@({_LABEL}(?:\.{_LABEL})+)")
_GOVERNMENT = re.compile(r"(?:^|\.)(?:lg|go)\.jp$", re.I)  # 地方公共団体 and 政府機関 domains


def emails(text: str) -> Iterator[Candidate]:
    for m in _EMAIL.finditer(text):
        if not _GOVERNMENT.search(m.group(1)):
            yield "email", m.start(), m.end()


# ── 生年月日 ──────────────────────────────────────────────────────────────────

_ERA = r"(?:明治|大正|昭和|平成|令和)"
_Y = r"(?:元|[0-9]{1,2})"
_DATE = re.compile(
    rf"""(?<![0-9A-Za-z])(?:
        {_ERA}\s?{_Y}\s?年\s?[0-9]{{1,2}}\s?月\s?[0-9]{{1,2}}\s?日
      | {_ERA}\s?{_Y}[./][0-9]{{1,2}}[./][0-9]{{1,2}}
      | [MTSHR]\s?[0-9]{{1,2}}[./\-][0-9]{{1,2}}[./\-][0-9]{{1,2}}
      | (?:19|20)[0-9]{{2}}\s?年\s?[0-9]{{1,2}}\s?月\s?[0-9]{{1,2}}\s?日
      | (?:19|20)[0-9]{{2}}[./\-][0-9]{{1,2}}[./\-][0-9]{{1,2}}
      | (?P<month_day>[0-9]{{1,2}}\s?月\s?[0-9]{{1,2}}\s?日)
    )(?![0-9])""",
    re.X,
)
_BIRTH_BEFORE = re.compile(r"(?:生年月日|誕生日|出生日|生年)[^。\n0-9]{0,8}$")
_BIRTH_AFTER = re.compile(r"\s?[)」』]?\s?(?:生まれ|生れ|誕生|出生|生(?![活産徒涯成命存じ協]))")
# 「昭和32年4月2日以降に生まれた方」 describes who is eligible, not anybody's birthday.
_RANGE_AFTER = re.compile(r"\s?(?:以降|以前|以後|から|まで|より|~|〜|～|-)")


def birth_dates(text: str) -> Iterator[Candidate]:
    for m in _DATE.finditer(text):
        if _RANGE_AFTER.match(text, m.end()):
            continue
        labelled = _BIRTH_BEFORE.search(_before(text, m.start(), 20))
        if labelled or (not m.group("month_day") and _BIRTH_AFTER.match(text, m.end())):
            yield "birth_date", m.start(), m.end()


# ── 口座番号 ──────────────────────────────────────────────────────────────────

_ACCOUNT = re.compile(r"(?<![0-9])(?<![0-9][,.\-])[0-9]{7}(?![0-9]|[,.\-][0-9])")
_ACCOUNT_CUE = re.compile(r"口座|預金|貯金|振込先|引落|普通|当座")
# ゆうちょ銀行: 記号 five digits, 番号 up to eight.
_YUCHO = re.compile(r"(?:記号|番号)[\s:]*([0-9]{5}|[0-9]{6,8})(?![0-9])")
_YUCHO_CUE = re.compile(r"ゆうちょ|郵便貯金|通常貯金")


def bank_accounts(text: str) -> Iterator[Candidate]:
    for m in _ACCOUNT.finditer(text):
        if not _UNIT.match(text, m.end()) and _ACCOUNT_CUE.search(_before(text, m.start(), 30)):
            yield "bank_account", m.start(), m.end()
    for m in _YUCHO.finditer(text):
        if _YUCHO_CUE.search(_before(text, m.start(), 40)):
            yield "bank_account", m.start(1), m.end(1)


# ── 被保険者番号・年金番号・ケース番号 (a label, then the number) ─────────────

_SEP = r"[\s:=()「『、]*(?:は|が)?[\s:=()「『]*"
_LABELLED = (
    (
        "insurance_number",
        re.compile(
            r"(?:被保険者証?の?(?:記号[・]?)?番号|保険証の?(?:記号[・]?)?番号|記号[・]番号)"
            + _SEP
            + r"((?:[一-龥]{1,4}\s?)?[0-9A-Za-z][0-9A-Za-z\-]*[0-9])"
        ),
    ),
    (
        "pension_number",
        re.compile(r"(?:基礎年金番号|年金番号|年金手帳の?番号|年金証書の?番号)" + _SEP + r"([0-9]{4}[\s\-]?[0-9]{6})(?![0-9])"),
    ),
    (
        "case_number",
        re.compile(
            r"(?:ケース(?:番号|No\.?|ナンバー)|受付番号)(?!札)"
            + _SEP
            + r"(第?[0-9A-Za-z](?:[0-9A-Za-z\-]*[0-9])?号?)(?![0-9A-Za-z])"
        ),
    ),
)


def labelled_numbers(text: str) -> Iterator[Candidate]:
    for category, pattern in _LABELLED:
        for m in pattern.finditer(text):
            if any(c.isdigit() for c in m.group(1)):
                yield category, m.start(1), m.end(1)


# ── 住所 ──────────────────────────────────────────────────────────────────────

_N = r"(?:[0-9]+|[一二三四五六七八九十]+)"
# What ends an address: 丁目, 番地, 号, or 1-2-3; then maybe a building (a katakana name) and its room.
# It starts where a number starts: inside a long run of digits, retrying every position is quadratic.
_TAIL = re.compile(
    rf"""(?<![0-9一二三四五六七八九十])(?:
        {_N}条[東西南北]?{_N}丁目
      | {_N}丁目(?:\s?{_N}(?:番地?|-)(?:の?{_N}号?)?)?(?:の{_N})?
      | {_N}番地?(?:の?{_N}号?)?(?:の{_N})?
      | {_N}(?:-{_N}){{1,3}}
    )(?:\s?[一-龥]{{0,4}}[ァ-ヴ○][ァ-ヴー一-龥A-Za-z○]{{0,14}}?\s?[0-9]{{2,4}}(?:号室)?(?![0-9]))?""",
    re.X,
)
_CHOME_ONLY = re.compile(rf"{_N}(?:条[東西南北]?{_N})?丁目$")
_PLACE_CHAR = re.compile(r"[一-龥々ヶヵァ-ヴー]")
_KANA_PLACE = re.compile(r"[ぁ-ゖ]+$")  # さいたま(市), つくば(市): kana right before a 市町村 mark
_MUNICIPALITY = re.compile(r"[都道府県市区町村郡]")
_CITY = re.compile(r"[都道府県市郡]")
_POSTAL = re.compile(r"(?:〒|郵便番号[\s:]*)\s?[0-9]{3}-?[0-9]{4}\s?$")
_OFFICE_PLACE = r"(?:役所|役場|庁舎|県庁|都庁|センター|事務所|支所|出張所|所在地)"
# An office's own address: named right before (横浜市役所 〒…, 区役所の所在地は…) or after it.
_OFFICE_ADDRESS_BEFORE = re.compile(
    rf"(?:{_OFFICE_PLACE}|窓口)(?:[\s():、]|の|は|所在地|住所|郵便番号)*$"
)
_OFFICE_ADDRESS_AFTER = re.compile(rf"^[^。、\n]{{0,25}}?{_OFFICE_PLACE}")


def _place_start(text: str, end: int) -> int:
    """Where the run of place-name characters ending at ``end`` begins (at most 25 back)."""
    start = end
    while start > max(0, end - 25):
        if _PLACE_CHAR.match(text, start - 1):
            start -= 1
            continue
        kana = _KANA_PLACE.search(text, max(0, start - 6), start)
        if kana and _MUNICIPALITY.match(text, start):
            start = kana.start()
            continue
        break
    return start


def addresses(text: str) -> Iterator[Candidate]:
    for m in _TAIL.finditer(text):
        start = _place_start(text, m.start())
        place = text[start : m.start()]
        postal = _POSTAL.search(text, max(0, start - 16), start)
        if not postal and not _MUNICIPALITY.search(place):
            continue
        # A 丁目 with no block number is a neighbourhood, unless the whole address is written.
        if _CHOME_ONLY.search(m.group()) and not (postal or _CITY.search(place)):
            continue
        begin = postal.start() if postal else start
        if _OFFICE_ADDRESS_BEFORE.search(_before(text, begin, 20)) or _OFFICE_ADDRESS_AFTER.search(
            _after(text, m.end(), 30)
        ):
            continue
        yield "address", begin, m.end()
