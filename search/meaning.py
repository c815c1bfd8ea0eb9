"""Word vectors for semantic search, read from the ``ja-ginza`` wheel without spaCy.

Search must run on a closed network, so the vectors have to come inside a PyPI package:
``ja-ginza`` ships 20,000 chiVe vectors (300 floats each) and a table mapping 480,443 words
to those rows. It is installed with ``pip install --no-deps`` (it wants spaCy and
``sudachipy<0.7``; we pin SudachiPy 0.7.0), so its files are read here directly:

- ``vocab/vectors``: a ``.npy`` array, memory-mapped so gunicorn workers share its pages;
- ``vocab/key2row``: a msgpack map {spaCy string hash: row}, parsed here into sorted NumPy
  arrays (a 480k-entry dict would cost ~60 MB per process and more start-up time);
- keys are spaCy's ``hash_string``: MurmurHash64A, seed 1, of the word's UTF-8 bytes.

Without the package, :func:`available` is False, every lookup returns None and search
carries on lexically.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import NamedTuple

import numpy as np

from search.ja import SudachiTokenizer

PACKAGE = "ja_ginza"

_MASK = (1 << 64) - 1
_M = 0xC6A4A7935BD1E995


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A (Austin Appleby), the hash spaCy keys its string store and vectors by."""
    length = len(data)
    h = (seed ^ (length * _M)) & _MASK
    body = length - length % 8
    for i in range(0, body, 8):
        k = (int.from_bytes(data[i : i + 8], "little") * _M) & _MASK
        k ^= k >> 47
        k = (k * _M) & _MASK
        h = ((h ^ k) * _M) & _MASK
    if length % 8:
        h = ((h ^ int.from_bytes(data[body:], "little")) * _M) & _MASK
    h ^= h >> 47
    h = (h * _M) & _MASK
    return h ^ (h >> 47)


def string_key(text: str) -> int:
    """spaCy's ``hash_string(text)``."""
    return murmurhash64a(text.encode("utf-8"))


# key2row is a msgpack map32 whose keys and values are unsigned ints. Almost every entry is a
# uint64 key (0xcf + 8 bytes) and a uint16 row (0xcd + 2 bytes): 12 bytes, read as records.
_RECORD = np.dtype([("key_type", "u1"), ("key", ">u8"), ("row_type", "u1"), ("row", ">u2")])
_UINT_SIZES = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}
_WINDOW = 512  # records checked per NumPy step; irregular entries (~1 in 300) end a step


def _read_uint(data: bytes, pos: int) -> tuple[int, int]:
    """The msgpack unsigned int at ``pos`` and the position after it."""
    tag = data[pos]
    if tag < 0x80:  # positive fixint
        return tag, pos + 1
    size = _UINT_SIZES.get(tag)
    if size is None:
        raise ValueError(f"key2row: unexpected msgpack type 0x{tag:02x} at byte {pos}")
    return int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


def parse_key2row(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(keys, rows) of a msgpack map {uint: uint}, sorted by key."""
    if data[0] == 0xDF:
        count, pos = int.from_bytes(data[1:5], "big"), 5
    elif data[0] == 0xDE:
        count, pos = int.from_bytes(data[1:3], "big"), 3
    else:
        raise ValueError("key2row: not a msgpack map16/map32")
    keys, rows = np.empty(count, np.uint64), np.empty(count, np.int32)
    done = 0
    while done < count:
        n = min(_WINDOW, count - done, (len(data) - pos) // _RECORD.itemsize)
        records = np.frombuffer(data, _RECORD, n, pos)
        irregular = np.flatnonzero((records["key_type"] != 0xCF) | (records["row_type"] != 0xCD))
        regular = int(irregular[0]) if irregular.size else n
        keys[done : done + regular] = records["key"][:regular]
        rows[done : done + regular] = records["row"][:regular]
        done += regular
        pos += regular * _RECORD.itemsize
        if regular < n or n == 0:  # one entry of another layout, read byte by byte
            keys[done], pos = _read_uint(data, pos)
            rows[done], pos = _read_uint(data, pos)
            done += 1
    if pos != len(data):
        raise ValueError(f"key2row: {len(data) - pos} bytes left after {count} entries")
    order = np.argsort(keys, kind="stable")
    return keys[order], rows[order]


class _Table(NamedTuple):
    keys: np.ndarray  # uint64, sorted
    rows: np.ndarray  # int32 row of each key
    vectors: np.ndarray  # float32 (rows, dims), memory-mapped: shared between processes
    inverse_norms: np.ndarray  # float32 1/length of each row, so a row times it is a unit vector


def vocab_dir() -> Path | None:
    """The ginza model's ``vocab`` directory, or None when ja-ginza is not installed."""
    # find_spec, not importlib.resources.files: that imports ja_ginza, which imports spaCy.
    spec = find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for vocab in sorted(Path(location).glob(f"{PACKAGE}-*/vocab")):
            if (vocab / "vectors").is_file() and (vocab / "key2row").is_file():
                return vocab
    return None


@cache
def _table() -> _Table | None:
    vocab = vocab_dir()
    if vocab is None:
        return None
    keys, rows = parse_key2row((vocab / "key2row").read_bytes())
    vectors = np.load(vocab / "vectors", mmap_mode="r")
    # Norms rather than a normalized copy: the copy would be 24 MB private to each worker.
    norms = np.linalg.norm(vectors, axis=1).astype(np.float32)
    inverse_norms = np.divide(1, norms, out=np.zeros_like(norms), where=norms > 0)
    return _Table(keys, rows, vectors, inverse_norms)


def available() -> bool:
    """Whether word vectors are installed (``ja-ginza``)."""
    return _table() is not None


def _row(text: str) -> int | None:
    table = _table()
    if table is None or not text:
        return None
    key = np.uint64(string_key(text))
    i = int(np.searchsorted(table.keys, key))
    if i < len(table.keys) and table.keys[i] == key:
        return int(table.rows[i])
    return None


def _forms(term: str) -> dict[str, None]:
    """The spellings to try for an index term, best first."""
    forms = [term]
    # Latin words are lower-cased in the index but cased in chiVe (AI, PC, Excel).
    if term.isascii():
        forms += [term.upper(), term.capitalize()]
    # Some common verbs are missing in their -じる form but present as -ずる (通ずる, 応ずる),
    # and some ichidan verbs only as their stem-noun (向ける -> 向け, 合わせる -> 合わせ).
    if term.endswith("じる"):
        forms.append(term[:-2] + "ずる")
    if term.endswith("る") and len(term) > 2:
        forms.append(term[:-1])
    return dict.fromkeys(forms)


@lru_cache(maxsize=65536)
def row_for(term: str) -> int | None:
    """The vector row of an index term (``NFKC(normalized_form).lower()``), or None.

    chiVe's keys are Sudachi normalized forms, cased (AI, PC, Excel are keys; ai, pc are
    not), so the term is tried as is, then in the few other spellings of :func:`_forms`.
    """
    for form in _forms(term):
        row = _row(form)
        if row is not None:
            return row
    return None


def vector_for(term: str) -> np.ndarray | None:
    """The unit vector of an index term, or None when it has none."""
    row = row_for(term)
    if row is None:
        return None
    table = _table()
    return table.vectors[row] * table.inverse_norms[row]


def text_vector(terms: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray | None:
    """The weighted mean of the terms' unit vectors, scaled to length 1; None when no term
    has a vector (or the vectors are not installed). Weights default to 1 each."""
    table = _table()
    if table is None:
        return None
    if weights is None:
        weights = [1.0] * len(terms)
    elif len(weights) != len(terms):
        raise ValueError("text_vector: terms and weights differ in length")
    hits = [(row, weight) for term, weight in zip(terms, weights, strict=True) if (row := row_for(term)) is not None]
    if not hits:
        return None
    rows, row_weights = (list(column) for column in zip(*hits, strict=True))
    mean = (np.asarray(row_weights, dtype=np.float32) * table.inverse_norms[rows]) @ table.vectors[rows]
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


def similarity(a: str, b: str) -> float | None:
    """Cosine similarity of two terms' vectors; None when either has none."""
    va, vb = vector_for(a), vector_for(b)
    return None if va is None or vb is None else float(va @ vb)


# --- documents and queries ---------------------------------------------------------------

DIMENSIONS = 300
# A document's vector is stored in the index as DIMENSIONS signed bytes (v x 127): 300 bytes a
# question, a cosine error below 0.01. All zeros: no vector (its cosine with anything is 0).
NO_VECTOR = bytes(DIMENSIONS)


def encode(vector: np.ndarray | None) -> bytes:
    if vector is None:
        return NO_VECTOR
    return np.clip(np.rint(vector * 127), -127, 127).astype(np.int8).tobytes()


def decode(stored: Sequence[bytes]) -> np.ndarray:
    """The unit vectors (float32 rows) of stored document vectors; zero rows for none."""
    return np.frombuffer(b"".join(stored), dtype=np.int8).reshape(len(stored), DIMENSIONS).astype(np.float32) / 127


class Rarity:
    """How rare each term is in a collection (idf), estimated from document frequencies: a
    document's vector weighs its rare words most, as its query's does (README, "Search").
    A term the counts never saw is as rare as a term of one document."""

    def __init__(self, frequency: Callable[[str], int], documents: int):
        self._frequency, self._documents = frequency, max(1, documents)

    @classmethod
    def of_texts(cls, documents: Iterable[Sequence[tuple[str, float]]]) -> Rarity:
        """Counted on (text, weight) parts, one sequence per document."""
        frequencies: Counter[str] = Counter()
        count = 0
        analyzer = SudachiTokenizer()
        for parts in documents:
            frequencies.update({term for text, _ in parts for term in analyzer.index_terms(text)})
            count += 1
        return cls(frequencies.__getitem__, count)  # a Counter's: 0 when unseen; picklable

    def __call__(self, term: str) -> float:
        return math.log(1 + self._documents / max(1, self._frequency(term)))


def document_vector(parts: Sequence[tuple[str, float]], rarity: Callable[[str], float] | None) -> bytes:
    """The stored vector of a document given as (text, weight) parts (title x3, tags x2,
    body, answers x1/2, as the morphological field weighs them): the mean of its index
    terms' vectors, each weighted by log(1 + its weighted count) x its ``rarity`` (idf).
    Weighted by counts alone, eval-search lost 0.006 macro MRR@10."""
    counts: dict[str, float] = {}
    analyzer = SudachiTokenizer()
    for text, weight in parts:
        for term in analyzer.index_terms(text):
            counts[term] = counts.get(term, 0.0) + weight
    terms = list(counts)
    weights = [math.log1p(counts[t]) * (rarity(t) if rarity else 1.0) for t in terms]
    return encode(text_vector(terms, weights) if terms else None)
