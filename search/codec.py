"""How a full rebuild writes its segments: a W3 codec with rare terms inlined, and a
SegmentWriter that pools postings by term.

Whoosh pickles the codec into every segment it writes (the table of contents names its
class): keep this module at ``search.codec`` and keep the name ``ZenninCodec``.

What made Whoosh's (whoosh-reloaded 2.7.5) segment writing slow, per posting or per term:

* ``PostingPool`` keeps one tuple per posting and sorts them all at the end: 1.4 million
  tuples for 3,000 questions, and their sort alone took ~4 s. ``TermPool`` keeps a field's
  postings in flat arrays, a term number per posting, and groups them with one NumPy sort.
* ``FieldWriter.add_postings`` read each posting's document length from the length column
  file; ``_FieldWriter`` reads each field's lengths once, and hands a term's postings to the
  postings writer as whole blocks.
* Every term got its own posting block, pickled and zlib-compressed, even when one
  document holds it, as half the terms of a question corpus do (~90 µs each). Terms in
  fewer than ``INLINE_LIMIT`` documents now keep their postings in the term table; readers
  get them as a ``ListMatcher`` instead of a ``W3LeafMatcher``. W3's own inlining crashes
  (it calls ``W3TermInfo.set_inline``, which does not exist), hence ``_TermInfo``.
* Per term, ``W3TermInfo`` objects and ``tell()`` system calls: inlined terms are encoded
  directly, and the segment's files count their own position (``_PositionedWriter``).

Blocks are still made by W3's ``_write_block``: with ``inlinelimit=1`` the term and posting
files equal a plain W3 SegmentWriter's byte for byte (tests/search/test_build.py).
"""

from __future__ import annotations

import heapq
import io
import pickle
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import groupby, repeat
from operator import itemgetter

import numpy as np
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.matching import ListMatcher
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.util.numlists import delta_encode
from whoosh.writing import SegmentWriter

# A posting list in the term table costs ~20 bytes a posting uncompressed, a block of its
# own ~80 bytes of overhead: below 8 documents the term table is the smaller place.
INLINE_LIMIT = 8

# Postings per block (W3: 128). Searches decode whole posting lists (search.vector), and a
# block costs a pickle and a zlib call: 1,024 decodes a long list ~3x faster, and the index
# is smaller (366 -> 320 MiB at 100k). Whoosh's block-max skipping, coarser now, is not used.
BLOCK_LIMIT = 1024

_TERM_INFO = W3TermInfo._struct  # W3TermInfo.to_bytes()'s fixed part

# Length byte -> document length as W3PerDocReader.doc_field_length reports it (0: none).
LENGTH_OF_BYTE = [byte_to_length(b) if b else 0 for b in range(256)]

# (fieldname, btext, docnums, weights, values): one term's postings, in docnum order.
TermPostings = tuple[str, bytes, array, array, list]


class ZenninCodec(W3Codec):
    def __init__(self, inlinelimit: int = INLINE_LIMIT, blocklimit: int | None = None):
        super().__init__(blocklimit=blocklimit or BLOCK_LIMIT, inlinelimit=inlinelimit)

    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if not terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        ids, weights, values = terminfo.inlined_postings()
        # A format without values (ID, KEYWORD) inlines none, and ListMatcher.value() then
        # gives "", a str, where merging segments asserts bytes: the merge failed.
        values = values or (b"",) * len(ids)
        return ListMatcher(ids, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class _TermInfo(W3TermInfo):
    def set_inline(self, ids, weights, values):
        self.set_inlined(ids, weights, values)


class _FieldWriter(W3FieldWriter):
    def _create_file(self, ext):
        structfile = super()._create_file(ext)
        structfile.file = _PositionedWriter(structfile.file)
        return structfile

    def start_term(self, btext):
        self._btext = btext
        self._postwriter.start_postings(self._format, _TermInfo())

    def add_term_postings(self, schema, lengths, terms: Iterable[TermPostings]) -> None:
        """``add_postings`` for postings grouped by term, terms in (fieldname, btext) order."""
        inlinelimit = self._codec._inlinelimit
        for fieldname, field_terms in groupby(terms, itemgetter(0)):
            self.start_field(fieldname, schema[fieldname])
            doc_lengths = _doc_lengths(lengths, fieldname)
            postwriter, key_prefix = self._postwriter, pack_ushort(self._fieldid)
            for _, btext, docnums, weights, values in field_terms:
                term_lengths = None if doc_lengths is None else [doc_lengths[d] for d in docnums]
                if len(docnums) < inlinelimit:  # most terms: skip the postings writer
                    self._tindex.add(
                        key_prefix + btext, _inlined_terminfo_bytes(docnums, weights, values, term_lengths)
                    )
                else:
                    self.start_term(btext)
                    postwriter.add_postings(docnums, weights, values, term_lengths)
                    self.finish_term()
            self.finish_field()


def _inlined_terminfo_bytes(docnums: array, weights: array, values: list, lengths: list[int] | None) -> bytes:
    """``W3TermInfo.to_bytes()`` of the term info W3's postings writer makes when it inlines
    postings, without the object (once per term: most of a segment's terms)."""
    stored_weights = tuple(array("f", weights))
    known_lengths = [n for n in lengths if n] if lengths is not None else []
    header = _TERM_INFO.pack(
        True,
        sum(stored_weights),
        len(docnums),
        length_to_byte(min(known_lengths)) if known_lengths else 0,
        length_to_byte(max(known_lengths, default=0)),
        max(0, max(weights)),
        docnums[0],
        docnums[-1],
    )
    return header + pickle.dumps((tuple(docnums), stored_weights, tuple(v for v in values if v)), 2)


class _PositionedWriter:
    """A file being written that counts its own position: a BufferedWriter's tell() is a
    system call, and Whoosh asks for it a few times per term (~10 % of writing a segment)."""

    def __init__(self, file):
        self._file = file
        self._position = file.tell()

    def write(self, data) -> int:
        written = self._file.write(data)
        self._position += written
        return written

    def tell(self) -> int:
        return self._position

    def seek(self, *args):  # would make the count wrong; Whoosh writes segments front to back
        raise io.UnsupportedOperation("seek")

    def __getattr__(self, name: str):
        return getattr(self._file, name)


def _doc_lengths(lengths, fieldname: str) -> list[int] | None:
    """Each document's length in ``fieldname``, or None if the field keeps no lengths."""
    column = lengths._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    return [LENGTH_OF_BYTE[b] for b in column.load()]


class _PostingsWriter(W3PostingsWriter):
    """W3's posting blocks, with ids and weights as arrays pickled at the highest protocol.

    W3 pickles them as tuples of Python numbers (protocol 2), so reading a block built one
    object per posting: most of a search's time on common words and bigrams. An array
    loads as one copy of bytes, and NumPy reads it in place (search.vector). Whoosh's own
    matchers read both forms (they delta-decode ids and index weights as sequences).
    """

    def _mini_ids(self) -> array:
        deltas = list(delta_encode(self._ids))
        largest = max(deltas)  # the smallest item type compresses best
        return array("B" if largest < 1 << 8 else "H" if largest < 1 << 16 else "I", deltas)

    def _mini_weights(self) -> array | float | None:
        # As W3: None when every weight is 1.0, one float when they are all equal.
        weights = self._weights
        first = weights[0]
        if all(w == first for w in weights):
            return None if first == 1.0 else first
        return array("f", weights)

    def _write_block(self, last: bool = False) -> None:
        # W3's layout: a signed length (negative for the last block), then the pickled
        # info tuple, then the compressed pickled data.
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, pickle.HIGHEST_PROTOCOL)
        if self._compression:
            databytes = zlib.compress(databytes, self._compression)
        ids = self._ids
        info = (
            len(ids),
            ids[-1],
            self._maxweight,
            self._compression,
            length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
        )
        infobytes = pickle.dumps(info, 2)
        size = len(infobytes) + len(databytes)
        self._postfile.write_int(-size if last else size)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()

    def add_postings(self, docnums: array, weights: array, values: list, lengths: list[int] | None) -> None:
        """What ``add_posting`` does for each posting of a term, a block at a time."""
        limit = self._blocklimit
        for start in range(0, len(docnums), limit):
            if start:  # add_posting writes a full block when the next posting arrives
                self._write_block()
            end = start + limit
            block_weights = weights[start:end]
            self._ids = docnums[start:end]
            self._weights = array("f", block_weights)
            self._values = [v for v in values[start:end] if v]
            self._maxweight = max(0, max(block_weights))
            if lengths is not None:
                block_lengths = [n for n in lengths[start:end] if n]
                if block_lengths:
                    self._minlength = min(block_lengths)
                    self._maxlength = max(block_lengths)


# Bytes of memory per posting in a TermPool (its term number, docnum, weight and a pointer
# to a shared value) and per term (a dict entry and the bytes): what ``limitmb`` counts.
_POSTING_SIZE = 4 + 4 + 8 + 8
_TERM_SIZE = 120
_term_key = itemgetter(0, 1)


class _TermNumbers(dict):
    """btext -> a number, given in order of arrival: looking up a new term numbers it."""

    def __missing__(self, btext: bytes) -> int:
        self[btext] = number = len(self)
        return number


class _FieldPostings:
    """A field's postings as flat arrays, in arrival (docnum) order.

    Four appends to a term's own arrays cost ~2 µs a posting in Python, and ~200,000
    terms' arrays and lists kept the garbage collector busy; extending flat arrays with a
    document's columns runs in C, and one stable sort groups them by term at the end.
    """

    __slots__ = ("numbers", "terms", "docnums", "weights", "values")

    def __init__(self) -> None:
        self.numbers = _TermNumbers()
        self.terms = array("I")  # each posting's term number
        self.docnums = array("I")
        self.weights = array("d")
        self.values: list = []

    def add(self, docnum: int, btexts: tuple, weights: tuple, values: tuple) -> None:
        self.terms.extend(map(self.numbers.__getitem__, btexts))
        self.docnums.extend(repeat(docnum, len(btexts)))
        self.weights.extend(weights)
        self.values.extend(values)

    def by_term(self) -> Iterator[tuple[bytes, array, array, list]]:
        """Each term's postings, terms in btext order, postings in docnum order."""
        btexts = list(self.numbers)  # by number: the dict keeps arrival order
        in_order = sorted(range(len(btexts)), key=btexts.__getitem__)
        rank = np.empty(len(btexts), np.uintc)
        rank[np.array(in_order, np.uintc)] = np.arange(len(btexts))
        ranks = rank[np.frombuffer(self.terms, np.uintc)]
        order = np.argsort(ranks, kind="stable")  # stable: docnums stay in order
        docnums = array("I", np.frombuffer(self.docnums, np.uintc)[order].tobytes())
        weights = array("d", np.frombuffer(self.weights, np.double)[order].tobytes())
        values = list(map(self.values.__getitem__, order.tolist()))
        start = 0
        ends = np.cumsum(np.bincount(ranks, minlength=len(btexts))).tolist()
        for number, end in zip(in_order, ends, strict=True):
            yield btexts[number], docnums[start:end], weights[start:end], values[start:end]
            start = end


class TermPool:
    """The postings of a new segment, grouped by term once all documents are added.

    Takes ``PostingPool``'s place in ``BulkWriter``. Postings must come in docnum order
    (SegmentWriter numbers documents as they are added). Over ``limitmb`` the pool saves
    its terms, sorted, to a run file in the writer's temp storage; ``terms()`` merges the
    runs term by term.
    """

    def __init__(self, tempstore, name: str, limitmb: float):
        self._tempstore, self._name = tempstore, name  # workers share the temp storage
        self._limit = int(limitmb * 1024 * 1024)
        self._size = 0
        self._fields: defaultdict[str, _FieldPostings] = defaultdict(_FieldPostings)
        self._runs: list[str] = []

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """One posting, as Whoosh's PostingPool takes it."""
        fieldname, btext, docnum, weight, value = item
        self.add_field(fieldname, docnum, [(btext, 0, weight, value)])

    def add_field(self, fieldname: str, docnum: int, postings: Iterable[tuple[bytes, int, float, bytes | None]]) -> int:
        """One document's postings in a field, as ``FieldType.index`` gives them (term,
        frequency, weight, value); returns the sum of the frequencies."""
        columns = tuple(zip(*postings, strict=True))
        if not columns:
            return 0
        btexts, counts, weights, values = columns
        field = self._fields[fieldname]
        known = len(field.numbers)
        field.add(docnum, btexts, weights, values)
        self._size += (len(field.numbers) - known) * _TERM_SIZE + len(btexts) * _POSTING_SIZE
        if self._size > self._limit:
            self._save()
        return sum(counts)

    def terms(self) -> Iterator[TermPostings]:
        """Every term's postings, in (fieldname, btext) order; empties the pool."""
        if not self._runs:
            yield from self._sorted_terms()
            return
        runs = [self._read_run(path) for path in self._runs]
        self._runs = []
        # heapq.merge is stable: a term's postings from earlier runs (documents) come first.
        merged = heapq.merge(*runs, self._sorted_terms(), key=_term_key)
        for (fieldname, btext), parts in groupby(merged, key=_term_key):
            (_, _, docnums, weights, values), *more = parts
            for _, _, more_docnums, more_weights, more_values in more:
                docnums.extend(more_docnums)
                weights.extend(more_weights)
                values.extend(more_values)
            yield fieldname, btext, docnums, weights, values

    def cleanup(self) -> None:
        for path in self._runs:
            self._tempstore.delete_file(path)
        self._runs = []

    def _sorted_terms(self) -> Iterator[TermPostings]:
        fields, self._fields, self._size = self._fields, defaultdict(_FieldPostings), 0
        for fieldname in sorted(fields):
            for term in fields[fieldname].by_term():
                yield (fieldname, *term)

    def _save(self) -> None:
        path = f"{self._name}-{len(self._runs)}.termrun"
        with self._tempstore.create_file(path).raw_file() as run:
            for term in self._sorted_terms():
                pickle.dump(term, run, pickle.HIGHEST_PROTOCOL)
        self._runs.append(path)

    def _read_run(self, path: str) -> Iterator[TermPostings]:
        try:
            with self._tempstore.open_file(path).raw_file() as run:
                while True:
                    try:
                        yield pickle.load(run)
                    except EOFError:
                        return
        finally:
            self._tempstore.delete_file(path)


class BulkWriter(SegmentWriter):
    """A SegmentWriter writing a new segment with ``ZenninCodec`` and a ``TermPool``.

    For building segments from documents (full rebuilds); the postings are those Whoosh's
    own SegmentWriter writes.
    """

    def __init__(self, ix, *, limitmb: float = 128, inlinelimit: int = INLINE_LIMIT, **kwargs):
        super().__init__(ix, limitmb=limitmb, codec=ZenninCodec(inlinelimit), **kwargs)
        self.pool = TermPool(self._tempstorage, self.newsegment.segment_id(), limitmb)
        unsupported = [name for name, field in self.schema.items() if field.vector or field.separate_spelling()]
        if unsupported:
            raise ValueError(f"BulkWriter writes no term vectors or spelling words: {unsupported}")

    def add_document(self, **fields) -> None:
        """SegmentWriter.add_document for this schema (no boosts, vectors or spelling), with
        a field's postings pooled in one call: Whoosh's per-posting tuple, call and
        multiplication by a boost of 1 were ~15 % of a rebuild."""
        self._check_state()
        docnum, schema, perdoc, pool = self.docnum, self.schema, self.perdocwriter, self.pool
        perdoc.start_doc(docnum)
        try:
            for name in sorted(fields):
                value, field = fields[name], schema[name]
                if value is None:
                    continue
                length = pool.add_field(name, docnum, field.index(value)) if field.indexed else 0
                perdoc.add_field(name, field, value if field.stored else None, length if field.scorable else 0)
                if field.column_type:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self):
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        self.fieldwriter.add_term_postings(self.schema, lengths, self.pool.terms())
        self.fieldwriter.close()
        lengths.close()
