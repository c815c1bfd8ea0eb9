"""Japanese analysis for the search index: Sudachi morphemes plus CJK character bigrams.

Whoosh pickles the schema, analyzers included, into every index by import path: keep this
module at ``search.ja`` and keep the class names. Bump ``ANALYSIS_VERSION`` whenever the
tokens change (code or dictionary); ``SearchIndex.open`` then refuses old indexes until an
admin rebuilds.

Both tokenizers report character offsets into the ORIGINAL text (not the normalized one),
so highlighting can cut snippets out of what the author wrote (ｶﾞｲﾄﾞﾗｲﾝ, ㈱, ① included).
"""

from __future__ import annotations

import operator
import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import NamedTuple

from whoosh.analysis import Token, Tokenizer

ANALYSIS_VERSION = f"ja-6/sudachidict-core-{metadata.version('sudachidict-core')}"

# Parts of speech that never become search terms (particles, auxiliaries, symbols, ...).
_SKIPPED_POS = frozenset(
    {"助詞", "助動詞", "補助記号", "空白", "記号", "接頭辞", "接尾辞", "連体詞", "接続詞", "感動詞", "代名詞", "副詞"}
)
# する/ある/いる/ください/よう... : grammatical rather than topical.
_SKIPPED_SUBPOS = frozenset({"非自立可能", "助動詞語幹"})
# Normalized forms of very common formal nouns (こと, もの, ため).
_STOP_FORMS = frozenset({"こと", "物", "為"})

# Sudachi rejects input over 49,149 bytes; 4,000 chars is at most 16 KB of UTF-8.
_CHUNK = re.compile(r"[^\n。！？!?]{1,4000}[\n。！？!?]{0,100}|[\n。！？!?]{1,4000}")
# Lone surrogates cannot cross into Sudachi (Rust strings); same-length replacement keeps offsets.
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Word(NamedTuple):
    """What a dictionary word (mode C) contributes to the index, wherever it occurs."""

    term: str  # NFKC(normalized_form).lower()
    # Its mode-B then mode-A content parts as (term, start, end), offsets relative to the
    # word's start; empty when it has none.
    parts: tuple[tuple[str, int, int], ...]
    index_terms: tuple[str, ...]  # the term and the part terms, stop forms left out
    reading: str  # folded (hiragana) reading; empty for words without kana or kanji
    readings: tuple[str, ...]  # the reading and its parts' readings, as indexed


class _Unit(NamedTuple):
    """A content word in a text."""

    word: _Word
    start: int  # offsets into the original text
    end: int


class _PerThread(threading.local):
    def __init__(self) -> None:
        self.tokenizer = None
        # id(text) -> (text, units); holding the text keeps its id unique.
        self.recent: dict[int, tuple[str, list[_Unit]]] = {}
        self.ahead: dict[int, tuple[str, list[_Unit]]] = {}  # see analyzed_ahead()


_dictionary = None
_skip = None
_dictionary_lock = threading.Lock()
_per_thread = _PerThread()


def _reset_after_fork() -> None:
    global _dictionary, _skip, _per_thread
    _dictionary = _skip = None
    _per_thread = _PerThread()


os.register_at_fork(after_in_child=_reset_after_fork)


def _thread_tokenizer():
    """This thread's Sudachi tokenizer (mode C).

    A Sudachi tokenizer refuses concurrent use, so each thread gets its own; the dictionary
    (a shared mmap) is loaded once per process. Neither can be pickled, hence the laziness.
    """
    global _dictionary, _skip
    if _per_thread.tokenizer is None:
        with _dictionary_lock:
            if _dictionary is None:
                from sudachipy import Dictionary

                _dictionary = Dictionary(dict="core")
                _skip = _dictionary.pos_matcher(lambda pos: pos[0] in _SKIPPED_POS or pos[1] in _SKIPPED_SUBPOS)
        _per_thread.tokenizer = _dictionary.tokenizer(mode="C")
    return _per_thread.tokenizer


def _term(m) -> str:
    return unicodedata.normalize("NFKC", m.normalized_form()).lower()


def _word(m) -> _Word:
    begin = m.begin()
    parts: dict[tuple[int, int], object] = {}
    if len(m) > 1:  # B parts first (個人住民税 -> 住民税), then the smallest A parts
        for mode in "BA":
            for part in m.split(mode, add_single=False):
                parts.setdefault((part.begin(), part.end()), part)
    term = _term(m)
    kept = tuple((_term(p), p.begin() - begin, p.end() - begin) for p in parts.values() if not _skip(p))
    index_terms = tuple(t for t in (term, *(t for t, _, _ in kept)) if t not in _STOP_FORMS)
    reading = _reading(m)
    readings = tuple(dict.fromkeys(r for r in (reading, *(_reading(p) for p in parts.values() if not _skip(p))) if r))
    return _Word(term, kept, index_terms, reading, readings)


def _reading(m) -> str:
    """The reading in hiragana of a noun written in kana or kanji (財産 -> ざいさん); other
    words have none: a verb's reading is a conjugated form (について -> つい), and Sudachi
    spells Latin words and numbers out in katakana (xyzzy)."""
    if m.part_of_speech()[0] != "名詞" or not _HAS_CJK.search(m.surface()):
        return ""
    return fold(m.reading_form())


_RECENT_TEXTS = 8
# Sudachi's split() and NFKC took most of our analysis time, for the same few thousand
# words over and over. A dictionary word's normalized form, part of speech and splits follow
# from its word id, its parts' offsets from its surface too: ｶﾞｽ料金 and ガス料金 are one
# word id, with 料金 at 3 and at 2. Unknown (OOV) words are analyzed each time.
# ~0.9 KB a word: at most ~45 MB, also in web workers, where snippets fill it.
_WORDS_CACHED = 50_000
_words: dict[tuple[int, str], _Word] = {}


def _content_units(text: str) -> list[_Unit]:
    """The content words of ``text`` with their parts, in order.

    Memoized per thread for the last few text objects: a document's title, body and answers
    each feed a morphological and a bigram field, and both need the same Sudachi pass.
    """
    known = _per_thread.ahead.get(id(text)) or _per_thread.recent.get(id(text))
    if known is not None and known[0] is text:
        return known[1]
    units = _analyze(text)
    recent = _per_thread.recent
    if len(recent) >= _RECENT_TEXTS:
        del recent[next(iter(recent))]
    recent[id(text)] = (text, units)
    return units


@contextmanager
def analyzed_ahead(texts: Iterable[str]) -> Iterator[None]:
    """Run Sudachi over ``texts`` back to back, and keep what it found for the block.

    Interleaved with pooling and writing postings, Sudachi ran ~40 % slower than back to
    back: its working set falls out of the CPU caches. A rebuild that analyzes a batch of
    documents before indexing them is ~13 % faster.
    """
    ahead = _per_thread.ahead
    try:
        for text in texts:
            ahead[id(text)] = (text, _analyze(text))
        yield
    finally:
        ahead.clear()


def _analyze(text: str) -> list[_Unit]:
    tokenizer = _thread_tokenizer()
    words = _words
    units = []
    for chunk in _CHUNK.finditer(_SURROGATE.sub("\ufffd", text)):
        offset = chunk.start()
        for m in tokenizer.tokenize(chunk.group()):
            if _skip(m):
                continue
            surface = m.surface()
            key = (m.word_id(), surface)
            word = words.get(key)
            if word is None:
                word = _word(m)
                if not m.is_oov():  # OOV word ids are apart from the dictionary's: never hits
                    if len(words) >= _WORDS_CACHED:
                        words.clear()
                    words[key] = word
            start = offset + m.begin()
            units.append(_Unit(word, start, start + len(surface)))
    return units


def _content_runs(text: str) -> Iterator[tuple[int, int]]:
    """Spans of adjacent content words: particles, symbols and spaces end a run."""
    run_start = run_end = -1
    for _, start, end in _content_units(text):
        if start != run_end:
            if run_end > run_start:
                yield run_start, run_end
            run_start = start
        run_end = end
    if run_end > run_start:
        yield run_start, run_end


class _JapaneseTokenizer(Tokenizer):
    """Shared plumbing: Whoosh's tokenizer signature, equality (schemas are compared) and
    one reusable Token object, as Whoosh expects."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for text, start, end in self.spans(value, query=mode == "query", offsets=chars or keeporiginal):
            token.text, token.boost, token.stopped = text, 1.0, False
            if positions:
                token.pos, pos = pos, pos + 1
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            if keeporiginal:
                token.original = value[start:end]
            yield token

    def spans(self, text: str, *, query: bool, offsets: bool) -> Iterator[tuple[str, int, int]]:
        """(term, start, end) for each token; offsets may be 0 when ``offsets`` is False."""
        raise NotImplementedError

    def index_terms(self, text: str) -> list[str]:
        """The terms index mode emits, in order, with repeats: what ``spans`` yields, faster
        (the full rebuild's analysis)."""
        raise NotImplementedError


class SudachiTokenizer(_JapaneseTokenizer):
    """Morphological terms: ``NFKC(normalized_form).lower()`` of content words.

    Index mode emits every mode-C unit plus its mode-B and mode-A parts, so 個人住民税 is
    findable by 個人住民税, 住民税, 住民 and 税 alike; query mode (``mode="query"``) emits
    mode-C units only, so a compound query matches the compound, not each of its parts.
    """

    def spans(self, text: str, *, query: bool, offsets: bool) -> Iterator[tuple[str, int, int]]:
        for word, start, end in _content_units(text):
            if word.term not in _STOP_FORMS:
                yield word.term, start, end
            if not query:
                for term, part_start, part_end in word.parts:
                    if term not in _STOP_FORMS:
                        yield term, start + part_start, start + part_end

    def index_terms(self, text: str) -> list[str]:
        return [term for unit in _content_units(text) for term in unit.word.index_terms]


# --- character folding and bigrams -------------------------------------------------------

_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}
_MARKS = "\u0300-\u036f\u3099\u309a\uff9e\uff9f"
# A character and the combining marks NFKC merges into it (ｶﾞ -> ガ, か+゙ -> が).
_CLUSTER = re.compile(f"[^{_MARKS}][{_MARKS}]*|[{_MARKS}]+", re.S)
_CJK = "\u3041-\u3096\u309d\u309e\u30fc\u3005\u3006\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# After folding: runs of kana/kanji become bigrams; numbers and other words stay whole.
_RUNS = re.compile(f"([{_CJK}]+)|\\d+|[^\\W\\d_{_CJK}]+")


_KATAKANA_RUN = re.compile("[ァ-ヶ]+")
_HAS_CJK = re.compile(f"[{_CJK}\u30a1-\u30f6\uff66-\uff9f]")
_KANA_WORD = re.compile("[ぁ-ゖー]{2,40}")


def _hiragana(run: re.Match) -> str:
    return run.group().translate(_KATAKANA_TO_HIRAGANA)


def fold(text: str) -> str:
    """NFKC + lower-case + katakana->hiragana: ゴミ, ごみ and ｺﾞﾐ all fold to ごみ."""
    # translate() looks every character up in a dict: only katakana runs need it.
    return _KATAKANA_RUN.sub(_hiragana, unicodedata.normalize("NFKC", text).lower())


def fold_with_offsets(text: str) -> tuple[str, list[int], list[int]]:
    """Fold cluster by cluster, remembering each folded char's span in ``text``."""
    folded, starts, ends = [], [], []
    for match in _CLUSTER.finditer(text):
        piece = fold(match.group())
        folded.append(piece)
        starts += [match.start()] * len(piece)
        ends += [match.end()] * len(piece)
    return "".join(folded), starts, ends


def _gram_spans(folded: str) -> Iterator[tuple[int, int]]:
    for run in _RUNS.finditer(folded):
        start, end = run.span()
        if run.group(1) and end - start > 1:
            for i in range(start, end - 1):
                yield i, i + 2
        else:
            yield start, end


class CJKBigramTokenizer(_JapaneseTokenizer):
    """Overlapping character bigrams (like Lucene's CJKBigramFilter) over folded text.

    Catches what the dictionary segments differently (新型コロナ inside 新型コロナウイルス,
    評価替え), unknown words, and ゴミ = ごみ. Bigrams are taken within runs of content words
    only, so particles and auxiliaries (の, している) add none: 住民税の特別徴収 and
    住民税特別徴収 share their bigrams, and the field holds ~45 % fewer terms per document
    than plain bigrams (measured on the bench corpus). Latin words and numbers stay whole.
    """

    def spans(self, text: str, *, query: bool, offsets: bool) -> Iterator[tuple[str, int, int]]:
        for run_start, run_end in _content_runs(text):
            run = text[run_start:run_end]
            if offsets:
                folded, starts, ends = fold_with_offsets(run)
                for start, end in _gram_spans(folded):
                    yield folded[start:end], run_start + starts[start], run_start + ends[end - 1]
            else:  # indexing needs no offsets: fold the whole run at C speed
                folded = fold(run)
                for start, end in _gram_spans(folded):
                    yield folded[start:end], 0, 0

    def index_terms(self, text: str) -> list[str]:
        # _gram_spans without a generator step or a slice per bigram.
        terms: list[str] = []
        for run_start, run_end in _content_runs(text):
            for run in _RUNS.finditer(fold(text[run_start:run_end])):
                chars = run.group()
                if run.group(1) and len(chars) > 1:
                    terms += map(operator.add, chars, chars[1:])
                else:
                    terms.append(chars)
        return terms


class ReadingTokenizer(_JapaneseTokenizer):
    """Readings in hiragana of the content words and their parts: 財産調査 is indexed as
    ざいさん and ちょうさ, so a reading typed in kana (ざいさんちょうさ, ﾁｮｳｻ) finds it.
    Index-side only; queries look readings up term by term (see search.compiler)."""

    def spans(self, text: str, *, query: bool, offsets: bool) -> Iterator[tuple[str, int, int]]:
        for word, start, end in _content_units(text):
            for reading in word.readings:
                yield reading, start, end

    def index_terms(self, text: str) -> list[str]:
        return [reading for unit in _content_units(text) for reading in unit.word.readings]


def is_reading(text: str) -> bool:
    """Whether folded ``text`` is a word written in kana only (ざいさんちょうさ, ｹｰｽﾜｰｸ)."""
    return bool(_KANA_WORD.fullmatch(text))


def spelled_as(text: str, reading: str) -> str | None:
    """The stretch of ``text`` (adjacent content words) that reads ``reading``, as written:
    spelled_as("財産調査の方法", "ざいさんちょうさ") == "財産調査"."""
    units = _content_units(text)
    for i, first in enumerate(units):
        if not first.word.reading or not reading.startswith(first.word.reading):
            continue
        read, end = "", first.start
        for unit in units[i:]:
            if unit.start != end or not unit.word.reading:
                break
            read, end = read + unit.word.reading, unit.end
            if read == reading:
                return text[first.start : end]
            if not reading.startswith(read):
                break
    return None


def content_runs(text: str) -> list[str]:
    """The stretches of adjacent content words in ``text``: 新型コロナの給付金の申請 ->
    新型コロナ, 給付金, 申請."""
    return [text[start:end] for start, end in _content_runs(text)]


def morph_terms(text: str) -> list[str]:
    """The query-mode morphological terms of ``text``, in order, with repeats."""
    return [term for term, _, _ in SudachiTokenizer().spans(text, query=True, offsets=False)]


def bigram_terms(text: str) -> list[str]:
    """The bigram terms of ``text``, in order, with repeats."""
    return [term for term, _, _ in CJKBigramTokenizer().spans(text, query=True, offsets=False)]
