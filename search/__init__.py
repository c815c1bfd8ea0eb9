"""Full-text search for Zennin: a small library on Whoosh + Sudachi, with no web dependencies.

The app hands documents in (``SearchIndex.apply``, ``rebuild_index``) and gets question ids
with highlighted snippets out (``SearchIndex.search``, ``SearchIndex.similar``).
"""

from search.documents import AnswerDocument, QuestionDocument
from search.index import Hit, IndexLocked, SearchIndex, SearchPage, SearchUnavailable, rebuild_index
from search.query import ParsedQuery, parse_query

__all__ = [
    "AnswerDocument",
    "Hit",
    "IndexLocked",
    "ParsedQuery",
    "QuestionDocument",
    "SearchIndex",
    "SearchPage",
    "SearchUnavailable",
    "parse_query",
    "rebuild_index",
]
