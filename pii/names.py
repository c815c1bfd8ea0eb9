"""Personal names next to role words (滞納者: …, 申請者の…) and before honorifics (…様, …さん).

Sudachi (the core dictionary, as search/ja.py uses) tags 姓 and 名 in context: 「滞納者: 川崎 一郎」
is a 姓 and a 名, where a lone 「川崎」 is a place. It runs only on a short window around each
cue, never on the whole text. A name is a run of 人名 tokens (one space allowed inside), plus:
a proper noun right before a 名 (a surname Sudachi took for a place), and a short word right
after a 姓 when an honorific or punctuation closes it (原田 こころちゃん, 加藤 ゆかり（…）).

Officials named by their title (田中課長, 福田市長) are left alone: in this Q&A they speak in their
public role. Generic addressees (担当者様, 皆さん, お客様) and placeholders (Aさん, ○○様) have no
人名 token, so they are never names.
"""

from __future__ import annotations

import os
import re
import threading
from bisect import bisect_left
from collections.abc import Iterator

from pii.fold import Folded

_ROLE = re.compile(
    r"滞納者|申請者|相談者|受給者|被保険者|対象者|利用者|氏名|本人|世帯主|債務者|納税義務者|申告者|届出人"
    r"|申出者|保護者|名義人?|宛名|請求者|被扶養者|扶養義務者|連帯保証人|受取人|同居人"
)
# 被保険者番号, 受給者証, 氏名欄: the role word begins a longer noun.
_ROLE = re.compile(f"(?:{_ROLE.pattern})(?!番号|証|欄)")
# 様 of 様式/様子/様々, 氏 of 氏名: not honorifics.
_HONORIFIC = re.compile(r"(?:様(?![式子々相態])|さん|氏(?![名族])|ちゃん|くん|君|殿)")
_TITLES = frozenset(
    {"課長", "部長", "係長", "局長", "室長", "所長", "区長", "市長", "町長", "村長", "知事", "副市長", "主査", "主任",
     "主幹", "参事", "理事", "議員", "議長", "委員", "委員長", "会長", "社長", "先生", "教授", "弁護士", "税理士", "担当"}
)
_WINDOW = 24
_SURROGATE = re.compile("[\ud800-\udfff]")
# Sudachi refuses input over 49,149 bytes; 4,000 characters is at most 16 KB of UTF-8.
_PIECE = re.compile(r"[^\n。]{1,4000}[\n。]?|[\n。]")


class _PerThread(threading.local):
    tokenizer = None


_dictionary = None
_dictionary_lock = threading.Lock()
_per_thread = _PerThread()


def _reset_after_fork() -> None:
    global _dictionary, _per_thread
    _dictionary = None
    _per_thread = _PerThread()


os.register_at_fork(after_in_child=_reset_after_fork)


def _tokenizer():
    """This thread's Sudachi tokenizer; the dictionary loads once a process, on first use."""
    global _dictionary
    if _per_thread.tokenizer is None:
        with _dictionary_lock:
            if _dictionary is None:
                from sudachipy import Dictionary

                _dictionary = Dictionary(dict="core")
        _per_thread.tokenizer = _dictionary.tokenizer(mode="C")
    return _per_thread.tokenizer


class _Token:
    __slots__ = ("surface", "start", "end", "pos")

    def __init__(self, m, offset: int) -> None:
        self.surface = m.surface()
        self.start = offset + m.begin()
        self.end = offset + m.end()
        self.pos = m.part_of_speech()

    @property
    def person(self) -> bool:
        return self.pos[2] == "人名"

    @property
    def surname(self) -> bool:
        return self.pos[2] == "人名" and self.pos[3] == "姓"

    @property
    def given(self) -> bool:
        return self.pos[2] == "人名" and self.pos[3] != "姓"

    @property
    def proper(self) -> bool:
        return self.pos[1] == "固有名詞"

    @property
    def space(self) -> bool:  # a line break ends a name like punctuation does
        return self.pos[0] == "空白" and "\n" not in self.surface

    @property
    def short_noun(self) -> bool:  # a given name Sudachi does not know as one (こころ)
        return self.pos[0] == "名詞" and len(self.surface) <= 4


def _tokens(text: str, ranges: list[tuple[int, int]]) -> list[_Token]:
    """Sudachi's tokens over the union of ``ranges``: one call per stretch of overlapping windows,
    so a text dense with cues is still read once."""
    tokens: list[_Token] = []
    tokenize = _tokenizer().tokenize
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        for piece in _PIECE.finditer(text, start, end):
            window = _SURROGATE.sub("\ufffd", piece.group())
            tokens += [_Token(m, piece.start()) for m in tokenize(window)]
    return tokens


def _next_word(tokens: list[_Token], j: int) -> _Token | None:
    """The first token after ``tokens[j]`` that is not a space, if it follows on directly."""
    k = j + 1
    while k < len(tokens) and tokens[k].space and tokens[k].start == tokens[k - 1].end:
        k += 1
    return tokens[k] if k < len(tokens) and tokens[k].start == tokens[k - 1].end else None


def _ends_name(token: _Token | None) -> bool:
    """Whether a word after 「姓 ＿」 closes a full name: an honorific, punctuation, the end."""
    return token is None or token.pos[0] == "補助記号" or _HONORIFIC.fullmatch(token.surface) is not None


def _name_at(tokens: list[_Token], i: int) -> tuple[int, int] | None:
    """The name that begins at ``tokens[i]`` as (first, last) token indexes, or None."""
    last = None
    j = i
    while j < len(tokens) and (j == i or tokens[j].start == tokens[j - 1].end):
        t = tokens[j]
        if t.space and last is not None and j + 1 < len(tokens) and not tokens[j + 1].space:
            j += 1  # one space between 姓 and 名
            continue
        nxt = _next_word(tokens, j)
        if t.person or (t.proper and nxt is not None and nxt.given and last is None):
            last = j
        elif last is not None and tokens[last].surname and t.short_noun and _ends_name(nxt):
            last = j
        else:
            break
        j += 1
    if last is None or not any(tokens[k].person for k in range(i, last + 1)):
        return None
    if all(tokens[k].surface.isascii() for k in range(i, last + 1)):
        return None  # Aさん, X氏: already anonymized
    return i, last


def _after_role(tokens: list[_Token], i: int) -> tuple[int, int] | None:
    """The name right after a role word whose end is where ``tokens[i]`` starts."""
    # 「滞納者: 」「申請者の」「滞納者（」: punctuation, spaces, and one の or は before the name.
    while i < len(tokens) and tokens[i].pos[0] in ("補助記号", "空白") and tokens[i].surface not in ("、", "。", "\n"):
        i += 1
    if i < len(tokens) and tokens[i].surface in ("の", "は"):
        i += 1
        while i < len(tokens) and tokens[i].space:
            i += 1
    name = _name_at(tokens, i) if i < len(tokens) else None
    if name is None:
        return None
    first, last = name
    following = _next_word(tokens, last)
    if following is not None and following.surface in _TITLES:
        return None
    return tokens[first].start, tokens[last].end


def _before_honorific(tokens: list[_Token], at: int) -> tuple[int, int] | None:
    """The name that ends right before the honorific ``tokens[at]``."""
    last = at - 2 if at >= 2 and tokens[at - 1].space else at - 1  # 「佐藤健一 氏」
    best = None
    # The leftmost token from which a name runs exactly up to the honorific.
    for first in range(last, max(-1, last - 5), -1):
        t = tokens[first]
        if not (t.person or t.proper or t.space or t.short_noun) or t.end != tokens[first + 1].start:
            break
        if _name_at(tokens, first) == (first, last):
            best = first
    return (tokens[best].start, tokens[last].end) if best is not None else None


def person_names(folded: Folded) -> Iterator[tuple[int, int]]:
    """Spans of names in ``folded.original`` (cues are found on the folded text)."""
    text = folded.original
    roles = [folded.position(m.end()) for m in _ROLE.finditer(folded.text)]
    honorifics = [folded.position(m.start()) for m in _HONORIFIC.finditer(folded.text)]
    honorifics = [h for h in honorifics if h]
    if not roles and not honorifics:
        return
    windows = [(end, min(len(text), end + _WINDOW)) for end in roles]
    windows += [(max(0, start - _WINDOW), min(len(text), start + 3)) for start in honorifics]
    tokens = _tokens(text, windows)
    starts = [t.start for t in tokens]
    for position, find in [(end, _after_role) for end in roles] + [(start, _before_honorific) for start in honorifics]:
        k = bisect_left(starts, position)
        # No token starts there: the cue is inside a word (お子さん, たくさん)
        span = find(tokens, k) if k < len(tokens) and starts[k] == position else None
        if span:
            yield span
