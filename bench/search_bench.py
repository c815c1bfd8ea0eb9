"""Search speed at scale: index build rate (one process vs parallel), size, query latency.

    .venv/bin/python -m bench.search_bench [--questions 100000] [--build-docs 10000]

The corpus (default 100,000 questions with ~300,000 answers) is recombined from real
administrative Japanese in ../shared/data (see bench/corpus.py) and cached, with the full
index, under bench/.cache/ (git-ignored). The build-rate comparison indexes the first
``--build-docs`` questions twice, with procs=1 and procs=2. Queries are 1–3 words taken
from real titles of the corpus, so each finds at least one question; every timing covers
the whole SearchIndex call (parse, match, count, re-rank, stored fields, snippets).

These are measurements, not tests: on a shared 2-core machine expect ±30–50 % noise.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.scoring import BM25F

from bench.corpus import CACHE, cached_questions
from search import QuestionDocument, SearchIndex, SearchUnavailable, parse_query, rebuild_index
from search.compiler import ENOUGH_HITS, QueryPlan, prune
from search.ja import morph_terms
from search.storage import IndexHome
from search.vector import VectorSearcher


def build_rate(docs: list[QuestionDocument], procs: int) -> tuple[float, float]:
    """Documents per second, and the CPU seconds spent (this process and its workers)."""
    with tempfile.TemporaryDirectory(prefix="zennin-bench-") as folder:
        cpu = _cpu_seconds()
        started = time.perf_counter()
        rebuild_index(folder, docs, procs=procs)
        return len(docs) / (time.perf_counter() - started), _cpu_seconds() - cpu


def _cpu_seconds() -> float:
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def full_index(docs: list[QuestionDocument], rebuild: bool) -> Path:
    """The cached index of all ``docs``, built in parallel if missing or stale."""
    folder = CACHE / f"index-{len(docs)}"
    if not rebuild:
        try:
            with SearchIndex.open(folder) as index:
                if index.doc_count() == len(docs):
                    print(f"full index: reusing {folder}")
                    return folder
        except SearchUnavailable as error:
            print(f"full index: rebuilding ({error})")
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()

    def progress(done: int) -> None:
        if done % 10000 < 100:
            print(f"  {done:>7} documents, {time.perf_counter() - started:6.0f} s", flush=True)

    rebuild_index(folder, docs, procs=2, progress=progress)
    elapsed = time.perf_counter() - started
    print(f"full index: {len(docs)} documents in {elapsed:.0f} s, {len(docs) / elapsed:.0f} docs/s (procs=2)")
    return folder


def sample_queries(docs: list[QuestionDocument], count: int) -> list[tuple[str, str]]:
    """(1–3 words from a real title, one of that question's tags)."""
    rng = random.Random(11)
    queries: list[tuple[str, str]] = []
    while len(queries) < count:
        doc = rng.choice(docs)
        words = [w for w in dict.fromkeys(morph_terms(doc.title)) if len(w) >= 2 and not w.isdigit()]
        if words and doc.tags:
            chosen = rng.sample(words, min(len(words), rng.choice((1, 1, 2, 2, 3))))
            queries.append((" ".join(chosen), rng.choice(doc.tags)))
    return queries


def sample_phrases(docs: list[QuestionDocument], count: int) -> list[tuple[str, str]]:
    """Quoted 4–8 character stretches of real titles."""
    rng = random.Random(13)
    phrases: list[tuple[str, str]] = []
    while len(phrases) < count:
        title = rng.choice(docs).title
        length = rng.randint(4, 8)
        if len(title) > length:
            start = rng.randrange(len(title) - length)
            phrases.append((f'"{title[start : start + length]}"', ""))
    return phrases


def tier_costs(folder: Path, queries: list[tuple[str, str]]) -> None:
    """Each strict tier on its own (top 20 + exact count): why bigrams are a second pass."""
    ix = whoosh_index.open_dir(str(IndexHome(folder).current()))
    with ix.searcher(weighting=BM25F()) as searcher:
        vectors = VectorSearcher(searcher)
        timings: dict[str, list[float]] = {"morph": [], "hybrid": []}
        fallbacks = 0
        for words, _ in queries:
            tiers = [tier for tier, _bigrams in QueryPlan(parse_query(words)).strict_tiers()]
            for name, query in zip(("morph", "hybrid"), (tiers[0], tiers[-1]), strict=True):
                started = time.perf_counter()
                query = prune(query, searcher.reader())
                count = 0
                if query is not None:
                    found = vectors.match(query)
                    count = int(found.mask.sum())
                    vectors.top(found, 20)
                timings[name].append((time.perf_counter() - started) * 1000)
                if name == "morph" and count < ENOUGH_HITS:
                    fallbacks += 1
        report("morph tier only", timings["morph"])
        report("bigram tier on every query", timings["hybrid"])
        print(f"  the bigram tier was needed for {fallbacks} of {len(queries)} queries")


def latencies(run: Callable[[str, str], object], queries: list[tuple[str, str]]) -> list[float]:
    timings = []
    for words, tag in queries:
        started = time.perf_counter()
        run(words, tag)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def report(name: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(f"  {name:<34} p50 {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms   max {ordered[-1]:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--build-docs", type=int, default=10_000, help="questions for the build-rate comparison")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached full index")
    args = parser.parse_args()

    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
    started = time.perf_counter()
    docs = cached_questions(args.questions)
    answers = sum(len(d.answers) for d in docs)
    chars = sum(len(d.title) + len(d.body) + sum(len(a.body) for a in d.answers) for d in docs) / len(docs)
    print(f"corpus: {len(docs)} questions, {answers} answers, {chars:.0f} chars per question with its answers")
    print(f"        (loaded in {time.perf_counter() - started:.0f} s)")

    sample = docs[: min(args.build_docs, len(docs))]
    (single, single_cpu), (parallel, parallel_cpu) = build_rate(sample, procs=1), build_rate(sample, procs=2)
    print(f"build rate on {len(sample)} questions: procs=1 {single:.0f} docs/s, procs=2 {parallel:.0f} docs/s")
    print(f"        parallel / single = {parallel / single:.2f}x")
    print(f"        CPU seconds: procs=1 {single_cpu:.0f}, procs=2 {parallel_cpu:.0f} (workers included)")

    folder = full_index(docs, args.rebuild)
    live = IndexHome(folder).current()
    size = sum(f.stat().st_size for f in live.iterdir())
    print(f"index size: {size / 2**20:.0f} MiB ({len(list(live.glob('*.trm')))} segments)")

    queries = sample_queries(docs, args.queries)
    with SearchIndex.open(folder) as index:
        for words, _ in queries[:20]:  # warm the page cache and the searcher
            index.search(words)
        totals = [index.search(words, highlight=False).total for words, _ in queries]
        print(f"queries: {len(queries)} of 1–3 words, median {statistics.median(totals):.0f} matching questions")
        report("plain (ids and titles)", latencies(lambda w, t: index.search(w, highlight=False), queries))
        report("with highlighted snippets", latencies(lambda w, t: index.search(w), queries))
        report("with a tag filter and snippets", latencies(lambda w, t: index.search(f"{w} [{t}]"), queries))
        report("sorted by newest, snippets", latencies(lambda w, t: index.search(w, sort="newest"), queries))
        report('"exact phrase", snippets', latencies(lambda w, t: index.search(w), sample_phrases(docs, len(queries))))
        titles = [(doc.title, "") for doc in random.Random(5).sample(docs, len(queries))]
        report("similar(title), 5 hits", latencies(lambda w, t: index.similar(w), titles))
    print("tiers alone (no snippets):")
    tier_costs(folder, queries)
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")


if __name__ == "__main__":
    main()
