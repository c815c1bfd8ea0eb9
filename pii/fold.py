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


def _changing_class() -> str:
    """A regex class of the characters NFKC changes (2,972 in the BMP; ~25 ms once)."""
    ranges: list[list[int]] = []
    planes = (range(0x10000), range(0x1D400, 0x1D800), range(0x1F100, 0x1F300), range(0x2F800, 0x2FA20))
    for code in (c for plane in planes for c in plane):
        if not 0xD800 <= code < 0xE000 and unicodedata.normalize("NFKC", chr(code)) != chr(code):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)


# Runs of characters that fold to something else: the rest keeps its offsets.
_CHANGING = re.compile(f"[{_changing_class()}]+")
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
        done = 0
        for run in _CHANGING.finditer(original):
            pieces.append(original[done : run.start()])
            starts += range(done, run.start())
            ends += range(done + 1, run.start() + 1)
            i = run.start()
            while i < run.end():
                pair = _HALF_KANA.match(original, i)
                j = pair.end() if pair else i + 1
                piece = unicodedata.normalize("NFKC", original[i:j])
                pieces.append(piece)
                starts += [i] * len(piece)
                ends += [j] * len(piece)
                i = j
            done = run.end()
        pieces.append(original[done:])
        starts += range(done, len(original))
        ends += range(done + 1, len(original) + 1)
        self._starts, self._ends = starts, ends
        return "".join(pieces).translate(_DASHES)

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
