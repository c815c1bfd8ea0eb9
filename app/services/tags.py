"""Tags: parsing what people type, resolving synonyms, creating new tags, listing."""

import difflib
import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import Tag, TagSynonym, User, utcnow
from app.models.tag import TAG_CATEGORIES, TAG_NAME_MAX

# posting by module: posting → notifications → closing → search → tags imports it back.
from app.services import audit, posting, privileges
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.pagination import Page, paginate
from app.text import clean_text, normalize_key

MAX_TAGS = 5
# Commas, 「、」, spaces: half- and full-width (NFKC has already folded ，and the ideographic space).
_SEPARATORS = re.compile(r"[,、\s]+")
_VALID_NAME = re.compile(r"^[\w\u3005\u30fb\u30fc+.\-]+$")


def typed_names(text: str) -> list[tuple[str, str]]:
    """(key, as written) per typed tag, unique by key, in order: 「ＤＸ、SDGs dx」 → [('dx', 'DX'),
    ('sdgs', 'SDGs')]. The written form is NFKC (full-width letters and half-width kana folded)."""
    names: dict[str, str] = {}
    for part in _SEPARATORS.split(unicodedata.normalize("NFKC", clean_text(text))):
        key = normalize_key(part)
        if key and key not in names:
            names[key] = part
    return list(names.items())


def parse_tag_input(text: str) -> list[str]:
    """「債権回収、住民税　Ｐｙｔｈｏｎ」 → ['債権回収', '住民税', 'python'] (normalized, unique, in order)."""
    return [key for key, _written in typed_names(text)]


def display_form(written: str) -> str | None:
    """What `Tag.display_name` keeps: the written form (NFKC: ＤＸ → DX) when it differs from the
    key only by case; None when the key says it already (債権回収, dx)."""
    shown = unicodedata.normalize("NFKC", clean_text(written)).strip()
    return shown if shown != normalize_key(shown) and " " not in shown else None


def check_tag_name(name: str) -> str:
    if len(name) > TAG_NAME_MAX:
        raise ValidationFailed({"tags": _("タグは%(n)d文字以内にしてください（%(tag)s）。", n=TAG_NAME_MAX, tag=name[:40])})
    if not _VALID_NAME.match(name):
        raise ValidationFailed({"tags": _("タグに使えない文字が含まれています（%(tag)s）。", tag=name)})
    return name


def approved(query: sa.Select) -> sa.Select:
    """Only approved synonyms resolve; a member's proposal waits for a moderator."""
    return query.where(TagSynonym.approved_at.is_not(None))


def resolve_tags(text: str, *, creator: User | None) -> list[Tag]:
    """Tags for the typed text: approved synonyms resolve to their tag. Unknown names become new
    tags when `creator` holds the create_tags privilege (else a form error naming it, nothing
    created); with no creator they are left out (a lookup)."""
    typed = [(check_tag_name(key), written) for key, written in typed_names(text)]
    if not typed:
        raise ValidationFailed({"tags": _("タグを1つ以上入力してください。")})
    keys = [key for key, _written in typed]
    by_name = {tag.name: tag for tag in db.session.scalars(sa.select(Tag).where(Tag.name.in_(keys)))}
    synonyms = {
        synonym.name: synonym.tag
        for synonym in db.session.scalars(approved(sa.select(TagSynonym).where(TagSynonym.name.in_(keys))))
    }
    unknown = [written for key, written in typed if key not in by_name and key not in synonyms]
    # A placeholder author's tags come from an import, which an administrator runs and decides.
    if unknown and creator is not None and not creator.is_placeholder and not privileges.has(creator, "create_tags"):
        refusal = privileges.PrivilegeRequired("create_tags", privileges.threshold("create_tags"))
        raise ValidationFailed(
            {"tags": _("まだないタグです: %(names)s。%(reason)s", names="、".join(unknown), reason=refusal.message)}
        )
    tags: list[Tag] = []
    for key, written in typed:
        tag = by_name.get(key) or synonyms.get(key)
        if tag is None:
            if creator is None:
                continue
            tag = Tag(name=key, display_name=display_form(written))
            db.session.add(tag)
            by_name[key] = tag
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationFailed({"tags": _("タグは%(n)d個までです。", n=MAX_TAGS)})
    return tags


def get_tag(name: str) -> Tag:
    """A tag by name or approved synonym (normalized), or NotFound."""
    key = normalize_key(name)
    tag = db.session.scalar(sa.select(Tag).where(Tag.name == key))
    if tag is None:
        synonym = db.session.scalar(approved(sa.select(TagSynonym).where(TagSynonym.name == key)))
        tag = synonym.tag if synonym else None
    if tag is None:
        raise NotFound(name)
    return tag


def suggest_tags(prefix: str, limit: int = 8) -> list[Tag]:
    """Autocomplete: tags whose name or synonym starts with the typed text, most used first."""
    key = normalize_key(prefix)
    if not key:
        return []
    synonym_tags = approved(sa.select(TagSynonym.tag_id).where(TagSynonym.name.startswith(key, autoescape=True)))
    query = (
        sa.select(Tag)
        .where(sa.or_(Tag.name.contains(key, autoescape=True), Tag.id.in_(synonym_tags)))
        .order_by(Tag.name.startswith(key, autoescape=True).desc(), Tag.question_count.desc(), Tag.name)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def near_tags(name: str, limit: int = 5) -> list[Tag]:
    """Tags a mistyped or unknown name probably meant: names and synonyms that contain it,
    then the closest spellings (債権回集 -> 債権回収)."""
    key = normalize_key(name)
    found = {tag.id: tag for tag in suggest_tags(key, limit)}
    names = dict(db.session.execute(sa.select(Tag.name, Tag.id)).all())
    names.update(db.session.execute(approved(sa.select(TagSynonym.name, TagSynonym.tag_id))).all())
    for close in difflib.get_close_matches(key, list(names), n=limit, cutoff=0.5):
        if len(found) >= limit:
            break
        if names[close] not in found:
            found[names[close]] = db.session.get(Tag, names[close])
    return list(found.values())[:limit]


def popular_tags(limit: int) -> list[Tag]:
    return list(db.session.scalars(sa.select(Tag).order_by(Tag.question_count.desc(), Tag.name).limit(limit)))


def list_tags(filter_text: str, sort: str, page: int, per_page: int = 60) -> Page[Tag]:
    query = sa.select(Tag)
    key = normalize_key(filter_text)
    if key:
        synonym_tags = approved(sa.select(TagSynonym.tag_id).where(TagSynonym.name.contains(key, autoescape=True)))
        query = query.where(sa.or_(Tag.name.contains(key, autoescape=True), Tag.id.in_(synonym_tags)))
    order = {"name": (Tag.name,), "new": (Tag.created_at.desc(), Tag.id.desc())}.get(sort, (Tag.question_count.desc(), Tag.name))
    return paginate(query.order_by(*order).options(selectinload(Tag.synonyms)), page, per_page)


def adjust_question_counts(tag_ids: list[int], delta: int) -> None:
    if tag_ids:
        db.session.execute(
            sa.update(Tag).where(Tag.id.in_(tag_ids)).values(question_count=Tag.question_count + delta)
        )


def check_free_synonyms(tag: Tag, names: list[str]) -> None:
    """Names may become synonyms of `tag` when no other tag has them as name or synonym
    (a pending proposal included: one name, one meaning)."""
    clashes = db.session.scalars(sa.select(Tag.name).where(Tag.name.in_(names), Tag.id != tag.id)).all()
    if clashes:
        raise ValidationFailed({"synonyms": _("既存のタグは同義語にできません: %(names)s", names="、".join(clashes))})
    taken = db.session.scalars(
        sa.select(TagSynonym.name).where(TagSynonym.name.in_(names), TagSynonym.tag_id != tag.id)
    ).all()
    if taken:
        raise ValidationFailed({"synonyms": _("別のタグの同義語になっています: %(names)s", names="、".join(taken))})


@dataclass(frozen=True)
class TagEdit:
    description: str
    category: str
    synonyms: str  # typed like tags


def edit_tag(actor, tag: Tag, edit: TagEdit) -> None:
    """Moderators describe a tag, set its category and its synonyms."""
    if not actor.is_moderator:
        raise PermissionDenied()
    if edit.category not in TAG_CATEGORIES:
        raise ValidationFailed({"category": _("分類を選んでください。")})
    description_html = posting.render_body(edit.description, field="description")
    names = [check_tag_name(name) for name in parse_tag_input(edit.synonyms)]
    with write_transaction():
        check_free_synonyms(tag, names)
        tag.description = edit.description
        tag.description_html = description_html
        tag.category = edit.category
        now = utcnow()
        for synonym in tag.synonyms:
            if synonym.name in names and synonym.approved_at is None:  # typing a proposal approves it
                synonym.approved_at = now
        # Pending proposals are not in the form: they stay for the proposals page.
        tag.synonyms = [s for s in tag.synonyms if s.name in names or s.approved_at is None] + [
            TagSynonym(name=name, approved_at=now)
            for name in names
            if name not in {s.name for s in tag.synonyms} and name != tag.name
        ]
        audit.record(actor, "tag_edit", "tag", tag.id, synonyms=names, category=edit.category)
