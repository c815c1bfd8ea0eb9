"""The demo content (`flask --app wsgi seed demo`): real organizations, people with careers,
tags, and questions with answers, votes, comments and accepted answers in administrative Japanese.

It goes through the same services as the web pages, so every invariant (scores, counts,
revisions, the search outbox) holds, then back-dates the rows to the dates in the seed files.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app import indexing
from app.database import write_transaction
from app.extensions import db
from app.models import (
    CareerEntry,
    HandoverRevision,
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
from app.models.community import Group, GroupMembership, Meeting, MeetingRegistration
from app.models.ops import QuestionRoute
from app.services import (
    accounts,
    adoptions,
    answers,
    comments,
    curation,
    fiscal_years,
    handover,
    meetings,
    privacy_guard,
    questions,
    votes,
)
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
        _load_handover_and_collections(users)
        groups, meeting_count = _load_groups(users)
        progress(f"groups: {groups}, meetings: {meeting_count}")
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
    adopted = _read("adoptions.json")  # answer key → users whose organizations mark 「うちでも採用」
    for item in items:
        created = datetime.fromisoformat(item["created"])  # JST
        question = questions.ask_question(
            users[item["author"]],
            questions.QuestionInput(
                item["title"],
                item["body"],
                " ".join(item["tags"]),
                fiscal_year=fiscal_years.of_day(created.date()),
                laws=item.get("laws"),
            ),
            confirmed_categories=privacy_guard.IMPORT,  # public notices: offices' own numbers and addresses
        )
        stamps: list[tuple[object, datetime]] = [(question, created)]
        _add_comments(users, question, item.get("comments", []), stamps)
        for answer_item in item.get("answers", []):
            answered = datetime.fromisoformat(answer_item["created"])
            answer = answers.post_answer(
                users[answer_item["author"]],
                question,
                answer_item["body"],
                fiscal_year=fiscal_years.of_day(answered.date()),
                cited=answer_item.get("laws"),
                confirmed_categories=privacy_guard.IMPORT,
            )
            stamps.append((answer, answered))
            _add_votes(users, answer, answer_item.get("votes", {}))
            for key in adopted.get(answer_item["key"], []):
                adoptions.adopt(users[key], answer)
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


def _load_handover_and_collections(users: dict[str, User]) -> None:
    """A predecessor's handover note (the demo successor reads it on onboarding) and a collection."""
    data = _read("handover.json")
    question_ids = dict(db.session.execute(sa.select(Question.title, Question.id)).all())
    for item in data["notes"]:
        author = users[item["author"]]
        key = department_key(item["post"])
        entry = next(entry for entry in author.career if entry.department_key == key)
        body = item["body"].format(**{name: f"/questions/{question_ids[title]}" for name, title in item["links"].items()})
        note = handover.start_note(
            author, entry.id, handover.HandoverInput(body, item["visibility"]), confirmed_categories=privacy_guard.IMPORT
        )
        with write_transaction():
            note.created_at = note.updated_at = datetime.fromisoformat(item["updated"])
            db.session.execute(sa.update(HandoverRevision).where(HandoverRevision.note_id == note.id).values(created_at=note.updated_at))
    for item in data["collections"]:
        author = users[item["author"]]
        collection = curation.create_collection(
            author,
            curation.CollectionInput(item["title"], item["intro"], item["tag"], item["department"]),
            confirmed_categories=privacy_guard.IMPORT,
        )
        for entry in item["items"]:
            curation.add_item(author, collection, str(question_ids[entry["title"]]), entry["note"], confirmed_categories=privacy_guard.IMPORT)
def _load_groups(users: dict[str, User]) -> tuple[int, int]:
    """Theme groups with organizers and members, their meetings (dates relative to today: two
    past ones with notes and the Q&As raised there, one next week) and a members-only question."""
    data = _read("groups.json")
    tags = {tag.name: tag for tag in db.session.scalars(sa.select(Tag))}
    groups: dict[str, Group] = {}
    with write_transaction():
        for item in data["groups"]:
            organizers = item["organizers"]
            group = Group(
                slug=item["slug"],
                name=item["name"],
                description=item["description"],
                description_html=render_body(item["description"], field="description"),
                join_policy=item["join_policy"],
                created_by_id=users[organizers[0]].id,
                tags=[tags[normalize_key(name)] for name in item["tags"]],
            )
            db.session.add(group)
            db.session.flush()
            for key in organizers + item["members"]:
                role = "organizer" if key in organizers else "member"
                db.session.add(GroupMembership(group_id=group.id, user_id=users[key].id, role=role, status="active", approved_at=utcnow()))
            groups[item["slug"]] = group
    for item in data["meetings"]:
        _load_meeting(users, groups[item["group"]], item)
    for item in data["private_questions"]:
        question = questions.ask_question(
            users[item["author"]], questions.QuestionInput(item["title"], item["body"], " ".join(item["tags"])), confirmed_categories=privacy_guard.IMPORT
        )
        with write_transaction():
            question.group_id, question.visibility = groups[item["group"]].id, "group"
    return len(groups), len(data["meetings"])


def _load_meeting(users: dict[str, User], group: Group, item: dict) -> Meeting:
    """Created as planned (the service wants a future date), then moved to its day; a past
    meeting gets its attendance, notes and the questions raised, posted and answered."""
    day = datetime.now(UTC).astimezone(meetings.JST) + timedelta(days=item["days_from_now"])
    planned = f"{(day + timedelta(days=max(0, -item['days_from_now']) + 1)):%Y-%m-%d}"
    data = meetings.MeetingInput(
        item["title"], planned, item["start"], item["end"], item["agenda"], str(item.get("capacity") or ""), item.get("online_url", "")
    )
    meeting = meetings.create_meeting(users[item["created_by"]], group, data)
    starts_at = meetings.parse_jst(f"{day:%Y-%m-%d}", item["start"])
    with write_transaction():
        meeting.created_at = min(meeting.created_at, starts_at - timedelta(days=14))
        meeting.ends_at, meeting.starts_at = meetings.parse_jst(f"{day:%Y-%m-%d}", item["end"]), starts_at
        for key in item.get("registered", []) + item.get("attended", []):
            status = "attended" if key in item.get("attended", []) else "registered"
            db.session.add(MeetingRegistration(meeting_id=meeting.id, user_id=users[key].id, status=status, created_at=meeting.created_at))
    if "notes" not in item:
        return meeting
    organizer = users[item["created_by"]]
    meetings.publish_notes(organizer, meeting, item["notes"], "\n".join(item["raised"]), confirmed_categories=privacy_guard.IMPORT)
    published = meeting.ends_at + timedelta(hours=20)
    with write_transaction():
        meeting.notes_published_at = published
    for number, asked in enumerate(item["questions"]):
        prefill = meetings.ask_prefill(meeting, item["raised"][asked["raised"] - 1])
        question = questions.ask_question(
            users[asked["author"]],
            questions.QuestionInput(prefill["title"], prefill["body"] + asked["body_extra"], prefill["tags"], meeting_id=meeting.id),
            confirmed_categories=privacy_guard.IMPORT,
        )
        stamps: list[tuple[object, datetime]] = [(question, published + timedelta(hours=2 + number))]
        for count, answer_item in enumerate(asked["answers"]):
            answer = answers.post_answer(users[answer_item["author"]], question, answer_item["body"], confirmed_categories=privacy_guard.IMPORT)
            stamps.append((answer, published + timedelta(days=1, hours=count)))
            if answer_item.get("accepted"):
                answers.accept_answer(users[asked["author"]], answer)
        _backdate(question, stamps, views=40 + 15 * len(asked["answers"]))
    return meeting
