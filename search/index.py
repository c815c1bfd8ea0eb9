"""SearchIndex: the question index the app reads and writes, on disk or in memory."""

from __future__ import annotations

import logging
import math
import os
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
from whoosh import query as wq
from whoosh.codec.base import Segment
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import Index, LockError
from whoosh.reading import SegmentReader
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.writing import SegmentWriter

from search import meaning
from search.codec import ZenninCodec
from search.compiler import ENOUGH_HITS, HighlightTerms, QueryPlan, prune
from search.documents import QuestionDocument
from search.errors import IndexLocked, SearchUnavailable
from search.highlight import best_snippet, mark, title_html
from search.ja import SudachiTokenizer, fold, morph_terms
from search.query import ParsedQuery, parse_query
from search.rebuild import rebuild_index
from search.schema import AUDIENCE, EVERY_MEMBER, MEANING, audience_term, document_fields
from search.storage import IndexHome, IsolatedRamStorage, acquire, create_generation_in, read_meta, write_meta
from search.suggest import near_spellings, respelled
from search.vector import Match, VectorSearcher

__all__ = ["Batch", "Hit", "IndexLocked", "SearchIndex", "SearchPage", "SearchUnavailable", "rebuild_index"]

log = logging.getLogger(__name__)

SORTS = ("relevance", "newest", "votes")
MAX_PER_PAGE = 100
# Deeper results are not served (their pages come back empty, the total stays true): a
# page number must not make one request rank every match.
MAX_RESULTS = 1000
# "Exact phrases" are checked on each candidate's stored text (the text fields keep no
# positions), at most this many candidates, the best under the page's sort: a phrase of
# common words (「する調査」, 47,000 candidates at 100,000 questions) took 12 s in full.
PHRASE_CHECK_LIMIT = 500
# Relevance ranks at most this many complete and as many partial matches (BM25F's best) on
# their blended score (see _relevance_window); deeper pages follow BM25F.
RERANK_WINDOW = 100
# The weight of meaning (cosine of word-vector means, -1..1) against the lexical score (a share
# of the best, 0..1), and the feedback from the best lexical matches to the query's vector.
# Tuned on eval-search, every set alike: README, "Search".
SEMANTIC_WEIGHT = 1.0
FEEDBACK_DOCS, FEEDBACK_WEIGHT = 3, 0.5
# A partial match (not every word) is shown only with at least this share of the best score.
PARTIAL_FLOOR = 0.5
# A query of at most this many terms is keywords (差押禁止額, 滞納処分 差押え): documents with all
# of them come first, and a partial match needs at least half the query's weight (idf). Longer
# queries (a question as asked, a title) rank partial matches freely: they often share only
# some of their words with the answer: on every query, each rule cost eval-search's bulletin set
# (complete matches first 0.483 -> 0.471, the weight floor 0.471 -> 0.428).
KEYWORD_TERMS = 3
_SORT_COLUMNS = {"newest": ("created",), "votes": ("score", "created")}
SIMILAR_MAX_TERMS = 12
# Related questions leave out words found in more than this share of the questions: scoring
# their long posting lists took most of a question page (p95 0.6 s at 100,000 questions),
# and a word that common says little about what a question is about.
SIMILAR_COMMON_SHARE = 0.05
SIMILAR_COMMON_MIN_DOCS = 500  # on a small site every word is kept: scoring is cheap there
SIMILAR_MIN_TERMS = 3
# Related questions must share a word at least this share as rare (idf) as the rarest word of
# the title (see _rarest_shared): the sidebar shows fewer questions rather than ones sharing
# only common words. They are picked from BM25F's best SIMILAR_POOL x limit. Meaning does not
# rank them: blended as in search, eval-search's related precision fell from 0.46 to 0.40, and a
# cosine floor (0.5-0.75) only showed fewer related ones (README, "Search").
SIMILAR_FLOOR = 0.5
SIMILAR_POOL = 3
SIMILAR_FLOOR_MIN_DOCS = 50  # below, idf says little (every word is rare): no floor
_APPLY_LOCK = "ZENNIN_APPLY"

T = TypeVar("T")


@dataclass
class Hit:
    question_id: int
    score: float  # BM25F x quality_boost for relevance; 0.0 for the other sorts
    title_html: str  # escaped title, matches in <mark>
    snippet_html: str  # escaped snippet, matches in <mark>
    answer_id: int | None  # the snippet comes from this answer (link to #answer-ID)
    # Matches only some of the words, yet scored close enough to the best (see
    # _relevance_window); it may rank among complete matches (the app says 「一部の語を含む」).
    partial: bool = False


@dataclass
class Batch:
    """Changes for one index commit: documents to add or replace, question ids to remove,
    and the outbox position they bring the index to (None: leave it).

    ``purged_through`` (a mark of the caller's, e.g. its last redaction) also rewrites every
    segment holding deleted documents: Whoosh only flags a replaced or removed document as
    deleted and keeps its stored text and terms in the segment's files until a merge.
    """

    upserts: Sequence[QuestionDocument]
    deletes: Sequence[int]
    position: int | None = None
    purged_through: int | None = None


@dataclass
class SearchPage:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    # Phrases were checked in only this many best candidates (PHRASE_CHECK_LIMIT): the
    # results and the total cover those (the app says so). None: in every candidate.
    phrases_checked_in: int | None = None
    # Words (as typed) no question has: no hits then, unless the query was long enough to
    # be searched without them (see QueryPlan.blocked_by).
    unknown: tuple[str, ...] = ()
    respellings: dict[str, str] = field(default_factory=dict)  # word -> 「もしかして」
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = math.ceil(self.total / self.per_page) if self.total else 0


def quality_boost(score: int, accepted: bool, adopted: int = 0) -> float:
    """The light quality factor of the relevance score (see ``_relevance_window``):

        boost = min(1.4, 1 + 0.15 * accepted + 0.05 * ln(1 + max(score, 0)) + 0.03 * ln(1 + adopted))

    An accepted answer is worth +15 %; votes add +5 % per factor e (score 10: +12 %,
    score 100: +23 %); negative scores are not punished. Organizations that marked an
    answer 「うちでも採用」 add +3 % per factor e (3 organizations: +4 %, 12: +8 %): milder than
    votes, and exactly nothing without adoptions, so a corpus without them ranks as before.
    The cap keeps text relevance in charge: a document needs at least 1/1.4 of another's
    BM25F score to overtake it.
    """
    return min(1.4, 1.0 + 0.15 * bool(accepted) + 0.05 * math.log1p(max(score, 0)) + 0.03 * math.log1p(max(adopted, 0)))


def _distinctive(terms: Sequence[str], searcher: Searcher) -> list[str]:
    """The terms present in the index, without the very common ones (SIMILAR_COMMON_SHARE);
    when that leaves fewer than SIMILAR_MIN_TERMS, the rarest SIMILAR_MIN_TERMS."""
    reader = searcher.reader()
    frequency = {term: reader.doc_frequency("text", term) for term in terms}
    present = sorted((term for term in terms if frequency[term]), key=frequency.__getitem__)
    common = max(SIMILAR_COMMON_MIN_DOCS, int(searcher.doc_count() * SIMILAR_COMMON_SHARE))
    distinctive = [term for term in present if frequency[term] <= common]
    return distinctive if len(distinctive) >= SIMILAR_MIN_TERMS else present[:SIMILAR_MIN_TERMS]


def _rarity(reader) -> meaning.Rarity:
    """The idf of terms in the morphological field of this reader's documents. (Both counts
    include deleted documents, replaced ones too, until a merge drops them.)"""
    return meaning.Rarity(partial(reader.doc_frequency, "text"), reader.doc_count_all())


def _rarest_shared(
    searcher: Searcher, vectors: VectorSearcher, terms: Sequence[str], docnums: list[int]
) -> dict[int, float]:
    """For each of ``docnums``, the weight (idf) of the rarest of ``terms`` it contains, as a
    share of the rarest term's: a question sharing only the common words of a title
    (「確認」, 「について」) and none of what makes it specific is not related to it."""
    rarity = _rarity(searcher.reader())
    weights = {term: rarity(term) for term in terms}
    top = max(weights.values(), default=0.0)
    rarest = dict.fromkeys(docnums, 0.0 if top > 0 else 1.0)
    for term, weight in weights.items():
        present = vectors.docs(wq.Term("text", term))
        for docnum in docnums:
            if present[docnum] and top > 0:
                rarest[docnum] = max(rarest[docnum], weight / top)
    return rarest


class SearchIndex:
    """The index of questions (answers folded in).

    One instance per process; it is safe to share between threads (reads are serialized
    by a lock, which is fine for Flask's threaded dev server and gunicorn sync workers).
    Every read error is retried once with a fresh reader, then raised as SearchUnavailable.
    """

    def __init__(self, home: IndexHome | None = None, storage: RamStorage | None = None):
        self._home = home
        self._ram = storage
        self._lock = threading.RLock()
        self._generation: Path | None = None
        self._ix: Index | None = None
        self._searcher: Searcher | None = None
        self._vectors: VectorSearcher | None = None

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> SearchIndex:
        """The on-disk index at ``path``; an empty one is created if there is none.

        Raises SearchUnavailable when the index is corrupt or was built by other analysis code.
        """
        home = IndexHome(path)
        try:
            home.ensure_current()
        except OSError as error:
            raise SearchUnavailable(f"cannot create an index in {path}: {error}") from error
        index = cls(home=home)
        with index._lock:
            index._index()
        return index

    @classmethod
    def in_memory(cls) -> SearchIndex:
        storage = IsolatedRamStorage()
        create_generation_in(storage)
        return cls(storage=storage)

    # --- writing -------------------------------------------------------------------------

    @property
    def position(self) -> int:
        """The id of the last outbox row applied to this index (0 for a new index)."""
        with self._lock:
            return read_meta(self._index().storage).position

    @property
    def purged_through(self) -> int:
        """The mark of the last batch that purged deleted documents (0: none since the build)."""
        with self._lock:
            return read_meta(self._index().storage).purged_through

    def apply(
        self,
        upserts: Iterable[QuestionDocument],
        deletes: Iterable[int],
        *,
        position: int | None = None,
        purged_through: int | None = None,
        timeout: float = 2.0,
    ) -> None:
        """Add or replace ``upserts`` and remove ``deletes`` (an id in both is removed), in
        one commit; then record ``position`` (it never moves backwards). With
        ``purged_through``, deleted documents are also merged out of the files (see Batch).

        Replaying a batch is harmless, so the app can drain its outbox at least once.
        Raises IndexLocked when another writer holds the index for ``timeout`` seconds.
        """
        batch = Batch(list(upserts), list(deletes), position, purged_through)
        self.apply_pending(lambda _position: batch, timeout=timeout)

    def apply_pending(self, pending: Callable[[int], Batch | None], *, timeout: float = 2.0) -> bool:
        """Call ``pending(position)`` and apply the batch it returns, all under the index's
        apply lock. Returns False when it returned None (nothing pending).

        Building the documents inside the lock is what keeps concurrent writers from losing
        an update: were they built before it, a process holding an older state of a question
        could apply it after another process applied the newer one.
        """
        with self._lock:
            ix = self._index()
        apply_lock = ix.storage.lock(_APPLY_LOCK)  # spans build + commit + meta write
        acquire(apply_lock, timeout, "the search index")
        try:
            batch = pending(read_meta(ix.storage).position)
            if batch is None:
                return False
            self._commit(ix, batch, timeout)
            return True
        except OSError as error:  # e.g. the generation was swapped out and deleted under us
            raise SearchUnavailable(f"index write failed: {error!r}") from error
        finally:
            apply_lock.release()

    @staticmethod
    def _commit(ix: Index, batch: Batch, timeout: float) -> None:
        deleted = {str(question_id) for question_id in batch.deletes}
        try:
            writer = ix.writer(timeout=timeout, delay=0.05, codec=ZenninCodec())
        except LockError as error:
            raise IndexLocked("the search index is locked by another writer") from error
        try:
            reader = writer.reader()  # the rarity of terms for the meaning vectors, as indexed so far
            try:
                rarity = _rarity(reader)
                for doc in batch.upserts:
                    if str(doc.id) not in deleted:
                        writer.update_document(**document_fields(doc, rarity))
            finally:
                reader.close()
            for question_id in deleted:
                writer.delete_by_term("id", question_id)
            # Normally merge small segments only; never optimize() here (minutes).
            writer.commit(mergetype=_merge_deleted if batch.purged_through is not None else None)
        except BaseException:
            writer.cancel()
            raise
        # Still under the apply lock, so no other process can move the position between
        # this commit and the meta write; a crash in between only replays rows later.
        if batch.position is not None or batch.purged_through is not None:
            meta = read_meta(ix.storage)
            write_meta(
                ix.storage,
                replace(
                    meta,
                    position=max(meta.position, batch.position or 0),
                    purged_through=max(meta.purged_through, batch.purged_through or 0),
                ),
            )

    # --- reading -------------------------------------------------------------------------

    def search(
        self,
        query: str | ParsedQuery,
        *,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
        synonyms: Sequence[Sequence[str]] = (),
        highlight: bool = True,
        groups: Iterable[int] = (),
    ) -> SearchPage:
        """One page of questions matching ``query`` (see search.query for the syntax).

        A page past the end has no hits. ``synonyms`` are groups of equivalent terms,
        applied to free text only. ``highlight=False`` skips snippets (``snippet_html`` is
        empty, the title merely escaped) for callers that only need ids. ``groups``: the
        groups whose private questions the searcher may find (others' never count).
        """
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {SORTS}, not {sort!r}")
        parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
        plan = QueryPlan(parsed, synonyms)
        page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
        audience = _audience(groups)
        return self._read(lambda searcher, vectors: _search(searcher, vectors, plan, page, per_page, sort, highlight, audience))

    def similar(
        self, text: str, *, limit: int = 5, exclude_id: int | None = None, highlight: bool = True, groups: Iterable[int] = ()
    ) -> list[Hit]:
        """Questions related to ``text`` (a title being typed, or a question's title): any
        of its terms may match; BM25F ranks those sharing more of them, in titles first.
        ``highlight=False`` skips titles' marks and snippets, as in ``search``."""
        terms = list(dict.fromkeys(morph_terms(text)))[:SIMILAR_MAX_TERMS]
        if not terms:
            return []
        audience = _audience(groups)

        def run(searcher: Searcher, vectors: VectorSearcher) -> list[Hit]:
            kept = _distinctive(terms, searcher)
            if not kept:
                return []
            marks = HighlightTerms(frozenset(kept), frozenset(), frozenset(map(fold, kept))) if highlight else None
            found = vectors.match(wq.Or([wq.Term("text", t) for t in kept]))
            found.mask &= vectors.docs(audience)
            if exclude_id is not None:
                found.mask &= ~vectors.docs(wq.Term("id", str(exclude_id)))
            pool = vectors.top(found, limit * SIMILAR_POOL)
            if searcher.doc_count() >= SIMILAR_FLOOR_MIN_DOCS:
                rarest = _rarest_shared(searcher, vectors, kept, [docnum for _, docnum in pool])
                pool = [(score, docnum) for score, docnum in pool if rarest[docnum] >= SIMILAR_FLOOR]
            return [_hit(searcher, docnum, score, marks, partial=False) for score, docnum in pool[:limit]]

        return self._read(run)

    def doc_count(self) -> int:
        return self._read(lambda searcher, _vectors: searcher.doc_count())

    def close(self) -> None:
        with self._lock:
            self._close_reader()
            if self._ix is not None:
                self._ix.close()
            self._ix = None
            self._generation = None

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- internals -----------------------------------------------------------------------

    def _index(self) -> Index:
        """The Whoosh index of the live generation, reopened after a rebuild swapped it."""
        if self._ram is not None:
            if self._ix is None:
                self._ix = self._ram.open_index()
            return self._ix
        generation = self._home.current()
        if generation is None:
            raise SearchUnavailable(f"no search index in {self._home.root}")
        if generation != self._generation or self._ix is None:
            self._close_reader()
            storage = FileStorage(str(generation))
            read_meta(storage)
            try:
                self._ix = storage.open_index()
            except Exception as error:
                _release_files(error)
                raise SearchUnavailable(f"cannot open {generation}: {error!r}") from error
            self._generation = generation
        return self._ix

    def _read(self, work: Callable[[Searcher, VectorSearcher], T]) -> T:
        with self._lock:
            error: Exception | None = None
            for attempt in range(2):
                try:
                    searcher = self._fresh_searcher()
                    if self._vectors is None:
                        self._vectors = VectorSearcher(searcher)
                    return work(searcher, self._vectors)
                except SearchUnavailable:
                    raise
                # A commit in another process can remove files under a reader
                # (FileNotFoundError), and a damaged index fails in many ways (EmptyIndexError,
                # struct.error, EOFError, UnicodeDecodeError, ...): start afresh, once.
                except Exception as caught:
                    log.warning("search index read failed (attempt %d): %r", attempt + 1, caught)
                    _release_files(caught)
                    error = caught
                    self._close_reader()
                    self._generation = None
            raise SearchUnavailable(f"search index unreadable: {error!r}") from error

    def _fresh_searcher(self) -> Searcher:
        """The kept searcher, reopened when another commit changed the index.

        Not ``Searcher.refresh()``: it reuses segment readers whose deletions have changed
        and then still counts deleted documents (checked with whoosh-reloaded 2.7.5).
        """
        ix = self._index()
        if self._searcher is not None and not self._searcher.up_to_date():
            self._close_reader()
        if self._searcher is None:
            self._searcher = ix.searcher(weighting=BM25F())
        return self._searcher

    def _close_reader(self) -> None:
        if self._searcher is not None:
            try:
                self._searcher.close()
            except Exception:  # closing a reader of deleted or damaged files
                log.debug("closing a stale searcher failed", exc_info=True)
        self._searcher = None
        self._vectors = None


def _merge_deleted(writer: SegmentWriter, segments: list[Segment]) -> list[Segment]:
    """Whoosh merge policy: rewrite the segments that have deleted documents (without them;
    the commit then removes the old files) and keep the others as they are."""
    kept = []
    for segment in segments:
        if segment.has_deletions():
            reader = SegmentReader(writer.storage, writer.schema, segment)
            writer.add_reader(reader)
            reader.close()
        else:
            kept.append(segment)
    return kept


def _release_files(error: BaseException) -> None:
    """Whoosh leaves files open when it fails on a damaged index; the failing frames hold
    them. Clearing those frames closes the files now instead of at some later collection."""
    traceback.clear_frames(error.__traceback__)


# --- one search --------------------------------------------------------------------------


def _audience(groups: Iterable[int]) -> wq.Query:
    """The documents a searcher may find: every member's, and their groups' private ones."""
    return wq.Or([wq.Term(AUDIENCE, EVERY_MEMBER)] + [wq.Term(AUDIENCE, audience_term(g)) for g in sorted(set(groups))])


def _search(
    searcher: Searcher,
    vectors: VectorSearcher,
    plan: QueryPlan,
    page: int,
    per_page: int,
    sort: str,
    highlight: bool,
    audience: wq.Query,
) -> SearchPage:
    reader, frequencies = searcher.reader(), {}
    plan.use(reader)
    unknown = tuple(plan.unknown(reader, frequencies)) if plan.has_text else ()
    if plan.blocked_by(unknown):
        return SearchPage([], 0, page, per_page, unknown=unknown, respellings=near_spellings(searcher, vectors, unknown))
    plan.without(unknown)
    filters, mask = plan.filters(), plan.mask()
    if plan.has_text:
        strict = list(plan.strict_tiers())
    elif filters is not None:  # operators only: list what they select, newest first
        strict, filters = [(filters, False)], None
        sort = "newest" if sort == "relevance" else sort
    else:
        return SearchPage([], 0, page, per_page)

    allowed = vectors.live & vectors.docs(audience)  # before anything is counted or ranked
    if filters is not None:
        allowed &= vectors.docs(filters)
    mask = prune(mask, reader, frequencies)
    if mask is not None:
        allowed &= ~vectors.docs(mask)
    checked_in = None
    if plan.phrases:
        phrase_matches, checked_in = _phrase_matches(searcher, vectors, plan, allowed, sort)
        allowed &= phrase_matches
    if not allowed.any():
        return SearchPage([], 0, page, per_page, checked_in)
    start = (page - 1) * per_page
    wanted = page * per_page if start < MAX_RESULTS else per_page
    complete = Match(np.zeros(vectors.size, dtype=bool), np.zeros(vectors.size))
    by_terms = False  # Sudachi's terms alone found enough: partial matches need no bigrams either
    for query, bigrams in strict:
        query = prune(query, reader, frequencies)
        if query is not None:
            complete = _matching(vectors, query, allowed)
            if np.count_nonzero(complete.mask) >= ENOUGH_HITS:
                by_terms = not bigrams
                break
    relaxed = prune(plan.relaxed(bigrams=not by_terms), reader, frequencies) if plan.has_text else None
    some = _matching(vectors, relaxed, allowed) if relaxed is not None else None
    if sort == "relevance" or some is not None:  # the window also decides which partial matches count
        window, partial = _relevance_window(searcher, vectors, complete, some, plan)
    else:
        window, partial = [], np.zeros(vectors.size, dtype=bool)
    if sort == "relevance":
        ranked = window
        if wanted > len(window):  # deeper pages: the complete matches past the window, by BM25F
            seen = {docnum for _, docnum in window}
            ranked = window + [item for item in vectors.top(complete, wanted) if item[1] not in seen]
    else:
        ranked = [(0.0, docnum) for docnum in vectors.sorted_by(complete.mask | partial, _SORT_COLUMNS[sort], wanted)]
    total = int(np.count_nonzero(complete.mask)) + int(np.count_nonzero(partial))
    terms = plan.highlight_terms() if highlight else None
    hits = [_hit(searcher, docnum, score, terms, partial=bool(partial[docnum])) for score, docnum in ranked[start:wanted]]
    respellings = {}
    if plan.has_text and not complete.mask.any():
        respellings = near_spellings(searcher, vectors, plan.unmatched(reader, frequencies))
    if plan.readings() and ranked:
        respellings.update(respelled(searcher, plan.readings(), [docnum for _, docnum in ranked]))
    return SearchPage(hits, total, page, per_page, checked_in, unknown, respellings)


def _matching(vectors: VectorSearcher, query: wq.Query, allowed: np.ndarray) -> Match:
    found = vectors.match(query)
    found.mask &= allowed
    return found


def _relevance_window(
    searcher: Searcher, vectors: VectorSearcher, complete: Match, some: Match | None, plan: QueryPlan
) -> tuple[list[tuple[float, int]], np.ndarray]:
    """The best RERANK_WINDOW documents by relevance, best first, and which documents are
    partial matches worth showing.

    Candidates: the best complete matches (every word) and the best documents matching any
    word, all scored by the any-word query's BM25F (so a document is not ranked down for
    lacking a word that says little), as a share of the best, times ``quality_boost``, plus
    SEMANTIC_WEIGHT times the cosine of its vector with the query's (search.meaning). A partial
    match stays only with at least PARTIAL_FLOOR of the best score: fewer results rather than
    a tail of documents sharing one word with the query. For keywords (KEYWORD_TERMS), complete
    matches come first and a partial one must carry half of the query's idf.
    """
    partial = np.zeros(vectors.size, dtype=bool)
    candidates = [docnum for _, docnum in vectors.top(complete, RERANK_WINDOW)]
    if some is not None:
        loose = Match(some.mask & ~complete.mask, some.scores)
        candidates += [docnum for _, docnum in vectors.top(loose, RERANK_WINDOW)]
        lexical = np.array([some.scores[d] for d in candidates])
    else:
        lexical = np.array([complete.scores[d] for d in candidates])
    if not candidates:
        return [], partial
    # Quality scales the lexical share only: cosines of in-domain texts sit close together
    # (0.75-0.9), and scaled too they let a well-voted question that merely mentions the words
    # pass the one whose title is the query.
    quality = np.array([_quality(vectors, d) for d in candidates])
    meaning_scores = _meaning_scores(searcher, plan.texts(), candidates, lexical)
    blended = lexical / (lexical.max() or 1.0) * quality + SEMANTIC_WEIGHT * meaning_scores
    keywords = len(plan.terms()) <= KEYWORD_TERMS
    admitted = blended >= PARTIAL_FLOOR * blended.max()
    if keywords:
        admitted &= _coverage(searcher, vectors, plan.terms(), candidates) >= 0.5
    window = []
    for score, docnum, enough in sorted(
        zip(blended.tolist(), candidates, admitted.tolist(), strict=True),
        key=lambda item: (keywords and not complete.mask[item[1]], -item[0], item[1]),
    ):
        if not complete.mask[docnum]:
            if not enough:
                continue
            partial[docnum] = True
        window.append((score, docnum))
    return window, partial


def _coverage(searcher: Searcher, vectors: VectorSearcher, terms: Sequence[str], docnums: list[int]) -> np.ndarray:
    """The share of the terms' total idf that each document contains (terms no document
    has left out: they cannot be matched)."""
    reader = searcher.reader()
    rarity = _rarity(reader)
    weights = {term: rarity(term) for term in terms if reader.doc_frequency("text", term)}
    covered = np.zeros(len(docnums))
    for term, weight in weights.items():
        covered += weight * vectors.docs(wq.Term("text", term))[docnums]
    return covered / (sum(weights.values()) or 1.0)


def _meaning_scores(searcher: Searcher, texts: Sequence[str], docnums: list[int], lexical: np.ndarray) -> np.ndarray:
    """Cosine of each document's vector with the query's, the query's moved toward the best
    lexical matches' (pseudo-relevance feedback): zeros without vectors."""
    query = _query_vector(searcher, texts)
    if query is None:
        return np.zeros(len(docnums))
    column = searcher.reader().column_reader(MEANING)
    documents = meaning.decode([column[d] for d in docnums])
    best = np.argsort(-lexical, kind="stable")[:FEEDBACK_DOCS]
    query = query + FEEDBACK_WEIGHT * documents[best].mean(axis=0)
    return documents @ (query / (np.linalg.norm(query) or 1.0))


def _query_vector(searcher: Searcher, texts: Sequence[str]) -> np.ndarray | None:
    """The mean vector of the texts' index terms, each weighted by its idf here."""
    terms = [term for text in texts for term in SudachiTokenizer().index_terms(text)]
    if not terms:
        return None
    rarity = _rarity(searcher.reader())
    weights = [rarity(term) for term in terms]
    return meaning.text_vector(terms, weights)


def _quality(vectors: VectorSearcher, docnum: int) -> float:
    return quality_boost(
        vectors.value("score", docnum), bool(vectors.value("accepted", docnum)), vectors.value("adopted", docnum)
    )


def _phrase_matches(
    searcher: Searcher, vectors: VectorSearcher, plan: QueryPlan, allowed: np.ndarray, sort: str
) -> tuple[np.ndarray, int | None]:
    """Documents containing every "exact phrase" (folded; whitespace is ignored, as
    Japanese writers space words inconsistently), and PHRASE_CHECK_LIMIT if only that many
    candidates, the best under ``sort``, were checked (else None).

    The text fields carry no positions (half the index size), so the candidates (documents
    with all of the phrases' terms) are checked against their stored text instead.
    """
    phrases = [_unspaced(fold(p)) for p in plan.phrases]
    matches = np.zeros(vectors.size, dtype=bool)
    query = prune(plan.phrase_candidates(), searcher.reader())
    if query is None:
        return matches, None
    candidates = vectors.docs(query) & allowed
    limit = PHRASE_CHECK_LIMIT if np.count_nonzero(candidates) > PHRASE_CHECK_LIMIT else None
    if limit is not None:
        found = _matching(vectors, query, allowed)
        if sort == "relevance":
            docnums = sorted(docnum for _, docnum in vectors.top(found, limit))
        else:
            docnums = sorted(vectors.sorted_by(found.mask, _SORT_COLUMNS[sort], limit))
    else:
        docnums = np.flatnonzero(candidates)
    for docnum in docnums:
        stored = searcher.stored_fields(int(docnum))
        texts = []
        if plan.parsed.scope != "answer":
            texts += [stored["title"], stored["body"]]
        if plan.parsed.scope != "question":
            texts += [body for _, body in stored.get("answer_texts", ())]
        haystack = _unspaced(fold("\n".join(texts)))
        matches[docnum] = all(phrase in haystack for phrase in phrases)
    return matches, limit


def _unspaced(text: str) -> str:
    return "".join(text.split())


def _hit(searcher: Searcher, docnum: int, score: float, terms: HighlightTerms | None, partial: bool) -> Hit:
    """A hit with its snippet; without ``terms``, just the escaped title."""
    stored = searcher.stored_fields(docnum)
    title = stored.get("title", "")
    if terms is None:
        return Hit(int(stored["id"]), score, mark(title, []), "", None, partial)
    snippet, answer_id = best_snippet(stored.get("body", ""), stored.get("answer_texts", ()), terms)
    return Hit(int(stored["id"]), score, title_html(title, terms), snippet, answer_id, partial)
