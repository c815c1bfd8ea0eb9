"""The demo content (`flask --app wsgi seed demo`): real organizations, people with careers,
tags, and questions with answers, votes, comments and accepted answers in administrative Japanese.

It goes through the same services as the web pages, so every invariant (scores, counts,
revisions, the search outbox) holds, then back-dates the rows to the dates in the seed files.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app import indexing
from app.database import write_transaction
from app.extensions import db
from app.models import (
    CareerEntry,
    Organization,
    Post,
    Question,
    Revision,
    SearchSynonym,
    Tag,
    TagSynonym,
    User,
    utcnow,
)
from app.models.ops import QuestionRoute
from app.services import accounts, answers, comments, privacy_guard, questions, votes
from app.services.careers import department_key
from app.services.organizations import load_organizations
from app.services.posting import render_body
from app.services.tags import display_form
from app.text import normalize_key

SEED_DIR = Path(__file__).resolve().parent.parent / "data" / "seed"
DEMO_PASSWORD = "zennin-demo-2026"


def _read(name: str):
    return json.loads((SEED_DIR / name).read_text(encoding="utf-8"))


def _month(value: str) -> date:
    year, month = value.split("-")
    return date(int(year), int(month), 1)


def _month_end(value: str) -> date:
    start = _month(value)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def database_is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0 and (
        db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0
    )


def load_demo(progress=print) -> bool:
    """Fill an empty database with the demo. Returns False (and changes nothing) otherwise."""
    if not database_is_empty():
        return False
    if db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0:
        progress(f"organizations: {load_organizations()}")
    # One transaction: a failure leaves no half-seeded database, and it is much faster.
    with indexing.deferred(), write_transaction(), _as_a_new_site():
        _load_tags()
        users = _load_users()
        progress(f"users: {len(users)}")
        count = _load_questions(users)
        progress(f"questions: {count}")
    applied = indexing.try_sync()
    progress(f"search index: {applied if applied is not None else 'not available, run `flask search rebuild`'}")
    return True


@contextmanager
def _as_a_new_site() -> Iterator[None]:
    """The demo replays its history (votes, tags) through the services as it happened on a new
    site, whose privilege thresholds are all 0; the configured ones apply again afterwards."""
    config = current_app.config
    configured = config["PRIVILEGE_THRESHOLDS"]
    config["PRIVILEGE_THRESHOLDS"] = dict.fromkeys(configured, 0)
    try:
        yield
    finally:
        config["PRIVILEGE_THRESHOLDS"] = configured


def _load_tags() -> None:
    with write_transaction():
        for item in _read("tags.json"):
            tag = Tag(
                name=normalize_key(item["name"]),
                display_name=display_form(item["name"]),
                category=item["category"],
                description=item["description"],
                description_html=render_body(item["description"], field="description"),
            )
            tag.synonyms = [TagSynonym(name=normalize_key(name), approved_at=utcnow()) for name in item.get("synonyms", [])]
            db.session.add(tag)
        present = set(db.session.scalars(sa.select(SearchSynonym.terms)))  # the starter list, if loaded
        for group in _read("synonyms.json"):
            terms = ",".join(normalize_key(term) for term in group)
            if terms not in present:
                db.session.add(SearchSynonym(terms=terms))


def _load_users() -> dict[str, User]:
    tags = {tag.name: tag for tag in db.session.scalars(sa.select(Tag))}
    users: dict[str, User] = {}
    for item in _read("users.json"):
        user = accounts.create_verified_user(item["email"], item["name"], DEMO_PASSWORD, item["org"], item["role"])
        with write_transaction():
            user.department = item["department"]
            user.bio = item.get("bio", "")
            user.notify_by_email = False  # demo people have real-looking addresses: never mail them
            user.first_run_done_at = user.created_at  # their posts are given below: no guided start
            user.is_org_admin = item.get("org_admin", False)  # reads 横浜市's analytics
            for entry in item["career"]:
                db.session.add(
                    CareerEntry(
                        user_id=user.id,
                        organization_code=entry["org"],
                        department=entry["department"],
                        department_key=department_key(entry["department"]),
                        start_on=_month(entry["start"]),
                        end_on=_month_end(entry["end"]) if entry.get("end") else None,
                        tags=[tags[normalize_key(name)] for name in entry.get("tags", [])],
                    )
                )
        users[item["key"]] = user
    return users


def _load_questions(users: dict[str, User]) -> int:
    items = _read("questions.json")
    for item in items:
        question = questions.ask_question(
            users[item["author"]],
            questions.QuestionInput(item["title"], item["body"], " ".join(item["tags"])),
            confirmed_categories=privacy_guard.IMPORT,  # public notices: offices' own numbers and addresses
        )
        created = datetime.fromisoformat(item["created"])
        stamps: list[tuple[object, datetime]] = [(question, created)]
        _add_comments(users, question, item.get("comments", []), stamps)
        for answer_item in item.get("answers", []):
            answer = answers.post_answer(
                users[answer_item["author"]], question, answer_item["body"], confirmed_categories=privacy_guard.IMPORT
            )
            stamps.append((answer, datetime.fromisoformat(answer_item["created"])))
            _add_votes(users, answer, answer_item.get("votes", {}))
            _add_comments(users, answer, answer_item.get("comments", []), stamps)
            if answer_item.get("accepted"):
                answers.accept_answer(users[item["author"]], answer)
        _add_votes(users, question, item.get("votes", {}))
        _backdate(question, stamps, views=item.get("views", 0))
    return len(items)


def _add_votes(users: dict[str, User], post: Post, voters: dict) -> None:
    for key in voters.get("up", []):
        votes.cast_vote(users[key], post, 1)
    for key in voters.get("down", []):
        votes.cast_vote(users[key], post, -1)


def _add_comments(users, post: Post, items: list[dict], stamps: list) -> None:
    for item in items:
        comment = comments.add_comment(users[item["author"]], post, item["body"], confirmed_categories=privacy_guard.IMPORT)
        stamps.append((comment, datetime.fromisoformat(item["created"])))


def _backdate(question: Question, stamps: list[tuple[object, datetime]], views: int) -> None:
    """Give rows the seed's dates (services stamp them with "now")."""
    with write_transaction():
        for row, when in stamps:
            row.created_at = when
            if isinstance(row, Post):
                db.session.execute(sa.update(Revision).where(Revision.post_id == row.id).values(created_at=when))
        question.last_activity_at = max(when for _, when in stamps)
        question.view_count = views
        # Routed when asked, not when seeded: otherwise the weekly routing cap starts out full.
        db.session.execute(sa.update(QuestionRoute).where(QuestionRoute.question_id == question.id).values(created_at=question.created_at))
