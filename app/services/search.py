"""Search as the app sees it: the Whoosh index when it works, a database query when it does not.

Every hit is re-checked against the database (deleted questions never show, a duplicate gives
its place to its original), and the ranking order of the index is kept. When the index is missing, locked or corrupt the site keeps
working: results come from a simpler LIKE query and the page says so.
"""

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from app import indexing
from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Question, SearchSynonym, Tag, User, question_tags
from app.rendering import plain_text
from app.services import audit
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.pagination import PageNumbers
from app.text import clean_text, normalize_key
from search import ParsedQuery, SearchUnavailable, parse_query

SORTS = ("relevance", "newest", "votes")
PER_PAGE = 20


@dataclass
class Result:
    question: Question
    title_html: Markup
    snippet_html: Markup
    answer_id: int | None = None
    partial: bool = False  # matches only some of the words


@dataclass
class Results(PageNumbers):
    query: str
    sort: str
    page: int
    per_page: int
    total: int
    hits: list[Result] = field(default_factory=list)
    notice: str | None = None  # the fallback answered, or phrases were checked in part


def synonym_groups() -> list[list[str]]:
    return [row.term_list for row in db.session.scalars(sa.select(SearchSynonym).order_by(SearchSynonym.id))]


MAX_SYNONYM_GROUPS = 500
_TERM_SEPARATORS = re.compile(r"[,、\s]+")


def synonyms_as_text() -> str:
    """The jargon dictionary as moderators edit it: one group per line."""
    return "\n".join("、".join(group) for group in synonym_groups())


def replace_synonyms(actor: User, text: str) -> int:
    """Replace the administrative-jargon dictionary (滞納整理、債権回収 …). Moderators only.

    Applied at query time, so a change takes effect on the next search without a reindex.
    """
    if not actor.is_moderator:
        raise PermissionDenied()
    groups: list[list[str]] = []
    for number, line in enumerate(clean_text(text).splitlines(), start=1):
        terms = list(dict.fromkeys(t for t in _TERM_SEPARATORS.split(normalize_key(line)) if t))
        if not terms:
            continue
        if len(terms) < 2 or any(len(term) > 50 for term in terms):
            raise ValidationFailed({"synonyms": _("%(n)d行目: 同じ意味の語を2つ以上、読点やカンマで区切って書いてください（1語50文字まで）。", n=number)})
        groups.append(terms)
    if len(groups) > MAX_SYNONYM_GROUPS:
        raise ValidationFailed({"synonyms": _("同義語のグループは%(n)d件までです。", n=MAX_SYNONYM_GROUPS)})
    with write_transaction():
        db.session.execute(sa.delete(SearchSynonym))
        db.session.add_all(SearchSynonym(terms=",".join(group)) for group in groups)
        audit.record(actor, "search_synonyms_replace", "search_synonyms", None, groups=len(groups))
    return len(groups)


def search_questions(query: str, *, page: int = 1, sort: str = "relevance", per_page: int = PER_PAGE) -> Results:
    sort = sort if sort in SORTS else "relevance"
    try:
        found = indexing.get_index().search(query, page=page, per_page=per_page, sort=sort, synonyms=synonym_groups())
    except SearchUnavailable as error:
        current_app.logger.warning("search falling back to the database: %s", error)
        return _database_search(query, page=page, sort=sort, per_page=per_page)
    questions = _visible_questions([hit.question_id for hit in found.hits])
    hits = [
        Result(questions[hit.question_id], Markup(hit.title_html), Markup(hit.snippet_html), hit.answer_id, hit.partial)
        for hit in found.hits
        if hit.question_id in questions
    ]
    hits = _originals_in_place(hits, _terms(parse_query(query)))
    notice = None
    if found.phrases_checked_in is not None:
        notice = _(
            '「"…"」の完全一致は、候補のうち上位%(n)s件で確かめた結果です。語を加えて候補を絞ると、すべてを確かめます。',
            n=f"{found.phrases_checked_in:,}",
        )
    return Results(query, sort, page, per_page, found.total, hits, notice)


def similar_questions(text: str, *, limit: int = 5, exclude_id: int | None = None) -> list[Question]:
    """Questions like this title (ask page) or this question (sidebar). Empty when search is down."""
    if len(text.strip()) < 2:
        return []
    try:
        hits = indexing.get_index().similar(text, limit=limit, exclude_id=exclude_id, highlight=False)
    except SearchUnavailable:
        return []
    questions = _visible_questions([hit.question_id for hit in hits])
    found = [questions[hit.question_id] for hit in hits if hit.question_id in questions]
    return [question for _position, question in _with_originals(found, exclude_id)]


def _visible_questions(ids: list[int]) -> dict[int, Question]:
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Question)
        .where(Question.id.in_(ids), Question.deleted_at.is_(None), Question.hidden_at.is_(None))
        .options(selectinload(Question.tags), selectinload(Question.author))
    )
    return {question.id: question for question in rows}


# ---------------------------------------------------------------- duplicates

MAX_DUPLICATE_HOPS = 5  # a duplicate of a duplicate… (closing refuses such chains; imports may not)


def _originals(duplicates: list[Question]) -> dict[int, Question]:
    """Each duplicate's visible original, following a chain of duplicates."""
    found: dict[int, Question] = {}
    pending = {question.id: question.duplicate_of_id for question in duplicates}
    for _hop in range(MAX_DUPLICATE_HOPS):
        loaded = _visible_questions(sorted(set(pending.values())))
        following = {}
        for duplicate_id, original_id in pending.items():
            original = loaded.get(original_id)
            if original is not None and original.duplicate_of_id is None:
                found[duplicate_id] = original
            elif original is not None:
                following[duplicate_id] = original.duplicate_of_id
        pending = following
        if not pending:
            break
    return found


def _with_originals(questions: list[Question], exclude_id: int | None = None) -> list[tuple[int, Question]]:
    """(position, question to show): a question closed as a duplicate gives its place to its
    original, or is left out when the original is already listed (or excluded). A duplicate
    whose original is gone stays: it is the best answer left."""
    originals = _originals([question for question in questions if question.duplicate_of_id is not None])
    listed = {question.id for question in questions} | {exclude_id}
    shown: list[tuple[int, Question]] = []
    for position, question in enumerate(questions):
        original = originals.get(question.id)
        if original is None:
            shown.append((position, question))
        elif original.id not in listed:
            shown.append((position, original))
            listed.add(original.id)
    return shown


def _originals_in_place(hits: list[Result], terms: list[str]) -> list[Result]:
    """Search results with the originals of duplicates in their place (their rank kept)."""
    shown = []
    for position, question in _with_originals([hit.question for hit in hits]):
        hit = hits[position]
        shown.append(hit if question is hit.question else _marked_result(question, terms, partial=hit.partial))
    return shown


# ---------------------------------------------------------------- database fallback


def _database_search(query: str, *, page: int, sort: str, per_page: int) -> Results:
    parsed: ParsedQuery = parse_query(query)
    statement = sa.select(Question).where(Question.deleted_at.is_(None), Question.hidden_at.is_(None))
    terms = _terms(parsed)
    for term in terms:
        answer_match = sa.select(Answer.id).where(
            Answer.question_id == Question.id,
            Answer.deleted_at.is_(None),
            Answer.hidden_at.is_(None),
            Answer.body.contains(term, autoescape=True),
        )
        statement = statement.where(
            sa.or_(Question.title.contains(term, autoescape=True), Question.body.contains(term, autoescape=True), sa.exists(answer_match))
        )
    for term in parsed.excluded:
        statement = statement.where(~Question.title.contains(term, autoescape=True), ~Question.body.contains(term, autoescape=True))
    for tag_name in parsed.tags:
        statement = statement.where(Question.id.in_(_tagged(tag_name)))
    for tag_name in parsed.excluded_tags:
        statement = statement.where(Question.id.not_in(_tagged(tag_name)))
    if parsed.user_id is not None:
        statement = statement.where(Question.author_id == parsed.user_id)
    if parsed.org is not None:
        statement = statement.where(Question.author_id.in_(sa.select(User.id).where(User.organization_code == parsed.org)))
    if parsed.accepted is not None:
        statement = statement.where(Question.accepted_answer_id.is_not(None) if parsed.accepted else Question.accepted_answer_id.is_(None))
    if parsed.answer_count is not None:
        statement = statement.where(Question.answer_count == parsed.answer_count)
    if parsed.min_score is not None:
        statement = statement.where(Question.score >= parsed.min_score)
    order = (Question.score.desc(), Question.id.desc()) if sort == "votes" else (Question.created_at.desc(), Question.id.desc())
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery())) or 0
    rows = db.session.scalars(
        statement.order_by(*order).limit(per_page).offset((page - 1) * per_page).options(selectinload(Question.tags), selectinload(Question.author))
    )
    hits = _originals_in_place([_marked_result(q, terms) for q in rows], terms)
    notice = _("検索索引が利用できないため、簡易検索で表示しています（並び順や表記ゆれの扱いが通常と異なります）。")
    return Results(query, sort, page, per_page, total, hits, notice)


def _terms(parsed: ParsedQuery) -> list[str]:
    return [term for term in (*parsed.words, *parsed.phrases) if term]


def _marked_result(question: Question, terms: list[str], *, partial: bool = False) -> Result:
    """A result built from the database (not the index): the terms marked in the title and a snippet."""
    snippet = _snippet(plain_text(question.body_html), terms)
    return Result(question, _mark(question.title, terms), _mark(snippet, terms), partial=partial)


def _tagged(tag_name: str) -> sa.Select:
    return sa.select(question_tags.c.question_id).join(Tag).where(Tag.name == tag_name)


def _snippet(text: str, terms: list[str], width: int = 160) -> str:
    text = " ".join(text.split())
    positions = [text.find(term) for term in terms if term and text.find(term) >= 0]
    start = max(0, min(positions) - 40) if positions else 0
    piece = text[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def _mark(text: str, terms: list[str]) -> Markup:
    """Escape plain text and wrap the terms in <mark>; built from text, never from HTML."""
    spans = sorted(
        (match.start(), match.end())
        for term in {t for t in terms if t}
        for match in re.finditer(re.escape(term), text, re.IGNORECASE)
    )
    pieces: list[Markup] = []
    position = 0
    for start, end in spans:
        if start < position:  # overlaps the previous mark
            start = position
        if start >= end:
            continue
        pieces.append(escape(text[position:start]))
        pieces.append(Markup("<mark>%s</mark>") % text[start:end])
        position = end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)
