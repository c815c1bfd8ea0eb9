"""Highlighted, HTML-escaped titles and snippets cut from the original text.

Matches come from the same analyzers as the index (offsets point into the original text):
Sudachi terms first, character bigrams when the text has no morphological match.

Finding the place for a snippet must stay cheap for long posts with many answers: every
sentence of every candidate text gets a quick look (folded text containing the query's
words or terms, C-speed string work), and only the chosen window is analyzed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from search.compiler import HighlightTerms
from search.ja import CJKBigramTokenizer, SudachiTokenizer, fold

SNIPPET_CHARS = 160
ELLIPSIS = "…"
_CONTEXT = 40  # chars shown before the first match when a sentence is longer than a snippet
_MARGIN = 40  # chars analyzed beyond the window, so words at its edges are segmented right

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?\n]*|[。！？!?\n]+")
_morph = SudachiTokenizer()
_bigram = CJKBigramTokenizer()

Span = tuple[int, int, str]  # start, end, matched term


def match_spans(text: str, terms: HighlightTerms) -> list[Span]:
    """Where ``text`` matches the query: morphological matches, else bigram matches."""
    for tokenizer, wanted in ((_morph, terms.morph), (_bigram, terms.bigrams)):
        if wanted:
            spans = [s for s in tokenizer.spans(text, query=False, offsets=True) if s[0] in wanted]
            if spans:
                return [(start, end, term) for term, start, end in spans]
    return []


def mark(text: str, spans: Sequence[Span], start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` escaped, with the (merged) spans wrapped in <mark>."""
    end = len(text) if end is None else end
    pieces, cursor = [], start
    for span_start, span_end in _merged(spans):
        span_start, span_end = max(span_start, start, cursor), min(span_end, end)
        if span_start >= span_end:
            continue
        pieces.append(_escape(text[cursor:span_start]))
        pieces.append(f"<mark>{_escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    pieces.append(_escape(text[cursor:end]))
    return "".join(pieces)


def title_html(title: str, terms: HighlightTerms) -> str:
    return mark(title, match_spans(title, terms))


def best_snippet(body: str, answers: Sequence[tuple[int, str]], terms: HighlightTerms) -> tuple[str, int | None]:
    """A snippet from the body or from the answer that matches best, and that answer's id.

    The text whose sentences contain the most distinct query words wins; the body wins
    ties, then earlier answers (the app lists the accepted and best-voted first). Without
    any such sentence (a spelling variant such as 附属 for 付属, or a match in the title or
    tags only) the snippet is the start of the body.
    """
    candidates: list[tuple[int | None, str]] = [(None, body), *answers]
    best: tuple[int, int | None, str, list[tuple[int, int]], int] | None = None
    for answer_id, text in candidates:
        sentences = [m.span() for m in _SENTENCE.finditer(text)]
        looks = [{p for p in terms.probes if p in folded} for folded in (fold(text[s:e]) for s, e in sentences)]
        found = len(set().union(*looks))
        if found and (best is None or found > best[0]):
            strongest = max(range(len(looks)), key=lambda i: len(looks[i]))
            best = (found, answer_id, text, sentences, strongest)
    if best is None:
        text = body or next((text for _, text in answers), "")
        return fragment(text, [m.span() for m in _SENTENCE.finditer(text)], 0, terms), None
    _, answer_id, text, sentences, strongest = best
    return fragment(text, sentences, strongest, terms), answer_id


def fragment(text: str, sentences: Sequence[tuple[int, int]], chosen: int, terms: HighlightTerms) -> str:
    """About SNIPPET_CHARS of ``text`` around sentence ``chosen``, highlighted and escaped."""
    if not sentences:
        return ""
    start, end = sentences[chosen]
    if end - start > SNIPPET_CHARS:  # a long sentence: a window that starts near the match
        folded = fold(text[start:end])
        hits = [folded.find(p) for p in terms.probes if p in folded]
        # Folding rarely changes lengths in Japanese text, so the folded position is close.
        start = max(start, start + min(hits, default=0) - _CONTEXT)
        end = start + SNIPPET_CHARS
    else:  # short: add the following sentences, then preceding ones, while they fit
        after, before = chosen + 1, chosen - 1
        while after < len(sentences) and sentences[after][1] - start <= SNIPPET_CHARS:
            end, after = sentences[after][1], after + 1
        while before >= 0 and end - sentences[before][0] <= SNIPPET_CHARS:
            start, before = sentences[before][0], before - 1
    text_end = len(text.rstrip())
    while start < end and text[start].isspace():
        start += 1
    end = min(end, text_end)
    region = max(0, start - _MARGIN)
    spans = [(s + region, e + region, t) for s, e, t in match_spans(text[region : end + _MARGIN], terms)]
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < text_end else ""
    return prefix + mark(text, spans, start, end) + suffix


def _merged(spans: Sequence[Span]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end, _ in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _escape(text: str) -> str:
    return html.escape(text).replace("\n", " ")
