"""Matching, BM25F scoring and sorting over whole posting lists at once, with NumPy.

Whoosh walks a query's matcher tree document by document in Python and scores every
posting on the way (~10 µs each): a word found in 80,000 of 100,000 questions took half a
second, and block-max skipping barely helps when a page wants the top 100 for the re-rank.
Here each term's posting list is decoded block by block into arrays, and a query is
evaluated as whole-index vectors (a match mask and a score per document), so the cost per
posting is a few nanoseconds of C.

The scores are Whoosh's own: ``BM25F`` with its defaults (B=0.75, K1=1.2), the same idf,
average field length and (byte-quantized) document lengths, a term's boost multiplied in,
``And`` and ``Or`` adding the scores of the children that match; a ``DisjunctionMax``
scores its best child plus ``tiebreak`` times the others (Lucene's meaning: Whoosh's
matcher ignores ``tiebreak``). tests/search/test_vector.py
checks scores, order and counts against ``Searcher.search``. Reading posting blocks and
length columns reaches into whoosh-reloaded 2.7.5's W3 codec (pinned in requirements.txt),
as search.compiler already does.
"""

from __future__ import annotations

import io
import pickle
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import _INT_SIZE, LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.columns import EmptyColumnReader
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.system import unpack_int

from search.codec import LENGTH_OF_BYTE

# Document length of each stored length byte (Whoosh quantizes lengths to one byte).
_LENGTH_OF_BYTE = np.array(LENGTH_OF_BYTE, dtype=np.float64)
# Decoded posting lists kept per searcher (8 bytes a posting, so 8 MB): the common words that make
# searches slow are the ones that come back, and decoding is most of their cost.
POSTINGS_CACHE_SIZE = 1_000_000


class Match:
    """The documents a query matches (a boolean per document) and their scores."""

    __slots__ = ("mask", "scores")

    def __init__(self, mask: np.ndarray, scores: np.ndarray):
        self.mask, self.scores = mask, scores


class VectorSearcher:
    """Vectors over one Whoosh searcher's documents (global document numbers).

    Build one per searcher and drop it with the searcher: it caches per-segment document
    lengths, columns and the deleted documents, which change with every commit.
    """

    def __init__(self, searcher: Searcher):
        weighting = searcher.weighting
        if type(weighting) is not BM25F or weighting._field_B:
            raise TypeError("VectorSearcher reproduces BM25F with default per-field B only")
        self._searcher = searcher
        self._B, self._K1 = weighting.B, weighting.K1
        self._leaves = [(reader, offset) for reader, offset in searcher.reader().leaf_readers()]
        self.size = searcher.doc_count_all()
        self._lengths: dict[tuple[int, str], np.ndarray] = {}
        self._columns: dict[str, np.ndarray] = {}
        self._postings: OrderedDict[tuple[int, str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cached_postings = 0
        self.live = np.ones(self.size, dtype=bool)
        for reader, offset in self._leaves:
            if reader.has_deletions():
                self.live[np.fromiter(reader.deleted_docs_set, dtype=np.int64) + offset] = False

    # --- evaluating queries --------------------------------------------------------------

    def match(self, query: wq.Query, scored: bool = True) -> Match:
        """What ``query`` matches among live documents, with Whoosh's BM25F scores."""
        found = self._evaluate(query, scored)
        found.mask &= self.live
        return found

    def docs(self, query: wq.Query) -> np.ndarray:
        """A boolean mask of the documents ``query`` selects (deleted ones included)."""
        return self._evaluate(query, scored=False).mask

    def _evaluate(self, query: wq.Query, scored: bool) -> Match:
        if isinstance(query, wq.Term) and isinstance(query.text, str):
            return self._term(query, scored)
        if isinstance(query, (wq.And, wq.Or)) and query.boost == 1.0:
            if not query.subqueries:
                return Match(self._none(), self._zeros() if scored else None)
            # Children are folded in one at a time: a wide Or (every bigram of a word in two
            # fields) must not hold all its children's vectors at once (~1 MB each at 100k).
            combine = np.logical_and if isinstance(query, wq.And) else np.logical_or
            found = self._evaluate(query.subqueries[0], scored)
            for child in query.subqueries[1:]:
                other = self._evaluate(child, scored)
                combine(found.mask, other.mask, out=found.mask)
                if scored:
                    found.scores += other.scores
            if scored and isinstance(query, wq.And):  # a partial And must not add to an Or above it
                found.scores[~found.mask] = 0.0
            return found
        if isinstance(query, wq.DisjunctionMax) and query.boost == 1.0:
            # Whoosh's score: the best child's plus ``tiebreak`` times the others'.
            found = self._evaluate(query.subqueries[0], scored)
            total = found.scores.copy() if scored else None
            for child in query.subqueries[1:]:
                other = self._evaluate(child, scored)
                np.logical_or(found.mask, other.mask, out=found.mask)
                if scored:
                    total += other.scores
                    np.maximum(found.scores, other.scores, out=found.scores)
            if scored and query.tiebreak:
                found.scores += query.tiebreak * (total - found.scores)
            return found
        # Anything else (numeric ranges of the filters) is left to Whoosh: unscored.
        mask = self._none()
        docnums = list(self._searcher.docs_for_query(query))
        mask[np.array(docnums, dtype=np.int64)] = True
        return Match(mask, self._zeros() if scored else None)

    def _term(self, term: wq.Term, scored: bool) -> Match:
        mask, scores = self._none(), self._zeros() if scored else None
        field, text = term.fieldname, term.text
        if field not in self._searcher.schema:
            return Match(mask, scores)
        scorable = self._searcher.schema[field].scorable
        if scored and scorable:
            idf = self._searcher.idf(field, text)
            average = self._searcher.avg_field_length(field) or 1
            norm = self._K1 * (1 - self._B)
            per_length = self._K1 * self._B / average
        for index, (reader, offset) in enumerate(self._leaves):
            if (field, text) not in reader:
                continue
            ids, weights = self._term_postings(index, reader, field, text)
            docs = ids + offset
            mask[docs] = True
            if not scored:
                continue
            weights = weights.astype(np.float64)  # Whoosh scores float32 weights in doubles
            if scorable:
                lengths = self._segment_lengths(index, reader, field)[ids]
                values = idf * (weights * (self._K1 + 1)) / (weights + (norm + per_length * lengths))
            else:
                values = weights
            scores[docs] = values * term.boost
        return Match(mask, scores)

    def _term_postings(self, index: int, reader, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = (index, field, text)
        cached = self._postings.get(key)
        if cached is not None:
            self._postings.move_to_end(key)
            return cached
        cached = _postings(reader, field, text)
        self._postings[key] = cached
        self._cached_postings += len(cached[0])
        while self._cached_postings > POSTINGS_CACHE_SIZE and len(self._postings) > 1:
            _, (ids, _) = self._postings.popitem(last=False)
            self._cached_postings -= len(ids)
        return cached

    def _segment_lengths(self, index: int, reader, field: str) -> np.ndarray:
        key = (index, field)
        if key not in self._lengths:
            column = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            raw = _column_array(column, reader.doc_count_all()) if column is not None else None
            self._lengths[key] = _LENGTH_OF_BYTE[raw] if raw is not None else np.ones(reader.doc_count_all())
        return self._lengths[key]

    # --- results -------------------------------------------------------------------------

    def top(self, found: Match, limit: int) -> list[tuple[float, int]]:
        """The ``limit`` best (score, docnum) pairs, best first; ties go to the lower docnum
        (as in Whoosh's top-N collector)."""
        if limit <= 0:
            return []
        docs = np.flatnonzero(found.mask)
        scores = found.scores[docs]
        if len(docs) > limit:
            threshold = np.partition(scores, len(docs) - limit)[len(docs) - limit]
            keep = scores >= threshold
            docs, scores = docs[keep], scores[keep]
        order = np.lexsort((docs, -scores))[:limit]
        return [(float(scores[i]), int(docs[i])) for i in order]

    def sorted_by(self, mask: np.ndarray, fields: Sequence[str], limit: int) -> list[int]:
        """The first ``limit`` documents in ``mask``, by ``fields`` descending, then docnum."""
        docs = np.flatnonzero(mask)
        keys = [docs]
        for name in reversed(fields):
            # Ranks, not values: unsigned 64-bit columns (dates, Whoosh's "missing" maximum)
            # cannot be negated.
            _, rank = np.unique(self.column(name)[docs], return_inverse=True)
            keys.append(-rank.reshape(-1))
        return [int(d) for d in docs[np.lexsort(keys)[:limit]]]

    def column(self, name: str) -> np.ndarray:
        """A sortable numeric field's column for every document: Whoosh's order-preserving
        form (a signed field is shifted, a missing value is the type's maximum), for sorting;
        see ``value``."""
        if name not in self._columns:
            dtype = np.dtype(self._searcher.schema[name].column_type._typecode)
            parts = [np.zeros(0, dtype=dtype)]
            for reader, _ in self._leaves:
                column = reader.column_reader(name, translate=False)
                if isinstance(column, EmptyColumnReader):  # no document of the segment has one
                    parts.append(np.full(reader.doc_count_all(), column[0], dtype=dtype))
                else:
                    parts.append(_column_array(column, reader.doc_count_all()).astype(dtype))
            self._columns[name] = np.concatenate(parts)
        return self._columns[name]

    def value(self, name: str, docnum: int) -> int:
        """A sortable numeric field's value for one document."""
        return self._searcher.schema[name].from_column_value(int(self.column(name)[docnum]))

    def _none(self) -> np.ndarray:
        return np.zeros(self.size, dtype=bool)

    def _zeros(self) -> np.ndarray:
        return np.zeros(self.size, dtype=np.float64)


def _postings(reader, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """A term's (segment docnums, weights) in one segment, deleted documents included."""
    matcher = reader.postings(field, text)
    if isinstance(matcher, FilterMatcher):  # the segment has deletions: the caller masks them
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher):  # postings inlined in the term table
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32)
    return _read_blocks(matcher)


def _read_blocks(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """Decode every block of an on-disk posting list without stepping through it.

    The whole list is read at once and parsed in memory: a block is a signed length (negative
    for the last one), a pickled info tuple, then the (compressed) pickled ids and weights:
    arrays as search.codec writes them, tuples as Whoosh's own writer does.
    """
    length = matcher._length  # W3TermInfo.from_bytes leaves it a 1-tuple
    raw = matcher._postfile.get(matcher._startoffset, length[0] if isinstance(length, tuple) else length)
    buffer = io.BytesIO(raw)
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    position = matcher._baseoffset - matcher._startoffset  # after the list's magic header
    previous_max = 0
    while True:
        (length,) = unpack_int(raw[position : position + _INT_SIZE])
        buffer.seek(position + _INT_SIZE)
        count, max_id, _, compression = pickle.load(buffer)[:4]
        end = position + _INT_SIZE + abs(length)
        data = raw[buffer.tell() : end]
        block_ids, block_weights = pickle.loads(zlib.decompress(data) if compression else data)[:2]
        deltas = (
            np.frombuffer(block_ids, dtype=block_ids.typecode) if isinstance(block_ids, array) else np.array(block_ids)
        ).astype(np.int64)
        # Ids are delta-coded within a block, the first one absolute: make it relative to
        # the previous block's last id so that one cumulative sum decodes the whole list.
        deltas[0] -= previous_max
        ids.append(deltas)
        previous_max = max_id
        if block_weights is None:
            weights.append(np.ones(count, dtype=np.float32))
        elif isinstance(block_weights, float):
            weights.append(np.full(count, block_weights, dtype=np.float32))
        elif isinstance(block_weights, array):
            weights.append(np.frombuffer(block_weights, dtype=np.float32))
        else:
            weights.append(np.array(block_weights, dtype=np.float32))
        if length < 0:
            break
        position = end
    return np.cumsum(np.concatenate(ids)).astype(np.int32), np.concatenate(weights)


def _column_array(column, doc_count: int) -> np.ndarray:
    """The values of a fixed-width numeric column reader for all ``doc_count`` documents."""
    stored = column._count
    raw = column._dbfile.get(column._basepos, stored * column._fixedlen) if stored else b""
    values = np.frombuffer(raw, dtype=np.dtype(column._typecode).newbyteorder(">"))
    if stored < doc_count:  # trailing documents without a value hold the default
        values = np.concatenate([values, np.full(doc_count - stored, column._default, dtype=values.dtype)])
    return values[:doc_count]
