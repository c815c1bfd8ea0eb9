"""The search-box language, Stack Overflow / Apache Answer style. Pure string work.

    [債権回収] user:12 org:141003 orgkind:町 is:question is:answer accepted:yes|no answers:0 answers:1+ score:3
    年度:2025 (fy:2025) 法令:地方税法 (law:地方税法第15条の7)
    "exact phrase" -excluded -[tag] free words

``user:`` and ``org:`` also take names (user:山田, org:横浜市); the app resolves those to an
id or a code (``user_name``, ``org_name``) before the index sees the query. Likewise a 年度
typed as 令和7年度 or R7 (``fiscal_year_text``), and ``law``, which the app normalizes
(地税法 → 地方税法) into the citation the index holds. ``orgkind:``
(an organization kind, as the app names it: orgkind:町) keeps questions that a member of
such an organization asked, answered or adopted; the app turns the name into the key it
indexed (``org_kind``).

Full-width forms work too (ｕｓｅｒ：１２, ［債権回収］, full-width spaces): the query is
NFKC-normalized first. Anything that is not a well-formed operator is plain text, so an
unbalanced quote or bracket, an unknown operator (``deleted:true``) or Whoosh syntax
(``title^100``, ``body:[a TO z]``, ``*``) is just words. Nothing here names an index field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

# Bounds on the work one query can cause (the app rejects longer input with a 400 anyway).
MAX_QUERY_CHARS = 500
MAX_TEXT_ITEMS = 20

Scope = Literal["question", "answer"]

_CURLY_QUOTES = str.maketrans({"“": '"', "”": '"'})
_ITEM = re.compile(
    r"""
    (?P<negated>-)?
    (?:
        "(?P<phrase>[^"]*)"
      | \[(?P<tag>[^\[\]\s]+)\]
      | (?P<operator>user|orgkind|org|is|accepted|answers|score|fy|年度|law|法令):(?P<value>[^\s"\[\]]+)
      | (?P<word>[^\s"\[\]]+|["\[\]])
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)
# Organization codes (6 digits; letters for tests and imports); anything else is a name.
_ORG_CODE = re.compile(r"\d[0-9a-z_-]{0,31}|[a-z][0-9a-z_-]*\d[0-9a-z_-]*")
_OPERATOR_VALUES = {
    "user": re.compile(r"\d{1,18}|[^\s\d:][^\s:]{0,49}"),
    "org": re.compile(r"[0-9a-z][0-9a-z_-]{0,31}|[^\s:]{1,50}"),
    "orgkind": re.compile(r"[^\s:]{1,30}"),
    "is": re.compile(r"question|answer"),
    "accepted": re.compile(r"yes|no"),
    "answers": re.compile(r"\d{1,9}\+?"),
    "score": re.compile(r"-?\d{1,9}"),
    "fy": re.compile(r"[^\s:]{1,20}"),
    "law": re.compile(r"[^\s:]{1,100}"),
}
_ALIASES = {"年度": "fy", "法令": "law"}
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class ParsedQuery:
    words: tuple[str, ...] = ()  # free text, split on whitespace
    phrases: tuple[str, ...] = ()  # "exact phrase"
    excluded: tuple[str, ...] = ()  # -word, -"phrase"
    tags: tuple[str, ...] = ()  # [tag], all required
    excluded_tags: tuple[str, ...] = ()  # -[tag]
    user_id: int | None = None  # user:ID, the question's author (an answer's with is:answer)
    org: str | None = None  # org:CODE, the question author's organization
    user_name: str | None = None  # user:山田, for the app to resolve into user_id
    org_name: str | None = None  # org:横浜市, for the app to resolve into org
    org_kind: str | None = None  # orgkind:町, as typed; the app resolves it into an indexed key
    scope: Scope | None = None  # is:question (title/body) or is:answer (answers); both = any
    accepted: bool | None = None  # accepted:yes|no
    answer_count: int | None = None  # answers:N, exactly N (answers:0 = unanswered)
    min_answers: int | None = None  # answers:N+, at least N (answers:1+ = answered)
    min_score: int | None = None  # score:N, at least N
    fiscal_year: int | None = None  # 年度:2025 / fy:2025, the question's or one of its answers'
    fiscal_year_text: str | None = None  # 年度:令和7年度, for the app to resolve into fiscal_year
    law: str | None = None  # 法令:地方税法 / law:…, a law (or law + article) cited by the question or an answer

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def has_filters(self) -> bool:
        return bool(
            self.tags
            or self.excluded_tags
            or self.org
            or self.user_name
            or self.org_name
            or self.fiscal_year_text
            or self.law
            or self.org_kind
            or any(
                value is not None
                for value in (self.user_id, self.accepted, self.answer_count, self.min_answers, self.min_score, self.fiscal_year)
            )
        )


def normalize_tag(tag: str) -> str:
    """Tags as the app stores them: NFKC + lower-case."""
    return unicodedata.normalize("NFKC", tag).strip().lower()


def parse_query(text: str) -> ParsedQuery:
    """Split the search box into operators and free text. Never raises."""
    text = unicodedata.normalize("NFKC", text[:MAX_QUERY_CHARS]).translate(_CURLY_QUOTES)
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    tags: list[str] = []
    excluded_tags: list[str] = []
    options: dict[str, object] = {}
    scopes: set[str] = set()

    for item in _ITEM.finditer(text):
        negated = bool(item["negated"])
        if item["phrase"] is not None:
            phrase = " ".join(item["phrase"].split())
            if phrase:
                (excluded if negated else phrases).append(phrase)
        elif item["tag"] is not None:
            (excluded_tags if negated else tags).append(normalize_tag(item["tag"]))
        elif item["operator"] is not None and not negated and _valid(item):
            name = _operator(item)
            value = item["value"] if name == "law" else item["value"].lower()  # law names keep their case
            if name == "is":
                scopes.add(value)
            else:
                options[name] = value
        else:
            word = item.group().lstrip("-") if negated else item.group()
            if word.strip('"[]-'):
                (excluded if negated else words).append(word)

    # A repeated word adds nothing but work: each is kept once, then the first MAX_TEXT_ITEMS.
    words, phrases, excluded = (list(dict.fromkeys(items)) for items in (words, phrases, excluded))
    text_items = words + phrases + excluded
    if len(text_items) > MAX_TEXT_ITEMS:  # keep the first MAX_TEXT_ITEMS, in typed order
        kept = set(text_items[:MAX_TEXT_ITEMS])
        words, phrases, excluded = ([w for w in items if w in kept] for items in (words, phrases, excluded))
    user, org, answers, year = options.get("user"), options.get("org"), options.get("answers"), options.get("fy")
    return ParsedQuery(
        words=tuple(words),
        phrases=tuple(phrases),
        excluded=tuple(excluded),
        tags=tuple(dict.fromkeys(tags)),
        excluded_tags=tuple(dict.fromkeys(excluded_tags)),
        user_id=int(user) if user is not None and user.isdigit() else None,
        user_name=user if user is not None and not user.isdigit() else None,
        org=org if org is not None and _ORG_CODE.fullmatch(org) else None,
        org_name=org if org is not None and not _ORG_CODE.fullmatch(org) else None,
        org_kind=options.get("orgkind"),
        scope=scopes.pop() if len(scopes) == 1 else None,
        accepted=options["accepted"] == "yes" if "accepted" in options else None,
        answer_count=int(answers) if answers is not None and not answers.endswith("+") else None,
        min_answers=int(answers[:-1]) if answers is not None and answers.endswith("+") else None,
        min_score=int(options["score"]) if "score" in options else None,
        fiscal_year=int(year) if year is not None and _YEAR.fullmatch(year) else None,
        fiscal_year_text=year if year is not None and not _YEAR.fullmatch(year) else None,
        law=options.get("law"),
    )


def _operator(item: re.Match[str]) -> str:
    name = item["operator"].lower()
    return _ALIASES.get(name, name)


def _valid(item: re.Match[str]) -> bool:
    return bool(_OPERATOR_VALUES[_operator(item)].fullmatch(item["value"].lower()))
