"""Theme groups (issue 17): 財政, 債権回収, ワクチン接種… of public servants from many organizations.

A group has a name, a slug for its address, a Markdown description, linked tags, organizers and
members. Joining is open, or by an organizer's approval (`pending` until an organizer approves;
a refusal removes the application). Members may watch a group: its questions (those carrying its
tags and those posted in it) then reach them as a watched tag's do (home page 「あなたの分野」,
digests). Admins and moderators create groups; organizers edit theirs.

Who may read a group's private questions is decided in app/services/visibility.py.
"""

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import Group, GroupMembership, Question, Tag, User, group_tags, question_tags, utcnow
from app.models.community import GROUP_NAME_MAX, GROUP_SLUG_MAX, JOIN_POLICIES
from app.services import audit, notifications, tags, visibility
from app.services.errors import NotFound, PermissionDenied, ValidationFailed, validate_all
from app.services.pagination import Page, paginate
from app.services.posting import render_body
from app.services.tags import parse_tag_input
from app.text import clean_text

DESCRIPTION_MAX = 5000
# The same characters question and tag addresses keep (app.text.slugify): Japanese stays readable.
_SLUG = re.compile(r"[\w\u3005\u30fc]+(?:-[\w\u3005\u30fc]+)*")
RESERVED_SLUGS = frozenset({"new"})  # /groups/new is the creation form


@dataclass(frozen=True)
class GroupInput:
    name: str
    slug: str
    description: str = ""
    tags: str = ""  # tag names as typed, separated by commas, 「、」 or spaces; existing tags only
    join_policy: str = "open"


def normalize_slug(text: str) -> str:
    """「債権回収 ＷＧ」 → 債権回収-wg: NFKC, lower case, words joined by hyphens."""
    folded = unicodedata.normalize("NFKC", clean_text(text)).lower()
    return "-".join(re.findall(r"[\w\u3005\u30fc]+", folded))


def _check_name(name: str) -> str:
    name = " ".join(clean_text(name).split())
    if not name:
        raise ValidationFailed({"name": _("グループ名を入力してください。")})
    if len(name) > GROUP_NAME_MAX:
        raise ValidationFailed({"name": _("グループ名は%(n)d文字以内にしてください。", n=GROUP_NAME_MAX)})
    return name


def _check_slug(slug: str, name: str, group: Group | None) -> str:
    slug = normalize_slug(slug or name)
    if not slug or not _SLUG.fullmatch(slug) or slug in RESERVED_SLUGS:
        raise ValidationFailed({"slug": _("URL 名には文字・数字・ハイフンを使ってください（「new」は使えません）。")})
    if len(slug) > GROUP_SLUG_MAX:
        raise ValidationFailed({"slug": _("URL 名は%(n)d文字以内にしてください。", n=GROUP_SLUG_MAX)})
    taken = db.session.scalar(sa.select(Group.id).where(Group.slug == slug))
    if taken is not None and (group is None or taken != group.id):
        raise ValidationFailed({"slug": _("この URL 名はほかのグループが使っています。")})
    return slug


def _check_description(text: str) -> tuple[str, str]:
    text = clean_text(text).strip()
    if len(text) > DESCRIPTION_MAX:
        raise ValidationFailed({"description": _("説明は%(n)s文字以内にしてください。", n=f"{DESCRIPTION_MAX:,}")})
    return text, render_body(text, "description") if text else ""


def _check_tags(text: str) -> list[Tag]:
    """Existing tags only: a group links the areas the site already has."""
    found = []
    for name in parse_tag_input(text):
        try:
            found.append(tags.get_tag(name))  # a synonym names its tag
        except NotFound:
            raise ValidationFailed({"tags": _("タグ［%(name)s］はありません。", name=name)}) from None
    return list({tag.id: tag for tag in found}.values())


def _check_policy(policy: str) -> str:
    if policy not in JOIN_POLICIES:
        raise ValidationFailed({"join_policy": _("参加方法は「自由に参加」か「世話人の承認」です。")})
    return policy


def _validate(data: GroupInput, group: Group | None) -> dict:
    return validate_all(
        name=lambda: _check_name(data.name),
        slug=lambda: _check_slug(data.slug, data.name, group),
        description=lambda: _check_description(data.description),
        tags=lambda: _check_tags(data.tags),
        join_policy=lambda: _check_policy(data.join_policy),
    )


# ---------------------------------------------------------------- who may do what


def can_create(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_moderator


def membership(user: User | None, group: Group) -> GroupMembership | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.get(GroupMembership, (group.id, user.id))


def is_organizer(user: User | None, group: Group) -> bool:
    row = membership(user, group)
    return row is not None and row.status == "active" and row.role == "organizer"


def can_manage(user: User | None, group: Group) -> bool:
    """Edit the group and decide applications: its organizers, and moderators and admins."""
    return can_create(user) or is_organizer(user, group)


# ---------------------------------------------------------------- groups


def create_group(actor: User, data: GroupInput) -> Group:
    """A new group; its creator becomes its first organizer."""
    if not can_create(actor):
        raise PermissionDenied()
    valid = _validate(data, None)
    with write_transaction():
        group = Group(
            name=valid["name"],
            slug=valid["slug"],
            description=valid["description"][0],
            description_html=valid["description"][1],
            join_policy=valid["join_policy"],
            created_by_id=actor.id,
            tags=valid["tags"],
        )
        db.session.add(group)
        db.session.flush()
        db.session.add(GroupMembership(group_id=group.id, user_id=actor.id, role="organizer", status="active", approved_at=utcnow()))
        audit.record(actor, "group_create", "group", group.id, slug=group.slug)
    return group


def update_group(actor: User, group: Group, data: GroupInput) -> Group:
    if not can_manage(actor, group):
        raise PermissionDenied()
    valid = _validate(data, group)
    with write_transaction():
        group.name = valid["name"]
        group.slug = valid["slug"]
        group.description, group.description_html = valid["description"]
        group.join_policy = valid["join_policy"]
        group.tags = valid["tags"]
        audit.record(actor, "group_update", "group", group.id, slug=group.slug)
    return group


def get_group(slug: str) -> Group:
    group = db.session.scalar(sa.select(Group).where(Group.slug == normalize_slug(slug), Group.archived_at.is_(None)))
    if group is None:
        raise NotFound(slug)
    return group


def group_by_id(group_id: int | None) -> Group | None:
    """The group a question was posted in (its page shows the group's name and link)."""
    return db.session.get(Group, group_id) if group_id else None


@dataclass(frozen=True)
class Listed:
    group: Group
    member_count: int
    question_count: int  # posted in it, that the viewer may see listed


def list_groups(viewer: User | None) -> list[Listed]:
    """Every group, by name, with its member count and the questions posted in it."""
    groups = list(db.session.scalars(sa.select(Group).where(Group.archived_at.is_(None)).order_by(Group.name).options(selectinload(Group.tags))))
    members = dict(
        db.session.execute(
            sa.select(GroupMembership.group_id, sa.func.count())
            .where(GroupMembership.status == "active")
            .group_by(GroupMembership.group_id)
        ).all()
    )
    posted = dict(
        db.session.execute(
            sa.select(Question.group_id, sa.func.count())
            .where(Question.group_id.is_not(None), Question.deleted_at.is_(None), visibility.readable_questions(viewer))
            .group_by(Question.group_id)
        ).all()
    )
    return [Listed(group, members.get(group.id, 0), posted.get(group.id, 0)) for group in groups]


def groups_of(user: User | None) -> list[Group]:
    """The groups `user` is an active member of (the ask form offers them)."""
    if user is None or not user.is_authenticated:
        return []
    return list(
        db.session.scalars(
            sa.select(Group)
            .join(GroupMembership, GroupMembership.group_id == Group.id)
            .where(GroupMembership.user_id == user.id, GroupMembership.status == "active", Group.archived_at.is_(None))
            .order_by(Group.name)
        )
    )


def group_for_posting(user: User, slug: str) -> Group:
    """The group a question is posted to: one the author is an active member of."""
    try:
        group = get_group(slug)
    except NotFound:
        raise ValidationFailed({"group": _("グループ「%(slug)s」はありません。", slug=slug)}) from None
    if visibility.is_group_member(user, group.id):
        return group
    raise ValidationFailed({"group": _("参加しているグループにだけ投稿できます。")})


def members(group: Group, status: str = "active") -> list[GroupMembership]:
    """Organizers first, then by name; each with the person and their organization loaded."""
    return list(
        db.session.scalars(
            sa.select(GroupMembership)
            .join(User, User.id == GroupMembership.user_id)
            .where(GroupMembership.group_id == group.id, GroupMembership.status == status)
            .order_by((GroupMembership.role == "organizer").desc(), User.display_name, User.id)
            .options(selectinload(GroupMembership.user).selectinload(User.organization))
        )
    )


def group_questions(viewer: User | None, group: Group, page: int, per_page: int = 20) -> Page[Question]:
    """Its Q&As: those carrying one of its tags or posted in it, newest activity first, that the
    viewer may see listed."""
    tagged = sa.select(question_tags.c.question_id).join(group_tags, group_tags.c.tag_id == question_tags.c.tag_id).where(
        group_tags.c.group_id == group.id
    )
    query = (
        sa.select(Question)
        .where(
            Question.deleted_at.is_(None),
            Question.hidden_at.is_(None),
            sa.or_(Question.group_id == group.id, Question.id.in_(tagged)),
            visibility.readable_questions(viewer),
        )
        .order_by(Question.last_activity_at.desc(), Question.id.desc())
        .options(selectinload(Question.tags), selectinload(Question.author))
    )
    return paginate(query, page, per_page)


# ---------------------------------------------------------------- membership


def join(user: User, group: Group) -> GroupMembership:
    """Join an open group at once, or apply to an approval group (its organizers are told).
    Joining again changes nothing."""
    if not user.is_authenticated or not user.is_verified:
        raise PermissionDenied()
    with write_transaction():
        row = db.session.get(GroupMembership, (group.id, user.id), with_for_update=True)
        if row is not None:
            return row
        status = "active" if group.join_policy == "open" else "pending"
        row = GroupMembership(
            group_id=group.id, user_id=user.id, role="member", status=status, approved_at=utcnow() if status == "active" else None
        )
        db.session.add(row)
        if status == "pending":
            for organizer in _organizers(group):
                notifications.notify(organizer, "group_applied", user, None, reason=_reason("group_organizer", group))
    return row


def leave(user: User, group: Group) -> None:
    """Leave (or withdraw an application). Access to the group's private questions ends at once.
    The last organizer cannot leave while other members remain."""
    with write_transaction():
        row = db.session.get(GroupMembership, (group.id, user.id), with_for_update=True)
        if row is None:
            return
        if row.role == "organizer" and row.status == "active":
            others = db.session.scalar(
                sa.select(sa.func.count()).where(
                    GroupMembership.group_id == group.id,
                    GroupMembership.user_id != user.id,
                    GroupMembership.status == "active",
                )
            )
            if others and len(_organizers(group)) == 1:
                raise ValidationFailed({"membership": _("ほかの世話人を決めてから退会してください。")})
        db.session.delete(row)


def decide(actor: User, group: Group, user_id: int, *, approve: bool) -> None:
    """An organizer approves or refuses an application; the applicant is told either way."""
    if not can_manage(actor, group):
        raise PermissionDenied()
    with write_transaction():
        row = db.session.get(GroupMembership, (group.id, user_id), with_for_update=True)
        if row is None or row.status != "pending":
            raise NotFound(user_id)
        applicant = row.user
        if approve:
            row.status, row.approved_at = "active", utcnow()
        else:
            db.session.delete(row)
        kind = "group_approved" if approve else "group_refused"
        notifications.notify(applicant, kind, actor, None, reason=_reason("group_applicant", group))
        audit.record(actor, kind, "group", group.id, user_id=user_id)


def set_role(actor: User, group: Group, user_id: int, role: str) -> None:
    """Make an active member an organizer, or an organizer a member again."""
    if not can_manage(actor, group):
        raise PermissionDenied()
    if role not in ("member", "organizer"):
        raise ValidationFailed({"role": _("役割は member か organizer です。")})
    with write_transaction():
        row = db.session.get(GroupMembership, (group.id, user_id), with_for_update=True)
        if row is None or row.status != "active":
            raise NotFound(user_id)
        row.role = role
        audit.record(actor, "group_role", "group", group.id, user_id=user_id, role=role)


def set_watching(user: User, group: Group, watching: bool) -> None:
    with write_transaction():
        row = db.session.get(GroupMembership, (group.id, user.id), with_for_update=True)
        if row is None or row.status != "active":
            raise PermissionDenied()
        row.watching = watching


def add_member(group: Group, user: User, *, role: str = "member") -> GroupMembership:
    """An active membership written directly (demo seed, tests, importers): no notification."""
    row = GroupMembership(group_id=group.id, user_id=user.id, role=role, status="active", approved_at=utcnow())
    with write_transaction():
        db.session.merge(row)
    return db.session.get(GroupMembership, (group.id, user.id))


def _organizers(group: Group) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(GroupMembership, GroupMembership.user_id == User.id)
            .where(GroupMembership.group_id == group.id, GroupMembership.role == "organizer", GroupMembership.status == "active")
            .order_by(User.id)
        )
    )


def _reason(code: str, group: Group) -> dict:
    """The group by id: its name and address are read when the notification is shown (they may change)."""
    return {"code": code, "group_id": group.id}


# ---------------------------------------------------------------- watching


def watched_group_ids(user: User) -> sa.Select:
    """The groups whose questions reach `user` as a watched tag's do."""
    return sa.select(GroupMembership.group_id).where(
        GroupMembership.user_id == user.id, GroupMembership.status == "active", GroupMembership.watching.is_(True)
    )


def watched_tag_ids(user: User) -> sa.Select:
    """The tags of the groups `user` watches."""
    return sa.select(group_tags.c.tag_id).where(group_tags.c.group_id.in_(watched_group_ids(user)))
