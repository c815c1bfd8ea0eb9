"""The Whoosh schema of the question index and the mapping from documents to its fields.

Whoosh pickles the schema into every index by import path: keep this module at
``search.schema`` and keep ``WeightedText`` here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import NamedTuple

from whoosh.columns import FixedBytesColumn
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.system import pack_uint

from search import meaning
from search.documents import QuestionDocument
from search.ja import ANALYSIS_VERSION, CJKBigramTokenizer, ReadingTokenizer, SudachiTokenizer

# Bump with any change below (or in search.ja, via ANALYSIS_VERSION): old indexes then refuse
# to open (SearchUnavailable) until rebuilt.
SCHEMA_VERSION = f"zennin-questions-7/{ANALYSIS_VERSION}"

# Where a term occurs decides its weight in the one morphological field (title > tags >
# body > answers), as BM25F weights term frequencies by field.
TEXT_WEIGHTS = {"title": 3.0, "tags": 2.0, "body": 1.0, "answers": 0.5}
# The bigram fields, the recall net, count half as much: their terms are less specific.
BIGRAM_WEIGHT = 0.5
# Bigrams are kept apart by where they occur: is:question / is:answer check words there.
QUESTION_BIGRAMS, ANSWER_BIGRAMS = "question_ng", "answers_ng"
# Readings (hiragana) of the words in titles and tags: what a question is about, typed in kana.
# Bodies are left out: a reading is typed to name a topic, which titles and tags carry.
READINGS = "reading"
# A question's meaning: its word vectors' mean (search.meaning), one column value per document.
MEANING = "meaning"
# Who may find a question: every member, or the members of one group (see `audience_terms`).
AUDIENCE, EVERY_MEMBER = "audience", "all"


def audience_term(private_group: int | None) -> str:
    return EVERY_MEMBER if private_group is None else f"group:{private_group}"


class WeightedText(TEXT):
    """A TEXT field indexed from (text, weight) parts into one posting list per term.

    Whoosh walks an OR over several fields document by document in Python: two common words
    searched as title OR body OR answers took ~500 ms at 100,000 questions, the same words
    in one field ~60 ms. Weighting each occurrence by its part keeps the field boosts.
    """

    def index(self, value: Sequence[tuple[str, float]], **kwargs) -> list[tuple[bytes, int, float, bytes]]:
        counts: Counter[str] = Counter()
        extra: Counter[str] = Counter()  # weight above 1 per occurrence (negative below)
        for text, weight in value:
            terms = self.analyzer.index_terms(text)
            counts.update(terms)
            if weight != 1.0:
                for term, n in Counter(terms).items():
                    # Exact: TEXT_WEIGHTS are binary fractions.
                    extra[term] += n * (weight - 1.0)
        extra_weight = extra.get
        return [
            (term.encode("utf-8"), n, n + extra_weight(term, 0.0), _frequency_bytes(n)) for term, n in counts.items()
        ]


class MeaningText(NamedTuple):
    """A document's value for the meaning column: its weighted parts and the collection's
    term rarity (None: every term alike)."""

    parts: Sequence[tuple[str, float]]
    rarity: Callable[[str], float] | None


class MeaningColumn(COLUMN):
    """The document vector column, computed from the same (text, weight) parts as the
    morphological field when the document is added (after its analysis, which is cached)."""

    def __init__(self):
        super().__init__(FixedBytesColumn(meaning.DIMENSIONS, default=meaning.NO_VECTOR))

    def to_column_value(self, value: MeaningText) -> bytes:
        return meaning.document_vector(value.parts, value.rarity)


# pack_uint(n), the Frequency format's posting value, shared for the common small counts.
_FREQUENCY_BYTES = [pack_uint(n) for n in range(256)]


def _frequency_bytes(n: int) -> bytes:
    return _FREQUENCY_BYTES[n] if n < 256 else pack_uint(n)


def build_schema() -> Schema:
    # No positions (phrase=False): half the size and faster; phrases are verified on the
    # stored text instead (see search.index).
    return Schema(
        id=ID(stored=True, unique=True),
        text=WeightedText(SudachiTokenizer(), phrase=False),
        question_ng=WeightedText(CJKBigramTokenizer(), phrase=False),
        answers_ng=WeightedText(CJKBigramTokenizer(), phrase=False),
        reading=WeightedText(ReadingTokenizer(), phrase=False),
        tags=KEYWORD(commas=True),
        author=ID(),
        answer_authors=KEYWORD(),
        org=ID(),
        # 年度 and 根拠法令 of the question and its answers: 2025; 地方税法 and 地方税法第15条の7.
        fiscal_years=KEYWORD(),
        laws=KEYWORD(commas=True),
        audience=ID(),
        created=DATETIME(sortable=True),
        score=NUMERIC(int, bits=32, signed=True, sortable=True),
        # A column (for the re-rank) as well as a filter, hence not BOOLEAN. 32 bits: Whoosh's
        # range queries on 8-bit numeric fields match every document.
        accepted=NUMERIC(int, bits=32, sortable=True),
        answer_count=NUMERIC(int, bits=32),
        peers=KEYWORD(),
        adopted=NUMERIC(int, bits=32, sortable=True),  # a column for the re-rank
        meaning=MeaningColumn(),
        # What snippets are cut from; answers as (answer id, body) pairs.
        title=STORED(),
        body=STORED(),
        answer_texts=STORED(),
    )


def document_fields(doc: QuestionDocument, rarity: Callable[[str], float] | None = None) -> dict[str, object]:
    """Whoosh field values for ``doc``. Stores only what snippets need (no private data).
    ``rarity``: the idf of terms in the collection, for the meaning vector."""
    answers = "\n".join(answer.body for answer in doc.answers)
    tags = "\n".join(doc.tags)
    weighted = (
        (doc.title, TEXT_WEIGHTS["title"]),
        (tags, TEXT_WEIGHTS["tags"]),
        (doc.body, TEXT_WEIGHTS["body"]),
        (answers, TEXT_WEIGHTS["answers"]),
    )
    fields: dict[str, object] = {
        "id": str(doc.id),
        "text": weighted,
        MEANING: MeaningText(weighted, rarity),
        QUESTION_BIGRAMS: ((doc.title, 1.0), (tags, 1.0), (doc.body, 1.0)),
        ANSWER_BIGRAMS: ((answers, 1.0),),
        READINGS: ((doc.title, 1.0), (tags, 1.0)),
        "tags": ",".join(doc.tags),
        "author": str(doc.author_id),
        AUDIENCE: audience_term(doc.private_group),
        "answer_authors": " ".join(sorted({str(a.author_id) for a in doc.answers})),
        "created": doc.created_at,
        "score": doc.score,
        "accepted": int(doc.has_accepted),
        "answer_count": doc.answer_count,
        "peers": " ".join(sorted(set(doc.peers))),
        "adopted": doc.adopted,
        "title": doc.title,
        "body": doc.body,
        "answer_texts": tuple((answer.id, answer.body) for answer in doc.answers),
    }
    if doc.org_code:
        fields["org"] = doc.org_code
    if doc.fiscal_years:
        fields["fiscal_years"] = " ".join(str(year) for year in sorted(set(doc.fiscal_years)))
    if doc.laws:
        fields["laws"] = ",".join(sorted(set(doc.laws)))
    return fields


def analyzed_texts(fields: dict[str, object]) -> list[str]:
    """The texts Sudachi analyzes for ``document_fields``' result: the morphological
    field's parts, whose very objects the bigram fields share."""
    return [text for text, _ in fields["text"]]
