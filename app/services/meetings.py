"""Exchange meetings (情報交換会) of theme groups: create, cancel, register, remind, publish notes,
turn the questions raised into Q&A posts, the calendar files, and the archive search.

Who may do what (the group pages and membership belong to app/services/groups.py; this module
reads Group and GroupMembership rows as they are):
- Every member of the site sees every meeting of every group, its agenda, notes and linked Q&As
  (meetings are the community's shared record; only group-private *questions* are restricted).
- Organizers (an active membership with role 'organizer'), moderators and administrators create
  meetings, cancel them and publish notes.
- Registering: any verified member for a meeting of an open group (anyone may join it anyway);
  only active members for a meeting of an approval group. The online link is shown to registered
  members and to those who manage the meeting.

Times are typed and shown in JST and stored as naive UTC, like every timestamp.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.database import write_transaction
from app.extensions import db
from app.mail import queue_mail
from app.models import Question, User, utcnow
from app.models.community import MEETING_TITLE_MAX, Group, GroupMembership, Meeting, MeetingRegistration
from app.models.post import BODY_MAX
from app.rendering import plain_text
from app.services import audit, ics, permissions, privacy_guard
from app.services.errors import NotFound, PermissionDenied, ValidationFailed, validate_all
from app.services.posting import render_body
from app.text import clean_line, clean_text, normalize_key
from app.urls import external_url
from app.web import MAX_ID
from search import parse_query

JST = timezone(timedelta(hours=9), "JST")
AGENDA_MAX = 20_000
NOTES_MAX = BODY_MAX  # what render_body takes
URL_MAX = 500
CAPACITY_MAX = 10_000
RAISED_MAX = 20  # questions raised, per meeting
# The notes keep the questions raised as a list under this heading (one column holds both, so the
# published notes show them too and nothing else has to be kept in step).
RAISED_HEADING = "## 挙がった質問"
DEFAULT_SEND_HOUR = 7  # JST: reminders go out from this hour of the day before (DIGEST_SEND_HOUR)
ARCHIVE_LIMIT = 50


# ---------------------------------------------------------------- who may


def membership(user: User | None, group: Group) -> GroupMembership | None:
    if not permissions.is_verified_member(user):
        return None
    return db.session.get(GroupMembership, (group.id, user.id))


def can_manage(user: User | None, group: Group) -> bool:
    """Organizers of the group, moderators and administrators."""
    if not permissions.is_verified_member(user):
        return False
    if user.is_moderator:
        return True
    member = membership(user, group)
    return member is not None and member.status == "active" and member.role == "organizer"


def can_register(user: User | None, meeting: Meeting) -> bool:
    if not permissions.is_verified_member(user):
        return False
    if meeting.group.join_policy == "open":
        return True
    member = membership(user, meeting.group)
    return member is not None and member.status == "active"


def _ensure_manager(user: User, group: Group) -> None:
    if not can_manage(user, group):
        raise PermissionDenied()


def _audit_if_not_organizer(actor: User, group: Group, action: str, meeting_id: int) -> None:
    """Moderators acting on a group they do not organize leave an audit row."""
    member = membership(actor, group)
    if not (member is not None and member.status == "active" and member.role == "organizer"):
        audit.record(actor, action, "meeting", meeting_id, group=group.slug)


# ---------------------------------------------------------------- reading


def get_group(slug: str) -> Group:
    group = db.session.scalar(sa.select(Group).where(Group.slug == slug))
    if group is None:
        raise NotFound(slug)
    return group


def get_meeting(group: Group, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.group_id != group.id:
        raise NotFound(meeting_id)
    return meeting


@dataclass
class Archive:
    upcoming: list[Meeting]
    past: list[Meeting]


def group_archive(group: Group, now: datetime | None = None) -> Archive:
    """A group's meetings: upcoming soonest first, past latest first."""
    now = now or utcnow()
    query = sa.select(Meeting).where(Meeting.group_id == group.id)
    upcoming = db.session.scalars(query.where(Meeting.ends_at >= now).order_by(Meeting.starts_at)).all()
    past = db.session.scalars(query.where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc()).limit(ARCHIVE_LIMIT)).all()
    return Archive(list(upcoming), list(past))


def group_section(group: Group, limit: int = 3) -> Archive:
    """What the group page shows (templates/meetings/_group_section.html): the next meetings and
    the latest past ones."""
    archive = group_archive(group)
    return Archive(archive.upcoming[:limit], archive.past[:limit])


def _words(query: str) -> list[str]:
    """The search box's words and phrases, as the site search reads them; its filters ([tag],
    user:…, -word) are about questions and are left out."""
    parsed = parse_query(query)
    return [normalize_key(part) for part in (*parsed.words, *parsed.phrases) if normalize_key(part)][:10]


def search_meetings(query: str, *, group: Group | None = None, limit: int = ARCHIVE_LIMIT) -> list[Meeting]:
    """Meetings whose title, agenda or notes hold every word of `query`, compared NFKC and in any
    case (ｼｽﾃﾑ finds システム), latest first; without words, the latest meetings.

    Not an index: meetings are few (a group meets weekly at most, a few thousand in years), so the
    texts are compared here, with no second index to keep in step, rebuild or lose."""
    words = _words(query)
    statement = sa.select(Meeting.id, Meeting.title, Meeting.agenda, Meeting.notes).order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    if group is not None:
        statement = statement.where(Meeting.group_id == group.id)
    found: list[int] = []
    for meeting_id, *texts in db.session.execute(statement if words else statement.limit(limit)):
        text = normalize_key(" ".join(part or "" for part in texts))
        if all(word in text for word in words):
            found.append(meeting_id)
            if len(found) == limit:
                break
    by_id = {meeting.id: meeting for meeting in db.session.scalars(sa.select(Meeting).where(Meeting.id.in_(found)))}
    return [by_id[meeting_id] for meeting_id in found]


SITE_SEARCH_LIMIT = 5


def site_search(query: str) -> list[Meeting]:
    """The meetings the site search shows beside its Q&As, under the label 「情報交換会」."""
    return search_meetings(query, limit=SITE_SEARCH_LIMIT) if _words(query) else []


def snippet(meeting: Meeting, query: str, width: int = 120) -> str:
    """A piece of the notes (or the agenda) around the first word of `query`."""
    text = " ".join(plain_text(meeting.notes_html or meeting.agenda_html or "").split())
    words = _words(query)
    at = normalize_key(text).find(words[0]) if words else -1
    start = max(0, at - width // 3) if at >= 0 else 0
    piece = text[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def registered_count(meeting: Meeting) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(MeetingRegistration)
        .where(MeetingRegistration.meeting_id == meeting.id, MeetingRegistration.status != "cancelled")
    )


def registration_of(user: User | None, meeting: Meeting) -> MeetingRegistration | None:
    if not permissions.is_verified_member(user):
        return None
    registration = db.session.get(MeetingRegistration, (meeting.id, user.id))
    return registration if registration is not None and registration.status != "cancelled" else None


def registrants(meeting: Meeting) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(MeetingRegistration, MeetingRegistration.user_id == User.id)
            .where(MeetingRegistration.meeting_id == meeting.id, MeetingRegistration.status != "cancelled")
            .order_by(MeetingRegistration.created_at)
        )
    )


def may_see_link(user: User | None, meeting: Meeting) -> bool:
    return registration_of(user, meeting) is not None or can_manage(user, meeting.group)


def linked_questions(meeting: Meeting) -> list[Question]:
    return list(
        db.session.scalars(
            sa.select(Question)
            .where(Question.meeting_id == meeting.id, Question.deleted_at.is_(None), Question.hidden_at.is_(None))
            .order_by(Question.created_at)
        )
    )


def is_past(meeting: Meeting, now: datetime | None = None) -> bool:
    return meeting.ends_at < (now or utcnow())


def has_started(meeting: Meeting, now: datetime | None = None) -> bool:
    return meeting.starts_at <= (now or utcnow())


# ---------------------------------------------------------------- creating and cancelling


@dataclass
class MeetingInput:
    """As typed in the form: date 2026-12-10 (or ２０２６/１２/１０), times 19:00, in JST."""

    title: str
    date: str
    start: str
    end: str
    agenda: str = ""
    capacity: str = ""
    online_url: str = ""


_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def _check_title(title: str) -> str:
    title = clean_line(title)
    if not title:
        raise ValidationFailed({"title": _("タイトルを入力してください。")})
    if len(title) > MEETING_TITLE_MAX:
        raise ValidationFailed({"title": _("タイトルは%(n)d文字以内にしてください。", n=MEETING_TITLE_MAX)})
    return title


def parse_jst(day: str, time: str, field: str = "start") -> datetime:
    """A date and a time typed in JST (full-width digits too) as naive UTC."""
    day_match = _DATE.match(normalize_key(day))
    if day_match is None:
        raise ValidationFailed({"date": _("日付は 2026-12-10 の形で入力してください。")})
    time_match = _TIME.match(normalize_key(time).replace("：", ":"))
    if time_match is None:
        raise ValidationFailed({field: _("時刻は 19:00 の形で入力してください。")})
    try:
        local = datetime(*(int(part) for part in day_match.groups()), int(time_match[1]), int(time_match[2]), tzinfo=JST)
    except ValueError:
        raise ValidationFailed({"date": _("存在しない日付か時刻です。")}) from None
    return local.astimezone(UTC).replace(tzinfo=None)


def _check_period(data: MeetingInput) -> tuple[datetime, datetime]:
    starts_at = parse_jst(data.date, data.start, "start")
    ends_at = parse_jst(data.date, data.end, "end")
    if ends_at <= starts_at:
        raise ValidationFailed({"end": _("終了時刻は開始時刻より後にしてください。")})
    if starts_at < utcnow():
        raise ValidationFailed({"date": _("これから開く会の日時を入力してください。")})
    return starts_at, ends_at


def _check_capacity(value: str) -> int | None:
    value = normalize_key(value or "")
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= CAPACITY_MAX:
        raise ValidationFailed({"capacity": _("定員は1〜%(n)sの数字で入力してください（空欄は定員なし）。", n=f"{CAPACITY_MAX:,}")})
    return int(value)


def check_online_url(value: str) -> str | None:
    """http(s) only: a javascript: or data: link would run in the member's browser."""
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > URL_MAX or any(c.isspace() for c in value):
        raise ValidationFailed({"online_url": _("オンライン会議のURLは http:// か https:// で始まるURLを入力してください。")})
    return value


def _check_markdown(text: str, field: str, limit: int) -> tuple[str, str]:
    text = clean_text(text or "").strip()
    if len(text) > limit:
        raise ValidationFailed({field: _("%(n)s文字以内で入力してください。", n=f"{limit:,}")})
    return text, render_body(text, field) if text else ""


def create_meeting(actor: User, group: Group, data: MeetingInput) -> Meeting:
    permissions.ensure_can_write(actor)
    _ensure_manager(actor, group)
    if group.archived_at is not None:
        raise ValidationFailed({"group": _("アーカイブされたグループでは会を作成できません。")})
    valid = validate_all(
        title=lambda: _check_title(data.title),
        period=lambda: _check_period(data),
        agenda=lambda: _check_markdown(data.agenda, "agenda", AGENDA_MAX),
        capacity=lambda: _check_capacity(data.capacity),
        online_url=lambda: check_online_url(data.online_url),
    )
    with write_transaction():
        meeting = Meeting(
            group_id=group.id,
            title=valid["title"],
            starts_at=valid["period"][0],
            ends_at=valid["period"][1],
            agenda=valid["agenda"][0],
            agenda_html=valid["agenda"][1],
            capacity=valid["capacity"],
            online_url=valid["online_url"],
            created_by_id=actor.id,
        )
        db.session.add(meeting)
        db.session.flush()
        _audit_if_not_organizer(actor, group, "meeting_create", meeting.id)
    return meeting


def cancel_meeting(actor: User, meeting: Meeting) -> None:
    """The meeting stays in the archive, marked cancelled (its .ics says STATUS:CANCELLED)."""
    _ensure_manager(actor, meeting.group)
    if meeting.cancelled_at is not None:
        return
    with write_transaction():
        meeting.cancelled_at = utcnow()
        _audit_if_not_organizer(actor, meeting.group, "meeting_cancel", meeting.id)


# ---------------------------------------------------------------- registering


def register(user: User, meeting: Meeting) -> MeetingRegistration:
    """Take a place. The count and the insert run under the write lock (BEGIN IMMEDIATE on
    SQLite, the meeting's row locked on PostgreSQL), so two members cannot take the last place."""
    permissions.ensure_can_write(user)
    if not can_register(user, meeting):
        raise PermissionDenied()
    with write_transaction():
        meeting = db.session.scalar(sa.select(Meeting).where(Meeting.id == meeting.id).with_for_update(of=Meeting))  # not its joined group (PostgreSQL)
        if meeting.cancelled_at is not None:
            raise ValidationFailed({"meeting": _("この会は中止になりました。")})
        if is_past(meeting):
            raise ValidationFailed({"meeting": _("この会は終了しました。")})
        registration = db.session.get(MeetingRegistration, (meeting.id, user.id))
        if registration is not None and registration.status != "cancelled":
            return registration
        if meeting.capacity is not None and registered_count(meeting) >= meeting.capacity:
            raise ValidationFailed({"meeting": _("定員に達したため登録できません。")})
        if registration is None:
            registration = MeetingRegistration(meeting_id=meeting.id, user_id=user.id)
            db.session.add(registration)
        # reminded_at stays: a member who cancels and registers again is not reminded twice
        registration.status, registration.cancelled_at, registration.created_at = "registered", None, utcnow()
    return registration


def cancel_registration(user: User, meeting: Meeting) -> None:
    with write_transaction():
        registration = db.session.get(MeetingRegistration, (meeting.id, user.id))
        if registration is not None and registration.status != "cancelled":
            registration.status, registration.cancelled_at = "cancelled", utcnow()


# ---------------------------------------------------------------- notes and questions raised


def split_notes(notes: str | None) -> tuple[str, list[str]]:
    """The notes without their 「挙がった質問」 section, and the questions listed in it."""
    notes = notes or ""
    head, found, tail = notes.partition(RAISED_HEADING)
    if not found:
        return notes.strip(), []
    section, _next, rest = tail.partition("\n## ")
    raised = [line[2:].strip() for line in section.splitlines() if line.startswith("- ") and line[2:].strip()]
    body = head.rstrip() + (("\n\n## " + rest) if _next else "")
    return body.strip(), raised


def _check_raised(text: str) -> list[str]:
    lines = [clean_line(line).lstrip("-・* ").strip() for line in clean_text(text or "").splitlines()]
    raised = list(dict.fromkeys(line for line in lines if line))
    if len(raised) > RAISED_MAX:
        raise ValidationFailed({"raised": _("挙がった質問は%(n)d件までにしてください。", n=RAISED_MAX)})
    if any(len(line) > 150 for line in raised):
        raise ValidationFailed({"raised": _("質問は1行150文字以内にしてください。")})
    return raised


def publish_notes(
    actor: User, meeting: Meeting, notes: str, raised: str = "", *, confirmed_categories: Collection[str] | privacy_guard.Unchecked = ()
) -> Meeting:
    """Publish (or correct) the notes after the meeting. The personal-information guard applies as
    on posts: PersonalInformationFound holds them until each category is removed or confirmed."""
    permissions.ensure_can_write(actor)
    _ensure_manager(actor, meeting.group)
    if not has_started(meeting):
        raise ValidationFailed({"notes": _("議事メモは会が始まってから公開できます。")})
    body = clean_text(notes or "").strip()
    questions_raised = _check_raised(raised)
    if not body:
        raise ValidationFailed({"notes": _("議事メモを入力してください。")})
    source = body + ("\n\n" + RAISED_HEADING + "\n\n" + "\n".join(f"- {line}" for line in questions_raised) if questions_raised else "")
    confirmed = privacy_guard.check({"body": source}, confirmed_categories)
    # The page lists the questions raised itself, each with its post: the HTML is the notes alone.
    body, html = _check_markdown(body, "notes", NOTES_MAX)
    with write_transaction():
        meeting.notes, meeting.notes_html = source, html
        meeting.notes_published_at = meeting.notes_published_at or utcnow()
        privacy_guard.record_confirmation(actor, confirmed, "meeting", meeting.id)
        _audit_if_not_organizer(actor, meeting.group, "meeting_notes", meeting.id)
    return meeting


@dataclass(frozen=True)
class RaisedQuestion:
    text: str
    question: Question | None  # the Q&A post made of it, once someone posted it


def raised_questions(meeting: Meeting) -> list[RaisedQuestion]:
    linked = linked_questions(meeting)
    by_key = {normalize_key(question.title): question for question in linked}
    return [RaisedQuestion(text, by_key.get(normalize_key(text))) for text in split_notes(meeting.notes)[1]]


def ask_prefill(meeting: Meeting, text: str) -> dict[str, str]:
    """The ask form's title, body and tags for a question raised at the meeting."""
    day = meeting.starts_at.replace(tzinfo=UTC).astimezone(JST)
    body = _(
        "%(year)d年%(month)d月%(day)d日の情報交換会「%(title)s」（%(group)s）で挙がった質問です。\n\n> %(text)s\n\n",
        year=day.year, month=day.month, day=day.day, title=meeting.title, group=meeting.group.name, text=text,
    )  # fmt: skip
    return {"title": text, "body": body, "tags": " ".join(tag.name for tag in meeting.group.tags)}


def linked_meeting(value: str | None) -> Meeting | None:
    """The meeting named by the ask form's `meeting` value (ASCII digits), if there is one."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        return None
    return db.session.get(Meeting, int(value))


def meeting_for_question(meeting_id: int | None) -> Meeting | None:
    """The meeting a new question is linked to (questions.ask_question); NotFound-free: the form
    shows a field error instead."""
    if meeting_id is None:
        return None
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise ValidationFailed({"meeting": _("情報交換会が見つかりません。")})
    return meeting


# ---------------------------------------------------------------- calendar files


def _event(meeting: Meeting) -> ics.Event:
    url = external_url("meetings.show", slug=meeting.group.slug, meeting_id=meeting.id)
    description = "\n\n".join(part for part in (plain_text(meeting.agenda_html).strip(), url) if part)
    return ics.Event(
        uid=f"meeting-{meeting.id}@{urlsplit(current_app.config['PUBLIC_BASE_URL']).hostname}",
        summary=f"{meeting.title}（{meeting.group.name}）",
        description=description,
        url=url,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        stamp=meeting.cancelled_at or meeting.created_at,
        sequence=1 if meeting.cancelled_at else 0,
        cancelled=meeting.cancelled_at is not None,
    )


def meeting_ics(meeting: Meeting) -> str:
    return ics.calendar([_event(meeting)], meeting.title)


def group_ics(group: Group) -> str:
    meetings = db.session.scalars(sa.select(Meeting).where(Meeting.group_id == group.id).order_by(Meeting.starts_at)).all()
    return ics.calendar([_event(meeting) for meeting in meetings], _("%(name)s の情報交換会", name=group.name))


# ---------------------------------------------------------------- reminders


def _tomorrow_jst(now: datetime) -> tuple[datetime, datetime]:
    """Tomorrow in JST as a naive UTC [start, end)."""
    local = now.replace(tzinfo=UTC).astimezone(JST)
    start = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC).replace(tzinfo=None), (start + timedelta(days=1)).astimezone(UTC).replace(tzinfo=None)


def due_reminders(now: datetime) -> list[tuple[int, int]]:
    """(meeting id, user id) of registrations to remind at `now`: meetings on the JST day after
    today's, from the send hour (07:00 JST) on, not cancelled, members not reminded yet who take
    e-mail (`notify_by_email`, off for the demo people)."""
    send_hour = current_app.config.get("DIGEST_SEND_HOUR", DEFAULT_SEND_HOUR)
    if now.replace(tzinfo=UTC).astimezone(JST).hour < send_hour:
        return []
    start, end = _tomorrow_jst(now)
    rows = db.session.execute(
        sa.select(MeetingRegistration.meeting_id, MeetingRegistration.user_id)
        .join(Meeting, Meeting.id == MeetingRegistration.meeting_id)
        .join(User, User.id == MeetingRegistration.user_id)
        .where(
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Meeting.cancelled_at.is_(None),
            MeetingRegistration.status == "registered",
            MeetingRegistration.reminded_at.is_(None),
            User.disabled_at.is_(None),
            User.email_verified_at.is_not(None),
            User.is_placeholder.is_(False),
            User.notify_by_email.is_(True),  # off: no e-mail that waits for no one (and demo people)
        )
        .order_by(MeetingRegistration.meeting_id, MeetingRegistration.user_id)
    )
    return [(meeting_id, user_id) for meeting_id, user_id in rows]


def compose_reminder(user: User, meeting: Meeting) -> tuple[str, str]:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        local = meeting.starts_at.replace(tzinfo=UTC).astimezone(JST)
        end = meeting.ends_at.replace(tzinfo=UTC).astimezone(JST)
        when = f"{local:%Y/%m/%d %H:%M}〜{end:%H:%M}"
        subject = _("【明日】情報交換会「%(title)s」%(when)s", title=meeting.title, when=when)
        url = external_url("meetings.show", slug=meeting.group.slug, meeting_id=meeting.id)
        ics_url = external_url("meetings.meeting_ics", slug=meeting.group.slug, meeting_id=meeting.id)
        lines = [
            _("明日、参加登録した情報交換会があります。"),
            "",
            f"{meeting.title}（{meeting.group.name}）",
            _("日時: %(when)s（日本時間）", when=when),
        ]
        if meeting.online_url:
            lines.append(_("オンライン会議: %(url)s", url=meeting.online_url))
        lines += [
            _("会のページ: %(url)s", url=url),
            _("カレンダーに追加（.ics）: %(url)s", url=ics_url),
            "",
            _("参加できなくなったときは、会のページで参加登録を取り消してください。"),
        ]
    return subject, "\n".join(lines) + "\n"


def remind_one(meeting_id: int, user_id: int, now: datetime) -> bool:
    """Claim the registration (reminded_at set only where still empty) and queue the mail in the
    same transaction: a second or concurrent run claims nothing and sends nothing."""
    with write_transaction():
        claimed = db.session.execute(
            sa.update(MeetingRegistration)
            .where(
                MeetingRegistration.meeting_id == meeting_id,
                MeetingRegistration.user_id == user_id,
                MeetingRegistration.status == "registered",
                MeetingRegistration.reminded_at.is_(None),
            )
            .values(reminded_at=now)
        ).rowcount
        if not claimed:
            return False
        user, meeting = db.session.get(User, user_id), db.session.get(Meeting, meeting_id)
        subject, body = compose_reminder(user, meeting)
        queue_mail(user.email, subject, body)
    return True


def send_reminders(now: datetime | None = None) -> int:
    """`flask --app wsgi mail reminders`: the number of reminders queued."""
    now = now or utcnow()
    return sum(remind_one(meeting_id, user_id, now) for meeting_id, user_id in due_reminders(now))
