"""The benchmark site: a SQLite database and its search index at national scale, built once.

    .venv/bin/python -m bench.site_corpus [--questions 100000] [--rebuild]

5,000 members with career histories (real organizations, departments, tags), 300 tags,
100,000 questions and 300,000 answers with votes, comments and accepted answers, recombined
from real administrative Japanese (bench/corpus.py reads ../shared/data). Cached under
bench/.cache/site-<questions>/ (git-ignored); `make bench` reuses it and copies it per run.

Posting 400,000 posts through the services would take hours, so rows are written in bulk
with SQLAlchemy Core, and every invariant the app relies on is established here instead:

- score = sum of the post's votes (imported_score 0); nobody votes on their own post;
- answer_count = the question's answers, accepted_answer_id = one of them,
  last_activity_at = the latest answer or comment;
- tags.question_count = questions carrying the tag, the visible_questions counter; revision 1 of every post;
- body_html = app.rendering.render_unbounded(body), the app's own renderer and sanitizer;
- users.reputation = what app.services.reputation.recompute() derives from votes and acceptances;
- the profile's organization and department follow the latest current career post.

Bodies are paragraphs separated by blank lines, drawn from pools of rendered paragraphs:
render_unbounded(body) is then the rendered paragraphs joined by newlines, so each distinct
paragraph is rendered once (in a process pool) instead of 400,000 bodies. A sample of whole
bodies is rendered again and compared, and the build stops if any differs. The search index
is built by the app's own path, `app.indexing.rebuild()`, and its rate reported.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.corpus import CACHE, DATA, Pools, load_pools, rs_projects

CORPUS_VERSION = 2  # bump when the generated content changes shape
SEED = 2026
USERS = 5000
TAG_COUNT = 300
ANSWERS_PER_QUESTION = 3
PASSWORD = "zennin-bench-2026"  # every generated member's password (the load test logs in)
BENCH_EMAIL_DOMAIN = "bench.lg.jp"
# Fixed dates keep the corpus identical from run to run.
FIRST_QUESTION = datetime(2019, 4, 1)
LAST_QUESTION = datetime(2026, 10, 31)
TODAY = date(2026, 11, 1)
BATCH = 5000  # questions (with their answers, votes, comments…) per insert transaction
VERIFY_EVERY = 400  # re-render one body in this many whole, to prove body_html
SEED_DATA = Path(__file__).resolve().parents[1] / "app" / "data" / "seed"


def site_dir(questions: int) -> Path:
    return CACHE / f"site-{questions}"


def say(started: float, message: str) -> None:
    print(f"[{time.perf_counter() - started:6.0f} s] {message}", flush=True)


# ---------------------------------------------------------------- text and names


@dataclass
class Texts:
    titles: list[str]
    question_paragraphs: list[str]  # Markdown
    answer_paragraphs: list[str]
    comment_sentences: list[str]
    tags: list[dict]  # name, category, description, synonyms; most used first
    national_departments: dict[str, list[str]]  # ministry → 「局 課」 from the government directory
    local_departments: list[str]  # municipal departments of the demo seed (app/data/seed)
    names: list[str]  # 「田中 翼」 recombined from the demo seed's family and given names


def _paragraph(rng: random.Random, sentences: list[str], allow_list: bool) -> str:
    chosen = [rng.choice(sentences) for _ in range(rng.randint(1, 3))]
    if allow_list and len(chosen) > 1 and rng.random() < 0.12:
        return "\n".join(f"- {sentence}" for sentence in chosen)
    return "".join(chosen)


def tag_names(pools: Pools, rng: random.Random) -> list[dict]:
    """300 tags from real names, most used first: the demo seed's policy areas (with their
    descriptions and synonyms), then ministries, bureaus, newsletter and budget categories and
    law names, made valid the way imported tags are."""
    from app.services.importers.stackexchange import map_tag

    projects = rs_projects()
    seed = json.loads((SEED_DATA / "tags.json").read_text(encoding="utf-8"))
    sources = [
        ("policy", sorted({p["ministry"] for p in projects})),
        ("department", sorted({p["bureau"] for p in projects if p["bureau"]})),
        ("topic", sorted(pools.tags)),
        ("topic", sorted({p["majorExpense"] for p in projects if p["majorExpense"]})),
        (
            "topic",
            [law["title"] for law in json.loads((DATA / "lawqa-jp" / "law_list.json").read_text(encoding="utf-8"))],
        ),
    ]
    seen = {tag["name"] for tag in seed} | {synonym for tag in seed for synonym in tag["synonyms"]}
    others: list[dict] = []
    for category, names in sources:
        for raw in names:
            name = map_tag(raw)
            if name and name not in seen:
                seen.add(name)
                others.append({"name": name, "category": category, "description": "", "synonyms": []})
    rng.shuffle(others)
    tags = [{"synonyms": [], **tag} for tag in seed] + others
    if len(tags) < TAG_COUNT:
        raise SystemExit(f"only {len(tags)} tag names in ../shared/data, {TAG_COUNT} needed")
    return tags[:TAG_COUNT]


def load_texts(rng: random.Random) -> Texts:
    from app.services.posting import TITLE_MAX, TITLE_MIN

    pools = load_pools()
    seed_users = json.loads((SEED_DATA / "users.json").read_text(encoding="utf-8"))
    local_departments = sorted(
        {user["department"] for user in seed_users}
        | {entry["department"] for user in seed_users for entry in user["career"]}
    )
    family = sorted({user["name"].split()[0] for user in seed_users if " " in user["name"]})
    given = sorted({user["name"].split()[-1] for user in seed_users if " " in user["name"]})
    national: dict[str, set[str]] = defaultdict(set)
    with open(DATA / "jp-gov-orgs" / "ministry_names.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["bureau"] and row["section"]:
                national[row["ministry"]].add(f"{row['bureau']} {row['section']}")
    titles = sorted({" ".join(t.split()) for t in pools.titles if TITLE_MIN <= len(" ".join(t.split())) <= TITLE_MAX})
    return Texts(
        titles=titles,
        question_paragraphs=[_paragraph(rng, pools.question_sentences, allow_list=False) for _ in range(20_000)],
        answer_paragraphs=[_paragraph(rng, pools.answer_sentences, allow_list=True) for _ in range(40_000)],
        comment_sentences=[s for s in pools.answer_sentences if 8 <= len(s) <= 200],
        tags=tag_names(pools, rng),
        national_departments={ministry: sorted(bureaus) for ministry, bureaus in national.items()},
        local_departments=local_departments,
        names=[f"{f} {g}" for f in family for g in given],
    )


def _render(text: str) -> str:
    from app.rendering import render_unbounded

    return render_unbounded(text)


def render_all(paragraphs: list[str], started: float, label: str) -> list[str]:
    """Each distinct paragraph through the app's renderer, in a pool of two processes."""
    rendered: list[str] = []
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for html in pool.imap(_render, paragraphs, chunksize=250):
            rendered.append(html)
            if len(rendered) % 10_000 == 0:
                say(started, f"  rendered {len(rendered):>6} / {len(paragraphs)} {label} paragraphs")
    return rendered


# ---------------------------------------------------------------- the rows


class Corpus:
    """Generates the rows batch by batch and keeps the running totals the invariants need."""

    def __init__(self, texts: Texts, rendered: dict[str, list[str]], questions: int, rng: random.Random):
        self.texts, self.rendered, self.rng = texts, rendered, rng
        self.questions = questions
        self.answers = questions * ANSWERS_PER_QUESTION
        self.user_ids = list(range(1, USERS + 1))
        # A few people write much more than others (long-tailed, as on every Q&A site).
        self.author_weights = _cumulative([1 / (rank**0.8) for rank in range(1, USERS + 1)])
        rng.shuffle(self.user_ids)
        self.tag_weights = _cumulative([1 / (rank**0.9) for rank in range(1, TAG_COUNT + 1)])
        self.tag_names = [tag["name"] for tag in texts.tags]
        self.reputation: Counter[int] = Counter()
        self.tag_counts: Counter[int] = Counter()
        self.answer_plan = self._answer_counts()
        self.next_post_id = 1
        self.next_comment_id = 1
        self.verified = 0

    # -- helpers

    def _author(self) -> int:
        return self.rng.choices(self.user_ids, cum_weights=self.author_weights)[0]

    def _tags(self, low: int, high: int) -> list[int]:
        wanted = self.rng.randint(low, high)
        chosen: list[int] = []
        while len(chosen) < wanted:
            tag_id = self.rng.choices(range(1, TAG_COUNT + 1), cum_weights=self.tag_weights)[0]
            if tag_id not in chosen:
                chosen.append(tag_id)
        return chosen

    def _body(self, kind: str) -> tuple[str, str]:
        paragraphs = self.texts.question_paragraphs if kind == "question" else self.texts.answer_paragraphs
        rendered = self.rendered[kind]
        picked: list[int] = []
        for _ in range(self.rng.randint(1, 3)):
            index = self.rng.randrange(len(paragraphs))
            is_list = paragraphs[index].startswith("- ")
            if is_list and picked and paragraphs[picked[-1]].startswith("- "):
                continue  # two lists in a row would merge into one in Markdown
            picked.append(index)
        body = "\n\n".join(paragraphs[i] for i in picked)
        return body, "\n".join(rendered[i] for i in picked)

    def _answer_counts(self) -> list[int]:
        """Answers per question: mostly 0–6 (one in seven unanswered, so the unanswered tab has
        more than 500 pages), a few popular questions with 15–40; total exactly 3×."""
        rng = self.rng
        counts = [rng.choice((1, 2, 3, 3, 4, 4, 5, 6)) if rng.random() > 1 / 7 else 0 for _ in range(self.questions)]
        for index in rng.sample(range(self.questions), self.questions // 500):
            counts[index] = rng.randint(15, 40)
        difference = self.answers - sum(counts)
        while difference:  # move answered questions only: the unanswered stay unanswered
            index = rng.randrange(self.questions)
            step = 1 if difference > 0 else -1
            if 1 <= counts[index] + step <= 40 and counts[index]:
                counts[index] += step
                difference -= step
        return counts

    def _votes(self, post_id: int, author_id: int, created: datetime, mean: float, rows: list[dict]) -> int:
        wanted = min(int(self.rng.expovariate(1 / mean)), 40)
        score = 0
        for voter in [v for v in self.rng.sample(self.user_ids, wanted + 1) if v != author_id][:wanted]:
            value = 1 if self.rng.random() < 0.88 else -1
            score += value
            self.reputation[author_id] += 10 if value == 1 else -2
            rows.append(
                {
                    "post_id": post_id,
                    "user_id": voter,
                    "value": value,
                    "created_at": created + timedelta(hours=self.rng.randint(1, 2000)),
                }
            )
        return score

    def _verify(self, body: str, body_html: str) -> None:
        if self.rng.randrange(VERIFY_EVERY) == 0:
            if _render(body) != body_html:
                raise SystemExit(f"body_html differs from render_unbounded(body) for:\n{body[:300]}")
            self.verified += 1

    # -- one batch of questions with everything hanging off them

    def batch(self, first_question: int, count: int, question_times: list[datetime]) -> dict[str, list[dict]]:
        rng = self.rng
        rows: dict[str, list[dict]] = defaultdict(list)
        for number in range(first_question, first_question + count):
            created = question_times[number]
            question_id = self.next_post_id
            author_id = self._author()
            tag_ids = self._tags(1, 4)
            body, body_html = self._body("question")
            self._verify(body, body_html)
            title = rng.choice(self.texts.titles)
            score = self._votes(question_id, author_id, created, 2.0, rows["votes"])
            answers = []
            answer_time = created
            for _ in range(self.answer_plan[number]):
                answer_time = min(
                    answer_time + timedelta(minutes=int(rng.expovariate(1 / 600)) + 5), datetime(2026, 11, 1)
                )
                answer_id = question_id + 1 + len(answers)
                answer_author = self._author()
                answer_body, answer_html = self._body("answer")
                self._verify(answer_body, answer_html)
                answer_score = self._votes(answer_id, answer_author, answer_time, 2.5, rows["votes"])
                answers.append((answer_id, answer_author, answer_time, answer_score, answer_body, answer_html))
            self.next_post_id = question_id + 1 + len(answers)
            accepted = None
            if answers and rng.random() < 0.6:
                best = max(answers, key=lambda a: (a[3], -a[0])) if rng.random() < 0.7 else rng.choice(answers)
                accepted = best[0]
                if best[1] != author_id:
                    self.reputation[best[1]] += 15
                    self.reputation[author_id] += 2
            last_activity = answers[-1][2] if answers else created
            for post_id, post_time in [(question_id, created), *((a[0], a[2]) for a in answers)]:
                for _ in range(rng.choice((0, 0, 0, 0, 1, 1, 2, 3))):
                    comment_time = post_time + timedelta(hours=rng.randint(1, 300))
                    rows["comments"].append(
                        {"id": self.next_comment_id, "post_id": post_id, "author_id": self._author(),
                         "body": rng.choice(self.texts.comment_sentences), "created_at": comment_time}
                    )  # fmt: skip
                    self.next_comment_id += 1
                    last_activity = max(last_activity, comment_time)
            rows["posts"].append(
                {"id": question_id, "kind": "question", "author_id": author_id, "title": title, "body": body,
                 "body_html": body_html, "score": score, "created_at": created, "view_count": int(rng.lognormvariate(4, 1.2)),
                 "answer_count": len(answers), "accepted_answer_id": accepted, "last_activity_at": last_activity, "question_id": None}
            )  # fmt: skip
            names = " ".join(sorted(self.tag_names[t - 1] for t in tag_ids))
            rows["revisions"].append(
                {
                    "post_id": question_id,
                    "number": 1,
                    "author_id": author_id,
                    "title": title,
                    "body": body,
                    "tags": names,
                    "created_at": created,
                }
            )
            for tag_id in tag_ids:
                rows["question_tags"].append({"question_id": question_id, "tag_id": tag_id})
                self.tag_counts[tag_id] += 1
            for answer_id, answer_author, answer_time, answer_score, answer_body, answer_html in answers:
                rows["posts"].append(
                    {"id": answer_id, "kind": "answer", "author_id": answer_author, "title": None, "body": answer_body,
                     "body_html": answer_html, "score": answer_score, "created_at": answer_time, "view_count": None,
                     "answer_count": None, "accepted_answer_id": None, "last_activity_at": None, "question_id": question_id}
                )  # fmt: skip
                rows["revisions"].append(
                    {"post_id": answer_id, "number": 1, "author_id": answer_author, "title": None, "body": answer_body, "tags": None, "created_at": answer_time}
                )  # fmt: skip
        return rows

    # -- people

    def users_and_careers(self, organizations: list[tuple[str, str, str]], password_hash: str) -> dict[str, list[dict]]:
        """Members with 1–4 posts each: mostly one municipality, sometimes 出向 elsewhere."""
        rng = self.rng
        municipal = [
            o for o in organizations if o[2] in ("designated_city", "city", "special_ward", "ward", "town", "village")
        ]
        prefectures = [o for o in organizations if o[2] == "prefecture"]
        national = [o for o in organizations if o[2] in ("ministry", "agency", "commission", "regional_office")]
        rows: dict[str, list[dict]] = defaultdict(list)
        entry_id = 0
        for user_id in range(1, USERS + 1):
            home = rng.choice(municipal if rng.random() < 0.8 else prefectures if rng.random() < 0.6 else national)
            start = date(rng.randint(1995, 2022), 4, 1)
            entries = []
            for number in range(rng.randint(1, 4)):
                organization = home if number == 0 or rng.random() < 0.75 else rng.choice(prefectures + national)
                years = rng.randint(2, 4)
                end = date(start.year + years, 3, 31)
                entries.append([organization, start, end])
                start = date(start.year + years, 4, 1)
                if start > TODAY:
                    break
            if entries[-1][2] > TODAY or rng.random() < 0.9:
                entries[-1][2] = None  # the current post
            last_org = entries[-1][0]
            last_department = ""
            for organization, start_on, end_on in entries:
                entry_id += 1
                department = self._department(organization)
                last_department = department
                rows["career_entries"].append(
                    {"id": entry_id, "user_id": user_id, "organization_code": organization[0], "department": department,
                     "department_key": _department_key(department), "start_on": start_on, "end_on": end_on,
                     "created_at": datetime(2026, 1, 1)}
                )  # fmt: skip
                if rng.random() < 0.85:
                    for tag_id in self._tags(1, 3):
                        rows["career_entry_tags"].append({"career_entry_id": entry_id, "tag_id": tag_id})
            rows["users"].append(
                {"id": user_id, "email": f"member{user_id:05d}@{BENCH_EMAIL_DOMAIN}", "password_hash": password_hash,
                 "display_name": rng.choice(self.texts.names), "organization_code": last_org[0], "department": last_department,
                 "bio": "", "reputation": self.reputation[user_id], "role": "moderator" if user_id % 500 == 0 else "member",
                 "email_verified_at": datetime(2025, 4, 1), "session_token": f"{rng.getrandbits(128):032x}",
                 "career_visibility": rng.choices(("members", "organization", "ranking_only"), (80, 15, 5))[0],
                 "notify_by_email": False, "routing_opt_in": True, "locale": None, "created_at": datetime(2025, 4, 1),
                 "is_placeholder": False}
            )  # fmt: skip
        return rows

    def _department(self, organization: tuple[str, str, str]) -> str:
        bureaus = self.texts.national_departments.get(organization[1])
        return self.rng.choice(bureaus) if bureaus else self.rng.choice(self.texts.local_departments)


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _department_key(department: str) -> str:
    from app.services.careers import department_key

    return department_key(department)


# ---------------------------------------------------------------- the database and the index


def bench_app(database: Path, index: Path):
    from app import create_app
    from config import Config

    config = type(
        "CorpusConfig",
        (Config,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SEARCH_INDEX_DIR": str(index),
            "SECRET_KEY": "corpus-build",
        },
    )
    return create_app(config)


def migrated_copy(site: Path, copy: Path) -> Path:
    """Migrate the cached site's database to this checkout's schema, then copy it to
    ``copy`` with SQLite's backup, not a file copy: rows still in the cached database's WAL
    (the counters written last by a build in this process) would be left behind. Returns the
    cached site's search index folder."""
    database, index = site / "zennin.sqlite", site / "search-index"
    app = bench_app(database, index)
    with app.app_context():
        import flask_migrate

        from app.extensions import db

        flask_migrate.upgrade()
        db.session.remove()
        db.engine.dispose()
    copy.unlink(missing_ok=True)
    with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return index


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    for start in range(0, len(rows), 20_000):
        connection.execute(table.insert(), rows[start : start + 20_000])


def build(questions: int, folder: Path) -> dict:
    started = time.perf_counter()
    rng = random.Random(SEED)
    say(started, "loading real text from ../shared/data")
    texts = load_texts(rng)
    say(
        started,
        f"  {len(texts.titles)} titles, {len(texts.question_paragraphs) + len(texts.answer_paragraphs)} paragraphs, {len(texts.tags)} tags",
    )
    rendered = {
        "question": render_all(texts.question_paragraphs, started, "question"),
        "answer": render_all(texts.answer_paragraphs, started, "answer"),
    }
    say(started, "paragraphs rendered with app.rendering.render_unbounded")

    folder.mkdir(parents=True)
    database, index = folder / "zennin.sqlite", folder / "search-index"
    app = bench_app(database, index)
    with app.app_context():
        import flask_migrate

        from app.extensions import db
        from app.models import (
            CareerEntry,
            Comment,
            Organization,
            Post,
            Revision,
            Tag,
            TagSynonym,
            User,
            Vote,
            career_entry_tags,
            question_tags,
        )
        from app.services.accounts import hash_password
        from app.services.organizations import load_organizations

        flask_migrate.upgrade()
        load_organizations()
        organizations = [
            tuple(row) for row in db.session.execute(sa.select(Organization.code, Organization.name, Organization.kind))
        ]
        password_hash = hash_password(PASSWORD)
        db.session.remove()
        db.engine.dispose()
    say(started, "schema migrated, organizations loaded")

    corpus = Corpus(texts, rendered, questions, rng)
    question_times = sorted(
        FIRST_QUESTION + timedelta(seconds=rng.randint(0, int((LAST_QUESTION - FIRST_QUESTION).total_seconds())))
        for _ in range(questions)
    )
    # A plain engine: no BEGIN IMMEDIATE hooks, foreign keys checked once at the end.
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA synchronous = OFF")
        connection.commit()
        with connection.begin():
            _insert(connection, Tag.__table__, [
                {"id": number, "name": tag["name"], "category": tag["category"], "description": tag["description"],
                 "description_html": _render(tag["description"]) if tag["description"] else "", "question_count": 0,
                 "created_at": datetime(2019, 4, 1)}
                for number, tag in enumerate(texts.tags, 1)
            ])  # fmt: skip
            _insert(
                connection,
                TagSynonym.__table__,
                [
                    {"name": synonym, "tag_id": number}
                    for number, tag in enumerate(texts.tags, 1)
                    for synonym in tag["synonyms"]
                ],
            )
        for first in range(0, questions, BATCH):
            rows = corpus.batch(first, min(BATCH, questions - first), question_times)
            with connection.begin():
                _insert(connection, Post.__table__, rows["posts"])
                _insert(connection, question_tags, rows["question_tags"])
                _insert(connection, Revision.__table__, rows["revisions"])
                _insert(connection, Vote.__table__, rows["votes"])
                _insert(connection, Comment.__table__, rows["comments"])
            say(
                started,
                f"  {first + min(BATCH, questions - first):>7} questions, {corpus.next_post_id - 1:>7} posts written",
            )
        people = corpus.users_and_careers(organizations, password_hash)
        with connection.begin():
            _insert(connection, User.__table__, people["users"])
            _insert(connection, CareerEntry.__table__, people["career_entries"])
            _insert(connection, career_entry_tags, people["career_entry_tags"])
            connection.execute(
                sa.update(Tag.__table__)
                .where(Tag.__table__.c.id == sa.bindparam("tag_id"))
                .values(question_count=sa.bindparam("count")),
                [{"tag_id": tag_id, "count": count} for tag_id, count in corpus.tag_counts.items()],
            )
        problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise SystemExit(f"foreign key violations: {problems[:5]}")
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    with app.app_context():
        from app.database import write_transaction
        from app.services import counters

        with write_transaction():
            counters.recount()
    say(started, f"database written: {corpus.next_post_id - 1} posts, {len(people['users'])} users, "
        f"{len(people['career_entries'])} career posts; {corpus.verified} bodies re-rendered whole and identical")  # fmt: skip
    check_invariants(database)
    say(started, "invariants checked (scores, counters, acceptance, reputation)")
    corpus_seconds = time.perf_counter() - started

    index_started = time.perf_counter()
    with app.app_context():
        from app import indexing

        def progress(done: int) -> None:
            if done % 10_000 < 100:
                elapsed = time.perf_counter() - index_started
                say(started, f"  indexed {done:>7} questions ({done / max(elapsed, 0.001):.0f}/s)")

        count = indexing.rebuild(procs=2, progress=progress)
    index_seconds = time.perf_counter() - index_started
    say(
        started,
        f"search index: {count} questions in {index_seconds:.0f} s = {count / index_seconds:.0f} questions/s (procs=2)",
    )
    return {
        "version": CORPUS_VERSION,
        "questions": questions,
        "answers": corpus.answers,
        "users": USERS,
        "tags": TAG_COUNT,
        "corpus_seconds": round(corpus_seconds),
        "index_seconds": round(index_seconds),
        "index_rate": round(count / index_seconds, 1),
        "built_at": datetime.now().isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
    }


def check_invariants(database: Path) -> None:
    """The same facts the services keep, checked with SQL over the whole corpus."""
    checks = {
        "score = sum of votes": "SELECT count(*) FROM posts p WHERE score != imported_score + "
        "(SELECT coalesce(sum(value), 0) FROM votes v WHERE v.post_id = p.id)",
        "answer_count": "SELECT count(*) FROM posts q WHERE kind = 'question' AND answer_count != "
        "(SELECT count(*) FROM posts a WHERE a.question_id = q.id AND a.deleted_at IS NULL)",
        "accepted answer of its question": "SELECT count(*) FROM posts q JOIN posts a ON a.id = q.accepted_answer_id WHERE a.question_id != q.id",
        "tag question_count": "SELECT count(*) FROM tags t WHERE question_count != (SELECT count(*) FROM question_tags qt WHERE qt.tag_id = t.id)",
        "one revision per post": "SELECT count(*) FROM posts p WHERE (SELECT count(*) FROM revisions r WHERE r.post_id = p.id AND r.number = 1) != 1",
        "visible-question counter": "SELECT count(*) FROM counters WHERE name = 'visible_questions' AND value != "
        "(SELECT count(*) FROM posts WHERE kind = 'question' AND deleted_at IS NULL)",
        "no vote on one's own post": "SELECT count(*) FROM votes v JOIN posts p ON p.id = v.post_id WHERE v.user_id = p.author_id",
    }
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        for name, query in checks.items():
            wrong = connection.exec_driver_sql(query).scalar()
            if wrong:
                raise SystemExit(f"invariant broken: {name} ({wrong} rows)")
    engine.dispose()
    _check_reputation(database)


def _check_reputation(database: Path, sample: int = 100) -> None:
    from app.extensions import db
    from app.services import reputation

    app = bench_app(database, database.parent / "search-index")
    with app.app_context():
        rows = db.session.execute(sa.text("SELECT id, reputation FROM users ORDER BY id")).all()
        for user_id, stored in random.Random(SEED).sample(rows, min(sample, len(rows))):
            if reputation.recompute(user_id) != stored:
                raise SystemExit(
                    f"reputation of user {user_id}: stored {stored}, recompute() {reputation.recompute(user_id)}"
                )
        db.session.remove()
        db.engine.dispose()


def ensure_site(questions: int, rebuild: bool = False) -> tuple[Path, dict]:
    """The cached site for `questions`, built if missing, stale or asked for."""
    folder = site_dir(questions)
    manifest_path = folder / "manifest.json"
    if not rebuild and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("version") == CORPUS_VERSION:
            print(f"corpus: reusing {folder} (built {manifest['built_at']} in {manifest['corpus_seconds']} s, "
                  f"index {manifest['index_rate']} questions/s)")  # fmt: skip
            return folder, manifest
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    manifest = build(questions, building)
    (building / "manifest.json").write_text(json.dumps(manifest, indent=2))
    building.rename(folder)
    return folder, manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    ensure_site(args.questions, args.rebuild)


if __name__ == "__main__":
    main()
