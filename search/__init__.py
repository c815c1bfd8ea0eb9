"""Full-text search for Zennin: a small library on Whoosh + Sudachi, with no web dependencies.

Plain values in (``QuestionDocument``), question ids with highlighted snippets out::

    index = SearchIndex.open(SEARCH_INDEX_DIR)       # once per process; thread-safe
    page = index.search("[債権回収] 時効 answers:0", page=2, synonyms=[["国保", "国民健康保険"]])
    hits = index.similar(title_being_typed, limit=5)

Keeping it in step with the database (the database stays the source of truth)::

    # after a commit, and from `flask search sync`: the outbox rows after the position,
    # read and built under the index's lock so no older state overwrites a newer one
    index.apply_pending(lambda position: Batch(upserts, deleted_ids, position=last_row_id))
    index.apply(upserts, deleted_ids)       # the same, for documents already built
    index.apply(upserts, deleted_ids, purged_through=mark)  # and leave no deleted document in the files

    # `flask search rebuild`: read the outbox position FIRST, then the documents;
    # progress gets the running total (click: lambda done: bar.update(done - bar.pos))
    rebuild_index(SEARCH_INDEX_DIR, documents, position=outbox_id, procs=2, progress=report)

Both raise SearchUnavailable (IndexLocked is one) when the index cannot be used; the app
then falls back to its database search. Modules: ``ja`` analysis, ``schema`` fields,
``query`` the search-box language, ``compiler`` Whoosh queries, ``highlight`` snippets,
``index`` SearchIndex, ``storage`` generations on disk, ``rebuild`` parallel full builds.
"""

from search.documents import AnswerDocument, QuestionDocument
from search.index import Batch, Hit, IndexLocked, SearchIndex, SearchPage, SearchUnavailable, rebuild_index
from search.query import ParsedQuery, parse_query

__all__ = [
    "AnswerDocument",
    "Batch",
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
