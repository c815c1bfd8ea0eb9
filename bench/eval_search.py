"""Search quality on real Japanese administrative text: MRR@10 and Recall@10, and the
precision of related questions.

    .venv/bin/python -m bench.eval_search [--sample N]

Each set pairs a query with the one document that answers it (data in ../shared/data, read
at run time; the questions in bench/data/ are ours):

- pubcom:      a citizen's public comment -> the ministry's reply (環境基本計画). Boilerplate
               replies given to 3+ comments stay in the index but are not used as targets.
- lawqa:       a デジタル庁 law question -> its statute excerpt.
- bulletin:    a newsletter article's title -> the article body (titles used only once).
- rs:          a national project's name -> its purpose/issues/overview (sampled).
- lawqa-t:     the law question -> the excerpt titled with its law and article (法令名 第N条).
- rs-t:        a project's stated purpose -> the project, titled with its name (issues and
               overview as the body; sampled).
- bulletin-qa: questions as people ask them (bench/data/bulletin_questions.tsv, written
               for this, mostly sharing few words with the answer) -> the titled article.

In the first four, documents have no titles (the query would meet itself); the "-t" and
"-qa" sets have short topic-label titles and natural-language questions. The systems, all
in this run, same documents, same queries, nothing tuned per set or per query:

- std AND / std OR:   Whoosh's default StandardAnalyzer, one BM25 field (title and body);
                      the query's terms all required (Whoosh's default) or any.
- ours AND / ours OR: the same with our Sudachi analyzer: the analyzer alone. "ours OR" is
                      plain BM25 over any of the words.
- today:              SearchIndex.search() of the search package as it was at TODAY (a
                      commit, read with `git archive`, run in a second process).
- app:                SearchIndex.search() as the app calls it now.

Related questions: the titles in bench/data/related_questions.tsv (grouped by topic by us)
indexed with the lawqa questions as unrelated neighbours; for each title, ``similar()``
lists up to five others. Precision = shown questions of the same topic / shown questions.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from whoosh import query as wq
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import ID, TEXT, Schema

from bench.corpus import bulletin_articles, lawqa_samples, pubcom_pairs, rs_projects

# The "today" process puts the old search package first on its path before importing this
# module, so these names are the old package's there.
from search import ParsedQuery, QuestionDocument, SearchIndex, rebuild_index
from search.ja import SudachiTokenizer
from search.storage import IsolatedRamStorage

K = 10
ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "bench" / "data"
CREATED = datetime(2025, 1, 1)
# The search package before issue 18's hybrid ranking: the "today" row.
TODAY = "c358278"


@dataclass
class EvalSet:
    name: str
    docs: list[str]  # document texts; the id of a document is its position
    queries: list[tuple[str, int]]  # (query text, id of the relevant document)
    titles: list[str] = field(default_factory=list)  # empty: the documents have none


def _dedupe(texts: list[str]) -> tuple[list[str], dict[str, int]]:
    ids: dict[str, int] = {}
    for text in texts:
        ids.setdefault(text, len(ids))
    return list(ids), ids


def _tsv(name: str) -> list[dict[str, str]]:
    with open(HERE / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t"))


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


def lawqa_titled_set() -> EvalSet:
    """The statute excerpts with their first law and article as the title, the headings out
    of the body."""
    samples = lawqa_samples()
    contexts, ids = _dedupe([s["コンテキスト"] for s in samples])
    titles, docs = [], []
    for context in contexts:
        lines = context.splitlines()
        headings = [line.lstrip("#").strip() for line in lines if line.startswith(("## ", "### "))]
        titles.append(" ".join(headings[:2]))
        docs.append("\n".join(line for line in lines if not line.startswith("#")))
    return EvalSet("lawqa-t", docs, [(s["問題文"], ids[s["コンテキスト"]]) for s in samples], titles)


def rs_titled_set(sample: int) -> EvalSet:
    projects = rs_projects()
    names = Counter(p["projectName"] for p in projects)
    docs = [f"{p['currentIssues']}\n{p['overview']}".replace("/", "\n") for p in projects]
    candidates = [(p["purpose"], n) for n, p in enumerate(projects) if names[p["projectName"]] == 1 and p["purpose"]]
    queries = random.Random(7).sample(candidates, min(sample, len(candidates)))
    return EvalSet("rs-t", docs, queries, [p["projectName"] for p in projects])


def bulletin_qa_set() -> EvalSet:
    articles = bulletin_articles()
    ids = {a["記事タイトル"]: n for n, a in enumerate(articles)}
    queries = [(row["質問"], ids[row["記事タイトル"]]) for row in _tsv("bulletin_questions.tsv")]
    return EvalSet("bulletin-qa", [a["記事本文"] for a in articles], queries, [a["記事タイトル"] for a in articles])


def eval_sets(sample: int) -> list[EvalSet]:
    return [
        pubcom_set(),
        lawqa_set(),
        bulletin_set(),
        rs_set(sample),
        lawqa_titled_set(),
        rs_titled_set(sample),
        bulletin_qa_set(),
    ]


# --- systems ---------------------------------------------------------------------------

Ranker = Callable[[str], list[int]]


def analyzer_rankers(eval_set: EvalSet, name: str, analyzer) -> dict[str, Ranker]:
    """A one-field BM25 index with ``analyzer``; the query's terms ANDed or ORed."""
    ix = IsolatedRamStorage().create_index(Schema(id=ID(stored=True), body=TEXT(analyzer)))
    titles = eval_set.titles or [""] * len(eval_set.docs)
    with ix.writer() as writer:
        for n, (title, text) in enumerate(zip(titles, eval_set.docs, strict=True)):
            writer.add_document(id=str(n), body=f"{title}\n{text}")
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


def build_index(docs: list[str], titles: list[str], folder: str) -> SearchIndex:
    """The app's index of ``docs`` as questions (whichever ``search`` package is imported)."""
    rebuild_index(
        folder,
        (
            QuestionDocument(id=n, title=title, body=text, tags=(), author_id=0, org_code=None, created_at=CREATED)
            for n, (title, text) in enumerate(zip(titles or [""] * len(docs), docs, strict=True))
        ),
        procs=1,
    )
    return SearchIndex.open(folder)


def app_ranker(eval_set: EvalSet, folder: str) -> Ranker:
    """SearchIndex.search(), as the app calls it (the text as words, no operators)."""
    index = build_index(eval_set.docs, eval_set.titles, folder)

    def rank(text: str) -> list[int]:
        page = index.search(ParsedQuery(words=tuple(text.split())), per_page=K, highlight=False)
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


def related_precision(folder: str) -> dict[str, float]:
    """Related questions (``similar()``) for each labelled title: precision of what is shown,
    questions shown and same-topic questions shown per title, titles with none shown."""
    rows = _tsv("related_questions.tsv")
    titles = [row["title"] for row in rows] + [s["問題文"] for s in lawqa_samples()]
    topics = [row["topic"] for row in rows]
    index = build_index([""] * len(titles), titles, folder)
    relevant = shown = empty = 0
    for n, row in enumerate(rows):
        ids = [hit.question_id for hit in index.similar(row["title"], limit=5, exclude_id=n, highlight=False)]
        shown += len(ids)
        relevant += sum(1 for i in ids if i < len(topics) and topics[i] == topics[n])
        empty += not ids
    return {
        "precision": relevant / shown if shown else 0.0,
        "shown": shown / len(rows),
        "same_topic": relevant / len(rows),
        "none_shown": empty,
    }


def run_app(sample: int, folder: str, emit: Callable[[dict], None]) -> None:
    """Every set and the related questions with the imported ``search`` package."""
    for eval_set in eval_sets(sample):
        mrr, recall, ms = evaluate(app_ranker(eval_set, f"{folder}/{eval_set.name}"), eval_set.queries)
        emit({"set": eval_set.name, "mrr": mrr, "recall": recall, "ms": ms})
    emit({"related": related_precision(f"{folder}/related")})


def start_today(sample: int, folder: str) -> subprocess.Popen:
    """Run ``run_app`` in a second process, with the search package of commit TODAY first on
    its path; it prints one JSON line per result."""
    old = Path(folder) / "today-src"
    old.mkdir()
    archived = subprocess.run(["git", "archive", TODAY, "search"], cwd=ROOT, capture_output=True)
    if archived.returncode != 0:
        raise SystemExit(f"eval-search compares with commit {TODAY} (the 'today' row): run it in a full clone")
    archive = archived.stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(old, filter="data")
    code = (
        f"import sys; sys.path[:0] = [{str(old)!r}, {str(ROOT)!r}]; import json; "
        "from bench.eval_search import run_app; "
        f"run_app({sample}, {str(Path(folder) / 'today')!r}, lambda r: print(json.dumps(r), flush=True))"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=folder, stdout=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=1000, help="rs and rs-t queries to sample (default 1000)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="zennin-eval-") as tmp:
        today = start_today(args.sample, tmp)
        rows: dict[str, dict[str, tuple[float, float, float]]] = {}
        app: dict[str, dict] = {}
        for eval_set in eval_sets(args.sample):
            rankers = {
                **analyzer_rankers(eval_set, "std", StandardAnalyzer()),
                **analyzer_rankers(eval_set, "ours", SudachiTokenizer()),
            }
            rows[eval_set.name] = {system: evaluate(rank, eval_set.queries) for system, rank in rankers.items()}
        run_app(args.sample, f"{tmp}/app", lambda r: app.setdefault(r.get("set", "related"), r))
        for line in today.stdout:
            result = json.loads(line)
            app.setdefault(f"today:{result.get('set', 'related')}", result)
        if today.wait() != 0:
            raise SystemExit(f"the 'today' run (search package at {TODAY}) failed")
    report(rows, app)


def report(rows: dict[str, dict[str, tuple[float, float, float]]], app: dict[str, dict]) -> None:
    systems = [*next(iter(rows.values())), "today", "app"]
    print(f"MRR@10 / Recall@10 (ms per query); today = the search package at {TODAY}")
    print(f"{'set':<12}" + "".join(f"{s:>24}" for s in systems))
    macro: dict[str, list[tuple[float, float]]] = {s: [] for s in systems}
    for name, results in rows.items():
        results = {
            **results,
            "today": tuple(app[f"today:{name}"][k] for k in ("mrr", "recall", "ms")),
            "app": tuple(app[name][k] for k in ("mrr", "recall", "ms")),
        }
        cells = []
        for system in systems:
            mrr, recall, ms = results[system]
            macro[system].append((mrr, recall))
            cells.append(f"{mrr:.3f} / {recall:.3f} ({ms:5.1f})")
        print(f"{name:<12}" + "".join(f"{c:>24}" for c in cells))
    print(f"{'macro':<12}" + "".join(f"{_mean(macro[s], 0):.3f} / {_mean(macro[s], 1):.3f}".rjust(24) for s in systems))
    print()
    print("related questions (similar(), up to 5 shown; precision = same topic / shown):")
    for system, key in (("today", "today:related"), ("app", "related")):
        r = app[key]["related"]
        print(
            f"  {system:<6} precision {r['precision']:.3f}  shown per title {r['shown']:.2f}  "
            f"same-topic shown per title {r['same_topic']:.2f}  titles with none shown {r['none_shown']}"
        )


def _mean(pairs: list[tuple[float, float]], i: int) -> float:
    return sum(p[i] for p in pairs) / len(pairs)


if __name__ == "__main__":
    main()
