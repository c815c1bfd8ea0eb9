"""A matching form of a text (NFKC, one dash) with a map back to the original offsets.

Authors write １２３４, ０９０－…, ｶﾜｻｷ, ＠ and ４５６７ー８９０１: the rules match on the folded form
and report offsets into the text as given. NFKC changes lengths (ｶﾞ is two characters, one
after folding; ㍻ is one, two after), so every folded character keeps the span of the
original characters it came from.
"""

from __future__ import annotations

import re
import unicodedata

# Dashes NFKC keeps apart; ー (chōon) counts only between digits (０９０ー１２３４).
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ｰ", "-"))
_CHOON_IN_NUMBER = re.compile(r"(?<=[0-9])ー(?=[0-9])")
_HALF_KANA = re.compile("[\uff66-\uff9d][\uff9e\uff9f]")  # a half-width kana and its voicing mark


class Folded:
    """``text`` folded; ``span(start, end)`` maps folded offsets back to the original."""

    __slots__ = ("original", "text", "_starts", "_ends")

    def __init__(self, original: str) -> None:
        self.original = original
        self._starts: list[int] | None = None  # None: the folded text has the same offsets
        self._ends: list[int] | None = None
        if unicodedata.is_normalized("NFKC", original):
            text = original.translate(_DASHES)
        else:
            text = self._fold(original)
        self.text = _CHOON_IN_NUMBER.sub("-", text)

    def _fold(self, original: str) -> str:
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        i, n = 0, len(original)
        while i < n:
            pair = _HALF_KANA.match(original, i)
            j = pair.end() if pair else i + 1
            piece = unicodedata.normalize("NFKC", original[i:j]).translate(_DASHES)
            pieces.append(piece)
            starts += [i] * len(piece)
            ends += [j] * len(piece)
            i = j
        self._starts, self._ends = starts, ends
        return "".join(pieces)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the folded characters ``start:end`` (end > start)."""
        if self._starts is None:
            return start, end
        return self._starts[start], self._ends[end - 1]

    def position(self, index: int) -> int:
        """The original offset where folded character ``index`` begins (``len`` maps to the end)."""
        if self._starts is None:
            return index
        return self._starts[index] if index < len(self._starts) else len(self.original)
