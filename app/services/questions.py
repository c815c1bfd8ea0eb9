"""Questions: ask, edit (with revisions and conflict detection), delete, list, view."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.database import upsert, write_transaction
from app.extensions import db
from app.models import (
    Adoption,
    Answer,
    Comment,
    Post,
    Question,
    Revision,
    SuggestedEdit,
    Tag,
    User,
    question_tags,
    utcnow,
)
from app.models.community import QuestionView
from app.models.post import VISIBILITIES
from app.services import (
    counters,
    fiscal_years,
    following,
    groups,
    laws,
    meetings,
    permissions,
    privacy_guard,
    removal,
    routing,
    suggested_edits,
    visibility,
)
from app.services.errors import Conflict, Gone, NotFound, PermissionDenied, ValidationFailed, validate_all
from app.services.pagination import Page, paginate
from app.services.posting import add_revision, check_body, check_title, mark_removed, mark_restored
from app.services.tags import MAX_TAGS, adjust_question_counts, check_tag_name, parse_tag_input, resolve_tags

TABS = ("newest", "active", "unanswered", "votes")
JST = ZoneInfo("Asia/Tokyo")


def check_tag_names(text: str) -> list[str]:
    names = [check_tag_name(name) for name in parse_tag_input(text)]
    if not names:
        raise ValidationFailed({"tags": _("タグを1つ以上入力してください。")})
    if len(names) > MAX_TAGS:
        raise ValidationFailed({"tags": _("タグは%(n)d個までです。", n=MAX_TAGS)})
    return names


@dataclass(frozen=True)
class QuestionInput:
    title: str
    body: str
    tags: str  # as typed: separated by commas, 「、」 or spaces
    directed_to_id: int | None = None  # この人に聞く: the person the question is addressed to
    fiscal_year: str | int | None = None  # 年度 as typed; empty: the current one (asking) / unchanged (editing)
    laws: str | list[str] | None = None  # 根拠法令 as typed; None: unchanged (editing)
    meeting_id: int | None = None  # raised at an exchange meeting: linked to it, posted in its group
    group: str = ""  # slug of a group the author belongs to: posted in it
    visibility: str = visibility.MEMBERS  # or visibility.GROUP: its members only (needs `group`)


def _validate(data: QuestionInput) -> dict:
    valid = validate_all(
        title=lambda: check_title(data.title),
        body=lambda: check_body(data.body),
        tags=lambda: check_tag_names(data.tags),
        fiscal_year=lambda: fiscal_years.parse(data.fiscal_year),
        laws=lambda: laws.parse(data.laws),
    )
    valid["body"], valid["body_html"] = valid["body"]
    return valid


def _posted_in(author: User, data: QuestionInput) -> tuple[int | None, str]:
    """The group a new question is posted to and who may read it."""
    if data.visibility not in VISIBILITIES:
        raise ValidationFailed({"visibility": _("公開範囲は members か group です。")})
    if not data.group:
        if data.visibility == visibility.GROUP:
            raise ValidationFailed({"group": _("「グループのメンバーのみ」にはグループを選んでください。")})
        return None, visibility.MEMBERS
    return groups.group_for_posting(author, data.group).id, data.visibility


def ask_question(
    author: User, data: QuestionInput, *, confirmed_categories: Collection[str] | privacy_guard.Unchecked = ()
) -> Question:
    """Ask. Raises PersonalInformationFound (nothing stored) unless every category of personal
    information found in the title and body is in `confirmed_categories`."""
    permissions.ensure_can_write(author)
    valid = _validate(data)
    group_id, readers = _posted_in(author, data)
    confirmed = privacy_guard.check({"title": valid["title"], "body": valid["body"]}, confirmed_categories)
    meeting = meetings.meeting_for_question(data.meeting_id)
    scored = routing.score_candidates(author, valid["tags"])  # before the write lock: see there
    with write_transaction():
        tags = resolve_tags(data.tags, creator=author)  # as typed: new tags keep the case written (DX)
        now = utcnow()
        question = Question(
            author_id=author.id,
            title=valid["title"],
            body=valid["body"],
            body_html=valid["body_html"],
            tags=tags,
            view_count=0,
            answer_count=0,
            created_at=now,
            last_activity_at=now,
            fiscal_year=valid["fiscal_year"] or fiscal_years.current(),
            meeting_id=meeting.id if meeting else None,
            # Raised at a meeting: posted in its group, visible to every member ('members').
            group_id=group_id or (meeting.group_id if meeting else None),
            visibility=readers,
        )
        db.session.add(question)
        db.session.flush()
        laws.set_citations(question, valid["laws"])
        db.session.add(
            Revision(
                post_id=question.id,
                number=1,
                author_id=author.id,
                title=question.title,
                body=question.body,
                tags=" ".join(sorted(tag.name for tag in tags)),
                created_at=now,
            )
        )
        privacy_guard.record_confirmation(author, confirmed, "post", question.id)
        following.follow_automatically(author, question.id)
        adjust_question_counts([tag.id for tag in tags], +1)
        counters.adjust(counters.VISIBLE_QUESTIONS, +1)
        routing.after_question_asked(question, author, scored, directed_to_id=data.directed_to_id)
    return question


def edit_question(
    actor: User,
    question: Question,
    data: QuestionInput,
    *,
    base_revision: int,
    summary: str = "",
    confirmed_categories: Collection[str] = (),
) -> Question | SuggestedEdit:
    """Save an edit. Raises Conflict when someone else saved since `base_revision` was loaded, and
    PersonalInformationFound as `ask_question` does: the whole text is checked again each time.
    A member below the edit privilege editing someone else's question suggests the edit instead."""
    permissions.ensure_can_write(actor)
    if suggested_edits.must_suggest(actor, question):
        valid = _validate(data)
        fields = {"title": valid["title"], "body": valid["body"], "tags": " ".join(valid["tags"])}
        return suggested_edits.suggest(actor, question, fields, base_revision, summary, confirmed_categories)
    return apply_edit(actor, question, data, base_revision=base_revision, summary=summary, confirmed_categories=confirmed_categories)


def apply_edit(
    actor: User, question: Question, data: QuestionInput, *, base_revision: int, summary: str = "", confirmed_categories: Collection[str] = ()
) -> Question:
    """The edit itself, as `actor`; the caller has decided that it may be saved."""
    valid = _validate(data)
    confirmed = privacy_guard.check(
        {"title": valid["title"], "body": valid["body"], "summary": summary}, confirmed_categories
    )
    with write_transaction():
        db.session.refresh(question, with_for_update=True)
        if question.revision_count != base_revision:
            raise Conflict(question.revision_count)
        tags = resolve_tags(data.tags, creator=actor)
        old_tags = {tag.id for tag in question.tags}
        unchanged = (
            question.title == valid["title"] and question.body == valid["body"] and old_tags == {t.id for t in tags}
        )
        # 年度 and 根拠法令 are not in revisions: changing only them saves them without a new revision.
        if valid["fiscal_year"] is not None:
            question.fiscal_year = valid["fiscal_year"]
        if data.laws is not None:
            laws.set_citations(question, valid["laws"])
        if unchanged:
            return question
        db.session.flush()  # new tags get ids
        new_tags = {tag.id for tag in tags}
        if not question.is_deleted:
            adjust_question_counts(sorted(new_tags - old_tags), +1)
            adjust_question_counts(sorted(old_tags - new_tags), -1)
        now = utcnow()
        question.title = valid["title"]
        question.body = valid["body"]
        question.body_html = valid["body_html"]
        question.tags = tags
        add_revision(actor, question, summary, now, tags=" ".join(sorted(tag.name for tag in tags)))
        question.last_activity_at = now
        privacy_guard.record_confirmation(actor, confirmed, "post", question.id)
    return question


def delete_question(
    actor: User, question: Question, *, reason: str | None = None, note: str | None = None, by_review: bool = False
) -> None:
    """Soft-delete. A moderator removing someone else's question gives a reason (app.services.removal)
    and may leave the author a note; `by_review`: see permissions.can_delete."""
    if not permissions.can_delete(actor, question, by_review=by_review):
        raise PermissionDenied()
    reason, note = removal.check(actor, question, reason, note)
    with write_transaction():
        db.session.refresh(question, with_for_update=True)
        if not permissions.can_delete(actor, question, by_review=by_review):  # an answer may have arrived meanwhile
            raise PermissionDenied()
        adjust_question_counts([tag.id for tag in question.tags], -1)
        counters.adjust(counters.VISIBLE_QUESTIONS, -1)
        mark_removed(actor, question, reason, note)


def undelete_question(actor: User, question: Question) -> None:
    if not actor.is_moderator:
        raise PermissionDenied()
    with write_transaction():
        db.session.refresh(question, with_for_update=True)
        if not question.is_deleted:
            return
        adjust_question_counts([tag.id for tag in question.tags], +1)
        counters.adjust(counters.VISIBLE_QUESTIONS, +1)
        mark_restored(actor, question)


def get_question(viewer: User | None, question_id: int, *, for_page: bool = False, to_author: bool = False) -> Question:
    """The question, or NotFound (Gone when it was removed). `for_page`: with what its page shows
    (tags, author, comments and their authors) loaded up front, in a fixed number of queries.
    `to_author`: its author may still read it once removed (the page and the API read, which
    explain the removal); every other path, writing included, treats it as gone. A question
    hidden by flags is a plain 404 to everyone but its author and moderators."""
    options = (
        [
            selectinload(Question.tags),
            selectinload(Question.author),
            selectinload(Question.comments).selectinload(Comment.author),
            selectinload(Question.duplicate_of),
            selectinload(Question.laws),
        ]
        if for_page
        else []
    )
    question = db.session.get(Question, question_id, options=options)
    if question is None or not permissions.can_see_hidden(viewer, question):
        raise NotFound(question_id)
    visibility.ensure_readable(viewer, question)  # group-private: a plain 404 to non-members
    if question.is_deleted and not permissions.can_view_deleted(viewer):
        if not (to_author and permissions.is_author(viewer, question)):
            raise Gone(question.removal_reason)
    return question


def answers_for_display(viewer: User | None, question: Question, *, like_orgs: sa.Select | None = None) -> list[Answer]:
    """Accepted first, then by score, then by how many organizations adopted it (ties of score
    only: a mild signal), then oldest; deleted and hidden ones only for moderators and their
    authors. `like_orgs` (organization codes, `organizations.similar_organizations`): only
    answers written by a member of one of them or adopted by one of them."""
    adopted = sa.select(sa.func.count()).where(Adoption.answer_id == Answer.id).scalar_subquery()
    query = (
        sa.select(Answer)
        .where(Answer.question_id == question.id)
        .options(
            selectinload(Answer.author), selectinload(Answer.comments).selectinload(Comment.author), selectinload(Answer.laws)
        )
        .order_by((Answer.id == sa.literal(question.accepted_answer_id or 0)).desc(), Answer.score.desc(), adopted.desc(), Answer.created_at, Answer.id)
    )
    if like_orgs is not None:
        query = query.where(
            Answer.author_id.in_(sa.select(User.id).where(User.organization_code.in_(like_orgs)))
            | Answer.id.in_(sa.select(Adoption.answer_id).where(Adoption.organization_code.in_(like_orgs)))
        )
    if not permissions.can_view_deleted(viewer):
        visible = Answer.deleted_at.is_(None) & Answer.hidden_at.is_(None)
        if viewer is not None and viewer.is_authenticated:  # authors see their removed answers in place, with the reason
            visible = visible | (Answer.author_id == viewer.id)
        query = query.where(visible)
    return list(db.session.scalars(query))


def record_view(question: Question) -> None:
    """The all-time count and today's (JST) read count for analytics' 「よく読まれた質問」."""
    with write_transaction():
        db.session.execute(
            sa.update(Post).where(Post.id == question.id).values(view_count=Post.view_count + 1)
        )
        day = datetime.now(JST).date()
        upsert(QuestionView, {"question_id": question.id, "day": day, "views": 1}, update={"views": QuestionView.views + 1})


# Each tab's order, ending in id: the same columns, in the same order, as its index on posts.
_TAB_ORDER = {
    "newest": (Question.created_at.desc(), Question.id.desc()),
    "active": (Question.last_activity_at.desc(), Question.id.desc()),
    "unanswered": (Question.created_at.desc(), Question.id.desc()),
    "votes": (Question.score.desc(), Question.created_at.desc(), Question.id.desc()),
}


def list_questions(
    tab: str,
    page: int,
    per_page: int,
    *,
    viewer: User | None,
    tag: Tag | None = None,
    ignored_tags: sa.Select | None = None,
) -> Page[Question]:
    """A page of a questions list (the questions page, a tag page, the feeds, the API, home).

    The page count comes from the counters the services keep (`visible_questions`,
    `tags.question_count`); only the unanswered tab counts, over its own small index. Questions
    hidden by flags are left out but still counted (they are few, and waiting for a decision).
    `ignored_tags` (the home page: a member's ignored tags, as a subquery of ids; not with
    `tag`) leaves out the questions carrying any of them, and their number from the count.
    Group-private questions `viewer` may not read (app.services.visibility) are left out, and
    their number taken from the counters' total.
    """
    tab = tab if tab in TABS else "newest"
    query = sa.select(Question).where(Question.deleted_at.is_(None), Question.hidden_at.is_(None))
    if tab == "unanswered":
        query = query.where(Question.answer_count == 0)
    if tag is not None:
        query = query.where(_carries(tag, rows_to_walk=page * per_page))
    if ignored_tags is not None:
        query = query.where(carries_none_of(ignored_tags))
    if tab == "unanswered":
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    elif tag is not None:
        total = tag.question_count
    else:
        total = counters.value(counters.VISIBLE_QUESTIONS) - (_carrying_any(ignored_tags) if ignored_tags is not None else 0)
    # Every tab the same way (and the same number of queries): the group-private questions this
    # viewer may not read are counted apart (they are few) and taken off.
    unreadable = query.where(Question.id.in_(visibility.unreadable_question_ids(viewer)))
    total -= db.session.scalar(sa.select(sa.func.count()).select_from(unreadable.subquery())) or 0
    query = query.where(visibility.readable_questions(viewer))
    query = query.order_by(*_TAB_ORDER[tab]).options(
        selectinload(Question.tags), selectinload(Question.author), selectinload(Question.laws)
    )
    return paginate(query, page, per_page, total=total)


def carries_none_of(tag_ids: sa.Select) -> sa.ColumnElement[bool]:
    """The filter "carries none of these tags" (one probe of question_tags' key per row)."""
    return ~sa.exists().where(question_tags.c.question_id == Question.id, question_tags.c.tag_id.in_(tag_ids))


def _carrying_any(tag_ids: sa.Select) -> int:
    """How many not-deleted questions carry one of these tags: what `visible_questions` counts
    of them. Walks only these tags' rows of question_tags (its tag_id index)."""
    carrying = (
        sa.select(sa.func.count(sa.distinct(question_tags.c.question_id)))
        .join(Post, Post.id == question_tags.c.question_id)
        .where(question_tags.c.tag_id.in_(tag_ids), Post.deleted_at.is_(None))
    )
    return db.session.scalar(carrying) or 0


def _carries(tag: Tag, *, rows_to_walk: int) -> sa.ColumnElement[bool]:
    """The filter "carries this tag", in the shape that is cheaper for this tag and page.

    The list walks its sort index from the top and keeps the rows that pass the filter. For a
    common tag, checking each row (EXISTS, one index probe) stops after a few dozen rows; for a
    rare one, that walk would cover most of the site, and listing the tag's questions first (IN)
    is cheaper. At 100,000 questions: 財政 (27,000 questions) 0.1 ms with EXISTS and 60 ms with
    IN; a tag of 155 questions 3 ms with IN and 17 ms with EXISTS. The walk is about
    rows_to_walk × all questions / the tag's questions rows long; the IN list, the tag's size.
    """
    all_questions = counters.value(counters.VISIBLE_QUESTIONS)
    if rows_to_walk * all_questions < tag.question_count**2:
        return sa.exists().where(question_tags.c.question_id == Question.id, question_tags.c.tag_id == tag.id)
    return Question.id.in_(sa.select(question_tags.c.question_id).where(question_tags.c.tag_id == tag.id))


def questions_by_user(user: User, page: int, per_page: int = 10, *, viewer: User | None) -> Page[Question]:
    query = (
        sa.select(Question)
        .where(
            Question.author_id == user.id,
            Question.deleted_at.is_(None),
            Question.hidden_at.is_(None),
            visibility.readable_questions(viewer),
        )
        .order_by(Question.created_at.desc(), Question.id.desc())
        .options(selectinload(Question.tags))
    )
    return paginate(query, page, per_page)
