"""Highlighted, HTML-escaped titles and snippets cut from the original text.

Matches come from the same analyzers as the index (offsets point into the original text):
Sudachi terms first, character bigrams when the text has no morphological match.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from search.compiler import HighlightTerms
from search.ja import CJKBigramTokenizer, SudachiTokenizer, fold

SNIPPET_CHARS = 160
ELLIPSIS = "…"

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
        span_start, span_end = max(span_start, start), min(span_end, end)
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
    """The snippet from the body or the answer that matches best, and that answer's id.

    A cheap look at folded text (does it contain the query's words or terms?) picks the
    candidates, so Sudachi runs on one or two texts per hit rather than on every answer.
    When nothing looks promising (a spelling variant such as 附属 for 付属, or a match in
    the title or tags only), only the body is analyzed.
    """
    candidates: list[tuple[int | None, str]] = [(None, body), *answers]
    folded = [fold(text) for _, text in candidates]
    looks = [sum(probe in text for probe in terms.probes) for text in folded]
    # Best look first; the body wins ties, then earlier answers (the app lists the best first).
    promising = sorted((i for i in range(len(candidates)) if looks[i]), key=lambda i: -looks[i])
    for i in promising or [0]:
        answer_id, text = candidates[i]
        spans = match_spans(text, terms)
        if spans:
            return fragment(text, spans), answer_id
    return fragment(body or next((text for _, text in answers), ""), []), None


def fragment(text: str, spans: Sequence[Span]) -> str:
    """About SNIPPET_CHARS of ``text`` around its best sentence, highlighted and escaped."""
    text_end = len(text.rstrip())
    sentences = [m.span() for m in _SENTENCE.finditer(text)] or [(0, len(text))]
    best = max(range(len(sentences)), key=lambda i: _sentence_score(sentences[i], spans))
    start, end = sentences[best]
    if end - start > SNIPPET_CHARS:  # a long sentence: a window that starts near the match
        inside = [s for s in spans if start <= s[0] < end]
        if inside:
            start = max(start, min(s[0] for s in inside) - SNIPPET_CHARS // 4)
        end = start + SNIPPET_CHARS
    else:  # short: add the following sentences, then preceding ones, while they fit
        after, before = best + 1, best - 1
        while after < len(sentences) and sentences[after][1] - start <= SNIPPET_CHARS:
            end, after = sentences[after][1], after + 1
        while before >= 0 and end - sentences[before][0] <= SNIPPET_CHARS:
            start, before = sentences[before][0], before - 1
    while start < end and text[start].isspace():
        start += 1
    end = min(end, text_end)
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < text_end else ""
    return prefix + mark(text, spans, start, end) + suffix


def _sentence_score(sentence: tuple[int, int], spans: Sequence[Span]) -> tuple[int, int]:
    inside = [term for start, _, term in spans if sentence[0] <= start < sentence[1]]
    return len(set(inside)), len(inside)


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
