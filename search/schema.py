"""The Whoosh schema of the question index and the mapping from documents to its fields."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from search.documents import QuestionDocument
from search.ja import ANALYSIS_VERSION, CJKBigramTokenizer, SudachiTokenizer

# Bump with any change below (or in search.ja, via ANALYSIS_VERSION): old indexes then refuse
# to open (SearchUnavailable) until rebuilt.
SCHEMA_VERSION = f"zennin-questions-2/{ANALYSIS_VERSION}"

# Text fields by where the text comes from; each has a morphological and a bigram twin.
QUESTION_TEXT = ("title", "body")
ANSWER_TEXT = ("answers",)


def bigram_twin(field: str) -> str:
    return f"{field}_ng"


# Query-time boosts (title > tags > body > answers). Bigram twins count half: they are the
# recall net, and their terms are shorter and less specific.
BOOSTS = {"title": 3.0, "tags": 2.0, "body": 1.0, "answers": 0.5}
BIGRAM_WEIGHT = 0.5


def build_schema() -> Schema:
    morph, bigram = SudachiTokenizer(), CJKBigramTokenizer()
    # No positions (phrase=False): half the size and faster; phrases are verified on the
    # stored text instead (see search.compiler).
    fields = {}
    for name in QUESTION_TEXT + ANSWER_TEXT:
        fields[name] = TEXT(morph, phrase=False, stored=name in QUESTION_TEXT)
        fields[bigram_twin(name)] = TEXT(bigram, phrase=False)
    return Schema(
        id=ID(stored=True, unique=True),
        tags=KEYWORD(commas=True, scorable=True),
        author=ID(),
        answer_authors=KEYWORD(),
        org=ID(),
        created=DATETIME(sortable=True),
        score=NUMERIC(int, bits=32, signed=True, sortable=True),
        # A column (for the re-rank) as well as a filter, hence not BOOLEAN. 32 bits: Whoosh's
        # range queries on 8-bit numeric fields match every document.
        accepted=NUMERIC(int, bits=32, sortable=True),
        answer_count=NUMERIC(int, bits=32),
        # (answer id, body) pairs: the snippet may come from the best-matching answer.
        answer_texts=STORED(),
        **fields,
    )


def document_fields(doc: QuestionDocument) -> dict[str, object]:
    """Whoosh field values for ``doc``. Stores only what snippets need (no private data)."""
    answers_text = "\n".join(answer.body for answer in doc.answers)
    fields: dict[str, object] = {
        "id": str(doc.id),
        "title": doc.title,
        "body": doc.body,
        "answers": answers_text,
        "tags": ",".join(doc.tags),
        "author": str(doc.author_id),
        "answer_authors": " ".join(sorted({str(a.author_id) for a in doc.answers})),
        "created": doc.created_at,
        "score": doc.score,
        "accepted": int(doc.has_accepted),
        "answer_count": doc.answer_count,
        "answer_texts": tuple((answer.id, answer.body) for answer in doc.answers),
    }
    for name in QUESTION_TEXT + ANSWER_TEXT:
        fields[bigram_twin(name)] = fields[name]
    if doc.org_code:
        fields["org"] = doc.org_code
    return fields
