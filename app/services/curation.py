"""Collections (まとめ): ordered lists of Q&As with a short introduction, curated by the people who
know an area (「債権回収 はじめの10問」), for a tag and optionally one post (a department key).

Who curates a tag's collections (creates them, edits any of them):
- moderators;
- the tag's experts: the first CURATOR_TOP people of the tag's expert ranking
  (`experts.score_people`, the ranking the experts page shows) with at least CURATOR_MIN_SCORE
  points — about a year in a post carrying the tag, or two accepted answers in it.
A collection's creator may always edit it. Members save (保存) collections they want to keep.

Questions in a collection are shown only to someone who may read them (`readable_questions`,
the one query that decides it: removed and flag-hidden questions never show).
"""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import Collection, CollectionItem, Question, SavedCollection, Tag, User, utcnow
from app.services import audit, careers, experts, permissions, privacy_guard, tags, visibility
from app.services.errors import NotFound, PermissionDenied, ValidationFailed, validate_all
from app.services.posting import render_body
from app.text import clean_line, clean_text

CURATOR_TOP = 10
CURATOR_MIN_SCORE = 10
TITLE_MAX = 100
INTRO_MAX = 2000
NOTE_MAX = 300
ITEMS_MAX = 50
LIST_LIMIT = 10
_QUESTION_REF = re.compile(r"^(?:.*/questions/)?([1-9][0-9]{0,17})(?:[/?#].*)?$")


@dataclass(frozen=True)
class CollectionInput:
    title: str
    intro: str = ""
    tag: str = ""
    department: str = ""  # optional: the post (normalized like career entries) it is for


@dataclass(frozen=True)
class ShownItem:
    question: Question
    note: str
    position: int


# ---------------------------------------------------------------- visibility




# ---------------------------------------------------------------- who may


def can_curate(user: User | None, tag: Tag) -> bool:
    if not permissions.is_verified_member(user):
        return False
    if user.is_moderator:
        return True
    ranked = experts.score_people([tag.id])[:CURATOR_TOP]
    return any(person.id == user.id and person.score >= CURATOR_MIN_SCORE for person in ranked)


def can_edit(user: User | None, collection: Collection) -> bool:
    if not permissions.is_verified_member(user) or collection.deleted_at is not None:
        return False
    if user.is_moderator or collection.created_by_id == user.id:
        return True
    return collection.tag is not None and can_curate(user, collection.tag)


def _ensure_can_edit(actor: User, collection: Collection) -> None:
    permissions.ensure_can_write(actor)
    if not can_edit(actor, collection):
        raise PermissionDenied()


def get_collection(collection_id: int) -> Collection:
    collection = db.session.get(Collection, collection_id)
    if collection is None or collection.deleted_at is not None:
        raise NotFound(collection_id)
    return collection


# ---------------------------------------------------------------- writing


def _check_title(text: str) -> str:
    title = clean_line(text or "")
    if not title:
        raise ValidationFailed({"title": _("タイトルを入力してください。")})
    if len(title) > TITLE_MAX:
        raise ValidationFailed({"title": _("タイトルは%(n)d文字以内にしてください。", n=TITLE_MAX)})
    return title


def _check_intro(text: str) -> tuple[str, str]:
    intro = clean_text(text or "").strip()
    if len(intro) > INTRO_MAX:
        raise ValidationFailed({"intro": _("紹介文は%(n)d文字以内にしてください。", n=INTRO_MAX)})
    return intro, render_body(intro, "intro") if intro else ""


def _check_tag(name: str) -> Tag:
    try:
        return tags.get_tag(clean_line(name or ""))
    except NotFound:
        raise ValidationFailed({"tag": _("既存のタグを1つ入力してください。")}) from None


def _check_department(text: str) -> str | None:
    return careers.department_key(careers.check_department(text)) if clean_line(text or "") else None


def _validate(data: CollectionInput, confirmed_categories) -> dict:
    valid = validate_all(
        title=lambda: _check_title(data.title),
        intro=lambda: _check_intro(data.intro),
        tag=lambda: _check_tag(data.tag),
        department=lambda: _check_department(data.department),
    )
    valid["confirmed"] = privacy_guard.check({"title": valid["title"], "body": valid["intro"][0]}, confirmed_categories)
    return valid


def create_collection(actor: User, data: CollectionInput, *, confirmed_categories=()) -> Collection:
    permissions.ensure_can_write(actor)
    valid = _validate(data, confirmed_categories)
    if not can_curate(actor, valid["tag"]):
        raise PermissionDenied()
    with write_transaction():
        now = utcnow()
        collection = Collection(
            title=valid["title"],
            intro=valid["intro"][0],
            intro_html=valid["intro"][1],
            tag_id=valid["tag"].id,
            department_key=valid["department"],
            created_by_id=actor.id,
            created_at=now,
            updated_at=now,
        )
        db.session.add(collection)
        db.session.flush()
        privacy_guard.record_confirmation(actor, valid["confirmed"], "collection", collection.id)
    return collection


def update_collection(actor: User, collection: Collection, data: CollectionInput, *, confirmed_categories=()) -> Collection:
    _ensure_can_edit(actor, collection)
    valid = _validate(data, confirmed_categories)
    if valid["tag"].id != collection.tag_id and not can_curate(actor, valid["tag"]):
        raise PermissionDenied()
    with write_transaction():
        collection.title = valid["title"]
        collection.intro, collection.intro_html = valid["intro"]
        collection.tag_id = valid["tag"].id
        collection.department_key = valid["department"]
        collection.updated_at = utcnow()
        privacy_guard.record_confirmation(actor, valid["confirmed"], "collection", collection.id)
        _audit_if_someone_elses(actor, collection, "collection_edit")
    return collection


def delete_collection(actor: User, collection: Collection) -> None:
    _ensure_can_edit(actor, collection)
    with write_transaction():
        collection.deleted_at = utcnow()
        _audit_if_someone_elses(actor, collection, "collection_delete")


def _audit_if_someone_elses(actor: User, collection: Collection, action: str) -> None:
    if actor.is_moderator and collection.created_by_id != actor.id:
        audit.record(actor, action, "collection", collection.id)


def question_id_from(text: str) -> int:
    """「123」, 「/questions/123」 or the full address of a question page (with its slug)."""
    match = _QUESTION_REF.match(clean_line(text or "").translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    if match is None:
        raise ValidationFailed({"question": _("質問のURLか番号を入力してください。")})
    return int(match.group(1))


def _check_note(text: str) -> str:
    note = clean_line(text or "")
    if len(note) > NOTE_MAX:
        raise ValidationFailed({"note": _("ひとことは%(n)d文字以内にしてください。", n=NOTE_MAX)})
    return note


def _renumber(collection: Collection) -> None:
    for position, item in enumerate(sorted(collection.items, key=lambda item: item.position), start=1):
        item.position = position


def add_item(actor: User, collection: Collection, question_ref: str, note: str = "", *, confirmed_categories=()) -> CollectionItem:
    _ensure_can_edit(actor, collection)
    question_id = question_id_from(question_ref)
    note = _check_note(note)
    confirmed = privacy_guard.check({"body": note}, confirmed_categories)
    if question_id not in visibility.listable_by_id(actor, [question_id]):
        raise ValidationFailed({"question": _("その番号の質問は見つかりません。")})
    with write_transaction():
        if any(item.question_id == question_id for item in collection.items):
            raise ValidationFailed({"question": _("この質問はすでにまとめに入っています。")})
        if len(collection.items) >= ITEMS_MAX:
            raise ValidationFailed({"question": _("まとめに入れられる質問は%(n)d件までです。", n=ITEMS_MAX)})
        item = CollectionItem(question_id=question_id, position=len(collection.items) + 1, note=note)
        collection.items.append(item)
        collection.updated_at = utcnow()
        privacy_guard.record_confirmation(actor, confirmed, "collection", collection.id)
    return item


def _item(collection: Collection, question_id: int) -> CollectionItem:
    for item in collection.items:
        if item.question_id == question_id:
            return item
    raise NotFound(question_id)


def remove_item(actor: User, collection: Collection, question_id: int) -> None:
    _ensure_can_edit(actor, collection)
    with write_transaction():
        collection.items.remove(_item(collection, question_id))
        _renumber(collection)
        collection.updated_at = utcnow()


def move_item(actor: User, collection: Collection, question_id: int, direction: str) -> None:
    """One step up or down (swapping with the neighbour); at either end nothing changes."""
    _ensure_can_edit(actor, collection)
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": _("移動の向きが正しくありません。")})
    with write_transaction():
        _renumber(collection)
        ordered = sorted(collection.items, key=lambda item: item.position)
        index = ordered.index(_item(collection, question_id))
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index].position, ordered[other].position = ordered[other].position, ordered[index].position
            collection.updated_at = utcnow()


def set_item_note(actor: User, collection: Collection, question_id: int, note: str, *, confirmed_categories=()) -> None:
    _ensure_can_edit(actor, collection)
    note = _check_note(note)
    confirmed = privacy_guard.check({"body": note}, confirmed_categories)
    with write_transaction():
        _item(collection, question_id).note = note
        collection.updated_at = utcnow()
        privacy_guard.record_confirmation(actor, confirmed, "collection", collection.id)


# ---------------------------------------------------------------- reading


def shown_items(viewer: User | None, collection: Collection) -> list[ShownItem]:
    """The collection's questions in order, those the viewer may not read left out."""
    ordered = sorted(collection.items, key=lambda item: item.position)
    readable = visibility.listable_by_id(viewer, [item.question_id for item in ordered])
    return [ShownItem(readable[item.question_id], item.note, item.position) for item in ordered if item.question_id in readable]


def for_tags(tag_ids: list[int], department_key: str | None = None) -> list[Collection]:
    """Collections of any of these tags, or for this post; most recently updated first."""
    conditions = [Collection.tag_id.in_(tag_ids)] if tag_ids else []
    if department_key:
        conditions.append(Collection.department_key == department_key)
    if not conditions:
        return []
    query = (
        sa.select(Collection)
        .where(Collection.deleted_at.is_(None), sa.or_(*conditions))
        .order_by(Collection.updated_at.desc(), Collection.id.desc())
        .limit(LIST_LIMIT)
        .options(selectinload(Collection.tag), selectinload(Collection.items))
    )
    return list(db.session.scalars(query))


def is_saved(user: User | None, collection: Collection) -> bool:
    if not permissions.is_verified_member(user):
        return False
    return db.session.get(SavedCollection, (user.id, collection.id)) is not None


def set_saved(user: User, collection: Collection, saved: bool) -> None:
    """保存 / 保存を取り消す; saving twice keeps one row."""
    if not permissions.is_verified_member(user):
        raise PermissionDenied()
    with write_transaction():
        row = db.session.get(SavedCollection, (user.id, collection.id))
        if saved and row is None:
            db.session.add(SavedCollection(user_id=user.id, collection_id=collection.id))
        elif not saved and row is not None:
            db.session.delete(row)


def saved_collections(user: User) -> list[Collection]:
    query = (
        sa.select(Collection)
        .join(SavedCollection, SavedCollection.collection_id == Collection.id)
        .where(SavedCollection.user_id == user.id, Collection.deleted_at.is_(None))
        .order_by(SavedCollection.created_at.desc())
        .options(selectinload(Collection.tag), selectinload(Collection.items))
    )
    return list(db.session.scalars(query))
