"""「もしかして」: what a word was probably meant to be, spelled as the questions spell it.

Two cases: a word typed in kana that matched a reading (ざいさんちょうさ -> 財産調査), and a
word no question has (a typo: 財産調差 -> 財産調査). Suggestions are always cut out of real
titles and bodies, never built from index terms (those are normalized: ふるさと -> 古里).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from whoosh import query as wq
from whoosh.searching import Searcher

from search.ja import fold, spelled_as
from search.schema import QUESTION_BIGRAMS
from search.vector import VectorSearcher

# Look for a respelling in this many best documents, and in this much of each body.
LOOKED_AT = 5
BODY_CHARS = 2000
# Candidates for a misspelled word: the documents sharing most of its bigrams.
CANDIDATES = 20


def respelled(searcher: Searcher, readings: Sequence[tuple[str, str]], docnums: Iterable[int]) -> dict[str, str]:
    """{word: spelling} for the words typed in kana, given as (word, reading), that the best
    documents ``docnums`` write otherwise (in kanji)."""
    found: dict[str, str] = {}
    texts = []
    for docnum in list(docnums)[:LOOKED_AT]:
        stored = searcher.stored_fields(docnum)
        texts += [stored.get("title", ""), stored.get("body", "")[:BODY_CHARS]]
    for word, reading in readings:
        for text in texts:
            spelling = spelled_as(text, reading)
            if spelling and fold(spelling) != reading:
                found[word] = spelling
                break
    return found


def near_spellings(searcher: Searcher, vectors: VectorSearcher, words: Sequence[str]) -> dict[str, str]:
    """{word: a close spelling that questions use}, for words no question has: the stretch
    of a title with the fewest edits from the word (at most one per four characters)."""
    found: dict[str, str] = {}
    if searcher.doc_count() == 0:  # nothing to suggest from (and BM25 has no IDF)
        return found
    for word in words:
        folded = fold(word)
        # Every bigram of the word as typed: analysis may drop a misspelled piece (調差 -> 差).
        grams = list(dict.fromkeys(folded[i : i + 2] for i in range(len(folded) - 1)))
        if len(grams) < 2:
            continue
        shared = vectors.match(wq.Or([wq.Term(QUESTION_BIGRAMS, g) for g in grams]))
        allowed = 1 + len(folded) // 4
        best: tuple[int, str] | None = None
        for _score, docnum in vectors.top(shared, CANDIDATES):
            title = searcher.stored_fields(docnum).get("title", "")
            for spelling, distance in _closest(title, folded, allowed):
                if best is None or distance < best[0]:
                    best = (distance, spelling)
        if best is not None:
            found[word] = best[1]
    return found


def _closest(text: str, folded: str, allowed: int) -> Iterable[tuple[str, int]]:
    """Stretches of ``text`` within ``allowed`` edits of ``folded`` (compared folded)."""
    size = len(folded)
    for length in (size, size - 1, size + 1):  # the same length first: a changed character
        for start in range(0, len(text) - length + 1):
            piece = text[start : start + length]
            distance = _edits(fold(piece), folded, allowed)
            if 0 < distance <= allowed:
                yield piece, distance


def _edits(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
