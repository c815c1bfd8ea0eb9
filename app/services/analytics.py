"""Analytics for administrators (/admin/analytics): how a scope (the whole site, one organization,
one tag) did over a period of JST days.

Definitions (also shown on the page):
- Active members: people who asked, answered or commented in the period (removed posts and
  comments do not count). Votes do not: who voted is never shown anywhere, and a count an
  administrator cannot check against pages invites doubt.
- Organization scope: the activity of members whose organization is the organization (its
  questions, answers, comments; its members' registrations to meetings). A question's answer
  rate counts answers from anyone. Most read: the questions its members asked, by reads in
  the period.
- Tag scope: questions carrying the tag, their answers and the comments on both; meetings of
  the groups linked to the tag.
- Answer rate, accepted share and the median time to the first answer: of the questions asked
  in the period, as they stand now (visible answers only).
- Unanswered over 7 days: questions of the scope asked more than 7 days before the period's
  end (or now, if earlier) that had no visible answer by then.

Who reads it: admins, any scope; an organization's own administrator (User.is_org_admin), their
own organization only. Moderators have no access unless they are admins: the figures describe
organizations and people's activity, which is management information, not moderation.

Group-private questions count in every total, but the most-read list never shows their titles
(`_listable`).
"""

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Comment, Organization, Post, Tag, User, question_tags, utcnow
from app.models.community import Group, Meeting, MeetingRegistration, QuestionView, group_tags
from app.services import organizations, tags, visibility
from app.services.audit import parse_day
from app.services.errors import NotFound, PermissionDenied, ValidationFailed

JST = ZoneInfo("Asia/Tokyo")
PRESETS = ("this_month", "last_month", "last_90_days", "this_fiscal_year")
SCOPES = ("site", "organization", "tag")
MAX_DAYS = 3 * 366  # three years: longer periods are an export's job, not a page's
WEEKLY_UP_TO_DAYS = 120  # longer periods are charted per month
UNANSWERED_AFTER = timedelta(days=7)
MOST_READ = 20
MEDIAN_SAMPLE = 50_000  # the newest questions' first answers, when a scope has more
TABLES = ("summary", "most_read", "meetings", "trend")


# ---------------------------------------------------------------- period and scope


@dataclass(frozen=True)
class Period:
    """JST days, both ends included."""

    start: date
    end: date
    preset: str = ""

    @property
    def start_utc(self) -> datetime:
        return _utc(self.start)

    @property
    def end_utc(self) -> datetime:
        """Exclusive: midnight JST after the last day."""
        return _utc(self.end + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(), JST).astimezone(UTC).replace(tzinfo=None)


def today_jst() -> date:
    return datetime.now(JST).date()


def preset_period(preset: str, today: date | None = None) -> Period:
    today = today or today_jst()
    if preset == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return Period(end.replace(day=1), end, preset)
    if preset == "last_90_days":
        return Period(today - timedelta(days=89), today, preset)
    if preset == "this_fiscal_year":  # 年度: 4月1日 to 3月31日
        year = today.year if today.month >= 4 else today.year - 1
        return Period(date(year, 4, 1), date(year + 1, 3, 31), preset)
    first = today.replace(day=1)
    return Period(first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1), "this_month")


def parse_period(preset: str | None, start_text: str | None, end_text: str | None, today: date | None = None) -> Period:
    """Typed dates (both, 「2026-12-01」, 2026年12月1日, full-width digits) win over a preset;
    neither: this month."""
    if (start_text or "").strip() or (end_text or "").strip():
        errors = {}
        try:
            start = parse_day(start_text, "start")
        except ValidationFailed as failure:
            errors.update(failure.errors)
            start = None
        try:
            end = parse_day(end_text, "end")
        except ValidationFailed as failure:
            errors.update(failure.errors)
            end = None
        if not errors and (start is None or end is None):
            errors["start" if start is None else "end"] = _("期間の開始日と終了日を両方入力してください。")
        if errors:
            raise ValidationFailed(errors)
        if end < start:
            raise ValidationFailed({"end": _("終了日が開始日より前になっています。開始日と終了日を入れ替えてください。")})
        if (end - start).days + 1 > MAX_DAYS:
            raise ValidationFailed({"end": _("期間は3年以内で指定してください。")})
        return Period(start, end)
    if preset and preset not in PRESETS:
        raise ValidationFailed({"preset": _("期間を一覧から選んでください。")})
    return preset_period(preset or "this_month", today)


@dataclass(frozen=True)
class Scope:
    kind: str  # one of SCOPES
    organization: Organization | None = None
    tag: Tag | None = None

    @property
    def label(self) -> str:
        if self.organization is not None:
            return self.organization.full_name
        if self.tag is not None:
            return _("タグ「%(name)s」", name=self.tag.name)
        return _("サイト全体")


def can_read(viewer: User | None) -> bool:
    """Who may open /admin/analytics at all."""
    if viewer is None or not viewer.is_authenticated:
        return False
    return viewer.is_admin or (viewer.is_org_admin and viewer.organization_code is not None)


def resolve_scope(viewer: User | None, kind: str | None, organization_text: str | None, tag_name: str | None) -> Scope:
    """The scope asked for, once the viewer may read it. An organization's administrator gets
    their own organization whatever they leave empty, and a 403 for anything else."""
    if not can_read(viewer):
        raise PermissionDenied(_("分析は管理者と団体管理者だけが見られます。"))
    own_only = not viewer.is_admin
    kind = kind or ("organization" if own_only else "site")
    if kind not in SCOPES:
        raise ValidationFailed({"scope": _("対象を一覧から選んでください。")})
    if own_only and kind != "organization":
        raise PermissionDenied(_("団体管理者が見られるのは、自分の団体の分析だけです。"))
    if kind == "organization":
        if own_only and not (organization_text or "").strip():
            return Scope(kind, organization=viewer.organization)
        organization = organizations.get_organization(organization_text)  # a form error naming candidates
        if own_only and organization.code != viewer.organization_code:
            raise PermissionDenied(_("団体管理者が見られるのは、自分の団体の分析だけです。"))
        return Scope(kind, organization=organization)
    if kind == "tag":
        if not (tag_name or "").strip():
            raise ValidationFailed({"tag": _("タグを入力してください。")})
        try:
            return Scope(kind, tag=tags.get_tag(tag_name))
        except NotFound:
            raise ValidationFailed({"tag": _("タグ「%(name)s」は見つかりません。", name=tag_name.strip()[:50])}) from None
    return Scope("site")


def read(
    viewer: User | None, *, scope: str | None, organization: str | None, tag: str | None,
    preset: str | None, start: str | None, end: str | None,
) -> "Report":
    """The report for a filter as typed; every field's error at once."""
    errors = {}
    try:
        chosen = resolve_scope(viewer, scope, organization, tag)
    except ValidationFailed as failure:
        errors.update(failure.errors)
    try:
        period = parse_period(preset, start, end)
    except ValidationFailed as failure:
        errors.update(failure.errors)
    if errors:
        raise ValidationFailed(errors)
    return report(chosen, period, viewer)


# ---------------------------------------------------------------- the queries


def _visible(model) -> sa.ColumnElement[bool]:
    return model.deleted_at.is_(None) & model.hidden_at.is_(None)


def _members(scope: Scope) -> sa.Select:
    return sa.select(User.id).where(User.organization_code == scope.organization.code)


def _tagged(scope: Scope) -> sa.Select:
    return sa.select(question_tags.c.question_id).where(question_tags.c.tag_id == scope.tag.id)


def _questions_where(scope: Scope, post=Post, *, kind: bool = True) -> list[sa.ColumnElement[bool]]:
    """`kind=False` where the join already implies questions (QuestionView): without the kind
    column SQLite, which runs without statistics, cannot walk the kind index over every question."""
    conditions = [post.kind == "question", _visible(post)] if kind else [_visible(post)]
    if scope.organization is not None:
        conditions.append(post.author_id.in_(_members(scope)))
    elif scope.tag is not None:
        conditions.append(post.id.in_(_tagged(scope)))
    return conditions


def _answers_where(scope: Scope, post=Post) -> list[sa.ColumnElement[bool]]:
    conditions = [post.kind == "answer", _visible(post)]
    if scope.organization is not None:
        conditions.append(post.author_id.in_(_members(scope)))
    elif scope.tag is not None:
        conditions.append(post.question_id.in_(_tagged(scope)))
    return conditions


def _comments_where(scope: Scope) -> list[sa.ColumnElement[bool]]:
    conditions = [_visible(Comment)]
    if scope.organization is not None:
        conditions.append(Comment.author_id.in_(_members(scope)))
    elif scope.tag is not None:
        tagged = _tagged(scope)
        conditions.append(Comment.post_id.in_(sa.select(Post.id).where(Post.id.in_(tagged) | Post.question_id.in_(tagged))))
    return conditions


def _between(column, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    return (column >= start) & (column < end)


def _activity(scope: Scope, start: datetime, end: datetime) -> sa.Subquery:
    """(author_id, at) of every question, answer and comment of the scope in [start, end)."""
    posts = [
        sa.select(Post.author_id.label("author_id"), Post.created_at.label("at")).where(
            *where, _between(Post.created_at, start, end)
        )
        for where in (_questions_where(scope), _answers_where(scope))
    ]
    comments = sa.select(Comment.author_id, Comment.created_at).where(
        *_comments_where(scope), _between(Comment.created_at, start, end)
    )
    return sa.union_all(*posts, comments).subquery("activity")


@dataclass(frozen=True)
class ReadRow:
    question_id: int
    title: str
    views: int


@dataclass(frozen=True)
class MeetingRow:
    meeting_id: int
    title: str
    group_name: str
    group_slug: str
    starts_at: datetime  # naive UTC
    registered: int  # registered or attended, not cancelled
    attended: int


@dataclass(frozen=True)
class Trend:
    unit: str  # "week" | "month"
    starts: list[date]  # each bucket's first JST day
    questions: list[int]
    answers: list[int]
    active_members: list[int]


@dataclass
class Report:
    scope: Scope
    period: Period
    active_members: int = 0
    questions: int = 0
    answered: int = 0
    accepted: int = 0
    median_first_answer: timedelta | None = None
    unanswered_over_7_days: int = 0
    most_read: list[ReadRow] = field(default_factory=list)
    meetings: list[MeetingRow] = field(default_factory=list)
    trend: Trend | None = None

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.questions if self.questions else None

    @property
    def accepted_share(self) -> float | None:
        return self.accepted / self.questions if self.questions else None

    @property
    def registered(self) -> int:
        return sum(row.registered for row in self.meetings)

    @property
    def attended(self) -> int:
        return sum(row.attended for row in self.meetings)

    @property
    def is_empty(self) -> bool:
        return not (self.active_members or self.questions or self.unanswered_over_7_days or self.most_read or self.meetings)


def report(scope: Scope, period: Period, viewer: User | None = None) -> Report:
    """Every figure of the page for `scope` over `period`: eight queries, whatever the size."""
    start, end = period.start_utc, period.end_utc
    result = Report(scope, period)
    result.trend, result.active_members = trend(scope, period)
    asked = [*_questions_where(scope), _between(Post.created_at, start, end)]
    counts = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((Post.answer_count > 0, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((Post.accepted_answer_id.is_not(None), 1), else_=0)), 0),
        ).where(*asked)
    ).one()
    result.questions, result.answered, result.accepted = (int(value) for value in counts)
    result.median_first_answer = median_first_answer(scope, period)
    result.unanswered_over_7_days = unanswered_over_7_days(scope, end if end < utcnow() else None)
    result.most_read = most_read(scope, period, viewer)
    result.meetings = meetings(scope, period)
    return result


def median_first_answer(scope: Scope, period: Period) -> timedelta | None:
    """Median of (first visible answer − asked) over the period's answered questions. Computed in
    Python on the durations (the same on SQLite and PostgreSQL), from at most MEDIAN_SAMPLE of
    the newest questions."""
    answer = aliased(Post)
    first = sa.func.min(answer.created_at)
    rows = db.session.execute(
        sa.select(Post.created_at, first)
        # No kind: only answers have a question_id, and with it SQLite would look the answers up
        # once per id of a tag's IN list (for each question), not once by the question's id.
        .join(answer, (answer.question_id == Post.id) & _visible(answer))
        .where(*_questions_where(scope), _between(Post.created_at, period.start_utc, period.end_utc))
        .group_by(Post.id, Post.created_at)
        .order_by(Post.created_at.desc())
        .limit(MEDIAN_SAMPLE)
    ).all()
    if not rows:
        return None
    return timedelta(seconds=statistics.median(max((answered - asked).total_seconds(), 0) for asked, answered in rows))


def unanswered_over_7_days(scope: Scope, as_of: datetime | None = None) -> int:
    """Questions of the scope older than 7 days at `as_of` (None: now) without a visible answer
    by then. Now, the kept answer_count says it (ix_posts_kind_unanswered); for a past moment,
    each question's answers are looked up (ix_posts_question)."""
    if as_of is None:
        unanswered, as_of = Post.answer_count == 0, utcnow()
    else:
        answer = aliased(Post)
        # Only answers have a question_id: no kind here, so SQLite looks them up by ix_posts_question.
        unanswered = ~sa.exists().where(answer.question_id == Post.id, _visible(answer), answer.created_at < as_of)
    return db.session.scalar(
        sa.select(sa.func.count()).where(*_questions_where(scope), Post.created_at < as_of - UNANSWERED_AFTER, unanswered)
    )


def _listable(viewer: User | None) -> sa.ColumnElement[bool]:
    """Which questions' titles the most-read list may show `viewer`: group-private ones only to
    their group's members (app/services/visibility.py); every total counts them all the same."""
    return visibility.readable_questions(viewer, Post)


def most_read(scope: Scope, period: Period, viewer: User | None = None, limit: int = MOST_READ) -> list[ReadRow]:
    """The scope's questions by their reads in the period. The whole site sums each question's
    reads first, then joins the posts (5× faster than joining every day's row at a year of
    reads); an organization or a tag starts from its questions."""
    in_period = (QuestionView.day >= period.start) & (QuestionView.day <= period.end)
    listed = [*_questions_where(scope, kind=False), _listable(viewer)]
    if scope.kind == "site":
        totals = (
            sa.select(QuestionView.question_id, sa.func.sum(QuestionView.views).label("views"))
            .where(in_period)
            .group_by(QuestionView.question_id)
            .subquery("totals")
        )
        query = sa.select(Post.id, Post.title, totals.c.views).join(totals, totals.c.question_id == Post.id).where(*listed)
        views = totals.c.views
    else:
        views = sa.func.sum(QuestionView.views).label("views")
        query = (
            sa.select(Post.id, Post.title, views)
            .join(QuestionView, QuestionView.question_id == Post.id)
            .where(in_period, *listed)
            .group_by(Post.id, Post.title)
        )
    rows = db.session.execute(query.order_by(views.desc(), Post.id.desc()).limit(limit)).all()
    return [ReadRow(question_id, title, int(count)) for question_id, title, count in rows]


def meetings(scope: Scope, period: Period) -> list[MeetingRow]:
    """Meetings held in the period (not cancelled) with their registered and attended counts;
    for an organization, its members' registrations only, and only meetings they registered for."""
    joined = (MeetingRegistration.meeting_id == Meeting.id) & (MeetingRegistration.status != "cancelled")
    if scope.organization is not None:
        joined &= MeetingRegistration.user_id.in_(_members(scope))
    registered = sa.func.count(MeetingRegistration.user_id)
    attended = sa.func.coalesce(sa.func.sum(sa.case((MeetingRegistration.status == "attended", 1), else_=0)), 0)
    query = (
        sa.select(Meeting.id, Meeting.title, Group.name, Group.slug, Meeting.starts_at, registered, attended)
        .join(Group, Group.id == Meeting.group_id)
        .outerjoin(MeetingRegistration, joined)
        .where(Meeting.cancelled_at.is_(None), _between(Meeting.starts_at, period.start_utc, period.end_utc))
        .group_by(Meeting.id, Meeting.title, Group.name, Group.slug, Meeting.starts_at)
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if scope.organization is not None:
        query = query.having(registered > 0)
    elif scope.tag is not None:
        linked = sa.exists().where(group_tags.c.group_id == Meeting.group_id, group_tags.c.tag_id == scope.tag.id)
        query = query.where(linked)  # EXISTS: an IN list would be walked again for the joined groups
    return [MeetingRow(*row[:6], int(row[6])) for row in db.session.execute(query)]


def buckets(period: Period) -> tuple[str, list[date]]:
    """("week", Mondays) for periods up to WEEKLY_UP_TO_DAYS, else ("month", first days); the
    first bucket starts on the period's first day."""
    if period.days <= WEEKLY_UP_TO_DAYS:
        unit, starts = "week", [period.start]
        monday = period.start - timedelta(days=period.start.weekday()) + timedelta(days=7)
        while monday <= period.end:
            starts.append(monday)
            monday += timedelta(days=7)
        return unit, starts
    starts, month = [period.start], period.start.replace(day=1)
    while True:
        month = (month + timedelta(days=32)).replace(day=1)
        if month > period.end:
            return "month", starts
        starts.append(month)


def trend(scope: Scope, period: Period) -> tuple[Trend, int]:
    """Questions, answers and active members per bucket, and the period's active members: a
    CASE over the buckets' bounds (portable: no date functions of either database), grouped in
    an outer query (a plain column, so PostgreSQL never compares two bound CASE expressions)."""
    unit, starts = buckets(period)
    starts = [day for day in starts if day <= today_jst()] or starts[:1]  # no empty weeks to come
    bounds = [_utc(day) for day in starts[1:]]

    def bucket(column) -> sa.ColumnElement[int]:
        if not bounds:  # one bucket: a CASE needs at least one WHEN
            return sa.literal(0)
        return sa.case(*[(column < bound, index) for index, bound in enumerate(bounds)], else_=len(bounds))

    series = []
    for where in (_questions_where(scope), _answers_where(scope)):
        window = _between(Post.created_at, period.start_utc, period.end_utc)
        posts = sa.select(bucket(Post.created_at).label("bucket")).where(*where, window).subquery()
        values = [0] * len(starts)
        for index, count in db.session.execute(sa.select(posts.c.bucket, sa.func.count()).group_by(posts.c.bucket)):
            values[int(index)] = int(count)
        series.append(values)
    # Who was active in which bucket, once each: the per-bucket counts and the period's total
    # (people active in several buckets count once) from one pass over the activity.
    activity = _activity(scope, period.start_utc, period.end_utc)
    pairs = db.session.execute(sa.select(bucket(activity.c.at), activity.c.author_id).distinct()).all()
    active = [0] * len(starts)
    for index, _author in pairs:
        active[int(index)] += 1
    return Trend(unit, starts, series[0], series[1], active), len({author for _, author in pairs})


# ---------------------------------------------------------------- presentation helpers


def format_duration(value: timedelta | None) -> str:
    """「3時間20分」, 「2日4時間」; 「—」 when there is nothing to measure."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d日%(hours)d時間", days=days, hours=hours)
    if hours:
        return _("%(hours)d時間%(minutes)d分", hours=hours, minutes=minutes)
    return _("%(minutes)d分", minutes=minutes)


def format_share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def bucket_label(unit: str, day: date) -> str:
    return _("%(month)d月%(day)d日〜", month=day.month, day=day.day) if unit == "week" else _("%(year)d年%(month)d月", year=day.year, month=day.month)


# ---------------------------------------------------------------- CSV


def table(result: Report, name: str) -> tuple[list[str], list[list]]:
    """(header, rows) of one of the page's TABLES, as shown."""
    if name == "summary":
        return [_("指標"), _("値")], [
            [_("アクティブなメンバー"), result.active_members],
            [_("質問数"), result.questions],
            [_("回答率"), format_share(result.answer_rate)],
            [_("最初の回答までの時間（中央値）"), format_duration(result.median_first_answer)],
            [_("解決済み（採用された回答あり）の割合"), format_share(result.accepted_share)],
            [_("7日以上回答のない質問"), result.unanswered_over_7_days],
            [_("情報交換会の参加登録"), result.registered],
            [_("情報交換会の出席"), result.attended],
        ]
    if name == "most_read":
        return [_("質問ID"), _("タイトル"), _("閲覧数")], [[row.question_id, row.title, row.views] for row in result.most_read]
    if name == "meetings":
        return [_("日時（日本時間）"), _("情報交換会"), _("グループ"), _("参加登録"), _("出席")], [
            [
                row.starts_at.replace(tzinfo=UTC).astimezone(JST).strftime("%Y-%m-%d %H:%M"),
                row.title,
                row.group_name,
                row.registered,
                row.attended,
            ]
            for row in result.meetings
        ]
    if name == "trend":
        data = result.trend
        return [_("期間"), _("質問"), _("回答"), _("アクティブなメンバー")], [
            [bucket_label(data.unit, day), *values]
            for day, *values in zip(data.starts, data.questions, data.answers, data.active_members, strict=True)
        ]
    raise NotFound(name)


def to_csv(header: list[str], rows: list[list]) -> bytes:
    """UTF-8 with a BOM (Excel then reads Japanese right), every field quoted as needed, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_filename(result: Report, name: str) -> tuple[str, str]:
    """(ASCII fallback, RFC 5987 `filename*` value) for Content-Disposition."""
    scope = result.scope
    code = scope.organization.code if scope.organization else f"tag{scope.tag.id}" if scope.tag else "site"
    period = f"{result.period.start:%Y%m%d}-{result.period.end:%Y%m%d}"
    ascii_name = f"zennin-analytics-{code}-{period}-{name}.csv"
    label = scope.label.replace("/", "_").replace("\\", "_")
    readable = f"zennin-analytics-{label}-{period}-{name}.csv"
    return ascii_name, "UTF-8''" + quote(readable, safe="")
