"""How long /admin/analytics's figures take at scale (app/services/analytics.py).

    make bench-analytics                                   # the 100,000-question corpus
    make bench-analytics BENCH_ARGS="--questions 20000"    # a smaller one

Takes the cached benchmark site (bench/site_corpus.py: members, questions, answers, comments;
built once), migrates a copy, adds a year of daily reads (`question_views`: 300 questions a
day, as `record_view` writes them) and exchange meetings with registrations, then times
`analytics.report` for the whole site, the organization with the most members and the tag with
the most questions, over a month, 90 days, a fiscal year and three years (the longest period
the page allows). Prints the median and the slowest of 5 runs (wall clock), the median CPU time
(what a shared, loaded machine distorts least) and the number of SQL
statements per report, in-process (no HTTP: the page adds one template render).
"""

import argparse
import importlib
import os
import random
import statistics
import time
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from bench.site_corpus import bench_app, ensure_site, migrated_copy

RUNS = 5
PERIODS = {
    "2026-10 (1 month)": (date(2026, 10, 1), date(2026, 10, 31)),
    "90 days": (date(2026, 8, 2), date(2026, 10, 30)),
    "FY2025 (1 year)": (date(2025, 4, 1), date(2026, 3, 31)),
    "3 years": (date(2023, 11, 1), date(2026, 10, 31)),
}


def _copy(site) -> tuple:
    copy = site.parent / f"analytics-{site.name}.sqlite"
    return copy, migrated_copy(site, copy)


def _populate(rng: random.Random) -> None:
    """A year of reads, and 2 meetings a month of 3 groups with their registrations."""
    from app.extensions import db
    from app.models import Post, User
    from app.models.community import Group, Meeting, MeetingRegistration, QuestionView

    questions = db.session.scalars(sa.select(Post.id).where(Post.kind == "question")).all()
    users = db.session.scalars(sa.select(User.id)).all()
    rows = []
    for offset in range(366):
        day = date(2026, 10, 31) - timedelta(days=offset)
        rows += [{"question_id": q, "day": day, "views": rng.randint(1, 30)} for q in rng.sample(questions, 300)]
    db.session.execute(sa.insert(QuestionView), rows)
    for number, name in enumerate(("財政", "債権回収", "ワクチン接種")):
        group = Group(slug=f"bench-{number}", name=name, created_by_id=users[0])
        db.session.add(group)
        db.session.flush()
        for month in range(36):
            for week in (1, 3):
                starts = datetime(2023, 11, 1) + timedelta(days=30 * month + 7 * week, hours=10)
                meeting = Meeting(group_id=group.id, title=f"{name} 情報交換会 第{month * 2 + week}回", starts_at=starts,
                                  ends_at=starts + timedelta(hours=1), created_by_id=users[0])  # fmt: skip
                db.session.add(meeting)
                db.session.flush()
                db.session.execute(
                    sa.insert(MeetingRegistration),
                    [{"meeting_id": meeting.id, "user_id": u, "status": rng.choice(("registered", "attended", "cancelled"))}
                     for u in rng.sample(users, 40)],  # fmt: skip
                )
    db.session.commit()
    print(f"added {len(rows):,} daily read rows and {3 * 36 * 2} meetings with 40 registrations each")


def _time(report, scope, period) -> tuple[float, float, float, int]:
    from app.extensions import db

    statements = []

    def count(*_args) -> None:
        statements.append(1)

    timings, cpu = [], []
    for run in range(RUNS):
        db.session.expire_all()
        if run == 0:
            sa.event.listen(db.engine, "before_cursor_execute", count)
        started, started_cpu = time.perf_counter(), time.process_time()
        report(scope, period)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if run == 0:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    return statistics.median(timings), max(timings), statistics.median(cpu), len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=100_000)
    args = parser.parse_args()
    # The services in the app's own import order: the corpus build imports app.services.posting
    # first, which is a circular import on its own (posting → … → tags → posting).
    importlib.import_module("app.services.questions")
    site, _manifest = ensure_site(args.questions)
    database, index = _copy(site)
    app = bench_app(database, index)
    with app.app_context():
        from app.extensions import db
        from app.models import Organization, Tag, User
        from app.services import analytics

        _populate(random.Random(17))
        code, members = db.session.execute(
            sa.select(User.organization_code, sa.func.count()).where(User.organization_code.is_not(None))
            .group_by(User.organization_code).order_by(sa.func.count().desc()).limit(1)
        ).one()  # fmt: skip
        tag = db.session.scalar(sa.select(Tag).order_by(Tag.question_count.desc()).limit(1))
        scopes = {
            "site": analytics.Scope("site"),
            f"organization {code} ({members} members)": analytics.Scope("organization", organization=db.session.get(Organization, code)),
            f"tag {tag.name} ({tag.question_count:,} questions)": analytics.Scope("tag", tag=tag),
        }
        print(f"\n{args.questions:,} questions; analytics.report, median / slowest of {RUNS} runs, in ms")
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        print(f"{'scope':<42} {'period':<18} {'median':>8} {'slowest':>8} {'CPU':>8} {'queries':>8}")
        for label, scope in scopes.items():
            for name, (start, end) in PERIODS.items():
                median, worst, cpu, queries = _time(analytics.report, scope, analytics.Period(start, end))
                print(f"{label:<42} {name:<18} {median:8.1f} {worst:8.1f} {cpu:8.1f} {queries:8d}")
        db.session.remove()
    database.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
