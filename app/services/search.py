"""Search as the app sees it: the Whoosh index when it works, a database query when it does not.

Every hit is re-checked against the database (deleted questions never show, a duplicate gives
its place to its original), and the ranking order of the index is kept. When the index is missing, locked or corrupt the site keeps
working: results come from a simpler LIKE query and the page says so.
"""

import csv
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from app import indexing
from app.database import write_transaction
from app.extensions import db
from app.models import (
    Adoption,
    Answer,
    AuditLog,
    Organization,
    Question,
    SearchSynonym,
    Tag,
    TagSynonym,
    User,
    question_tags,
)
from app.rendering import plain_text
from app.services import audit, fiscal_years, laws, tags, visibility
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.organizations import (
    KIND_LABELS,
    kind_label,
    kind_named,
    organizations_of_class,
    peer_class,
    search_organizations,
)
from app.services.pagination import PageNumbers
from app.text import clean_text, normalize_key, to_hiragana
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
class Choice:
    """Another query to run: a suggested spelling, or one of several people or bodies a name
    may mean (org:府中市)."""

    label: str
    query: str


@dataclass
class Results(PageNumbers):
    query: str
    sort: str
    page: int
    per_page: int
    total: int
    hits: list[Result] = field(default_factory=list)
    # Why the page looks as it does: the fallback answered, phrases were checked in part,
    # a word is unknown to the site, a tag or a name does not exist.
    notice: str | None = None
    suggestion: Choice | None = None  # 「もしかして」
    choices: list[Choice] = field(default_factory=list)  # what an ambiguous name may mean


def synonym_groups() -> list[list[str]]:
    """The jargon dictionary, plus each tag with its approved synonyms (ケースワーク = 生活保護)."""
    groups = [row.term_list for row in db.session.scalars(sa.select(SearchSynonym).order_by(SearchSynonym.id))]
    by_tag: dict[str, list[str]] = {}
    for tag_name, synonym in db.session.execute(
        tags.approved(sa.select(Tag.name, TagSynonym.name).join(TagSynonym.tag)).order_by(Tag.name, TagSynonym.name)
    ):
        by_tag.setdefault(tag_name, [tag_name]).append(synonym)
    return groups + list(by_tag.values())


MAX_SYNONYM_GROUPS = 1000
STARTER_SYNONYMS = Path(__file__).resolve().parents[1] / "data" / "search_synonyms.csv"
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


def starter_synonyms(path: Path = STARTER_SYNONYMS) -> list[list[str]]:
    """The starter jargon list shipped in app/data (起債、地方債 …), as groups of terms."""
    with path.open(encoding="utf-8", newline="") as rows:
        groups = [list(dict.fromkeys(t for t in _TERM_SEPARATORS.split(normalize_key(row["terms"])) if t)) for row in csv.DictReader(rows)]
    return [group for group in groups if len(group) > 1]


def load_starter_synonyms(path: Path = STARTER_SYNONYMS) -> int:
    """Fill an empty jargon dictionary with the starter list: on a fresh install. Never once
    moderators have edited the dictionary (emptying it included). Returns the groups added."""
    edited = db.session.scalar(sa.select(AuditLog.id).where(AuditLog.action == "search_synonyms_replace").limit(1))
    if edited is not None or db.session.scalar(sa.select(SearchSynonym.id).limit(1)) is not None:
        return 0
    groups = starter_synonyms(path)
    with write_transaction():
        db.session.add_all(SearchSynonym(terms=",".join(group)) for group in groups)
    return len(groups)


def search_questions(
    query: str,
    *,
    viewer: User | None = None,
    page: int = 1,
    sort: str = "relevance",
    per_page: int = PER_PAGE,
    like: Organization | None = None,
) -> Results:
    """Questions matching `query` that `viewer` may see listed (app.services.visibility): the
    index itself leaves the others out, so totals and pages count only what is shown. `like`: only
    questions asked, answered or adopted by organizations like this one (「同規模の団体」,
    `organizations.peer_class`); it takes the place of an `orgkind:`."""
    sort = sort if sort in SORTS else "relevance"
    parsed, problem = _resolve_filters(query, parse_query(query))
    if like is not None:
        parsed = replace(parsed, org_kind=peer_class(like))
    if problem is not None:
        return Results(query, sort, page, per_page, 0, [], problem.notice, choices=problem.choices)
    try:
        found = indexing.get_index().search(
            parsed, page=page, per_page=per_page, sort=sort, synonyms=synonym_groups(), groups=_groups(viewer)
        )
    except SearchUnavailable as error:
        current_app.logger.warning("search falling back to the database: %s", error)
        return _database_search(query, parsed, viewer, page=page, sort=sort, per_page=per_page)
    suggestion = None
    if found.respellings:
        respelled = _replace_words(query, found.respellings)
        suggestion = Choice(respelled, respelled)
    if found.unknown and not found.total:
        return Results(query, sort, page, per_page, 0, [], _unknown_notice(query, parsed, found.unknown), suggestion)
    questions = visibility.listable_by_id(viewer, [hit.question_id for hit in found.hits])
    hits = [
        Result(questions[hit.question_id], Markup(hit.title_html), Markup(hit.snippet_html), hit.answer_id, hit.partial)
        for hit in found.hits
        if hit.question_id in questions
    ]
    hits = _originals_in_place(hits, _terms(parsed), viewer)
    notice = None
    if found.unknown:  # a long query, searched without them
        notice = _("%(words)sはどの質問にもない語なので、除いて検索しました。", words="".join(f"「{w}」" for w in found.unknown))
    if found.phrases_checked_in is not None:
        notice = _(
            '「"…"」の完全一致は、候補のうち上位%(n)s件で確かめた結果です。語を加えて候補を絞ると、すべてを確かめます。',
            n=f"{found.phrases_checked_in:,}",
        )
    return Results(query, sort, page, per_page, found.total, hits, notice, suggestion)


# ---------------------------------------------------------------- the filter panel

# The panel's answer states and the operators they stand for.
STATUSES = {"answered": "answers:1+", "unanswered": "answers:0", "accepted": "accepted:yes", "unaccepted": "accepted:no"}
_PANEL_OPERATORS = re.compile(
    r"(?<!\S)(?:\[[^\[\]\s]+\]|org:\S+|answers:\S+|accepted:\S+|(?:fy|年度|law|法令)[:：]\S+)(?!\S)", re.IGNORECASE
)


def compose_query(query: str, *, tag: str = "", org: str = "", status: str = "", fy: str = "", law: str = "") -> str:
    """The search-box text for the filter panel's fields (it shows all of them, filled from
    the query): the operators they offer are replaced by the panel's, written out, so the
    address and the box teach the syntax. ``tag`` may hold several tags."""
    parts = [" ".join(_PANEL_OPERATORS.sub("", _normalized(query)).split())]
    parts += [f"[{name}]" for name in _TERM_SEPARATORS.split(normalize_key(tag)) if name]
    if org.strip():
        parts.append(f"org:{''.join(normalize_key(org).split())}")
    if status in STATUSES:
        parts.append(STATUSES[status])
    if fy.strip():
        parts.append(f"年度:{''.join(normalize_key(fy).split())}")
    if law.strip():
        parts.append(f"法令:{''.join(_normalized(law).split())}")  # law names keep their case
    return " ".join(part for part in parts if part)


def panel_values(parsed: ParsedQuery) -> dict[str, str]:
    """The panel's fields as the query sets them (tags, org name or code, answer state, 年度, law)."""
    status = ""
    if parsed.accepted is not None:
        status = "accepted" if parsed.accepted else "unaccepted"
    elif parsed.answer_count == 0:
        status = "unanswered"
    elif parsed.min_answers == 1:
        status = "answered"
    return {
        "tag": " ".join(parsed.tags),
        "org": parsed.org_name or parsed.org or "",
        "status": status,
        "fy": str(parsed.fiscal_year) if parsed.fiscal_year is not None else parsed.fiscal_year_text or "",
        "law": parsed.law or "",
    }


# ---------------------------------------------------------------- what the query names


def _unknown_notice(query: str, parsed: ParsedQuery, unknown: tuple[str, ...]) -> str:
    words = "".join(f"「{word}」" for word in unknown)
    if set(unknown) >= set(parsed.words + parsed.phrases):
        return _("%(words)sを含む質問はありません。別の言い方や、短い語で試してください。", words=words)
    return _(
        "%(words)sを含む質問はありません。ほかの語だけの結果を見るには「%(query)s」で検索してください。",
        words=words,
        query=_replace_words(query, dict.fromkeys(unknown, "")),
    )


def _normalized(query: str) -> str:
    return unicodedata.normalize("NFKC", query)


def _replace_words(query: str, replacements: dict[str, str]) -> str:
    """``query`` with whole words replaced ("" removes them); the rest as typed (NFKC)."""
    tokens = _normalized(query).split()
    return " ".join(replacements.get(token, token) for token in tokens if replacements.get(token, token))


def _replace_operator(query: str, name: str, value: str, new: str) -> str:
    pattern = re.compile(rf"(?<!\S){name}:{re.escape(value)}(?!\S)", re.IGNORECASE)
    return pattern.sub(lambda _m: f"{name}:{new}", _normalized(query), count=1)


@dataclass
class _Problem:
    """A name in the query that does not exist, or means several things."""

    notice: str
    choices: list[Choice] = field(default_factory=list)


def _resolve_filters(query: str, parsed: ParsedQuery) -> tuple[ParsedQuery, _Problem | None]:
    """Names in ``parsed`` made into what the index filters on: tag synonyms into tags,
    user:山田 into an id, org:横浜市 into a code, 年度:令和7年度 into 2025, 法令:地税法 into 地方税法;
    or the problem, when something does not
    exist or is ambiguous (the search then shows no results)."""
    resolved_tags = []
    for name in parsed.tags:
        try:
            resolved_tags.append(tags.get_tag(name).name)
        except NotFound:
            near = tags.near_tags(name)
            notice = _("タグ［%(name)s］はありません。", name=name)
            if near:
                notice += " " + _("近いタグ: %(tags)s", tags="、".join(f"［{tag.label}］" for tag in near))
            choices = [Choice(f"[{tag.label}]", _replace_tag(query, name, tag.name)) for tag in near]
            return parsed, _Problem(notice, choices)
    excluded = []
    for name in parsed.excluded_tags:  # excluding a tag that does not exist excludes nothing
        try:
            excluded.append(tags.get_tag(name).name)
        except NotFound:
            excluded.append(name)
    parsed = replace(parsed, tags=tuple(dict.fromkeys(resolved_tags)), excluded_tags=tuple(dict.fromkeys(excluded)))
    if parsed.user_name:
        people = _people_named(parsed.user_name)
        if len(people) != 1:
            return parsed, _ambiguous(
                query,
                _("「user:%(name)s」に当たる利用者がいません。", name=parsed.user_name),
                _("「%(name)s」という名前の利用者が複数います。どの人ですか。", name=parsed.user_name),
                [Choice(f"{person.display_name} (user:{person.id})", _replace_operator(query, "user", parsed.user_name, str(person.id))) for person in people],
            )
        parsed = replace(parsed, user_id=people[0].id, user_name=None)
    if parsed.org_name:
        bodies = _organizations_named(parsed.org_name)
        if len(bodies) != 1:
            return parsed, _ambiguous(
                query,
                _("「org:%(name)s」に当たる団体がありません。", name=parsed.org_name),
                _("「%(name)s」という団体が複数あります。どの団体ですか。", name=parsed.org_name),
                [Choice(f"{org.full_name} ({org.code})", _replace_operator(query, "org", parsed.org_name, org.code)) for org in bodies],
            )
        parsed = replace(parsed, org=bodies[0].code, org_name=None)
    if parsed.fiscal_year_text:
        try:
            year = fiscal_years.parse(parsed.fiscal_year_text)
        except ValidationFailed:
            year = None
        if year is None:
            return parsed, _Problem(
                _("「年度:%(value)s」は年度として読めません。「年度:2025」「年度:令和7年度」のように書いてください。", value=parsed.fiscal_year_text)
            )
        parsed = replace(parsed, fiscal_year=year, fiscal_year_text=None)
    if parsed.law:
        try:
            parsed = replace(parsed, law=str(laws.parse_one(parsed.law)))  # 地税法15条の7 → 地方税法第15条の7
        except ValidationFailed:
            return parsed, _Problem(_("「法令:%(value)s」の法令名がわかりません。「法令:地方税法」のように書いてください。", value=parsed.law))
    if parsed.org_kind:
        kind = kind_named(parsed.org_kind)
        if kind is None:
            kinds = "、".join(f"orgkind:{kind_label(code)}" for code in KIND_LABELS)
            return parsed, _Problem(_("「orgkind:%(name)s」という団体の種類はありません。使える種類: %(kinds)s", name=parsed.org_kind, kinds=kinds), [])
        parsed = replace(parsed, org_kind=kind)
    return parsed, None


def _ambiguous(query: str, none: str, several: str, choices: list[Choice]) -> _Problem:
    return _Problem(several if choices else none, choices)


MAX_CHOICES = 10


def _people_named(name: str) -> list[User]:
    """Users whose display name is ``name`` (any width or case, spaces ignored: 山田花子 is
    「山田 花子」); else whose name starts with it."""
    key = _unspaced(name)
    unspaced = sa.func.replace(sa.func.replace(sa.func.lower(User.display_name), " ", ""), "\u3000", "")
    found = db.session.scalars(sa.select(User).where(unspaced.startswith(key[:1], autoescape=True)).order_by(User.id).limit(500))
    found = [user for user in found if _unspaced(user.display_name).startswith(key)]
    exact = [user for user in found if _unspaced(user.display_name) == key]
    return (exact or found)[:MAX_CHOICES]


def _unspaced(name: str) -> str:
    return "".join(normalize_key(name).split())


def _organizations_named(name: str):
    """Organizations called ``name`` (横浜市, 神奈川県横浜市, よこはまし); else those whose name
    or reading starts with it."""
    found = search_organizations(name, limit=50)
    key, kana = normalize_key(name), to_hiragana(normalize_key(name))
    exact = [org for org in found if key in (normalize_key(org.name), normalize_key(org.full_name)) or kana == org.kana]
    return (exact or found)[:MAX_CHOICES]


def _replace_tag(query: str, name: str, new: str) -> str:
    pattern = re.compile(rf"(?<![\S-])\[{re.escape(name)}\]", re.IGNORECASE)
    return pattern.sub(lambda _m: f"[{new}]", _normalized(query), count=1)


def similar_questions(
    text: str, *, viewer: User | None = None, limit: int = 5, exclude_id: int | None = None
) -> list[Question]:
    """Questions like this title (ask page) or this question (sidebar) that `viewer` may see
    listed. Empty when search is down."""
    if len(text.strip()) < 2:
        return []
    try:
        hits = indexing.get_index().similar(text, limit=limit, exclude_id=exclude_id, highlight=False, groups=_groups(viewer))
    except SearchUnavailable:
        return []
    questions = visibility.listable_by_id(viewer, [hit.question_id for hit in hits])
    found = [questions[hit.question_id] for hit in hits if hit.question_id in questions]
    return [question for _position, question in _with_originals(found, viewer, exclude_id)]


def _groups(viewer: User | None) -> list[int]:
    return list(db.session.scalars(visibility.member_group_ids(viewer)))




# ---------------------------------------------------------------- duplicates

MAX_DUPLICATE_HOPS = 5  # a duplicate of a duplicate… (closing refuses such chains; imports may not)


def _originals(duplicates: list[Question], viewer: User | None) -> dict[int, Question]:
    """Each duplicate's visible original, following a chain of duplicates."""
    found: dict[int, Question] = {}
    pending = {question.id: question.duplicate_of_id for question in duplicates}
    for _hop in range(MAX_DUPLICATE_HOPS):
        loaded = visibility.listable_by_id(viewer, sorted(set(pending.values())))
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


def _with_originals(questions: list[Question], viewer: User | None, exclude_id: int | None = None) -> list[tuple[int, Question]]:
    """(position, question to show): a question closed as a duplicate gives its place to its
    original, or is left out when the original is already listed (or excluded). A duplicate
    whose original is gone stays: it is the best answer left."""
    originals = _originals([question for question in questions if question.duplicate_of_id is not None], viewer)
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


def _originals_in_place(hits: list[Result], terms: list[str], viewer: User | None) -> list[Result]:
    """Search results with the originals of duplicates in their place (their rank kept)."""
    shown = []
    for position, question in _with_originals([hit.question for hit in hits], viewer):
        hit = hits[position]
        shown.append(hit if question is hit.question else _marked_result(question, terms, partial=hit.partial))
    return shown


# ---------------------------------------------------------------- database fallback


def _database_search(query: str, parsed: ParsedQuery, viewer: User | None, *, page: int, sort: str, per_page: int) -> Results:
    statement = sa.select(Question).where(
        Question.deleted_at.is_(None), Question.hidden_at.is_(None), visibility.readable_questions(viewer)
    )
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
    if parsed.org_kind:
        statement = statement.where(Question.id.in_(_taken_part_by(organizations_of_class(parsed.org_kind))))
    if parsed.accepted is not None:
        statement = statement.where(Question.accepted_answer_id.is_not(None) if parsed.accepted else Question.accepted_answer_id.is_(None))
    if parsed.answer_count is not None:
        statement = statement.where(Question.answer_count == parsed.answer_count)
    if parsed.min_answers is not None:
        statement = statement.where(Question.answer_count >= parsed.min_answers)
    if parsed.min_score is not None:
        statement = statement.where(Question.score >= parsed.min_score)
    if parsed.fiscal_year is not None:
        answered_for = sa.select(Answer.question_id).where(
            Answer.fiscal_year == parsed.fiscal_year, Answer.deleted_at.is_(None), Answer.hidden_at.is_(None)
        )
        statement = statement.where(sa.or_(Question.fiscal_year == parsed.fiscal_year, Question.id.in_(answered_for)))
    if parsed.law:
        cited = laws.parse_one(parsed.law)
        statement = statement.where(Question.id.in_(laws.question_ids_citing(cited.law, cited.article)))
    order = (Question.score.desc(), Question.id.desc()) if sort == "votes" else (Question.created_at.desc(), Question.id.desc())
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery())) or 0
    rows = db.session.scalars(
        statement.order_by(*order).limit(per_page).offset((page - 1) * per_page).options(selectinload(Question.tags), selectinload(Question.author))
    )
    hits = _originals_in_place([_marked_result(q, terms) for q in rows], terms, viewer)
    notice = _("検索索引が利用できないため、簡易検索で表示しています（並び順や表記ゆれの扱いが通常と異なります）。")
    return Results(query, sort, page, per_page, total, hits, notice)


def _taken_part_by(codes: sa.Select) -> sa.Select:
    """Ids of questions asked, answered or adopted by these organizations (the index's `peers`)."""
    members = sa.select(User.id).where(User.organization_code.in_(codes))
    answered = sa.select(Answer.question_id).where(
        Answer.deleted_at.is_(None),
        Answer.hidden_at.is_(None),
        Answer.author_id.in_(members) | Answer.id.in_(sa.select(Adoption.answer_id).where(Adoption.organization_code.in_(codes))),
    )
    return sa.select(Question.id).where(Question.author_id.in_(members)).union(answered)


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
