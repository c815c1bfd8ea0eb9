"""Turn a ParsedQuery into Whoosh query objects, built term by term.

User text only ever becomes the *text* of ``Term`` objects (after analysis), never a field
name, wildcard, range or boost, so hostile input (SECURITY SRCH-03/04/05) has nothing to
reach. Matching runs in tiers, each used only when the one before finds too little:

1. ``morph``: every word must match, through its Sudachi terms (title, tags, body, answers).
2. ``hybrid``: a word may match through its bigrams instead (unknown words, ゴミ/ごみ,
   新型コロナ inside 新型コロナウイルス). Bigram posting lists are long, so this tier is
   several times slower and only runs when the first finds fewer than ``ENOUGH_HITS``.
3. ``relaxed``: documents matching only some of the words, candidates that compete with the
   complete matches on one score (search.index._relevance_window decides which are shown);
   without bigrams when Sudachi's terms alone found enough complete matches.

A word may also match through its reading: ざいさんちょうさ or ﾁｮｳｻ typed in kana find
財産調査 (titles and tags, see ``READINGS``). A sentence typed as one word is cut at its
particles into runs, each backed up by its bigrams as a short word is. A word that matches
nothing at all is ``unknown``: a short query then shows nothing and says so, instead of
other words' matches; a long one (pasted text) is searched without it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from whoosh import query as wq

from search.ja import bigram_terms, content_runs, fold, is_reading, morph_terms
from search.query import ParsedQuery
from search.schema import ANSWER_BIGRAMS, BIGRAM_WEIGHT, QUESTION_BIGRAMS, READINGS

# A strict tier that finds this many documents ends the search; below it, the next tier
# runs, and after the last, documents matching only some words are appended.
ENOUGH_HITS = 10
# A word found both as terms and as bigrams scores the better of the two plus this share of
# the other: summed in full, a short word's bigrams outweighed the rest of a title-like query
# (eval-search bulletin 0.48 against 0.50 for plain BM25 OR); the better one alone lost
# lawqa what bigrams add to a statute's words (0.774 against 0.794).
BIGRAM_TIEBREAK = 0.5
# Bigrams back up words of at most this many Sudachi terms (評価替え: 2, 新型コロナ: 1).
MAX_TERMS_FOR_BIGRAMS = 3
# A query of at most this many words (runs, for a sentence) shows nothing when one of them
# is unknown.
SHORT_QUERY_WORDS = 3
# A reading is cut into indexed readings of at least this many kana (ざいさん + ちょうさ).
MIN_READING_PIECE, MAX_READING_PIECE = 2, 12

_SCOPE_BIGRAMS = {
    None: (QUESTION_BIGRAMS, ANSWER_BIGRAMS),
    "question": (QUESTION_BIGRAMS,),
    "answer": (ANSWER_BIGRAMS,),
}


@lru_cache(maxsize=4096)
def _morph(text: str) -> tuple[str, ...]:
    return tuple(morph_terms(text))


@lru_cache(maxsize=4096)
def _bigrams(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(bigram_terms(text)))


@lru_cache(maxsize=4096)
def _pieces(word: str) -> tuple[str, ...]:
    """A short word stands for itself; a longer one (a sentence typed without spaces) is cut
    into its runs of content words, so each run can fall back on its bigrams."""
    if len(_morph(word)) <= MAX_TERMS_FOR_BIGRAMS:
        return (word,)
    runs = tuple(run for run in content_runs(word) if run != word)
    return runs if len(runs) > 1 else (word,)


@dataclass(frozen=True)
class HighlightTerms:
    """What to mark in snippets: index terms, plus folded strings for a cheap first look."""

    morph: frozenset[str]
    bigrams: frozenset[str]
    probes: frozenset[str]  # folded words and terms: which texts are worth analyzing


class QueryPlan:
    """The Whoosh queries for one parsed query, tier by tier, and its highlight terms."""

    def __init__(self, parsed: ParsedQuery, synonyms: Sequence[Sequence[str]] = ()):
        self.parsed = parsed
        self._bigram_fields = _SCOPE_BIGRAMS[parsed.scope]
        self._synonyms = _SynonymTable(synonyms)
        # Words that analyze to nothing (*, の, !!!) constrain nothing.
        self._words = [w for w in dict.fromkeys(parsed.words + parsed.phrases) if _morph(w) or _bigrams(w)]
        self._reader = None

    def use(self, reader) -> None:
        """Look readings up in this index reader's vocabulary (see ``_reading_clause``)."""
        self._reader = reader

    @property
    def has_text(self) -> bool:
        return bool(self._words)

    def texts(self) -> list[str]:
        """The words and phrases searched for (unknown ones left out), as typed."""
        return list(self._words)

    def terms(self) -> list[str]:
        """The Sudachi terms of those words, each once."""
        return list(dict.fromkeys(term for word in self._words for term in _morph(word)))

    @property
    def phrases(self) -> list[str]:
        """The "exact phrases" that constrain anything (contain analyzable text)."""
        return [p for p in self.parsed.phrases if p in self._words]

    # --- the tiers -----------------------------------------------------------------------

    def strict_tiers(self) -> Iterator[tuple[wq.Query, bool]]:
        """Queries where every word must match, cheapest first, each with whether it uses
        bigrams: Sudachi terms, then terms or bigrams. The caller stops at the first that
        finds enough."""
        morph = [self._morph_word(w) for w in self._words]
        hybrid = [self._hybrid_word(w) for w in self._words]
        if all(morph):
            yield _all(morph), False
        if hybrid != morph:  # no word short enough for bigrams: nothing new to try
            yield _all(hybrid), True

    def relaxed(self, bigrams: bool = True) -> wq.Query | None:
        """Any word (or any term of a long word) may match; phrases stay required. Without
        ``bigrams`` when Sudachi's terms found enough: bigram posting lists are long, and the
        complete matches already rank with their terms. None when that would be no different
        from the strict tiers."""
        words = [w for w in self.parsed.words if w in self._words]
        if sum(max(1, len(_morph(w))) for w in words) < 2:
            return None
        # A word typed in kana is one reading: its Sudachi pieces (ざいさんちょうさ: 際, ちょう)
        # are no words of the user's, so it matches whole or not at all.
        word_query = self._hybrid_word if bigrams else self._morph_word
        any_word = _any([word_query(w, any_term=not is_reading(fold(w))) for w in words])
        phrases = [self._hybrid_word(p) for p in self.phrases]
        return _all([any_word, *phrases]) if phrases else any_word

    def unknown(self, reader, frequencies: dict | None = None) -> list[str]:
        """The words (as typed) that no document has in any form: not a term, not all their
        bigrams, not a reading. (Also those that analyze to nothing run by run: the tiers
        are built without any of these, see ``without``.)"""
        return [w for w in self._words if prune(self._hybrid_word(w, any_term=True), reader, frequencies) is None]

    def without(self, words: Sequence[str]) -> None:
        """Search without ``words`` (unknown words of a long query: they cannot match)."""
        self._words = [w for w in self._words if w not in words]

    def blocked_by(self, unknown: Sequence[str]) -> bool:
        """Whether ``unknown`` words leave nothing worth showing: every word is unknown, or
        the query is short (a few typed words mean each of them; a long text can do without
        a rare word)."""
        return bool(unknown) and (len(unknown) == len(self._words) or len(self._words) <= SHORT_QUERY_WORDS)

    def unmatched(self, reader, frequencies: dict | None = None) -> list[str]:
        """The words that no document has as a whole (not all their terms, nor bigrams):
        typos among them are worth a 「もしかして」."""
        return [w for w in self._words if prune(self._hybrid_word(w), reader, frequencies) is None]

    def readings(self) -> list[tuple[str, str]]:
        """(word, reading) for the words typed in kana (ザイサンチョウサ, ざいさんちょうさ),
        which may match readings."""
        return [(w, fold(w)) for w in self._words if is_reading(fold(w))]

    def phrase_candidates(self) -> wq.Query:
        """Documents that may contain every phrase (to be verified on the stored text)."""
        return _all([self._hybrid_word(p) for p in self.phrases])

    # --- filters -------------------------------------------------------------------------

    def filters(self) -> wq.Query | None:
        """Operators that restrict the result set without affecting its ranking."""
        p = self.parsed
        clauses: list[wq.Query] = [wq.Term("tags", tag) for tag in p.tags]
        if p.user_id is not None:
            field = "answer_authors" if p.scope == "answer" else "author"
            clauses.append(wq.Term(field, str(p.user_id)))
        if p.org:
            clauses.append(wq.Term("org", p.org))
        if p.fiscal_year is not None:
            clauses.append(wq.Term("fiscal_years", str(p.fiscal_year)))
        if p.law:
            clauses.append(wq.Term("laws", p.law))
        if p.org_kind:
            clauses.append(wq.Term("peers", p.org_kind))
        if p.user_name or p.org_name or p.fiscal_year_text:  # a name the app did not resolve matches no one
            clauses.append(wq.Term("id", ""))
        if p.accepted is not None:
            clauses.append(wq.NumericRange("accepted", int(p.accepted), int(p.accepted)))
        if p.answer_count is not None:
            clauses.append(wq.NumericRange("answer_count", p.answer_count, p.answer_count))
        if p.min_answers is not None:
            clauses.append(wq.NumericRange("answer_count", p.min_answers, None))
        if p.min_score is not None:
            clauses.append(wq.NumericRange("score", p.min_score, None))
        if not clauses:
            return None
        return _all(clauses)

    def mask(self) -> wq.Query | None:
        """Documents to leave out: -word anywhere in the text (morph or bigram), -[tag]."""
        anywhere = QueryPlan(ParsedQuery())  # no scope, no synonyms
        words = [anywhere._hybrid_word(w) for w in self.parsed.excluded if _morph(w) or _bigrams(w)]
        clauses: list[wq.Query] = [q for q in words if q is not None]
        clauses += [wq.Term("tags", tag) for tag in self.parsed.excluded_tags]
        return _any(clauses) if clauses else None

    def highlight_terms(self) -> HighlightTerms:
        morph: set[str] = set()
        for word in self._words:
            for group in self._synonyms.alternatives(_morph(word)):
                morph.update(term for sequence in group for term in sequence)
        bigrams = {gram for word in self._words for gram in _bigrams(word)}
        probes = {fold(word) for word in self._words} | {fold(term) for term in morph}
        return HighlightTerms(frozenset(morph), frozenset(bigrams), frozenset(probes))

    # --- building blocks -----------------------------------------------------------------

    def _morph_word(self, word: str, any_term: bool = False) -> wq.Query | None:
        """All of the word's Sudachi terms (any one of them when ``any_term``), synonyms
        OR-ed in, and with is:question / is:answer, the word's bigrams in that part."""
        pieces = [
            _any([_all([wq.Term("text", t) for t in sequence]) for sequence in group])
            for group in self._synonyms.alternatives(_morph(word))
        ]
        reading = self._reading_clause(word)
        if not pieces:
            return reading
        terms = (_any if any_term else _all)(pieces)
        if reading is not None:
            terms = _any([terms, reading])
        scope = self._scope_check(word)
        return _all([terms, scope]) if scope else terms

    def _reading_clause(self, word: str) -> wq.Query | None:
        """For a word typed in kana, its reading as indexed: cut into the fewest readings
        the index has (ざいさん + ちょうさ), all required; None for other words."""
        reading = fold(word)
        if not is_reading(reading):
            return None
        pieces = _reading_pieces(reading, self._reader) or [reading]
        return _all([wq.Term(READINGS, piece) for piece in pieces])

    def _scope_check(self, word: str) -> wq.Query | None:
        """The one morphological field holds every part of a question, so a scope is checked
        on the bigram fields, which are kept apart: the word (or a synonym it matched) must
        occur in the question (title, tags, body) or in an answer."""
        if self.parsed.scope is None:
            return None
        spellings = [word, *self._synonyms.members(_morph(word))]
        checks = [self._bigram_clause(s, reliable_only=True) for s in spellings]
        return None if None in checks else _any(checks)

    def _hybrid_word(self, word: str, any_term: bool = False) -> wq.Query | None:
        """The word's terms, or else its bigrams: all of them, so the bigrams stand for the
        word as written. Only for short words: dictionaries disagree on how to split a
        compound, while a longer stretch of text has its terms to match on: a sentence
        matches run by run (any run when ``any_term``)."""
        pieces = _pieces(word)
        if len(pieces) > 1:  # a run that analyzes to nothing constrains nothing
            runs = [q for q in (self._hybrid_word(piece, any_term) for piece in pieces) if q is not None]
            return (_any if any_term else _all)(runs) if runs else None
        morph = self._morph_word(word, any_term)
        bigram = self._bigram_clause(word) if len(_morph(word)) <= MAX_TERMS_FOR_BIGRAMS else None
        if bigram is None:
            return morph
        if not morph:
            return bigram
        return wq.DisjunctionMax([morph, bigram], tiebreak=BIGRAM_TIEBREAK)

    def _bigram_clause(self, word: str, reliable_only: bool = False) -> wq.Query | None:
        """Every bigram of ``word`` in the scope's bigram fields. A lone kanji or kana is
        indexed only where it stands alone, so ``reliable_only`` leaves such grams out."""
        grams = [g for g in _bigrams(word) if not reliable_only or len(g) > 1 or g.isascii()]
        if not grams:
            return None
        return _all([_any([wq.Term(f, gram, boost=BIGRAM_WEIGHT) for f in self._bigram_fields]) for gram in grams])


def _reading_pieces(reading: str, reader) -> list[str] | None:
    """``reading`` cut into the fewest pieces that are readings in the index, or None."""
    if reader is None:
        return None
    known = {}

    def indexed(piece: str) -> bool:
        if piece not in known:
            known[piece] = reader.doc_frequency(READINGS, piece) > 0
        return known[piece]

    # best[i]: the fewest pieces covering reading[:i]
    best: list[list[str] | None] = [[]] + [None] * len(reading)
    for end in range(1, len(reading) + 1):
        for start in range(max(0, end - MAX_READING_PIECE), end - MIN_READING_PIECE + 1):
            before = best[start]
            if before is not None and indexed(reading[start:end]):
                if best[end] is None or len(before) + 1 < len(best[end]):
                    best[end] = [*before, reading[start:end]]
    return best[-1]


def prune(query: wq.Query | None, reader, frequencies: dict | None = None) -> wq.Query | None:
    """``query`` without the terms that no document has; None if it cannot match at all.

    Whoosh would find the same documents, but it opens a matcher for every term and sizes
    every branch at every level of the tree; queries here are wide (each term in several
    fields, bigrams, synonyms), and a tier whose word has no match is skipped outright.
    """
    if frequencies is None:
        frequencies = {}
    if isinstance(query, wq.Term) and isinstance(query.text, str):
        key = (query.fieldname, query.text)
        if key not in frequencies:
            frequencies[key] = reader.doc_frequency(*key)
        return query if frequencies[key] else None
    if isinstance(query, wq.And):
        children = [prune(child, reader, frequencies) for child in query.subqueries]
        return None if None in children else _all(children)
    if isinstance(query, (wq.Or, wq.DisjunctionMax)):
        children = [prune(child, reader, frequencies) for child in query.subqueries]
        children = [child for child in children if child is not None]
        if len(children) < 2 or isinstance(query, wq.Or):
            return _any(children) if children else None
        return wq.DisjunctionMax(children, tiebreak=query.tiebreak)
    return query


def _all(clauses: Sequence[wq.Query]) -> wq.Query:
    return clauses[0] if len(clauses) == 1 else wq.And(clauses)


def _any(clauses: Sequence[wq.Query]) -> wq.Query:
    if len(clauses) == 1:
        return clauses[0]
    union = wq.Or(clauses)
    # Whoosh's default on small indexes (an "array" union) allocates 2,048 slots per Or:
    # ~1 ms each, and a query has dozens of Ors. The plain union is what large indexes use.
    union.matcher_type = wq.Or.DEFAULT_MATCHER
    return union


class _SynonymTable:
    """Query-time synonyms: groups of equivalent terms, e.g. [["国保", "国民健康保険"]].

    Members are compared after analysis, so a member may be several terms long
    (ワクチン接種 = ワクチン + 接種) and matches inside a longer word (国保の手続き).
    """

    def __init__(self, groups: Sequence[Sequence[str]]):
        self._groups: list[dict[tuple[str, ...], str]] = []  # term sequence -> member as typed
        for group in groups:
            analyzed = {_morph(member): member for member in reversed(group) if _morph(member)}
            if len(analyzed) > 1:
                self._groups.append(analyzed)

    def alternatives(self, terms: Sequence[str]) -> list[tuple[tuple[str, ...], ...]]:
        """``terms`` cut into consecutive pieces; each piece is the tuple of equivalent
        term sequences it may match (just itself when it has no synonyms)."""
        pieces: list[tuple[tuple[str, ...], ...]] = []
        i = 0
        while i < len(terms):
            found = self._longest_match(terms, i)
            if found:
                length, group = found
                pieces.append(tuple(group))
                i += length
            else:
                pieces.append(((terms[i],),))
                i += 1
        return pieces

    def members(self, terms: Sequence[str]) -> list[str]:
        """The members (as typed) of every group that matches somewhere in ``terms``."""
        matched = (self._longest_match(terms, i) for i in range(len(terms)))
        return [member for found in matched if found for member in found[1].values()]

    def _longest_match(self, terms: Sequence[str], i: int) -> tuple[int, dict[tuple[str, ...], str]] | None:
        """The longest member matching at ``i``, with every group holding a member that long
        there merged (生活保護 is in the jargon list with 生保 and a tag's with ケースワーク)."""
        found = [
            (len(sequence), group)
            for group in self._groups
            for sequence in group
            if tuple(terms[i : i + len(sequence)]) == sequence
        ]
        if not found:
            return None
        length = max(size for size, _group in found)
        merged: dict[tuple[str, ...], str] = {}
        for size, group in found:
            if size == length:
                merged.update(group)
        return length, merged
