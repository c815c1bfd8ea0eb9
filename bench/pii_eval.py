"""Personal-information detector quality on a labelled corpus: precision, recall, F1, speed.

    .venv/bin/python -m bench.pii_eval [--corpus PATH] [--quiet]

The corpus (bench/data/pii_corpus.txt, written before the detector) holds one example a line,
gold spans marked inline as ⟦category|text⟧; a line without markers must yield no finding.
The held-out set (pii_heldout.txt, same format) was written after the rules were settled and
never used to change them: its table is the fairer estimate. A finding matches a gold span
when the categories are equal and the spans overlap; each gold span and each finding counts
once. Throughput is measured on the whole corpus as one text and on a 30,000-character body
(the largest post the site accepts) made of corpus lines.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pii import CATEGORIES, Finding, scan

CORPUS = Path(__file__).with_name("data") / "pii_corpus.txt"
HELDOUT = CORPUS.with_name("pii_heldout.txt")
BODY_CHARS = 30_000

_MARKER = re.compile(r"⟦([^|⟦⟧]*)\|([^⟦⟧]*)⟧")


class CorpusError(ValueError):
    pass


@dataclass(frozen=True)
class Example:
    line_no: int
    text: str  # the line without markers
    gold: tuple[Finding, ...]  # offsets into text


def parse_line(line: str, line_no: int = 0) -> Example:
    """Strip the markers of one corpus line, keeping where each gold span falls."""
    gold = []
    parts = []
    length = 0
    position = 0
    for m in _MARKER.finditer(line):
        before = line[position : m.start()]
        category, span = m.groups()
        if category not in CATEGORIES:
            raise CorpusError(f"line {line_no}: unknown category {category!r}")
        if not span.strip():
            raise CorpusError(f"line {line_no}: empty {category} span")
        parts += [before, span]
        length += len(before)
        gold.append(Finding(category, length, length + len(span)))
        length += len(span)
        position = m.end()
    parts.append(line[position:])
    text = "".join(parts)
    if "⟦" in text or "⟧" in text:
        raise CorpusError(f"line {line_no}: malformed marker")
    return Example(line_no, text, tuple(gold))


def parse_corpus(lines: Iterable[str]) -> list[Example]:
    """Examples of a corpus; blank lines and lines starting with "# " are skipped."""
    return [
        parse_line(line, n)
        for n, raw in enumerate(lines, 1)
        if (line := raw.rstrip("\n")).strip() and not line.startswith("# ")
    ]


def load_corpus(path: Path = CORPUS) -> list[Example]:
    return parse_corpus(path.read_text(encoding="utf-8").splitlines())


@dataclass
class Counts:
    tp: int = 0  # findings that matched a gold span
    fp: int = 0
    found: int = 0  # gold spans that a finding matched
    exact: int = 0  # of those, found with exactly the gold offsets
    missed: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.found / (self.found + self.missed) if self.found + self.missed else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _overlaps(a: Finding, b: Finding) -> bool:
    return a.category == b.category and a.start < b.end and b.start < a.end


@dataclass
class Report:
    counts: dict[str, Counts]
    false_positives: list[tuple[Example, Finding]]
    misses: list[tuple[Example, Finding]]


def evaluate(examples: list[Example], detect: Callable[[str], list[Finding]] = scan) -> Report:
    counts = {c: Counts() for c in CATEGORIES}
    fps, misses = [], []
    for ex in examples:
        findings = detect(ex.text)
        for f in findings:
            if any(_overlaps(f, g) for g in ex.gold):
                counts[f.category].tp += 1
            else:
                counts[f.category].fp += 1
                fps.append((ex, f))
        for g in ex.gold:
            if any(_overlaps(f, g) for f in findings):
                counts[g.category].found += 1
                counts[g.category].exact += g in findings
            else:
                counts[g.category].missed += 1
                misses.append((ex, g))
    return Report(counts, fps, misses)


def throughput(text: str, detect: Callable[[str], list[Finding]] = scan, min_seconds: float = 1.0) -> float:
    """Characters per second, repeating the scan for at least ``min_seconds``."""
    detect(text)  # warm up: Sudachi's dictionary loads on first use
    runs, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < min_seconds or runs < 3:
        detect(text)
        runs += 1
    return len(text) * runs / elapsed


def body_of(examples: list[Example], chars: int = BODY_CHARS) -> str:
    lines = [ex.text for ex in examples]
    body, i = [], 0
    while sum(map(len, body)) + len(body) < chars:
        body.append(lines[i % len(lines)])
        i += 1
    return "\n".join(body)[:chars]


def _mark(text: str, f: Finding) -> str:
    return f"{text[: f.start]}【{text[f.start : f.end]}】{text[f.end :]}"


def print_report(report: Report, examples: list[Example], quiet: bool = False) -> None:
    total = Counts()
    print(f"{'category':<18}{'gold':>6}{'found':>7}{'exact':>7}{'FP':>5}{'precision':>11}{'recall':>8}{'F1':>7}")
    for category, c in [*report.counts.items(), ("overall", total)]:
        if c is not total:
            for field in ("tp", "fp", "found", "exact", "missed"):
                setattr(total, field, getattr(total, field) + getattr(c, field))
        print(f"{category:<18}{c.found + c.missed:>6}{c.found:>7}{c.exact:>7}{c.fp:>5}"
              f"{c.precision:>11.3f}{c.recall:>8.3f}{c.f1:>7.3f}")
    negatives = sum(1 for ex in examples if not ex.gold)
    clean = negatives - len({ex.line_no for ex, _ in report.false_positives if not ex.gold})
    print(f"\n{len(examples)} lines, {negatives} without personal information ({clean} left clean)")
    if quiet:
        return
    print(f"\nFalse positives ({len(report.false_positives)}):")
    for ex, f in report.false_positives:
        print(f"  {ex.line_no:>4} {f.category:<16} {_mark(ex.text, f)}")
    print(f"\nMisses ({len(report.misses)}):")
    for ex, g in report.misses:
        print(f"  {ex.line_no:>4} {g.category:<16} {_mark(ex.text, g)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", help="instead of the corpus and the held-out set")
    parser.add_argument("--quiet", action="store_true", help="the tables only")
    args = parser.parse_args()
    corpora = [load_corpus(path) for path in args.corpus or (CORPUS, HELDOUT)]
    for path, examples in zip(args.corpus or (CORPUS, HELDOUT), corpora, strict=True):
        print(f"== {path.name}")
        print_report(evaluate(examples), examples, quiet=args.quiet)
        print()
    examples = corpora[0]
    whole = "\n".join(ex.text for ex in examples)
    body = body_of(examples)
    print(f"Throughput: {throughput(whole):,.0f} chars/s on {len(whole):,} chars of corpus lines, "
          f"{throughput(body):,.0f} chars/s on a {len(body):,}-char body")
    started = time.perf_counter()
    scan(body)
    print(f"One scan of the {len(body):,}-char body: {(time.perf_counter() - started) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
