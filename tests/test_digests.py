"""E-mail digests (issue 15, part 3): JST periods, what is due, content, exactly once even after a
crash, retries, signed one-click unsubscribe, and the message itself (both parts, headers, subject)."""

import email
import email.policy
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import DigestRun, MailMessage, Notification, QuestionFollow, TagWatch, utcnow
from app.services import digests, notification_settings, questions, unsubscribe
from tests.factories import login, make_answer, make_question, make_user
from tests.people_factories import add_post


def _mails(outbox, to: str | None = None) -> list[email.message.EmailMessage]:
    found = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(outbox.glob("*.eml"))]
    return [m for m in found if to is None or m["To"] == to]


def _due_now() -> datetime:
    """07:00 JST after the JST day that contains this moment: today's content is due then."""
    return digests.period_containing("daily", utcnow()).end + timedelta(hours=7)


def _run(app, when: datetime):
    result = app.test_cli_runner().invoke(args=["mail", "digest", "--now", when.isoformat() + "+00:00"])
    assert result.exit_code == 0, result.output
    return result.output


def _subscriber(frequency: str = "daily", tags: str = "債権回収"):
    person = make_user()
    person.routing_opt_in = False  # no routed-question mail in these outboxes
    db.session.commit()
    add_post(person, "財政局 債権回収課", tags=tags, started=48, ended=12)  # a former post counts
    notification_settings.update(person, digest=frequency)
    return person


# ---------------------------------------------------------------- periods


def test_daily_periods_are_jst_days_due_at_seven():
    with_late_utc = digests.period_containing("daily", datetime(2026, 12, 6, 23, 30))  # 12-07 08:30 JST
    assert with_late_utc.start == datetime(2026, 12, 6, 15, 0) and with_late_utc.end == datetime(2026, 12, 7, 15, 0)


@pytest.mark.parametrize(
    ("now", "frequency", "start"),
    [
        (datetime(2026, 12, 6, 23, 30), "daily", datetime(2026, 12, 5, 15, 0)),  # 12-07 08:30 JST: 12-06 is due
        (datetime(2026, 12, 6, 21, 59), "daily", datetime(2026, 12, 4, 15, 0)),  # 12-07 06:59 JST: not yet
        (datetime(2026, 12, 6, 22, 0), "daily", datetime(2026, 12, 5, 15, 0)),  # 07:00 JST sharp
        (datetime(2026, 12, 6, 23, 30), "weekly", datetime(2026, 11, 29, 15, 0)),  # Monday 12-07: week of 11-30
        (datetime(2026, 12, 6, 21, 0), "weekly", datetime(2026, 11, 22, 15, 0)),  # Monday 06:00 JST: the week before
        (datetime(2026, 12, 10, 3, 0), "weekly", datetime(2026, 11, 29, 15, 0)),  # Thursday: still last week's
    ],
)
def test_the_due_period(app, now, frequency, start):
    period = digests.due_period(frequency, now)
    assert period.start == start
    assert period.end - period.start == timedelta(days=1 if frequency == "daily" else 7)


def test_japanese_subjects(app):
    daily = digests.due_period("daily", datetime(2026, 12, 6, 23, 30))
    weekly = digests.due_period("weekly", datetime(2026, 12, 6, 23, 30))
    assert digests.subject(daily) == "Zennin ダイジェスト（12月6日）"
    assert digests.subject(weekly) == "Zennin 週間ダイジェスト（11月30日〜12月6日）"


def test_a_digest_is_written_in_the_members_language(app, alice):
    person = _subscriber()
    person.locale = "en"
    db.session.commit()
    make_question(alice, title="滞納繰越分の時効管理はどうしていますか", tags="債権回収")
    period = digests.due_period("daily", datetime(2026, 12, 6, 23, 30))
    title, body, html = digests.compose(person, period, digests.build(person, digests.period_containing("daily", utcnow()))[0])
    assert title == "Zennin digest (12/6)"
    assert "New questions in your areas" in body and "New questions in your areas" in html


# ---------------------------------------------------------------- content


def test_content_areas_unanswered_followed_answers_and_digest_notifications(app, alice, bob):
    person = _subscriber()
    db.session.add(TagWatch(user_id=person.id, tag_id=make_question(alice, title="児童手当の現況届はまだ必要ですか", tags="児童手当").tags[0].id))
    db.session.commit()
    in_career = make_question(alice, title="滞納繰越分の時効管理はどうしていますか", tags="債権回収")
    own = make_question(person, title="自分で聞いた債権回収の質問です", tags="債権回収")
    hidden = make_question(alice, title="削除される債権回収の質問です", tags="債権回収")
    questions.delete_question(alice, hidden)
    old = make_question(bob, title="以前からある未回答の債権回収の質問", tags="債権回収")
    followed = make_question(bob, title="フォローしている住民税の質問です", tags="住民税")
    db.session.add(QuestionFollow(user_id=person.id, question_id=followed.id))
    db.session.commit()
    make_answer(alice, followed)
    make_answer(bob, own)
    notification_settings.update(person, notification_channels={"answer": "digest"})
    make_answer(alice, own, body="別の答えとして、分納誓約で時効を中断する方法もあります。")

    period = digests.period_containing("daily", utcnow())
    old_created = period.start - timedelta(days=3)
    db.session.execute(sa.update(questions.Question).where(questions.Question.id == old.id).values(created_at=old_created))
    db.session.commit()
    digest, carried = digests.build(person, period)
    assert {q.title for q in digest.new_questions} == {in_career.title, "児童手当の現況届はまだ必要ですか"}
    assert [q.title for q in digest.unanswered] == [old.title]
    assert {(q.title, q.answers) for q in digest.new_answers} == {(followed.title, 1), (own.title, 2)}
    assert len(digest.notifications) == 1 and len(carried) == 1  # the answer chosen for the digest
    assert digest.notifications[0].reason == "あなたの質問のため"


def test_ignored_tags_are_left_out(app, alice):
    person = _subscriber()
    tag = make_question(alice, title="滞納繰越分の時効管理はどうしていますか", tags="債権回収").tags[0]
    db.session.add(TagWatch(user_id=person.id, tag_id=tag.id, kind="ignore"))
    db.session.commit()
    digest, _carried = digests.build(person, digests.period_containing("daily", utcnow()))
    assert digest.new_questions == []


# ---------------------------------------------------------------- sending, exactly once


def test_a_digest_is_sent_once_per_period(app, alice, outbox):
    person = _subscriber()
    make_question(alice, title="滞納繰越分の時効管理はどうしていますか", tags="債権回収")
    output = _run(app, _due_now())
    assert "queued 1 digests" in output
    [mail] = _mails(outbox, person.email)
    _run(app, _due_now() + timedelta(hours=3))
    assert len(_mails(outbox, person.email)) == 1
    [run] = db.session.scalars(sa.select(DigestRun).where(DigestRun.user_id == person.id))
    assert run.item_count == 1 and run.mail_message_id is not None
    # The next day is a period of its own: the question, still unanswered, is listed as such.
    _run(app, _due_now() + timedelta(days=1))
    first, second = _mails(outbox, person.email)
    assert "回答を待っている質問" in second.get_body(("plain",)).get_content()
    assert "回答を待っている質問" not in first.get_body(("plain",)).get_content()


def test_an_empty_digest_is_recorded_but_not_mailed(app, outbox):
    person = _subscriber()
    assert "queued 0 digests, 1 empty" in _run(app, _due_now())
    assert _mails(outbox, person.email) == []
    [run] = db.session.scalars(sa.select(DigestRun).where(DigestRun.user_id == person.id))
    assert run.item_count == 0 and run.mail_message_id is None
    assert "queued 0 digests, 0 empty" in _run(app, _due_now())


def test_a_run_killed_midway_then_run_again_sends_each_once(app, alice, outbox, monkeypatch):
    people = [_subscriber() for _ in range(3)]
    make_question(alice, title="滞納繰越分の時効管理はどうしていますか", tags="債権回収")
    real_build = digests.build

    def crash_on_second(user, period):
        if user.id == people[1].id:
            raise KeyboardInterrupt  # the process is killed while working on the second member
        return real_build(user, period)

    monkeypatch.setattr(digests, "build", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        digests.send_due(_due_now())
    assert [len(_mails(outbox, p.email)) for p in people] == [1, 0, 0]
    monkeypatch.setattr(digests, "build", real_build)
    db.session.rollback()
    _run(app, _due_now())
    _run(app, _due_now())
    assert [len(_mails(outbox, p.email)) for p in people] == [1, 1, 1]


def test_two_runs_racing_for_a_member_send_one(app, alice, outbox):
    person = _subscriber()
    make_question(alice, title="滞納繰越分の時効管理はどうしていますか", tags="債権回収")
    period = digests.due_period("daily", _due_now())
    assert digests.send_one(person, period) is not None
    assert digests.send_one(person, period) is None  # the unique row refuses the second claim
    assert len(_mails(outbox, person.email)) == 1


def test_a_failed_send_is_retried_not_rebuilt(app, alice, tmp_path):
    person = _subscriber()
    make_question(alice, title="滞納繰越分の時効管理はどうしていますか", tags="債権回収")
    blocked = tmp_path / "outbox-is-a-file"
    blocked.write_text("")
    app.config["MAIL_OUTBOX_DIR"] = str(blocked)
    _run(app, _due_now())
    [message] = db.session.scalars(sa.select(MailMessage).where(MailMessage.recipient == person.email))
    assert message.sent_at is None
    _run(app, _due_now())  # the period is recorded: no second message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MailMessage).where(MailMessage.recipient == person.email)) == 1
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox-now")
    db.session.execute(sa.update(MailMessage).values(next_attempt_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["mail", "send"]).exit_code == 0
    assert len(_mails(tmp_path / "outbox-now", person.email)) == 1


def test_digest_notifications_are_marked_and_not_repeated(app, alice, bob, outbox):
    notification_settings.update(alice, digest="daily", notification_channels={"answer": "digest"})
    question = make_question(alice)
    make_answer(bob, question)
    _run(app, _due_now())
    [notice] = db.session.scalars(sa.select(Notification).where(Notification.user_id == alice.id))
    assert notice.digested_at is not None
    period = digests.period_containing("daily", utcnow() + timedelta(days=1))
    digest, carried = digests.build(alice, period)
    assert digest.notifications == [] and carried == []


# ---------------------------------------------------------------- the message


def test_the_message_has_both_parts_headers_and_an_encoded_japanese_subject(app, outbox):
    person = _subscriber()
    author = make_user()
    make_question(author, title="<script>alert(1)</script> 滞納整理の進め方", tags="債権回収")
    _run(app, _due_now())
    [path] = [p for p in outbox.glob("*.eml") if person.email in p.read_text(errors="replace")]
    raw = path.read_bytes()
    assert b"=?utf-8?" in raw.split(b"\n\n", 1)[0].lower()  # RFC 2047 in the headers
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    period = digests.due_period("daily", _due_now())
    assert mail["Subject"] == f"Zennin ダイジェスト（{period.local_start.month}月{period.local_start.day}日）"
    assert {part.get_content_type() for part in mail.iter_parts()} == {"text/plain", "text/html"}
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<script>alert(1)</script> 滞納整理の進め方" in text
    link = unsubscribe.link(person, "digest")
    assert mail["List-Unsubscribe"] == f"<{link}>" and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text and link in html


# ---------------------------------------------------------------- unsubscribe


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_unsubscribe_confirms_then_applies_without_login(app, client):
    person = _subscriber()
    path = _path(unsubscribe.link(person, "digest"))
    page = client.get(path)
    assert page.status_code == 200 and "配信を停止する" in page.get_data(as_text=True)
    db.session.expire_all()
    assert person.digest_frequency == "daily"  # GET only asks
    assert client.post(path).status_code == 200
    db.session.expire_all()
    assert person.digest_frequency == "off"


def test_one_click_post_needs_no_csrf_token_but_a_valid_signature(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        person = make_user()
        notification_settings.update(person, digest="weekly")
        good = _path(unsubscribe.link(person, "notifications"))
        user_id, list_name, signature = good.rsplit("/", 1)[1].split(".")
        other = make_user()
        client = app.test_client()
        tampered = [
            good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
            good.replace(f"/{user_id}.", f"/{other.id}."),  # someone else with this signature
            good.replace(".notifications.", ".digest."),  # another list with this signature
            "/unsubscribe/garbage",
        ]
        for path in tampered:
            assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 403, path
            assert client.get(path).status_code == 403, path
        assert notification_settings.channels(person)["answer"] == "email"
        response = client.post(good, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        db.session.expire_all()
        channels = notification_settings.channels(person)
        assert channels["answer"] == "app" and channels["moderation"] == "app"
        assert person.digest_frequency == "weekly"  # only the list named


def test_unsubscribe_link_in_a_notification_mail_stops_them(app, client, alice, bob, outbox):
    make_answer(bob, make_question(alice))
    [mail] = _mails(outbox, alice.email)
    link = mail["List-Unsubscribe"].strip("<>")
    assert client.post(_path(link)).status_code == 200
    make_answer(make_user(), questions.get_question(alice, mail_question_id(mail)), body="当市では翌月から普通徴収に切り替えています。")
    assert len(_mails(outbox, alice.email)) == 1


def mail_question_id(mail) -> int:
    return int(re.search(r"/questions/(\d+)", mail.get_body(("plain",)).get_content()).group(1))


def test_settings_link_works_after_login(app, client, alice):
    login(client, alice)
    assert "id=\"notifications\"" in client.get("/settings").get_data(as_text=True)
