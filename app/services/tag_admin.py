"""Tag hygiene: moderators merge, rename and delete tags; members propose synonyms, moderators decide.

A merged or renamed tag's old name becomes an approved synonym, so what people type, old links
and feeds keep finding the tag.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app import indexing
from app.database import write_transaction
from app.extensions import db
from app.models import CareerEntry, Question, Tag, TagSynonym, TagWatch, User, question_tags, utcnow
from app.models.career import career_entry_tags
from app.services import audit, notifications, privileges
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.tags import check_free_synonyms, check_tag_name, display_form, get_tag
from app.text import normalize_key


def require_moderator(actor: User) -> None:
    if not actor.is_moderator:
        raise PermissionDenied()


def _move_rows(table: sa.Table, owner: sa.Column, source: Tag, target: Tag) -> tuple[list[int], list[int]]:
    """Point `table`'s rows from source to target; an owner that had both keeps one row.
    Returns (owners moved, owners that already had the target)."""
    owners = list(db.session.scalars(sa.select(owner).where(table.c.tag_id == source.id)))
    both = set(db.session.scalars(sa.select(owner).where(table.c.tag_id == target.id, owner.in_(owners))))
    if both:
        db.session.execute(sa.delete(table).where(table.c.tag_id == source.id, owner.in_(both)))
    db.session.execute(sa.update(table).where(table.c.tag_id == source.id).values(tag_id=target.id))
    return [o for o in owners if o not in both], sorted(both)


def merge_tags(actor: User, source: Tag, target_name: str) -> Tag:
    """Merge source into the tag named (or an approved synonym): its questions, career entries
    and synonyms follow; its name becomes an approved synonym of the target; source is deleted."""
    require_moderator(actor)
    try:
        target = get_tag(target_name)
    except NotFound:
        raise ValidationFailed({"target": _("統合先のタグが見つかりません。")}) from None
    if source.id == target.id:
        raise ValidationFailed({"target": _("同じタグには統合できません。")})
    with write_transaction():
        moved, both = _move_rows(question_tags, question_tags.c.question_id, source, target)
        # A question carrying both was counted by both tags (when visible): count it once.
        counted_twice = db.session.scalar(
            sa.select(sa.func.count()).where(Question.id.in_(both), Question.deleted_at.is_(None))
        ) if both else 0
        target.question_count += source.question_count - counted_twice
        careers_moved, careers_both = _move_rows(career_entry_tags, career_entry_tags.c.career_entry_id, source, target)
        # Who watched or ignored source now does the same with target, unless they chose for it
        # already; the rest of source's rows go with it (ON DELETE CASCADE).
        decided = sa.select(TagWatch.user_id).where(TagWatch.tag_id == target.id)
        db.session.execute(
            sa.update(TagWatch).where(TagWatch.tag_id == source.id, TagWatch.user_id.not_in(decided)).values(tag_id=target.id)
        )
        synonyms = list(source.synonyms)
        for synonym in synonyms:
            synonym.tag = target
        _add_old_name(target, source.name)
        audit.record(
            actor,
            "tag_merge",
            "tag",
            target.id,
            source=source.name,
            source_id=source.id,
            target=target.name,
            questions=len(moved) + len(both),
            careers=len(careers_moved) + len(careers_both),
            synonyms=len(synonyms),
        )
        db.session.flush()  # the synonyms leave source before it goes
        db.session.delete(source)
        for question_id in (*moved, *both):  # the search documents carry tag names
            indexing.touch(db.session, question_id)
    _forget_loaded_tags()
    return target


def _add_old_name(tag: Tag, name: str) -> None:
    """The old name of a merged or renamed tag resolves to it from now on. A pending proposal of
    that name (made while it was a tag's name elsewhere) is decided by this."""
    stale = db.session.scalar(sa.select(TagSynonym).where(TagSynonym.name == name))
    if stale is not None:
        stale.tag.synonyms.remove(stale)  # delete-orphan
        db.session.flush()  # before the new row of the same (unique) name
    tag.synonyms.append(TagSynonym(name=name, approved_at=utcnow()))


def _forget_loaded_tags() -> None:
    # Bulk UPDATEs bypassed the identity map: loaded questions and career entries reload their tags.
    for obj in db.session.identity_map.values():
        if isinstance(obj, Question | CareerEntry):
            db.session.expire(obj, ["tags"])


def rename_tag(actor: User, tag: Tag, new_name: str) -> Tag:
    """Rename (the old name becomes a synonym), or change only how it is shown (dx → DX)."""
    require_moderator(actor)
    key = normalize_key(new_name)
    if not key:
        raise ValidationFailed({"name": _("新しい名前を入力してください。")})
    check_tag_name(key)
    with write_transaction():
        if key == tag.name:
            tag.display_name = display_form(new_name)
            audit.record(actor, "tag_rename", "tag", tag.id, before=tag.name, after=tag.label)
            return tag
        existing = db.session.scalar(sa.select(Tag).where(Tag.name == key))
        if existing is not None:
            raise ValidationFailed(
                {"name": _("タグ「%(name)s」はすでにあります。まとめるには「統合」を使ってください。", name=existing.label)}
            )
        own = next((s for s in tag.synonyms if s.name == key), None)
        if own is not None:  # its own synonym becomes the name
            tag.synonyms.remove(own)
            db.session.flush()
        check_free_synonyms(tag, [key])
        old_name = tag.name
        tag.name = key
        tag.display_name = display_form(new_name)
        _add_old_name(tag, old_name)
        audit.record(actor, "tag_rename", "tag", tag.id, before=old_name, after=tag.label)
        question_ids = db.session.scalars(sa.select(question_tags.c.question_id).where(question_tags.c.tag_id == tag.id))
        for question_id in question_ids:
            indexing.touch(db.session, question_id)
    return tag


def delete_tag(actor: User, tag: Tag) -> None:
    """Delete a tag nothing carries: no question (removed ones included: restoring one brings its
    tags back) and no career entry. Others are merged instead."""
    require_moderator(actor)
    with write_transaction():
        carried = db.session.scalar(sa.select(sa.func.count()).where(question_tags.c.tag_id == tag.id))
        careers = db.session.scalar(sa.select(sa.func.count()).where(career_entry_tags.c.tag_id == tag.id))
        if carried or careers:
            raise ValidationFailed(
                {"tag": _("このタグは質問%(q)d件・職歴%(c)d件に付いています（削除済みの質問を含む）。削除せず統合してください。", q=carried, c=careers)}
            )
        audit.record(actor, "tag_delete", "tag", tag.id, name=tag.name, synonyms=len(tag.synonyms))
        db.session.delete(tag)


def empty_tags(limit: int = 200) -> list[Tag]:
    """The clean-up list: tags no visible question carries (typos such as 「存在しないタグ」)."""
    return list(db.session.scalars(sa.select(Tag).where(Tag.question_count == 0).order_by(Tag.created_at.desc()).limit(limit)))


# ---------------------------------------------------------------- synonym proposals


def propose_synonym(actor: User, tag: Tag, name: str) -> TagSynonym:
    """A member with the privilege proposes 「徴収 → 債権回収」; it resolves once a moderator approves.
    A moderator's proposal is approved at once."""
    privileges.require(actor, "propose_synonyms")
    key = normalize_key(name)
    if not key:
        raise ValidationFailed({"synonyms": _("同義語を入力してください。")})
    check_tag_name(key)
    with write_transaction():
        if key == tag.name or any(s.name == key for s in tag.synonyms):
            raise ValidationFailed({"synonyms": _("「%(name)s」はすでにこのタグの名前か同義語です。", name=key)})
        check_free_synonyms(tag, [key])
        synonym = TagSynonym(name=key, proposed_by_id=actor.id, approved_at=utcnow() if actor.is_moderator else None)
        tag.synonyms.append(synonym)
        db.session.flush()
        audit.record(actor, "tag_synonym_propose", "tag", tag.id, synonym_id=synonym.id, synonym=key, approved=actor.is_moderator)
    return synonym


def pending_synonyms() -> list[tuple[TagSynonym, User | None]]:
    """Proposals waiting for a moderator, oldest first, with who proposed them."""
    query = (
        sa.select(TagSynonym, User)
        .outerjoin(User, User.id == TagSynonym.proposed_by_id)
        .where(TagSynonym.approved_at.is_(None))
        .order_by(TagSynonym.id)
        .options(joinedload(TagSynonym.tag))
    )
    return [(synonym, proposer) for synonym, proposer in db.session.execute(query)]


def _pending(synonym_id: int) -> TagSynonym:
    synonym = db.session.get(TagSynonym, synonym_id)
    if synonym is None or synonym.approved_at is not None:
        raise NotFound(synonym_id)
    return synonym


def _proposer(synonym: TagSynonym) -> User | None:
    return db.session.get(User, synonym.proposed_by_id) if synonym.proposed_by_id else None


def approve_synonym(actor: User, synonym_id: int) -> None:
    require_moderator(actor)
    with write_transaction():
        synonym = _pending(synonym_id)
        if db.session.scalar(sa.select(Tag.id).where(Tag.name == synonym.name)) is not None:
            # Created as a tag since it was proposed: merging the two is the moderator's call.
            raise ValidationFailed({"synonyms": _("「%(name)s」は今はタグです。統合するか、提案を却下してください。", name=synonym.name)})
        synonym.approved_at = utcnow()
        audit.record(actor, "tag_synonym_approve", "tag", synonym.tag_id, synonym_id=synonym.id, synonym=synonym.name)
        proposer = _proposer(synonym)
        if proposer is not None:
            notifications.notify(proposer, "synonym_approved", None, None)


def reject_synonym(actor: User, synonym_id: int) -> None:
    require_moderator(actor)
    with write_transaction():
        synonym = _pending(synonym_id)
        audit.record(actor, "tag_synonym_reject", "tag", synonym.tag_id, synonym_id=synonym.id, synonym=synonym.name)
        proposer = _proposer(synonym)
        synonym.tag.synonyms.remove(synonym)  # delete-orphan
        if proposer is not None:
            notifications.notify(proposer, "synonym_rejected", None, None)
