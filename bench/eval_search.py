"""Search quality on real Japanese administrative text: MRR@10 and Recall@10.

    .venv/bin/python -m bench.eval_search [--sample N]

Each set pairs a query with the one document that answers it (data in ../shared/data, read
at run time):

- pubcom:   a citizen's public comment -> the ministry's reply (環境基本計画). Boilerplate
            replies given to 3+ comments stay in the index but are not used as targets.
- lawqa:    a デジタル庁 law question -> its statute excerpt.
- bulletin: a newsletter article's title -> the article body (titles used only once).
- rs:       a national project's name -> its purpose/issues/overview (sampled).

Documents are indexed as question bodies without titles, so a query never meets itself.
The systems, all in this run, same documents, same queries, nothing tuned per query:

- std AND / std OR:   Whoosh's default StandardAnalyzer, one BM25 field; the query's terms
                      all required (Whoosh's default) or any (more matches rank higher).
- ours AND / ours OR: the same, with our Sudachi analyzer instead: the analyzer alone.
- ours app:           SearchIndex.search() as the app calls it: morph AND, then bigrams,
                      then any word, with the re-rank and all.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from whoosh import query as wq
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import ID, TEXT, Schema

from bench.corpus import bulletin_articles, lawqa_samples, pubcom_pairs, rs_projects
from search import ParsedQuery, QuestionDocument, SearchIndex, rebuild_index
from search.ja import SudachiTokenizer
from search.storage import IsolatedRamStorage

K = 10


@dataclass
class EvalSet:
    name: str
    docs: list[str]  # document texts; the id of a document is its position
    queries: list[tuple[str, int]]  # (query text, id of the relevant document)


def _dedupe(texts: list[str]) -> tuple[list[str], dict[str, int]]:
    ids: dict[str, int] = {}
    for text in texts:
        ids.setdefault(text, len(ids))
    return list(ids), ids


def pubcom_set() -> EvalSet:
    pairs = pubcom_pairs()
    docs, ids = _dedupe([p["reply"] for p in pairs])
    uses = Counter(p["reply"] for p in pairs)
    queries = [(p["comment"], ids[p["reply"]]) for p in pairs if uses[p["reply"]] < 3]
    return EvalSet("pubcom", docs, queries)


def lawqa_set() -> EvalSet:
    samples = lawqa_samples()
    docs, ids = _dedupe([s["コンテキスト"] for s in samples])
    return EvalSet("lawqa", docs, [(s["問題文"], ids[s["コンテキスト"]]) for s in samples])


def bulletin_set() -> EvalSet:
    articles = bulletin_articles()
    titles = Counter(a["記事タイトル"] for a in articles)
    docs = [a["記事本文"] for a in articles]
    queries = [(a["記事タイトル"], n) for n, a in enumerate(articles) if titles[a["記事タイトル"]] == 1]
    return EvalSet("bulletin", docs, queries)


def rs_set(sample: int) -> EvalSet:
    projects = rs_projects()
    names = Counter(p["projectName"] for p in projects)
    docs = [f"{p['purpose']}\n{p['currentIssues']}\n{p['overview']}".replace("/", "\n") for p in projects]
    candidates = [(p["projectName"], n) for n, p in enumerate(projects) if names[p["projectName"]] == 1]
    return EvalSet("rs", docs, random.Random(7).sample(candidates, min(sample, len(candidates))))


# --- systems ---------------------------------------------------------------------------

Ranker = Callable[[str], list[int]]


def analyzer_rankers(docs: list[str], name: str, analyzer) -> dict[str, Ranker]:
    """A one-field BM25 index with ``analyzer``; the query's terms ANDed or ORed."""
    ix = IsolatedRamStorage().create_index(Schema(id=ID(stored=True), body=TEXT(analyzer)))
    with ix.writer() as writer:
        for n, text in enumerate(docs):
            writer.add_document(id=str(n), body=text)
    searcher = ix.searcher()

    def ranker(combine: type[wq.CompoundQuery]) -> Ranker:
        def rank(text: str) -> list[int]:
            terms = list(dict.fromkeys(t.text for t in analyzer(text, mode="query")))
            if not terms:
                return []
            results = searcher.search(combine([wq.Term("body", t) for t in terms]), limit=K)
            return [int(hit["id"]) for hit in results]

        return rank

    return {f"{name} AND": ranker(wq.And), f"{name} OR": ranker(wq.Or)}


def app_ranker(docs: list[str], folder: str) -> Ranker:
    """SearchIndex.search(), as the app calls it (the text as words, no operators)."""
    created = datetime(2025, 1, 1)
    rebuild_index(
        folder,
        (
            QuestionDocument(id=n, title="", body=text, tags=(), author_id=0, org_code=None, created_at=created)
            for n, text in enumerate(docs)
        ),
        procs=2,
    )
    index = SearchIndex.open(folder)

    def rank(text: str) -> list[int]:
        page = index.search(ParsedQuery(words=tuple(text.split())), per_page=K)
        return [hit.question_id for hit in page.hits]

    return rank


# --- scoring ---------------------------------------------------------------------------


def evaluate(rank: Ranker, queries: list[tuple[str, int]]) -> tuple[float, float, float]:
    """MRR@10, Recall@10 and mean milliseconds per query."""
    reciprocal, found = 0.0, 0
    started = time.perf_counter()
    for text, relevant in queries:
        ranked = rank(text)[:K]
        if relevant in ranked:
            reciprocal += 1 / (ranked.index(relevant) + 1)
            found += 1
    elapsed = (time.perf_counter() - started) * 1000 / len(queries)
    return reciprocal / len(queries), found / len(queries), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=1000, help="rs queries to sample (default 1000)")
    args = parser.parse_args()

    sets = [pubcom_set(), lawqa_set(), bulletin_set(), rs_set(args.sample)]
    print(f"{'set':<9} {'docs':>5} {'queries':>7}  {'system':<9} {'MRR@10':>7} {'R@10':>6} {'ms/q':>6}")
    totals: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="zennin-eval-") as tmp:
        for eval_set in sets:
            rankers = {
                **analyzer_rankers(eval_set.docs, "std", StandardAnalyzer()),
                **analyzer_rankers(eval_set.docs, "ours", SudachiTokenizer()),
                "ours app": app_ranker(eval_set.docs, f"{tmp}/{eval_set.name}"),
            }
            for system, rank in rankers.items():
                mrr, recall, ms = evaluate(rank, eval_set.queries)
                totals.setdefault(system, []).append((mrr, recall))
                print(
                    f"{eval_set.name:<9} {len(eval_set.docs):>5} {len(eval_set.queries):>7}  "
                    f"{system:<9} {mrr:>7.3f} {recall:>6.3f} {ms:>6.1f}"
                )
            print()
    print("macro average over the sets:")
    for system, scores in totals.items():
        mrr = sum(s[0] for s in scores) / len(scores)
        recall = sum(s[1] for s in scores) / len(scores)
        print(f"  {system:<9} MRR@10 {mrr:.3f}  Recall@10 {recall:.3f}")


if __name__ == "__main__":
    main()
