"""E-mail digests: daily or weekly per member, in JST, sent by `flask --app wsgi mail digest`.

Periods are JST days, or JST weeks starting on Monday, stored as their start in UTC. A period is
due from DIGEST_SEND_HOUR (07:00 JST) after it ends; each run sends the latest due period of each
member who has none for it yet (a period the timer missed entirely is not sent later).

Exactly once: a member's `DigestRun` row (unique per member, frequency and period) is inserted in
the same transaction that queues their mail (app/mail.py delivers it after the commit and retries
a failed delivery). A second run finds the row and skips the member; a run killed midway has
committed the members it finished and nothing of the one it was on, so running it again sends the
rest, each once. An empty digest is not mailed, but its row is still written (item_count 0), so a
rerun does not look at the member again.

Content, from the period: new questions in the member's areas (watched tags, and the tags of
every post of their career, current and former; ignored tags left out), unanswered questions in
those areas (up to 30 days old) they could answer, new answers on the questions they follow, and
their notifications of the types they chose to read in the digest (then marked digested).
Removed and hidden posts never appear, nor anything the member wrote.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from app.database import write_transaction
from app.extensions import db
from app.mail import queue_mail
from app.models import (
    Answer,
    CareerEntry,
    DigestRun,
    Notification,
    Question,
    QuestionFollow,
    TagWatch,
    User,
    question_tags,
    utcnow,
)
from app.models.career import career_entry_tags
from app.services import groups, notification_settings, notifications, unsubscribe, visibility
from app.urls import external_url

JST = timezone(timedelta(hours=9), "JST")
DEFAULT_SEND_HOUR = 7  # JST; DIGEST_SEND_HOUR overrides
UNANSWERED_DAYS = 30
LIMIT = 10  # questions per section


@dataclass(frozen=True)
class Period:
    frequency: str
    start: datetime  # naive UTC, like every timestamp column
    end: datetime

    @property
    def local_start(self) -> datetime:
        return self.start.replace(tzinfo=UTC).astimezone(JST)

    @property
    def local_last_day(self) -> datetime:
        return (self.end - timedelta(seconds=1)).replace(tzinfo=UTC).astimezone(JST)


def _length(frequency: str) -> timedelta:
    return timedelta(days=1 if frequency == "daily" else 7)


def period_containing(frequency: str, moment: datetime) -> Period:
    """The JST day (or Monday-start week) that contains `moment` (naive UTC)."""
    local = moment.replace(tzinfo=UTC).astimezone(JST)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency == "weekly":
        start -= timedelta(days=start.weekday())
    start_utc = start.astimezone(UTC).replace(tzinfo=None)
    return Period(frequency, start_utc, start_utc + _length(frequency))


def due_period(frequency: str, now: datetime) -> Period:
    """The latest period whose digest may go out at `now` (naive UTC): it ended, and the send
    hour of the day after has come. 2026-12-06 23:30 UTC is 12-07 08:30 JST: 12-06 is due."""
    send_hour = current_app.config.get("DIGEST_SEND_HOUR", DEFAULT_SEND_HOUR)
    current = period_containing(frequency, now - timedelta(hours=send_hour))
    start = current.start - _length(frequency)
    return Period(frequency, start, current.start)


@dataclass
class QuestionLine:
    title: str
    url: str
    tags: str
    answers: int = 0  # new answers (followed questions)


@dataclass
class Digest:
    new_questions: list[QuestionLine] = field(default_factory=list)
    unanswered: list[QuestionLine] = field(default_factory=list)
    new_answers: list[QuestionLine] = field(default_factory=list)
    notifications: list["notifications.Entry"] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return len(self.new_questions) + len(self.unanswered) + len(self.new_answers) + len(self.notifications)


def _visible_questions(user: User) -> sa.Select:
    """What a digest may carry: group-private questions only for their group's members, as
    they are when the digest is built (someone who left no longer gets them)."""
    return sa.select(Question).where(Question.deleted_at.is_(None), Question.hidden_at.is_(None), visibility.readable_questions(user))


def _area_tag_ids(user: User) -> set[int]:
    watched = set(db.session.scalars(sa.select(TagWatch.tag_id).where(TagWatch.user_id == user.id, TagWatch.kind == "watch")))
    watched |= set(db.session.scalars(groups.watched_tag_ids(user)))
    ignored = set(db.session.scalars(sa.select(TagWatch.tag_id).where(TagWatch.user_id == user.id, TagWatch.kind == "ignore")))
    career = set(
        db.session.scalars(
            sa.select(career_entry_tags.c.tag_id)
            .join(CareerEntry, CareerEntry.id == career_entry_tags.c.career_entry_id)
            .where(CareerEntry.user_id == user.id)
        )
    )
    return (watched | career) - ignored


def _line(question: Question, answers: int = 0) -> QuestionLine:
    return QuestionLine(
        title=question.title,
        url=external_url("questions.show", question_id=question.id),  # no slug: see notifications.link
        tags=" ".join(f"[{tag.label}]" for tag in question.tags),
        answers=answers,
    )


def build(user: User, period: Period) -> tuple[Digest, list[int]]:
    """What the member's digest for `period` holds, and the ids of the notifications it carries."""
    digest = Digest()
    tag_ids = _area_tag_ids(user)
    watched_groups = list(db.session.scalars(groups.watched_group_ids(user)))
    if tag_ids or watched_groups:
        in_areas = sa.select(question_tags.c.question_id).where(question_tags.c.tag_id.in_(tag_ids))
        mine = _visible_questions(user).where(
            sa.or_(Question.id.in_(in_areas), Question.group_id.in_(watched_groups)), Question.author_id != user.id
        )
        new = db.session.scalars(
            mine.where(Question.created_at >= period.start, Question.created_at < period.end)
            .order_by(Question.score.desc(), Question.id.desc())
            .limit(LIMIT)
        ).all()
        digest.new_questions = [_line(question) for question in new]
        answered_by_me = sa.select(Answer.question_id).where(Answer.author_id == user.id, Answer.deleted_at.is_(None))
        unanswered = db.session.scalars(
            mine.where(
                Question.answer_count == 0,
                Question.closed_at.is_(None),
                Question.created_at >= period.end - timedelta(days=UNANSWERED_DAYS),
                Question.created_at < period.start,  # this period's new ones are listed above
                Question.id.not_in(answered_by_me),
            )
            .order_by(Question.created_at.desc())
            .limit(LIMIT)
        ).all()
        digest.unanswered = [_line(question) for question in unanswered]

    unfollowed = sa.select(QuestionFollow.question_id).where(QuestionFollow.user_id == user.id, QuestionFollow.active.is_(False))
    followed = sa.select(QuestionFollow.question_id).where(QuestionFollow.user_id == user.id, QuestionFollow.active.is_(True))
    own = sa.select(Question.id).where(Question.author_id == user.id, Question.id.not_in(unfollowed))
    answered = (
        sa.select(Answer.question_id, sa.func.count())
        .where(
            Answer.created_at >= period.start,
            Answer.created_at < period.end,
            Answer.deleted_at.is_(None),
            Answer.hidden_at.is_(None),
            Answer.author_id != user.id,
            sa.or_(Answer.question_id.in_(followed), Answer.question_id.in_(own)),
        )
        .group_by(Answer.question_id)
    )
    counts = dict(db.session.execute(answered).all())
    if counts:
        questions = db.session.scalars(
            _visible_questions(user).where(Question.id.in_(counts)).order_by(Question.last_activity_at.desc()).limit(LIMIT)
        ).all()
        digest.new_answers = [_line(question, counts[question.id]) for question in questions]

    digest_types = [key for key, channel in notification_settings.channels(user).items() if channel == "digest"]
    kinds = [kind for key in digest_types for kind in notification_settings.BY_KEY[key].kinds]
    carried: list[int] = []
    if kinds:
        rows = db.session.scalars(
            sa.select(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.kind.in_(kinds),
                Notification.digested_at.is_(None),
                Notification.read_at.is_(None),  # already read in the inbox: nothing to tell
                Notification.created_at < period.end,
            )
            .order_by(Notification.id)
        ).all()
        digest.notifications = [notifications.entry(row, user) for row in rows]
        carried = [row.id for row in rows]
    return digest, carried


def subject(period: Period) -> str:
    first, last = period.local_start, period.local_last_day
    if period.frequency == "daily":
        return _("Zennin ダイジェスト（%(month)d月%(day)d日）", month=first.month, day=first.day)
    return _(
        "Zennin 週間ダイジェスト（%(month)d月%(day)d日〜%(last_month)d月%(last_day)d日）",
        month=first.month, day=first.day, last_month=last.month, last_day=last.day,
    )  # fmt: skip


def _text(digest: Digest, title: str, settings_url: str, stop_url: str) -> str:
    lines = [title, ""]
    sections = [
        (_("あなたの分野の新しい質問"), digest.new_questions),
        (_("回答を待っている質問"), digest.unanswered),
        (_("フォローしている質問への新しい回答"), digest.new_answers),
    ]
    for heading, items in sections:
        if items:
            lines += [f"■ {heading}"]
            for item in items:
                extra = ngettext("（新しい回答 %(num)d件）", "（新しい回答 %(num)d件）", item.answers) if item.answers else ""
                lines += [f"・{item.title} {item.tags}{extra}".rstrip(), f"  {item.url}"]
            lines.append("")
    if digest.notifications:
        lines.append(f"■ {_('通知')}")
        for entry in digest.notifications:
            lines += [f"・{entry.text}（{entry.reason}）"] + ([f"  {entry.url}"] if entry.url else [])
        lines.append("")
    lines += [
        _("受け取り方を変える: %(url)s", url=settings_url),
        _("ダイジェストの配信を停止する: %(url)s", url=stop_url),
    ]
    return "\n".join(lines) + "\n"


def compose(user: User, period: Period, digest: Digest) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the member's digest, in their language."""
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        title = subject(period)
        settings_url = external_url("users.settings", anchor="notifications")
        stop_url = unsubscribe.link(user, "digest")
        body = _text(digest, title, settings_url, stop_url)
        html = render_template("mail/digest.html", title=title, digest=digest, settings_url=settings_url, stop_url=stop_url)
    return title, body, html


def _recipients(period: Period) -> list[User]:
    done = sa.select(DigestRun.user_id).where(DigestRun.frequency == period.frequency, DigestRun.period_start == period.start)
    return db.session.scalars(
        sa.select(User)
        .where(
            User.digest_frequency == period.frequency,
            User.disabled_at.is_(None),
            User.email_verified_at.is_not(None),
            User.is_placeholder.is_(False),
            User.id.not_in(done),
        )
        .order_by(User.id)
    ).all()


def send_one(user: User, period: Period) -> DigestRun | None:
    """Build, record and queue one member's digest; None when another run already did."""
    digest, carried = build(user, period)
    composed = compose(user, period, digest) if digest.item_count else None
    try:
        with write_transaction():
            run = DigestRun(user_id=user.id, frequency=period.frequency, period_start=period.start, item_count=digest.item_count)
            db.session.add(run)
            db.session.flush()  # the unique row is the claim: a concurrent run fails here
            if composed is not None:
                title, body, html = composed
                run.mail_message_id = queue_mail(user.email, title, body, html=html, headers=unsubscribe.headers(user, "digest")).id
            if carried:
                db.session.execute(sa.update(Notification).where(Notification.id.in_(carried)).values(digested_at=utcnow()))
    except sa.exc.IntegrityError:
        return None
    return run


@dataclass
class RunResult:
    sent: int = 0
    empty: int = 0
    periods: list[Period] = field(default_factory=list)


def send_due(now: datetime) -> RunResult:
    """Send every digest due at `now` (naive UTC) that has not been sent: `flask mail digest`."""
    result = RunResult()
    for frequency in ("daily", "weekly"):
        period = due_period(frequency, now)
        result.periods.append(period)
        for user in _recipients(period):
            run = send_one(user, period)
            if run is None:
                continue
            if run.mail_message_id is None:
                result.empty += 1
            else:
                result.sent += 1
    return result
