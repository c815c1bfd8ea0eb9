"""One function per resource: what the API (and the export) says about a question, an answer, a person.

Shapes follow DESIGN.md §5: a question is {"id", "title", "body", "tags", "score",
"accepted_answer_id", "answers": [...]} plus a few helpful extras; a career entry is
{"id", "organization": {"code", "name"}, "department", "tags", "start": "2019-04",
"end": "2022-03" | null, "current"}; lists are {"items": [...], "total": N, "page": P}.
The OpenAPI document (app/api/openapi.py) describes exactly these functions; change both
together.
"""

from datetime import datetime

from markupsafe import Markup

from app.extensions import db
from app.models import (
    Answer,
    CareerEntry,
    Comment,
    Flag,
    Group,
    GroupMembership,
    Organization,
    Post,
    Question,
    Tag,
    User,
)
from app.models.knowledge import Confirmation
from app.services import adoptions, closing, freshness, laws
from app.services.experts import ExpertRow
from app.services.groups import Listed
from app.services.pagination import Page
from app.services.profiles import Profile
from app.services.search import Result
from app.text import slugify
from app.urls import external_url


def timestamp(value: datetime | None) -> str | None:
    """Naive UTC from the database → ISO 8601 with a Z."""
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def question_url(question: Question) -> str:
    return external_url("questions.show", question_id=question.id, slug=slugify(question.title))


def organization(item: Organization | None) -> dict | None:
    return {"code": item.code, "name": item.full_name} if item is not None else None


def user_summary(user: User) -> dict:
    return {
        "id": user.id,
        "display_name": user.display_name,
        "organization": organization(user.organization),
        "placeholder": bool(user.is_placeholder),
    }


def removed(item: Post) -> dict:
    """`removed` on a removed post its author (or a moderator) reads: why, never more."""
    return {"removed": {"reason": item.removal_reason, "note": item.removal_note}} if item.is_deleted else {}


def answer(item: Answer, accepted_answer_id: int | None, *, outdated: list[str] | None = None, adopted_by: int | None = None) -> dict:
    """`outdated`: the reason codes when the caller computed them for a whole list (freshness.check);
    `adopted_by`: how many organizations marked 「うちでも採用」 (both looked up when not given)."""
    return {
        "id": item.id,
        "question_id": item.question_id,
        "body": item.body,
        "body_html": item.body_html,
        "score": item.score,
        "accepted": item.id == accepted_answer_id,
        "adopted_by": adoptions.counts([item.id]).get(item.id, 0) if adopted_by is None else adopted_by,
        "author": user_summary(item.author),
        "created": timestamp(item.created_at),
        "edited": timestamp(item.edited_at),
        **knowledge(item),
        "outdated": freshness.codes(item) if outdated is None else outdated,
        **removed(item),
    }


def knowledge(item: Post) -> dict:
    """The 年度 a post describes (Western start year) and its 根拠法令, normalized."""
    return {"fiscal_year": item.fiscal_year, "laws": laws.citation_strings(item)}


def confirmation(item: Confirmation) -> dict:
    """「令和N年度も有効と確認」 (`current`) or 「古い情報」 (`outdated`) on an answer."""
    return {
        "id": item.id,
        "answer_id": item.post_id,
        "verdict": item.verdict,
        "fiscal_year": item.fiscal_year,
        "note": item.note,
        "user": user_summary(item.user),
        "created": timestamp(item.created_at),
    }


def comment(item: Comment) -> dict:
    return {
        "id": item.id,
        "post_id": item.post_id,
        "body": item.body,
        "author": user_summary(item.author),
        "created": timestamp(item.created_at),
    }


def closed(item: Question) -> dict | None:
    """Why a closed question is closed (`duplicate_of`: its original); None while open."""
    return {"reason": closing.reason_of(item), "duplicate_of": item.duplicate_of_id} if item.is_closed else None


def close_round(round_: closing.Round) -> dict:
    return {"kind": round_.kind, "count": round_.count, "needed": round_.needed, "voted": round_.voted}
def flag(item: Flag, hidden: bool) -> dict:
    """A flag as its author sees it; `hidden`: whether the item is now hidden for review."""
    return {
        "id": item.id,
        "reason": item.reason,
        "note": item.note,
        "post_id": item.post_id,
        "comment_id": item.comment_id,
        "created": timestamp(item.created_at),
        "hidden": hidden,
    }


def question_summary(item: Question, *, outdated: list[str] | None = None, adopted_by: int | None = None) -> dict:
    """A question without its answers (list items); `outdated` as for `answer`. `adopted_by`: how many
    distinct organizations adopted one of its shown answers (looked up when not given)."""
    return {
        "id": item.id,
        "title": item.title,
        "body": item.body,
        "body_html": item.body_html,
        "tags": [tag.label for tag in item.tags],
        "score": item.score,
        "accepted_answer_id": item.accepted_answer_id,
        "adopted_by": adoptions.question_counts([item.id]).get(item.id, 0) if adopted_by is None else adopted_by,
        "answer_count": item.answer_count or 0,
        "view_count": item.view_count or 0,
        "author": user_summary(item.author),
        "created": timestamp(item.created_at),
        "last_activity": timestamp(item.last_activity_at),
        "closed": closed(item),
        "duplicate_of_id": item.duplicate_of_id,
        **knowledge(item),
        "url": question_url(item),
        "outdated": freshness.codes(item) if outdated is None else outdated,
        "group": db.session.get(Group, item.group_id).slug if item.group_id else None,
        "visibility": item.visibility,
    }


def question(item: Question, answers: list[Answer]) -> dict:
    checked = freshness.check([item, *answers])
    adopted = adoptions.counts([a.id for a in answers])
    return {
        **question_summary(item, outdated=checked[item.id].codes),
        "answers": [
            answer(a, item.accepted_answer_id, outdated=checked[a.id].codes, adopted_by=adopted.get(a.id, 0)) for a in answers
        ],
        **removed(item),
    }


def search_hit(hit: Result, adopted_by: int = 0) -> dict:
    """`adopted_by`: as in `question_summary` (the caller counts a page at once)."""
    item = hit.question
    return {
        "id": item.id,
        "title": item.title,
        "snippet": Markup(hit.snippet_html).striptags(),
        "title_html": str(hit.title_html),
        "snippet_html": str(hit.snippet_html),
        "score": item.score,
        "tags": [tag.label for tag in item.tags],
        "answer_count": item.answer_count or 0,
        "accepted_answer_id": item.accepted_answer_id,
        "adopted_by": adopted_by,
        "answer_id": hit.answer_id,
        "url": question_url(item),
    }


def page(items: list[dict], total: int, number: int) -> dict:
    return {"items": items, "total": total, "page": number}


def question_page(result: Page[Question]) -> dict:
    checked = freshness.check(result.items)
    adopted = adoptions.question_counts([q.id for q in result.items])
    items = [question_summary(q, outdated=checked[q.id].codes, adopted_by=adopted.get(q.id, 0)) for q in result.items]
    return page(items, result.total, result.page)


def career_entry(entry: CareerEntry) -> dict:
    """A post as the API exchanges it: months as 「2019-04」, `end` null for the current post."""
    return {
        "id": entry.id,
        "organization": organization(entry.organization),
        "department": entry.department,
        "tags": [tag.label for tag in entry.tags],
        "start": entry.start_month,
        "end": entry.end_month,
        "current": entry.is_current,
    }


def tag_states(tags: list[Tag], kind: str) -> dict:
    """The member's watched (or ignored) tags: all of them, by name."""
    return {"items": [{"name": tag.name, "display_name": tag.label, "kind": kind} for tag in tags]}


def career_list(entries: list[CareerEntry]) -> dict:
    """A whole career, newest first, in one page."""
    return page([career_entry(entry) for entry in entries], len(entries), 1)


def user_profile(profile: Profile) -> dict:
    """A profile without private fields (no e-mail, tokens or settings). `career` is null when the
    person's privacy choice hides it from the viewer (`careers.list_entries`)."""
    user = profile.user
    return {
        **user_summary(user),
        "department": user.department or "",
        "bio": user.bio or "",
        "reputation": user.reputation or 0,
        "question_count": profile.question_count,
        "answer_count": profile.answer_count,
        "accepted_count": profile.accepted_count,
        "career": None if profile.career is None else [career_entry(entry) for entry in profile.career],
        "url": external_url("users.show", user_id=user.id),
    }


def expert(row: ExpertRow) -> dict:
    """One ranked person with the reason in plain Japanese and the tagged posts the viewer may see."""
    return {
        "user": user_summary(row.user),
        "score": row.score,
        "reason": row.reason,
        "answers": row.answers,
        "accepted": row.accepted,
        "upvotes": row.upvotes,
        "current_holder": row.is_current_holder,
        "posts": [career_entry(post) for post in row.posts],
    }


def expert_page(result: Page[ExpertRow], tag_name: str) -> dict:
    return {**page([expert(row) for row in result.items], result.total, result.page), "tag": tag_name}


def notification(entry) -> dict:
    """An inbox line (`notifications.Entry`): `url` is null when the post can no longer be shown."""
    return {
        "id": entry.id,
        "type": entry.type.key,
        "text": entry.text,
        "reason": entry.reason,
        "read": entry.read,
        "url": entry.url,
        "created_at": timestamp(entry.created_at),
    }


def group_summary(listed: Listed) -> dict:
    item = listed.group
    return {
        "slug": item.slug,
        "name": item.name,
        "join_policy": item.join_policy,
        "tags": [tag.label for tag in item.tags],
        "member_count": listed.member_count,
        "question_count": listed.question_count,
        "url": external_url("groups.show", slug=item.slug),
    }


def membership(row: GroupMembership | None) -> dict | None:
    """The viewer's place in a group: null when not a member nor applying."""
    if row is None:
        return None
    return {"group": row.group.slug, "status": row.status, "role": row.role, "watching": row.watching}


def group(item: Group, members: list[GroupMembership], mine: GroupMembership | None) -> dict:
    return {
        "slug": item.slug,
        "name": item.name,
        "description": item.description,
        "description_html": item.description_html,
        "join_policy": item.join_policy,
        "tags": [tag.label for tag in item.tags],
        "member_count": len(members),
        "members": [{**user_summary(row.user), "role": row.role} for row in members],
        "membership": membership(mine),
        "url": external_url("groups.show", slug=item.slug),
    }
