"""Real administrative Japanese from ../shared/data, read at run time (never committed)."""

from __future__ import annotations

import csv
import json
import pickle
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from search.documents import AnswerDocument, QuestionDocument

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CACHE = Path(__file__).resolve().parent / ".cache"

_SENTENCE_END = re.compile(r"(?<=[。！？])|/|\n+")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) >= 8]


def rs_projects() -> list[dict]:
    """行政事業レビュー 2025: 5,794 national projects (name, ministry, purpose, issues, overview)."""
    with open(DATA / "rs-gyosei-review-2025" / "rs2025-project-details.json", encoding="utf-8") as f:
        return list(json.load(f).values())


def bulletin_articles() -> list[dict]:
    """広報あつぎ / 広報くらしき: 1,814 municipal newsletter articles."""
    with open(DATA / "municipal-bulletin" / "articles.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def pubcom_pairs() -> list[dict]:
    """環境基本計画 public comments and the ministry's replies: 482 pairs."""
    path = DATA / "pubcom-env-basic-plan" / "comments_replies.csv"
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def lawqa_samples() -> list[dict]:
    """デジタル庁 law QA: 140 questions with their statute context."""
    with open(DATA / "lawqa-jp" / "selection.json", encoding="utf-8") as f:
        return json.load(f)["samples"]


def org_codes() -> list[str]:
    with open(DATA / "jp-localgov-codes" / "jisx0402_soumu_codes.csv", encoding="utf-8") as f:
        return [row["code"] for row in csv.DictReader(f)]


@dataclass
class Pools:
    titles: list[str]
    question_sentences: list[str]
    answer_sentences: list[str]
    tags: list[str]
    orgs: list[str]


def load_pools() -> Pools:
    projects, articles = rs_projects(), bulletin_articles()
    pairs, laws = pubcom_pairs(), lawqa_samples()
    titles = [p["projectName"] for p in projects] + [a["記事タイトル"] for a in articles]
    titles += [s[:60] for law in laws for s in _sentences(law["問題文"])]
    question_sentences = [s for p in projects for s in _sentences(p["purpose"] + "/" + p["currentIssues"])]
    question_sentences += [s for pair in pairs for s in _sentences(pair["comment"])]
    answer_sentences = [s for p in projects for s in _sentences(p["overview"])]
    answer_sentences += [s for a in articles for s in _sentences(a["記事本文"])]
    answer_sentences += [s for pair in pairs for s in _sentences(pair["reply"])]
    answer_sentences += [s for law in laws for s in _sentences(law["コンテキスト"])]
    tags = sorted(
        {p["ministry"] for p in projects}
        | {p["bureau"] for p in projects if p["bureau"]}
        | {a["カテゴリ"] for a in articles}
    )
    return Pools(titles, question_sentences, answer_sentences, [t.lower() for t in tags], org_codes())


def _text(rng: random.Random, pool: list[str], low: int, high: int) -> str:
    return "".join(rng.choice(pool) for _ in range(rng.randint(low, high)))


def generate_questions(count: int, seed: int = 2026) -> Iterator[QuestionDocument]:
    """``count`` questions with 0–6 answers each (3 on average), recombined from real text."""
    pools, rng = load_pools(), random.Random(seed)
    start, answer_id = datetime(2019, 4, 1), 0
    for qid in range(1, count + 1):
        answers = []
        for _ in range(rng.choice((0, 1, 2, 3, 3, 4, 4, 5, 6))):
            answer_id += 1
            answers.append(
                AnswerDocument(
                    id=answer_id,
                    body=_text(rng, pools.answer_sentences, 1, 4),
                    author_id=rng.randint(1, 5000),
                    score=max(0, int(rng.gauss(1, 3))),
                )
            )
        accepted = bool(answers) and rng.random() < 0.6
        if accepted:
            answers[0] = AnswerDocument(**{**answers[0].__dict__, "accepted": True})
        yield QuestionDocument(
            id=qid,
            title=rng.choice(pools.titles),
            body=_text(rng, pools.question_sentences, 2, 5),
            tags=tuple(rng.sample(pools.tags, rng.randint(1, 3))),
            author_id=rng.randint(1, 5000),
            org_code=rng.choice(pools.orgs),
            created_at=start + timedelta(minutes=rng.randint(0, 7 * 365 * 24 * 60)),
            score=max(-2, int(rng.gauss(2, 4))),
            answer_count=len(answers),
            has_accepted=accepted,
            answers=tuple(answers),
        )


def cached_questions(count: int) -> list[QuestionDocument]:
    """The first ``count`` generated questions, cached under bench/.cache/ (git-ignored)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"questions-{count}.pickle"
    if path.exists():
        with open(path, "rb") as f:
            return pickle.load(f)
    docs = list(generate_questions(count))
    with open(path, "wb") as f:
        pickle.dump(docs, f, protocol=pickle.HIGHEST_PROTOCOL)
    return docs
