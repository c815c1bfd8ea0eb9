"""Legal bases (根拠法令) of posts: citations typed freely (「地方税法第15条の7」「徴収法」
「○○通知」), split, recognized and normalized into law + article; the pages per law; and the
moderators' records of amendments, which app/services/freshness.py reads.

The article kept is the 条 with its branch numbers (第15条の7): amendments are recorded per 条, so
a 項 or 号 typed after it stays in the citation as typed (`PostLaw.text`) only.
"""

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Post, Question, User
from app.models.knowledge import ARTICLE_MAX, CITATION_MAX, LAW_MAX, LawAmendment, PostLaw
from app.services import audit, visibility
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.pagination import Page, paginate
from app.text import clean_line, clean_text

MAX_CITATIONS = 10
LAWS_TEXT_MAX = 2000  # the form's field and the API's string form
NOTE_MAX = 500
LAW_LIST = Path(__file__).resolve().parent.parent / "data" / "laws.csv"

_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER = r"[0-9〇一二三四五六七八九十百千]+"
# 第15条の7第1項第2号, 15条の7, 第十五条の七, 第15条第1項ただし書 (after NFKC).
_ARTICLE = re.compile(
    rf"\s*[(]?\s*第?\s*(?P<article>{_NUMBER})\s*条(?P<branches>(?:\s*の\s*{_NUMBER})*)"
    rf"(?P<rest>(?:\s*第?\s*{_NUMBER}\s*[項号])*(?:\s*(?:ただし書|本文|前段|後段|各号))?)\s*[)]?$"
)
_BRACKETS = str.maketrans("", "", "「」『』【】")
_SEPARATORS = re.compile(r"[\n、,，;；]+")
_SAME_LAW = ("同法", "同令", "同規則")


def _decoration(ch: str) -> bool:
    """Emoji, their variation selectors and joiners: never part of a law's name (○○通知's ○ is)."""
    category = unicodedata.category(ch)
    return category in ("Mn", "Cf") or (category == "So" and ord(ch) >= 0x2600)


@dataclass(frozen=True)
class Citation:
    law: str
    article: str | None
    text: str  # as typed, cleaned

    def __str__(self) -> str:
        return self.law + (self.article or "")


def kanji_number(value: str) -> int:
    """「十五」→ 15, 「二百三十一」→ 231, 「一〇五」→ 105, 「15」→ 15."""
    if value.isdigit() and value.isascii():
        return int(value)
    if all(ch in _KANJI_DIGITS for ch in value):  # positional: 一〇五
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in value))
    total, digit = 0, 0
    for ch in value:
        if ch in _KANJI_DIGITS:
            digit = _KANJI_DIGITS[ch]
        else:
            total += (digit or 1) * _KANJI_UNITS[ch]
            digit = 0
    return total + digit


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).translate(_BRACKETS).replace(" ", "").strip()


@cache
def known_laws() -> dict[str, str]:
    """Folded name or abbreviation → the law's full name, from app/data/laws.csv."""
    names: dict[str, str] = {}
    with LAW_LIST.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            names[_fold(row["name"])] = row["name"]
            for short in row["abbreviations"].split():
                names[_fold(short)] = row["name"]
    return names


_SUBORDINATE = ("施行令", "施行規則", "施行規程")


def law_name(typed: str) -> str:
    """The full name of a known law or abbreviation (地税法施行令 → 地方税法施行令 too); otherwise
    the name as typed, tidied."""
    folded = _fold(typed)
    known = known_laws()
    if folded in known:
        return known[folded]
    for suffix in _SUBORDINATE:
        base = folded.removesuffix(suffix)
        if base != folded and base in known:
            return known[base] + suffix
    return clean_line(typed).translate(_BRACKETS).strip()


def parse_one(text: str, previous_law: str | None = None) -> Citation:
    """One citation. 「第16条」 or 「同法第3条」 after another citation refers to that one's law."""
    typed = clean_line(text)
    folded = "".join(ch for ch in unicodedata.normalize("NFKC", typed).translate(_BRACKETS) if not _decoration(ch)).strip()
    match = _ARTICLE.search(folded)
    article = None
    law_part = folded
    if match:
        article = f"第{kanji_number(match.group('article'))}条" + "".join(
            f"の{kanji_number(n)}" for n in re.findall(_NUMBER, match.group("branches"))
        )
        law_part = folded[: match.start()].strip()
    if not law_part or law_part in _SAME_LAW:
        if previous_law is None:
            raise ValidationFailed({"laws": _("「%(text)s」の法令名がわかりません。法令名から書いてください。", text=typed)})
        law = previous_law
    else:
        law = law_name(law_part)
    if len(law) > LAW_MAX or len(typed) > CITATION_MAX or (article and len(article) > ARTICLE_MAX):
        raise ValidationFailed({"laws": _("根拠法令は1件%(n)d文字以内で書いてください。", n=CITATION_MAX)})
    return Citation(law, article, typed)


def _split(text: str) -> list[str]:
    """Pieces between 、 , ; and newlines; known names that contain 「、」 (薬機法's full name) stay whole."""
    protected = clean_text(text)
    full_names = sorted((n for n in set(known_laws().values()) if "、" in n), key=len, reverse=True)
    for number, name in enumerate(full_names):
        protected = protected.replace(name, f"\x00{number}\x00")
    pieces = []
    for piece in _SEPARATORS.split(protected):
        for number, name in enumerate(full_names):
            piece = piece.replace(f"\x00{number}\x00", name)
        if piece.strip():
            pieces.append(piece)
    return pieces


def parse(value: str | list[str] | None) -> list[Citation]:
    """The citations of a post, typed in one text or given as a list; duplicates dropped."""
    if value is None:
        return []
    texts = [value] if isinstance(value, str) else value
    citations: list[Citation] = []
    previous = None
    for text in texts:
        if not isinstance(text, str):
            raise ValidationFailed({"laws": _("根拠法令は文字列で指定してください。")})
        for piece in _split(text):
            citation = parse_one(piece, previous)
            previous = citation.law
            if all(str(c) != str(citation) for c in citations):
                citations.append(citation)
    if len(citations) > MAX_CITATIONS:
        raise ValidationFailed({"laws": _("根拠法令は%(n)d件までです。", n=MAX_CITATIONS)})
    return citations


def as_text(post: Post) -> str:
    """A post's citations as the form shows them to edit: one per line, as typed."""
    return "\n".join(row.text for row in post.laws)


def citation_strings(post: Post) -> list[str]:
    return [row.law + (row.article or "") for row in post.laws]


def set_citations(post: Post, citations: list[Citation]) -> bool:
    """Replace a post's rows (inside the caller's transaction); whether anything changed."""
    rows = [(c.law, c.article, c.text) for c in citations]
    if [(r.law, r.article, r.text) for r in post.laws] == rows:
        return False
    post.laws.clear()
    db.session.flush()  # the old (post_id, position) keys go before the new ones come
    post.laws.extend(PostLaw(position=n, law=law, article=article, text=text) for n, (law, article, text) in enumerate(rows))
    return True


# --- The page of a law -------------------------------------------------------------------


@dataclass(frozen=True)
class LawPage:
    law: str
    article: str | None
    articles: list[tuple[str, int]]  # (article, how many questions cite it themselves or by an answer), for the filter
    questions: Page[Question]
    amendments: list[LawAmendment]


def question_ids_citing(law: str, article: str | None) -> sa.Select:
    """Questions citing the law themselves or through one of their visible answers."""
    rows = sa.select(PostLaw.post_id).where(PostLaw.law == law)
    if article:
        rows = rows.where(PostLaw.article == article)
    by_answer = sa.select(Answer.question_id).where(
        Answer.id.in_(rows), Answer.deleted_at.is_(None), Answer.hidden_at.is_(None)
    )
    return sa.union(rows, by_answer)


def law_page(law: str, article: str | None, page: int, viewer: User | None, per_page: int = 20) -> LawPage:
    """The questions citing `law` (or one article) that `viewer` may see listed, newest activity first."""
    law = law_name(law)
    article = parse_one(f"x{article}").article if article else None
    ids = question_ids_citing(law, article).subquery()
    query = (
        sa.select(Question)
        .where(
            Question.id.in_(sa.select(ids.c[0])),
            Question.deleted_at.is_(None),
            Question.hidden_at.is_(None),
            visibility.readable_questions(viewer),
        )
        .order_by(Question.last_activity_at.desc(), Question.id.desc())
        .options(selectinload(Question.tags), selectinload(Question.author), selectinload(Question.laws))
    )
    questions = sa.func.count(sa.distinct(sa.func.coalesce(Post.question_id, Post.id)))  # as the list counts
    articles = db.session.execute(
        sa.select(PostLaw.article, questions)
        .join(Post, Post.id == PostLaw.post_id)
        .where(
            PostLaw.law == law,
            PostLaw.article.is_not(None),
            Post.deleted_at.is_(None),
            Post.hidden_at.is_(None),
            visibility.readable_posts(viewer),
        )
        .group_by(PostLaw.article)
        .order_by(questions.desc(), PostLaw.article)
    ).all()
    return LawPage(law, article, [(a, n) for a, n in articles], paginate(query, page, per_page), amendments(law))


def popular_laws(viewer: User | None, limit: int = 30) -> list[tuple[str, int]]:
    """The most cited laws (by the posts `viewer` may see listed), for the index page."""
    count = sa.func.count(sa.distinct(PostLaw.post_id))
    return [
        (law, n)
        for law, n in db.session.execute(
            sa.select(PostLaw.law, count)
            .join(Post, Post.id == PostLaw.post_id)
            .where(Post.deleted_at.is_(None), Post.hidden_at.is_(None), visibility.readable_posts(viewer))
            .group_by(PostLaw.law)
            .order_by(count.desc(), PostLaw.law)
            .limit(limit)
        )
    ]


# --- Amendments (moderators) -------------------------------------------------------------


def amendments(law: str) -> list[LawAmendment]:
    return list(
        db.session.scalars(
            sa.select(LawAmendment)
            .where(LawAmendment.law == law)
            .order_by(LawAmendment.amended_on.desc(), LawAmendment.id.desc())
            .options(selectinload(LawAmendment.created_by))
        )
    )


def record_amendment(actor: User, law: str, article: str | None, amended_on: str | date | None, note: str) -> LawAmendment:
    """A moderator records that `law` (or one article of it) was amended, effective `amended_on`
    (a date, or typed as the audit filter takes it: 2026-04-01, 2026年4月1日, full-width digits)."""
    if not actor.is_moderator:
        raise PermissionDenied()
    errors = {}
    day = amended_on if isinstance(amended_on, date) else None
    if day is None:
        try:
            day = audit.parse_day(amended_on, "amended_on")
        except ValidationFailed as error:
            errors.update(error.errors)
        else:
            if day is None:
                errors["amended_on"] = _("改正日を入力してください。")
    law = law_name(law)
    if not law:
        errors["law"] = _("法令名を入力してください。")
    parsed_article = None
    if article and article.strip():
        try:
            parsed_article = parse_one(f"{law}{article}").article
        except ValidationFailed:
            parsed_article = None
        if parsed_article is None:
            errors["article"] = _("条は「第15条の7」のように入力してください。")
    note = clean_text(note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = _("メモは%(n)d文字以内にしてください。", n=NOTE_MAX)
    if len(law) > LAW_MAX:
        errors["law"] = _("法令名は%(n)d文字以内にしてください。", n=LAW_MAX)
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        amendment = LawAmendment(law=law, article=parsed_article, amended_on=day, note=note, created_by_id=actor.id)
        db.session.add(amendment)
        db.session.flush()
        audit.record(
            actor, "law_amendment_record", "law_amendment", amendment.id,
            law=law, article=parsed_article, amended_on=day.isoformat(),
        )
    return amendment


def delete_amendment(actor: User, amendment_id: int) -> LawAmendment:
    if not actor.is_moderator:
        raise PermissionDenied()
    with write_transaction():
        amendment = db.session.get(LawAmendment, amendment_id)
        if amendment is None:
            raise NotFound(amendment_id)
        audit.record(
            actor, "law_amendment_delete", "law_amendment", amendment.id,
            law=amendment.law, article=amendment.article, amended_on=amendment.amended_on.isoformat(),
        )
        db.session.delete(amendment)
    return amendment
