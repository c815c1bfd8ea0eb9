"""Exchange meetings (情報交換会, issue 17 part 3): create, register under a capacity, the online
link for registered members only, notes with the personal-information guard, questions raised
turned into linked Q&A posts, the archives and their search, and the reminder mail."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.database import write_transaction
from app.extensions import db
from app.models import MailMessage, Question, Tag, User, utcnow
from app.models.community import Group, GroupMembership, Meeting, MeetingRegistration
from app.services import meetings
from app.services.errors import NotFound, PermissionDenied, PersonalInformationFound, ValidationFailed
from tests.factories import make_user
from tests.test_flags import csrf_client, signed_in

JST = meetings.JST
URL = "https://meet.example.com/r/zennin-123"


def make_group(creator: User, slug: str = "saiken", name: str = "債権回収", policy: str = "open", tags: tuple[str, ...] = ("債権回収",)) -> Group:
    with write_transaction():
        group = Group(slug=slug, name=name, description="徴収の実務を話す会", join_policy=policy, created_by_id=creator.id)
        group.tags = [db.session.scalar(sa.select(Tag).where(Tag.name == tag)) or Tag(name=tag, display_name=tag) for tag in tags]
        db.session.add(group)
        db.session.flush()
        db.session.add(GroupMembership(group_id=group.id, user_id=creator.id, role="organizer", status="active"))
    return group


def join(group: Group, user: User, status: str = "active", role: str = "member") -> None:
    with write_transaction():
        db.session.add(GroupMembership(group_id=group.id, user_id=user.id, role=role, status=status))


def jst_input(moment: datetime, hours: int = 2, **fields) -> meetings.MeetingInput:
    local = moment.replace(tzinfo=UTC).astimezone(JST)
    end = local + timedelta(hours=hours)
    values = {
        "title": "債権回収 情報交換会（時効の援用）",
        "date": f"{local:%Y-%m-%d}",
        "start": f"{local:%H:%M}",
        "end": f"{end:%H:%M}",
        "agenda": "- 私債権の時効\n- 徴収停止の運用",
        "capacity": "",
        "online_url": URL,
    }
    values.update(fields)
    return meetings.MeetingInput(**values)


def next_week_at(hour: int) -> datetime:
    """A JST hour next week as naive UTC (hour early enough that the end stays on the same day)."""
    local = (datetime.now(UTC).astimezone(JST) + timedelta(days=7)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return local.astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def group(alice):
    return make_group(alice)


@pytest.fixture
def meeting(alice, group):
    return meetings.create_meeting(alice, group, jst_input(next_week_at(19)))


def move_to_past(meeting: Meeting, days: int = 3) -> None:
    with write_transaction():
        meeting.starts_at -= timedelta(days=days + 7)
        meeting.ends_at -= timedelta(days=days + 7)


# ---------------------------------------------------------------- service


def test_an_organizer_creates_a_meeting_typed_in_jst_with_full_width_digits(alice, group):
    start = next_week_at(19)
    local = start.replace(tzinfo=UTC).astimezone(JST)
    data = jst_input(start, date=f"{local:%Y/%m/%d}".translate(str.maketrans("0123456789", "０１２３４５６７８９")), start="１９：００", capacity="３０")
    meeting = meetings.create_meeting(alice, group, data)
    assert meeting.starts_at == start  # 19:00 JST is 10:00 UTC
    assert meeting.starts_at.hour == 10 and meeting.ends_at - meeting.starts_at == timedelta(hours=2)
    assert meeting.capacity == 30
    assert "<li>私債権の時効</li>" in meeting.agenda_html


def test_only_organizers_and_moderators_create_meetings(alice, bob, moderator, group):
    join(group, bob)  # a member, not an organizer
    with pytest.raises(PermissionDenied):
        meetings.create_meeting(bob, group, jst_input(next_week_at(19)))
    made = meetings.create_meeting(moderator, group, jst_input(next_week_at(19)))
    from app.models import AuditLog

    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "meeting_create"))
    assert row.target_id == made.id and row.actor_id == moderator.id


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"online_url": "javascript:alert(1)"}, "online_url", "http:// か https://"),
        ({"online_url": "ftp://example.com/x"}, "online_url", "http:// か https://"),
        ({"capacity": "0"}, "capacity", "定員は1〜"),
        ({"capacity": "たくさん"}, "capacity", "定員は1〜"),
        ({"date": "来週"}, "date", "2026-12-10"),
        ({"date": "2026-02-30"}, "date", "存在しない"),
        ({"start": "21:00", "end": "20:00"}, "end", "終了時刻"),
        ({"title": " "}, "title", "タイトル"),
    ],
)
def test_bad_input_is_refused_in_japanese(alice, group, fields, field, message):
    with pytest.raises(ValidationFailed) as failure:
        meetings.create_meeting(alice, group, jst_input(next_week_at(10), **fields))
    assert message in failure.value.errors[field]


def test_a_meeting_in_the_past_cannot_be_created(alice, group):
    with pytest.raises(ValidationFailed) as failure:
        meetings.create_meeting(alice, group, jst_input(next_week_at(10) - timedelta(days=9)))
    assert "これから開く会" in failure.value.errors["date"]


def test_registering_respects_the_capacity_and_cancelling_frees_a_place(alice, bob, carol, group):
    meeting = meetings.create_meeting(alice, group, jst_input(next_week_at(19), capacity="1"))
    meetings.register(bob, meeting)
    assert meetings.register(bob, meeting).status == "registered"  # twice: still one place
    with pytest.raises(ValidationFailed) as failure:
        meetings.register(carol, meeting)
    assert "定員に達した" in failure.value.errors["meeting"]
    meetings.cancel_registration(bob, meeting)
    assert meetings.registration_of(bob, meeting) is None
    meetings.register(carol, meeting)
    assert meetings.registered_count(meeting) == 1 and meetings.registrants(meeting) == [carol]


def test_an_approval_groups_meetings_are_for_its_members(alice, bob, carol):
    group = make_group(alice, slug="study", name="勉強会ｸﾞﾙｰﾌﾟ", policy="approval")
    meeting = meetings.create_meeting(alice, group, jst_input(next_week_at(19)))
    join(group, bob)
    join(group, carol, status="pending")
    meetings.register(bob, meeting)
    with pytest.raises(PermissionDenied):
        meetings.register(carol, meeting)


def test_a_cancelled_or_finished_meeting_takes_no_registrations(alice, bob, meeting):
    meetings.cancel_meeting(alice, meeting)
    with pytest.raises(ValidationFailed) as failure:
        meetings.register(bob, meeting)
    assert "中止" in failure.value.errors["meeting"]


def test_the_online_link_is_for_registered_members_and_organizers(alice, bob, carol, moderator, meeting):
    meetings.register(bob, meeting)
    assert meetings.may_see_link(bob, meeting) and meetings.may_see_link(alice, meeting) and meetings.may_see_link(moderator, meeting)
    assert not meetings.may_see_link(carol, meeting)
    meetings.cancel_registration(bob, meeting)
    assert not meetings.may_see_link(bob, meeting)


def test_notes_wait_for_the_meeting_and_pass_the_personal_information_guard(alice, bob, meeting):
    with pytest.raises(ValidationFailed):
        meetings.publish_notes(alice, meeting, "まだ始まっていません。")
    move_to_past(meeting)
    with pytest.raises(PermissionDenied):
        meetings.publish_notes(bob, meeting, "メンバーは公開できません。")
    with pytest.raises(PersonalInformationFound) as found:
        meetings.publish_notes(alice, meeting, "滞納者の連絡先は 090-1234-5678 です。")
    assert "phone" in found.value.held_categories and meeting.notes is None
    meetings.publish_notes(alice, meeting, "庁舎の代表は 045-671-2121 です。", confirmed_categories=["phone"])
    assert meeting.notes_published_at is not None and "045-671-2121" in meeting.notes_html


def test_questions_raised_are_kept_with_the_notes_and_become_linked_posts(alice, bob, meeting):
    move_to_past(meeting)
    meetings.publish_notes(alice, meeting, "## 要点\n\n徴収停止の運用を比べました🙂", "援用がない私債権の整理は？\n・ 分納誓約の期間は何年まで？\n\n援用がない私債権の整理は？")
    body, raised = meetings.split_notes(meeting.notes)
    assert body == "## 要点\n\n徴収停止の運用を比べました🙂"
    assert raised == ["援用がない私債権の整理は？", "分納誓約の期間は何年まで？"]  # duplicates once, bullets removed
    assert "挙がった質問" not in meeting.notes_html and "徴収停止の運用" in meeting.notes_html  # the page lists them apart
    prefill = meetings.ask_prefill(meeting, raised[1])
    assert prefill["title"] == "分納誓約の期間は何年まで？" and prefill["tags"] == "債権回収"
    assert "「債権回収 情報交換会（時効の援用）」（債権回収）で挙がった質問です" in prefill["body"] and "> 分納誓約" in prefill["body"]
    from app.services import questions

    question = questions.ask_question(bob, questions.QuestionInput(prefill["title"], prefill["body"], prefill["tags"], meeting_id=meeting.id))
    assert question.meeting_id == meeting.id and question.group_id == meeting.group_id and question.visibility == "members"
    assert meetings.linked_questions(meeting) == [question]
    assert [item.question for item in meetings.raised_questions(meeting)] == [None, question]
    # Correcting the notes later keeps the section in one place.
    meetings.publish_notes(alice, meeting, body + "\n\n## 次回\n\n来月。", "\n".join(raised))
    assert meetings.split_notes(meeting.notes) == (body + "\n\n## 次回\n\n来月。", raised)


def test_search_finds_notes_agendas_and_titles_by_every_word(alice, group, meeting):
    other = meetings.create_meeting(alice, group, jst_input(next_week_at(10), title="ワクチン接種 予約ｼｽﾃﾑ比較", agenda=""))
    move_to_past(meeting)
    meetings.publish_notes(alice, meeting, "コールセンターの委託と予約システムの比較をしました。")
    assert meetings.search_meetings("予約システム") == [other, meeting]  # latest first; ｼｽﾃﾑ matches システム
    assert meetings.search_meetings("予約システム コールセンター") == [meeting]
    assert meetings.search_meetings("ＤＸ推進") == []
    assert meetings.search_meetings("ｺｰﾙｾﾝﾀｰ") == [meeting]
    assert "予約システム" in meetings.snippet(meeting, "予約システム")


def test_archive_splits_upcoming_and_past(alice, group, meeting):
    past = meetings.create_meeting(alice, group, jst_input(next_week_at(10), title="前回の会"))
    move_to_past(past)
    archive = meetings.group_archive(group)
    assert archive.upcoming == [meeting] and archive.past == [past]


# ---------------------------------------------------------------- .ics


def test_meeting_ics_is_rfc5545_with_tokyo_time_and_folded_japanese(app, alice, group):
    title = "ワクチン接種 情報交換会：予約システム, 住民への通知; 基礎疾患のある方の優先順位について話し合う会"
    meeting = meetings.create_meeting(alice, group, jst_input(next_week_at(19), title=title, agenda="1. 予約\\n の比較\n2. 通知"))
    text = meetings.meeting_ics(meeting)
    raw = text.encode("utf-8")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # never split inside a character
    unfolded = text.replace("\r\n ", "").split("\r\n")[:-1]
    local = meeting.starts_at.replace(tzinfo=UTC).astimezone(JST)
    assert f"DTSTART;TZID=Asia/Tokyo:{local:%Y%m%d}T190000" in unfolded
    assert f"DTEND;TZID=Asia/Tokyo:{local:%Y%m%d}T210000" in unfolded
    assert "SUMMARY:ワクチン接種 情報交換会：予約システム\\, 住民への通知\\; 基礎疾患のある方の優先順位について話し合う会（債権回収）" in unfolded
    description = next(line for line in unfolded if line.startswith("DESCRIPTION:"))
    assert "予約\\\\n の比較\\n通知" in description
    assert f"UID:meeting-{meeting.id}@" in text and "STATUS:CONFIRMED" in unfolded and "SEQUENCE:0" in unfolded
    assert re.search(r"^DTSTAMP:\d{8}T\d{6}Z$", "\n".join(unfolded), re.M)
    zone = unfolded[unfolded.index("BEGIN:VTIMEZONE") : unfolded.index("END:VTIMEZONE") + 1]
    assert "TZID:Asia/Tokyo" in zone and "TZOFFSETFROM:+0900" in zone and "TZOFFSETTO:+0900" in zone and "BEGIN:STANDARD" in zone
    assert unfolded[0] == "BEGIN:VCALENDAR" and unfolded[-1] == "END:VCALENDAR" and "VERSION:2.0" in unfolded
    uid = next(line for line in unfolded if line.startswith("UID:"))
    meetings.cancel_meeting(alice, meeting)
    cancelled = meetings.meeting_ics(meeting).replace("\r\n ", "").split("\r\n")
    assert "STATUS:CANCELLED" in cancelled and "SEQUENCE:1" in cancelled and uid in cancelled


def test_folding_counts_octets_not_characters():
    from app.services import ics

    line = "SUMMARY:" + "情" * 40  # 8 + 120 octets
    folded = ics.fold(line).encode("utf-8").split(b"\r\n")
    assert [len(part) for part in folded] == [74, 55]  # 8 + 22×3 = 74: a 23rd character would make 77
    assert folded[1].startswith(b" ") and ics.fold(line).replace("\r\n ", "") == line
    assert ics.escape_text("a,b;c\\d\r\ne") == "a\\,b\\;c\\\\d\\ne"


# ---------------------------------------------------------------- reminders


def _tomorrow_evening() -> tuple[datetime, datetime]:
    """(a meeting start tomorrow 19:00 JST, the run time today 09:00 JST), naive UTC."""
    today = datetime.now(UTC).astimezone(JST).replace(hour=9, minute=0, second=0, microsecond=0)
    start = (today + timedelta(days=1)).replace(hour=19)
    return start.astimezone(UTC).replace(tzinfo=None), today.astimezone(UTC).replace(tzinfo=None)


def _reminders() -> list[MailMessage]:
    return list(db.session.scalars(sa.select(MailMessage).where(MailMessage.subject.like("%明日%")).order_by(MailMessage.id)))


def test_reminders_go_once_to_registered_members_the_day_before(alice, bob, carol, group):
    start, run_at = _tomorrow_evening()
    meeting = meetings.create_meeting(alice, group, jst_input(next_week_at(19), title="債権回収 ｵﾝﾗｲﾝ情報交換会"))
    with write_transaction():
        meeting.starts_at, meeting.ends_at = start, start + timedelta(hours=2)
    meetings.register(bob, meeting)
    meetings.register(carol, meeting)
    meetings.cancel_registration(carol, meeting)
    assert meetings.send_reminders(run_at - timedelta(days=1)) == 0  # two days before: not yet
    assert meetings.send_reminders(run_at.replace(hour=21) - timedelta(days=1)) == 0
    assert meetings.send_reminders(run_at) == 1
    assert meetings.send_reminders(run_at) == 0  # never twice
    assert meetings.send_reminders(run_at + timedelta(hours=3)) == 0
    [mail] = _reminders()
    local = start.replace(tzinfo=UTC).astimezone(JST)
    assert mail.recipient == bob.email
    assert mail.subject == f"【明日】情報交換会「債権回収 ｵﾝﾗｲﾝ情報交換会」{local:%Y/%m/%d} 19:00〜21:00"
    assert URL in mail.body and f"/groups/saiken/meetings/{meeting.id}.ics" in mail.body and "日本時間" in mail.body
    assert db.session.get(MeetingRegistration, (meeting.id, bob.id)).reminded_at == run_at
    meetings.cancel_registration(bob, meeting)
    meetings.register(bob, meeting)
    assert meetings.send_reminders(run_at) == 0  # cancelling and registering again: still once
    with write_transaction():
        dave = make_user(name="ﾃﾞｲﾌﾞ")
        dave.notify_by_email = False  # e-mail off (the demo people): no reminder
    meetings.register(dave, meeting)
    assert meetings.send_reminders(run_at) == 0


def test_the_group_section_for_the_group_page(app, alice, group, meeting):
    from flask import render_template_string

    past = meetings.create_meeting(alice, group, jst_input(next_week_at(10), title="第１回 情報交換会"))
    move_to_past(past)
    with app.test_request_context():
        html = render_template_string('{% include "meetings/_group_section.html" %}', group=group)
    assert html.index(f"/groups/saiken/meetings/{meeting.id}") < html.index("過去の会") < html.index(f"/groups/saiken/meetings/{past.id}")
    assert "/groups/saiken/meetings.ics" in html
    empty = make_group(alice, slug="sdgs", name="SDGs", tags=("SDGs",))
    with app.test_request_context():
        assert "このグループの情報交換会はまだありません" in render_template_string('{% include "meetings/_group_section.html" %}', group=empty)


def test_an_archived_group_takes_no_new_meetings(alice, group):
    with write_transaction():
        group.archived_at = utcnow()
    with pytest.raises(ValidationFailed) as failure:
        meetings.create_meeting(alice, group, jst_input(next_week_at(19)))
    assert "アーカイブ" in failure.value.errors["group"]


def test_a_cancelled_meeting_sends_no_reminder(alice, bob, group):
    start, run_at = _tomorrow_evening()
    meeting = meetings.create_meeting(alice, group, jst_input(next_week_at(19)))
    meetings.register(bob, meeting)
    with write_transaction():
        meeting.starts_at, meeting.ends_at = start, start + timedelta(hours=2)
    meetings.cancel_meeting(alice, meeting)
    assert meetings.send_reminders(run_at) == 0


def test_the_reminders_command_runs_twice_without_sending_twice(app, alice, bob, group):
    start, run_at = _tomorrow_evening()
    meeting = meetings.create_meeting(alice, group, jst_input(next_week_at(19)))
    with write_transaction():
        meeting.starts_at, meeting.ends_at = start, start + timedelta(hours=2)
    meetings.register(bob, meeting)
    runner = app.test_cli_runner()
    now = run_at.replace(tzinfo=UTC).isoformat()
    assert "queued 1 meeting reminders" in runner.invoke(args=["mail", "reminders", "--now", now]).output
    assert "queued 0 meeting reminders" in runner.invoke(args=["mail", "reminders", "--now", now]).output
    assert len(_reminders()) == 1
    assert runner.invoke(args=["mail", "reminders", "--now", "来週"]).exit_code != 0


def test_concurrent_reminder_runs_send_each_once(app, alice, group):
    import multiprocessing

    start, run_at = _tomorrow_evening()
    meeting = meetings.create_meeting(alice, group, jst_input(next_week_at(19)))
    with write_transaction():
        meeting.starts_at, meeting.ends_at = start, start + timedelta(hours=2)
    for _ in range(6):
        meetings.register(make_user(), meeting)
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        counts = pool.starmap(_remind_in_subprocess, [(app.config["SQLALCHEMY_DATABASE_URI"], run_at)] * 2)
    db.session.rollback()
    assert sum(counts) == 6 and len(_reminders()) == 6


def _remind_in_subprocess(database_uri: str, now: datetime) -> int:
    from app import create_app
    from config import TestingConfig

    app = create_app(type("SubprocessConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_uri}))
    with app.app_context():
        return meetings.send_reminders(now)


def test_concurrent_registrations_never_exceed_the_capacity(app, alice, group):
    import multiprocessing

    meeting = meetings.create_meeting(alice, group, jst_input(next_week_at(19), capacity="2"))
    people = [make_user().id for _ in range(5)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.starmap(_register_in_subprocess, [(app.config["SQLALCHEMY_DATABASE_URI"], uid, meeting.id) for uid in people])
    db.session.rollback()
    assert sorted(results) == [False, False, False, True, True]
    assert meetings.registered_count(db.session.get(Meeting, meeting.id)) == 2


def _register_in_subprocess(database_uri: str, user_id: int, meeting_id: int) -> bool:
    from app import create_app
    from config import TestingConfig

    app = create_app(type("SubprocessConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_uri}))
    with app.app_context():
        try:
            meetings.register(db.session.get(User, user_id), db.session.get(Meeting, meeting_id))
        except ValidationFailed:
            return False
        return True


# ---------------------------------------------------------------- pages


def test_group_archive_site_archive_and_empty_states(app, alice, group):
    client = signed_in(app, alice)
    page = client.get("/meetings").get_data(as_text=True)
    assert "まだ情報交換会はありません" in page and 'href="/meetings"' in page  # the menu links here
    page = client.get("/groups/saiken/meetings").get_data(as_text=True)
    assert "予定されている会はありません" in page and "/groups/saiken/meetings/new" in page
    assert client.get("/groups/nai/meetings").status_code == 404
    meeting = meetings.create_meeting(alice, group, jst_input(next_week_at(19)))
    page = client.get("/meetings?q=時効").get_data(as_text=True)
    assert f"/groups/saiken/meetings/{meeting.id}" in page
    assert "一致する情報交換会はありません" in client.get("/meetings?q=🙂").get_data(as_text=True)


def test_meeting_page_shows_the_link_only_after_registering(app, alice, bob, meeting):
    client = signed_in(app, bob)
    url = f"/groups/saiken/meetings/{meeting.id}"
    page = client.get(url).get_data(as_text=True)
    assert URL not in page and "参加登録した人に表示されます" in page
    local = meeting.starts_at.replace(tzinfo=UTC).astimezone(JST)
    assert f"{local:%Y/%m/%d}" in page and "19:00" in page and "21:00" in page  # shown in JST
    assert "この会にひも付いたQ&Aはまだありません" in page
    response = client.post(f"{url}/registration", data={"action": "register"})
    assert response.status_code == 302
    assert URL in client.get(url).get_data(as_text=True)
    client.post(f"{url}/registration", data={"action": "cancel"})
    assert URL not in client.get(url).get_data(as_text=True)
    assert client.get(f"/groups/saiken/meetings/{meeting.id + 1}").status_code == 404
    other = make_group(alice, slug="zaisei", name="財政", tags=("財政",))
    assert client.get(f"/groups/{other.slug}/meetings/{meeting.id}").status_code == 404


def test_organizer_forms_are_refused_to_others_in_japanese(app, alice, bob, meeting):
    client = signed_in(app, bob)
    for url in ("/groups/saiken/meetings/new", f"/groups/saiken/meetings/{meeting.id}/notes"):
        response = client.get(url)
        assert response.status_code == 403 and "権限" in response.get_data(as_text=True)
    assert client.post(f"/groups/saiken/meetings/{meeting.id}/cancel").status_code == 403
    assert meeting.cancelled_at is None


def test_creating_through_the_form(app, alice, group):
    client = signed_in(app, alice)
    start = next_week_at(19)
    local = start.replace(tzinfo=UTC).astimezone(JST)
    form = {"title": "債権回収 情報交換会 第１回", "date": f"{local:%Y-%m-%d}", "start": "19:00", "end": "20:30", "capacity": "２０", "online_url": URL, "agenda": "分納の運用"}
    response = client.post("/groups/saiken/meetings/new", data={**form, "online_url": "javascript:alert(1)"})
    assert response.status_code == 422 and "http:// か https://" in response.get_data(as_text=True)
    response = client.post("/groups/saiken/meetings/new", data=form)
    meeting = db.session.scalar(sa.select(Meeting))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/groups/saiken/meetings/{meeting.id}")
    assert meeting.starts_at == start and meeting.capacity == 20


def test_forms_need_a_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        organizer, member = make_user(), make_user()
        group = make_group(organizer)
        meeting = meetings.create_meeting(organizer, group, jst_input(next_week_at(19)))
        client, token = csrf_client(app, member)
        url = f"/groups/saiken/meetings/{meeting.id}/registration"
        assert client.post(url, data={"action": "register"}).status_code == 400
        assert meetings.registration_of(member, meeting) is None
        assert client.post(url, data={"action": "register", "csrf_token": token}).status_code == 302
        assert meetings.registration_of(member, meeting) is not None
        db.session.remove()


def test_cancelled_meetings_say_so(app, alice, bob, meeting):
    signed_in(app, alice).post(f"/groups/saiken/meetings/{meeting.id}/cancel")
    page = signed_in(app, bob).get(f"/groups/saiken/meetings/{meeting.id}").get_data(as_text=True)
    assert "この会は中止になりました" in page and "参加登録する" not in page
    assert "中止" in signed_in(app, bob).get("/meetings").get_data(as_text=True)


def test_ics_routes(app, alice, bob, meeting):
    client = signed_in(app, bob)
    response = client.get(f"/groups/saiken/meetings/{meeting.id}.ics")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "DTSTART;TZID=Asia/Tokyo:" in response.get_data(as_text=True)
    assert URL not in response.get_data(as_text=True)  # the online link is never in a file anyone may pass on
    calendar = client.get("/groups/saiken/meetings.ics")
    assert calendar.status_code == 200 and calendar.get_data(as_text=True).count("BEGIN:VEVENT") == 1
    assert client.get(f"/groups/saiken/meetings/{meeting.id + 1}.ics").status_code == 404
    assert app.test_client().get(f"/groups/saiken/meetings/{meeting.id}.ics").status_code in (302, 401, 403)  # members-only site


def test_notes_form_raised_questions_and_the_prefilled_ask_form(app, alice, bob, meeting):
    move_to_past(meeting)
    organizer = signed_in(app, alice)
    url = f"/groups/saiken/meetings/{meeting.id}"
    response = organizer.post(f"{url}/notes", data={"notes": "担当は 090-1234-5678 まで", "raised": ""})
    assert response.status_code == 422 and "個人情報の可能性" in response.get_data(as_text=True)
    response = organizer.post(f"{url}/notes", data={"notes": "分納誓約の運用を各市で比較しました。", "raised": "分納誓約の期間は何年まで？\n少額の私債権は放棄してよい？"})
    assert response.status_code == 302
    member = signed_in(app, bob)
    page = member.get(url).get_data(as_text=True)
    assert "分納誓約の運用を各市で比較しました" in page and f"/questions/ask?meeting={meeting.id}&amp;raised=2" in page
    ask = member.get(f"/questions/ask?meeting={meeting.id}&raised=2").get_data(as_text=True)
    assert 'value="少額の私債権は放棄してよい？"' in ask and f'name="meeting" type="hidden" value="{meeting.id}"' in ask
    assert "で挙がった質問です" in ask and 'value="債権回収"' in ask
    assert member.get("/questions/ask?meeting=999999").status_code == 404
    response = member.post(
        "/questions/ask",
        data={"title": "少額の私債権は放棄してよい？", "body": "情報交換会で挙がった質問です。少額の私債権の放棄の基準は？", "tags": "債権回収", "meeting": str(meeting.id)},
    )
    assert response.status_code == 302
    question = db.session.scalar(sa.select(Question).where(Question.meeting_id == meeting.id))
    assert question.group_id == meeting.group_id and question.visibility == "members"
    page = member.get(url).get_data(as_text=True)
    assert "少額の私債権は放棄してよい？" in page and "Q&Aを読む" in page


def test_unknown_meeting_in_a_question_is_a_form_error(alice):
    from app.services import questions

    with pytest.raises(ValidationFailed) as failure:
        questions.ask_question(alice, questions.QuestionInput("情報交換会の質問です", "会で挙がった質問を投稿します。", "債権回収", meeting_id=424242))
    assert "情報交換会が見つかりません" in failure.value.errors["meeting"]


def test_get_meeting_checks_the_group(alice, group, meeting):
    other = make_group(alice, slug="vaccine", name="ワクチン接種", tags=("ワクチン接種",))
    with pytest.raises(NotFound):
        meetings.get_meeting(other, meeting.id)
    assert meetings.get_meeting(group, meeting.id) is meeting


def test_the_site_search_shows_meeting_notes_beside_the_questions(app, alice, bob, meeting):
    from tests.factories import make_question

    move_to_past(meeting)
    meetings.publish_notes(alice, meeting, "コールセンターの委託と予約システムの比較をしました。")
    question = make_question(bob, title="予約システムの更新時期について", body="予約システムの契約更新の時期をどう決めていますか。", tags="債権回収")
    client = signed_in(app, bob)
    page = client.get("/search?q=予約システム").get_data(as_text=True)
    label = page.index("search-meetings-heading")
    assert label < page.index(f"/questions/{question.id}/")  # the labelled block comes first
    assert f"/groups/saiken/meetings/{meeting.id}" in page and "コールセンターの委託" in page
    assert meetings.site_search("[債権回収] ｺｰﾙｾﾝﾀｰ") == [meeting]  # filters are for questions
    assert meetings.site_search("[債権回収]") == []
    page = client.get("/search?q=住民税").get_data(as_text=True)
    assert "search-meetings-heading" not in page


def test_the_meeting_page_and_reminder_in_english(app, alice, bob, meeting, compiled_catalog):
    client = signed_in(app, bob)
    client.set_cookie("zennin_lang", "en")
    page = client.get(f"/groups/saiken/meetings/{meeting.id}").get_data(as_text=True)
    assert "Register" in page and "(Japan time)" in page and "Shown to registered members." in page
    assert "参加登録する" not in page
    with write_transaction():
        bob.locale = "en"
    subject, body = meetings.compose_reminder(bob, meeting)
    assert subject.startswith("[Tomorrow] Exchange meeting") and "(Japan time)" in body
