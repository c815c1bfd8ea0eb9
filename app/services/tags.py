"""Tags: parsing what people type, resolving synonyms, creating new tags, listing."""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import Tag, TagSynonym
from app.models.tag import TAG_CATEGORIES, TAG_NAME_MAX
from app.services import audit
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.pagination import Page, paginate
from app.services.posting import render_body
from app.text import normalize_key

MAX_TAGS = 5
# Commas, 「、」, spaces: half- and full-width (NFKC has already folded ，and the ideographic space).
_SEPARATORS = re.compile(r"[,、\s]+")
_VALID_NAME = re.compile(r"^[\w\u3005\u30fb\u30fc+.\-]+$")


def parse_tag_input(text: str) -> list[str]:
    """「債権回収、住民税　Ｐｙｔｈｏｎ」 → ['債権回収', '住民税', 'python'] (normalized, unique, in order)."""
    names: list[str] = []
    for part in _SEPARATORS.split(normalize_key(text)):
        if part and part not in names:
            names.append(part)
    return names


def check_tag_name(name: str) -> str:
    if len(name) > TAG_NAME_MAX:
        raise ValidationFailed({"tags": _("タグは%(n)d文字以内にしてください（%(tag)s）。", n=TAG_NAME_MAX, tag=name[:40])})
    if not _VALID_NAME.match(name):
        raise ValidationFailed({"tags": _("タグに使えない文字が含まれています（%(tag)s）。", tag=name)})
    return name


def resolve_tags(text: str, *, create: bool = True) -> list[Tag]:
    """Tags for the typed text: synonyms resolve to their tag; unknown names become new tags."""
    names = [check_tag_name(name) for name in parse_tag_input(text)]
    if not names:
        raise ValidationFailed({"tags": _("タグを1つ以上入力してください。")})
    by_name = {tag.name: tag for tag in db.session.scalars(sa.select(Tag).where(Tag.name.in_(names)))}
    synonyms = {
        synonym.name: synonym.tag
        for synonym in db.session.scalars(sa.select(TagSynonym).where(TagSynonym.name.in_(names)))
    }
    tags: list[Tag] = []
    for name in names:
        tag = by_name.get(name) or synonyms.get(name)
        if tag is None:
            if not create:
                continue
            tag = Tag(name=name)
            db.session.add(tag)
            by_name[name] = tag
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationFailed({"tags": _("タグは%(n)d個までです。", n=MAX_TAGS)})
    return tags


def get_tag(name: str) -> Tag:
    """A tag by name or synonym (normalized), or NotFound."""
    key = normalize_key(name)
    tag = db.session.scalar(sa.select(Tag).where(Tag.name == key))
    if tag is None:
        synonym = db.session.scalar(sa.select(TagSynonym).where(TagSynonym.name == key))
        tag = synonym.tag if synonym else None
    if tag is None:
        raise NotFound(name)
    return tag


def suggest_tags(prefix: str, limit: int = 8) -> list[Tag]:
    """Autocomplete: tags whose name or synonym starts with the typed text, most used first."""
    key = normalize_key(prefix)
    if not key:
        return []
    synonym_tags = sa.select(TagSynonym.tag_id).where(TagSynonym.name.startswith(key, autoescape=True))
    query = (
        sa.select(Tag)
        .where(sa.or_(Tag.name.contains(key, autoescape=True), Tag.id.in_(synonym_tags)))
        .order_by(Tag.name.startswith(key, autoescape=True).desc(), Tag.question_count.desc(), Tag.name)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def popular_tags(limit: int) -> list[Tag]:
    return list(db.session.scalars(sa.select(Tag).order_by(Tag.question_count.desc(), Tag.name).limit(limit)))


def list_tags(filter_text: str, sort: str, page: int, per_page: int = 60) -> Page[Tag]:
    query = sa.select(Tag)
    key = normalize_key(filter_text)
    if key:
        synonym_tags = sa.select(TagSynonym.tag_id).where(TagSynonym.name.contains(key, autoescape=True))
        query = query.where(sa.or_(Tag.name.contains(key, autoescape=True), Tag.id.in_(synonym_tags)))
    order = {"name": (Tag.name,), "new": (Tag.created_at.desc(), Tag.id.desc())}.get(sort, (Tag.question_count.desc(), Tag.name))
    return paginate(query.order_by(*order).options(selectinload(Tag.synonyms)), page, per_page)


def adjust_question_counts(tag_ids: list[int], delta: int) -> None:
    if tag_ids:
        db.session.execute(
            sa.update(Tag).where(Tag.id.in_(tag_ids)).values(question_count=Tag.question_count + delta)
        )


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
    description_html = render_body(edit.description, field="description")
    names = [check_tag_name(name) for name in parse_tag_input(edit.synonyms)]
    with write_transaction():
        clashes = db.session.scalars(sa.select(Tag.name).where(Tag.name.in_(names), Tag.id != tag.id)).all()
        if clashes:
            raise ValidationFailed({"synonyms": _("既存のタグは同義語にできません: %(names)s", names="、".join(clashes))})
        taken = db.session.scalars(
            sa.select(TagSynonym.name).where(TagSynonym.name.in_(names), TagSynonym.tag_id != tag.id)
        ).all()
        if taken:
            raise ValidationFailed({"synonyms": _("別のタグの同義語になっています: %(names)s", names="、".join(taken))})
        tag.description = edit.description
        tag.description_html = description_html
        tag.category = edit.category
        tag.synonyms = [s for s in tag.synonyms if s.name in names] + [
            TagSynonym(name=name) for name in names if name not in {s.name for s in tag.synonyms} and name != tag.name
        ]
        audit.record(actor, "tag_edit", "tag", tag.id, synonyms=names, category=edit.category)
