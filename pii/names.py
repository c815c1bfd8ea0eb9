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
    def space(self) -> bool:
        return self.pos[0] == "空白"

    @property
    def short_noun(self) -> bool:  # a given name Sudachi does not know as one (こころ)
        return self.pos[0] == "名詞" and len(self.surface) <= 4


def _tokens(text: str, start: int, end: int) -> list[_Token]:
    window = _SURROGATE.sub("\ufffd", text[start:end])
    return [_Token(m, start) for m in _tokenizer().tokenize(window)]


def _ends_name(token: _Token | None) -> bool:
    """Whether a word after 「姓 ＿」 closes a full name: an honorific, punctuation, the end."""
    return token is None or token.pos[0] == "補助記号" or _HONORIFIC.fullmatch(token.surface) is not None


def _name_at(tokens: list[_Token], i: int) -> tuple[int, int] | None:
    """The name that begins at ``tokens[i]`` as (first, last) token indexes, or None."""
    last = None
    j = i
    while j < len(tokens):
        t = tokens[j]
        if t.space and last is not None and j + 1 < len(tokens) and not tokens[j + 1].space:
            j += 1  # one space between 姓 and 名
            continue
        nxt = next((u for u in tokens[j + 1 :] if not u.space), None)
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


def _after_role(text: str, role_end: int) -> tuple[int, int] | None:
    tokens = _tokens(text, role_end, min(len(text), role_end + _WINDOW))
    i = 0
    # 「滞納者: 」「申請者の」「滞納者（」: punctuation, spaces, and one の or は before the name.
    while i < len(tokens) and (tokens[i].pos[0] in ("補助記号", "空白") and tokens[i].surface not in ("、", "。")):
        i += 1
    if i < len(tokens) and tokens[i].surface in ("の", "は"):
        i += 1
        while i < len(tokens) and tokens[i].space:
            i += 1
    name = _name_at(tokens, i) if i < len(tokens) else None
    if name is None:
        return None
    first, last = name
    following = next((t for t in tokens[last + 1 :] if not t.space), None)
    if following is not None and following.surface in _TITLES:
        return None
    return tokens[first].start, tokens[last].end


def _before_honorific(text: str, start: int, end: int) -> tuple[int, int] | None:
    window_start = max(0, start - _WINDOW)
    cut = max(text.rfind("\n", window_start, start), text.rfind("。", window_start, start))
    tokens = _tokens(text, max(window_start, cut + 1), end)
    at = next((k for k, t in enumerate(tokens) if t.start == start), None)
    if at is None:
        return None  # the honorific is inside a word (お子さん, たくさん)
    last = at - 2 if at >= 2 and tokens[at - 1].space else at - 1  # 「佐藤健一 氏」
    best = None
    # The leftmost token from which a name runs exactly up to the honorific.
    for first in range(last, max(-1, last - 5), -1):
        t = tokens[first]
        if not (t.person or t.proper or t.space or t.short_noun):
            break
        if _name_at(tokens, first) == (first, last):
            best = first
    return (tokens[best].start, tokens[last].end) if best is not None else None


def person_names(folded: Folded) -> Iterator[tuple[int, int]]:
    """Spans of names in ``folded.original`` (cues are found on the folded text)."""
    text = folded.original
    for m in _ROLE.finditer(folded.text):
        span = _after_role(text, folded.position(m.end()))
        if span:
            yield span
    for m in _HONORIFIC.finditer(folded.text):
        start, end = folded.span(m.start(), m.end())
        span = _before_honorific(text, start, end) if start else None
        if span:
            yield span
