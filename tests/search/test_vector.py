"""VectorSearcher against Whoosh itself: the same matches, BM25F scores, order and sorts.

The index has several segments, one with deleted documents, and more than one posting
block per common term, so every decoding path of search.vector is exercised.
"""

import random

import numpy as np
import pytest
from whoosh import query as wq
from whoosh import sorting
from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import NO_MERGE

import search.codec
import search.vector
from search import SearchIndex, parse_query
from search.codec import ZenninCodec
from search.compiler import QueryPlan, prune
from search.ja import morph_terms
from search.schema import document_fields
from search.vector import VectorSearcher
from tests.search.test_index import DOCS, answer, question

WORDS = ["住民税", "特別徴収", "予約", "ワクチン接種", "国保", "減免", "督促", "ガイドライン", "通知", "窓口"]


def _generated(count: int, first_id: int) -> list:
    rng = random.Random(first_id)
    docs = []
    for n in range(count):
        doc_id = first_id + n
        words = rng.sample(WORDS, 3)
        body = "。".join(f"{w}について{rng.choice(WORDS)}の手続きを確認します" for w in words)
        answers = [answer(doc_id * 10 + k, f"{rng.choice(WORDS)}は{rng.choice(WORDS)}です。") for k in range(n % 3)]
        docs.append(
            question(
                doc_id, f"{words[0]}と{words[1]}の質問{n}", body, tags=[words[2]], answers=answers, score=n % 7 - 3
            )
        )
    return docs


@pytest.fixture(scope="module")
def searchers():
    index = SearchIndex.in_memory()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search.codec, "BLOCK_LIMIT", 128)  # > 128 postings per common term: several blocks
        index.apply(DOCS, [])
        index.apply(_generated(300, 1000), [])
        index.apply(_generated(40, 2000), [1003, 1010, 2005, 6])  # deletions in older segments
    # A segment in Whoosh's own block format (tuples, not arrays), as older indexes have.
    with index._index().writer(codec=W3Codec()) as writer:
        writer.mergetype = NO_MERGE
        for doc in _generated(400, 3000):
            writer.add_document(**document_fields(doc))
    searcher = index._fresh_searcher()
    codecs = {type(reader.codec()) for reader, _ in searcher.reader().leaf_readers()}
    assert codecs == {W3Codec, ZenninCodec}
    yield searcher, VectorSearcher(searcher)
    index.close()


def _queries(searcher) -> list[wq.Query]:
    texts = [
        "住民税",
        "住民税 予約",
        "ワクチン接種 -督促",
        "国保 減免",
        "ごみ",
        "ガイドライン 通知 窓口",
        "特別徴収 質問1",
    ]
    plans = [QueryPlan(parse_query(text), [["国保", "国民健康保険"]]) for text in texts]
    queries = [tier for plan in plans for tier, _bigrams in plan.strict_tiers()]
    queries += [plan.relaxed(bigrams) for plan in plans for bigrams in (False, True) if plan.relaxed(bigrams) is not None]
    queries.append(wq.Or([wq.Term("text", t) for t in morph_terms("住民税の特別徴収と予約の窓口")]))
    return [q for q in (prune(q, searcher.reader()) for q in queries) if q is not None]


def _without_tiebreak(query: wq.Query) -> wq.Query:
    """``query`` with Whoosh's own DisjunctionMax (the best child's score): Whoosh's matcher
    ignores ``tiebreak``, which search.vector adds (see test_disjunction_max_adds_the_tiebreak)."""
    if isinstance(query, wq.DisjunctionMax):
        return wq.DisjunctionMax([_without_tiebreak(q) for q in query.subqueries])
    if isinstance(query, (wq.And, wq.Or)):
        copy = type(query)([_without_tiebreak(q) for q in query.subqueries])
        if isinstance(query, wq.Or):
            copy.matcher_type = query.matcher_type
        return copy
    return query


def test_scores_order_and_counts_equal_whooshs(searchers):
    searcher, vectors = searchers
    queries = [_without_tiebreak(q) for q in _queries(searcher)]
    assert len(queries) >= 10
    assert any(isinstance(q, wq.DisjunctionMax) for q in queries)  # the words backed by bigrams
    for query in queries:
        expected = searcher.search(query, limit=None)
        found = vectors.match(query)
        assert int(found.mask.sum()) == len(expected), query
        top = vectors.top(found, 25)
        assert [d for _, d in top] == [d for _, d in expected.top_n[:25]], query
        assert [s for s, _ in top] == pytest.approx([s for s, _ in expected.top_n[:25]], rel=1e-9)


def test_disjunction_max_adds_the_tiebreak(searchers):
    _searcher, vectors = searchers
    children = [wq.Term("text", "住民税"), wq.Term("question_ng", "住民"), wq.Term("text", "予約")]
    found = vectors.match(wq.DisjunctionMax(children, tiebreak=0.5))
    each = [vectors.match(child) for child in children]
    scores = np.array([m.scores for m in each])
    assert (found.mask == (each[0].mask | each[1].mask | each[2].mask)).all()
    both = each[0].mask & each[1].mask
    assert both.any()
    expected = scores.max(axis=0) + 0.5 * (scores.sum(axis=0) - scores.max(axis=0))
    assert found.scores[found.mask] == pytest.approx(expected[found.mask], rel=1e-9)


def test_deleted_documents_never_match(searchers):
    searcher, vectors = searchers
    deleted = {
        d for reader, offset in searcher.reader().leaf_readers() for d in (x + offset for x in reader.deleted_docs_set)
    }
    assert deleted
    found = vectors.match(wq.Or([wq.Term("text", t) for t in ("住民税", "予約", "国保", "減免", "督促")]))
    assert not any(found.mask[d] for d in deleted)


def test_sorts_and_columns_equal_whooshs(searchers):
    searcher, vectors = searchers
    query = wq.Term("text", "予約")
    for fields in (("created",), ("score", "created")):
        order = sorting.MultiFacet([sorting.FieldFacet(f, reverse=True) for f in fields])
        expected = [d for _, d in searcher.search(query, limit=30, sortedby=order).top_n]
        assert vectors.sorted_by(vectors.match(query, scored=False).mask, fields, 30) == expected
    scores = searcher.reader().column_reader("score")
    assert [vectors.value("score", d) for d in range(vectors.size)] == [scores[d] for d in range(vectors.size)]
    assert min(vectors.value("score", d) for d in range(vectors.size)) < 0  # signed values come back


def test_filter_queries_select_what_whoosh_selects(searchers):
    searcher, vectors = searchers
    tag = wq.Term("tags", "住民税")
    expected = set(searcher.docs_for_query(tag))
    assert expected
    assert set(vectors.docs(tag).nonzero()[0]) == expected
    accepted = wq.NumericRange("accepted", 1, 1)  # left to Whoosh
    assert set(vectors.docs(accepted).nonzero()[0]) == set(searcher.docs_for_query(accepted))


def test_the_postings_cache_stays_within_its_budget(searchers, monkeypatch):
    searcher, _ = searchers
    monkeypatch.setattr(search.vector, "POSTINGS_CACHE_SIZE", 200)
    vectors = VectorSearcher(searcher)
    for term in ("住民税", "予約", "通知", "窓口", "督促"):
        vectors.match(wq.Term("text", term))
        assert vectors._cached_postings <= 200 or len(vectors._postings) == 1
    assert 0 < len(vectors._postings) < 5


def test_a_segment_without_a_column_sorts_by_its_default():
    from whoosh.filedb.filestore import RamStorage
    from whoosh.scoring import BM25F

    from search.schema import build_schema

    ix = RamStorage().create_index(build_schema())
    with ix.writer() as writer:
        writer.add_document(id="1", text=(("住民税", 1.0),))  # no score, no created
    with ix.searcher(weighting=BM25F()) as searcher:
        vectors = VectorSearcher(searcher)
        assert vectors.value("score", 0) == searcher.reader().column_reader("score")[0]
        assert vectors.sorted_by(vectors.match(wq.Term("text", "住民税")).mask, ("score", "created"), 5) == [0]
