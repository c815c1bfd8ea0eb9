"""What the app hands to the index: one document per question, its answers folded in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AnswerDocument:
    id: int
    body: str  # plain text: the app strips Markdown/HTML first
    author_id: int
    score: int = 0
    accepted: bool = False


@dataclass(frozen=True)
class QuestionDocument:
    id: int
    title: str
    body: str  # plain text
    tags: tuple[str, ...]  # already normalized by the app (NFKC + lower-case)
    author_id: int
    org_code: str | None  # organization code of the author, e.g. "141003"
    created_at: datetime  # naive UTC
    score: int = 0
    answer_count: int = 0
    has_accepted: bool = False
    answers: tuple[AnswerDocument, ...] = ()
    # 年度 (Western start years) and citations (地方税法, 地方税法第15条の7) of the question and
    # its answers: the filters 年度: and 法令: match a question through any of them.
    fiscal_years: tuple[int, ...] = ()
    laws: tuple[str, ...] = ()
    # Opaque keys of the organizations taking part (author, answerers, adopters), e.g. the
    # app's kind and kind/population-band classes ("town", "town/1"): the ``orgkind:`` filter.
    peers: tuple[str, ...] = ()
    adopted: int = 0  # organizations that marked one of its answers 「うちでも採用」
    # The group whose members alone may find it (a group-private question); None: every member.
    private_group: int | None = None
