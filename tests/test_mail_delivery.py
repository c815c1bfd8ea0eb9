"""E-mail exactly once (issue 19, part 2): a real SMTP server on loopback that fails mid-batch, a
SQLite database held locked by another connection, two senders at once, a sender that dies between
claiming and marking; every message must arrive exactly once, counted by Message-ID at the server."""

import sqlite3
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import mail
from app.database import write_transaction
from app.extensions import db
from app.models import AuditLog, MailMessage, utcnow
from tests import databases
from tests.factories import login, make_user
from tests.smtp_server import SMTPServer

sqlite_only = pytest.mark.skipif(databases.is_postgres(), reason="SQLite's file lock; PostgreSQL locks rows")


def _smtp_app(app_factory, server: SMTPServer, **overrides):
    return app_factory(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, **overrides)


def _subject(i: int) -> str:
    # Kanji, half-width kana, full-width digits and an emoji: encoded in RFC 2047 on the way out.
    return f"【前任】住民税の質問に回答がつきました ｶﾝﾘｮｳ 第{chr(0xFF10 + i % 10)}号 🎉 #{i}"


def _queue(count: int) -> dict[str, str]:
    """Queue `count` messages in one transaction (delivered after it commits): {Message-ID: subject}."""
    with write_transaction():
        messages = [
            mail.queue_mail(f"shokuin{i}@city.yokohama.lg.jp", _subject(i), f"回答をお知らせします。\n\n本文 {i}")
            for i in range(count)
        ]
        return {message.message_id: message.subject for message in messages}


def _statuses() -> dict[str, int]:
    db.session.rollback()  # read what the senders committed
    return dict(db.session.execute(sa.select(MailMessage.status, sa.func.count()).group_by(MailMessage.status)).all())


def _make_due(**values) -> None:
    """The back-off has passed (and any other column to set on every message)."""
    with write_transaction():
        db.session.execute(sa.update(MailMessage).values(next_attempt_at=utcnow(), **values))


def _mail_send(app) -> str:
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def _lock_database(app, seconds: float) -> threading.Timer:
    """Another connection takes SQLite's write lock (BEGIN IMMEDIATE) now and keeps it `seconds`."""
    blocker = sqlite3.connect(sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")

    def release():
        blocker.execute("ROLLBACK")
        blocker.close()

    timer = threading.Timer(seconds, release)
    timer.start()
    return timer


def _exactly_once(server: SMTPServer, expected: dict[str, str]) -> None:
    copies = server.copies()
    assert set(copies) == set(expected), "every message arrived, and nothing else"
    assert set(copies.values()) == {1}, f"sent twice: {[mid for mid, n in copies.items() if n > 1]}"
    assert {message["Message-ID"]: message["Subject"] for message in server.received} == expected


@sqlite_only
def test_faults_mid_batch_and_a_locked_database_still_deliver_each_message_exactly_once(app_factory):
    locks: list[threading.Timer] = []
    # The 3rd message gets a 451, the 5th a dropped connection; while the 8th is being accepted the
    # database is locked by another connection for a second, so marking it sent must wait and retry
    # (the reported bug: sent, never marked, sent again by `mail send`).
    faults = {3: "451", 5: "drop", 8: lambda _message: locks.append(_lock_database(app, 1.0))}
    with SMTPServer(faults) as server:
        app = _smtp_app(app_factory, server, SQLITE_BUSY_TIMEOUT_MS=100)
        with app.app_context():
            expected = _queue(15)
            assert len(locks) == 1
            assert _statuses() == {"sent": 13, "queued": 2}
            failed = db.session.scalars(sa.select(MailMessage).where(MailMessage.status == "queued")).all()
            assert [message.last_error.split(":")[0] for message in failed] == ["SMTPDataError", "SMTPServerDisconnected"]
            assert all(message.attempts == 1 and message.next_attempt_at > utcnow() for message in failed)

            _make_due()
            locks.append(_lock_database(app, 0.8))  # the timer's run starts with the database locked
            assert _mail_send(app) == "sent 2, failed 0, dead 0"
            assert _mail_send(app) == "sent 0, failed 0, dead 0"
            for lock in locks:
                lock.join()
            assert _statuses() == {"sent": 15}
            _exactly_once(server, expected)


def test_two_senders_at_once_never_send_a_message_twice(app_factory):
    with SMTPServer() as server:
        app = _smtp_app(app_factory, server)
        with app.app_context():
            server.down = True  # at commit time: everything stays queued
            expected = _queue(30)
            server.down = False
            assert _statuses() == {"queued": 30}
            _make_due()
            db.session.remove()

        reports = []

        def sender():
            with app.app_context():
                reports.append(mail.deliver_pending())
                db.session.remove()

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(report.sent for report in reports) == 30
        assert sum(report.failed + report.dead for report in reports) == 0
        _exactly_once(server, expected)
        with app.app_context():
            assert _statuses() == {"sent": 30}


def test_permanent_refusals_are_dead_at_once_temporary_ones_back_off_unknown_outcomes_are_held(app_factory):
    faults = {1: "550", 2: "rcpt550", 3: "451", 4: "accept-drop"}
    with SMTPServer(faults) as server:
        app = _smtp_app(app_factory, server)
        with app.app_context():
            ids = list(_queue(5))
            db.session.rollback()
            rows = {row.message_id: row for row in db.session.scalars(sa.select(MailMessage))}
            refused, no_mailbox, later, unknown, fine = (rows[mid] for mid in ids)
            assert (refused.status, refused.attempts) == ("dead", 1) and "550" in refused.last_error
            assert (no_mailbox.status, no_mailbox.attempts) == ("dead", 1) and "SMTPRecipientsRefused" in no_mailbox.last_error
            assert later.status == "queued" and "451" in later.last_error
            assert timedelta(minutes=1) < later.next_attempt_at - utcnow() <= timedelta(minutes=2)
            # The server took it but the 250 never came: not resent, held for an admin.
            assert unknown.status == "dead" and unknown.last_error.startswith(mail.UNKNOWN_OUTCOME)
            assert fine.status == "sent" and fine.sent_at is not None and fine.claim_token is None

            assert _mail_send(app) == "sent 0, failed 0, dead 0", "the 451 waits for its back-off"
            _make_due()
            assert _mail_send(app) == "sent 1, failed 0, dead 0"
            assert server.copies() == {unknown.message_id: 1, fine.message_id: 1, later.message_id: 1}


def test_after_max_attempts_a_message_is_dead(app_factory):
    with SMTPServer() as server:
        app = _smtp_app(app_factory, server)
        with app.app_context():
            server.down = True
            _queue(1)
            _make_due(attempts=mail.MAX_ATTEMPTS - 2)
            assert _mail_send(app) == "sent 0, failed 1, dead 0"
            _make_due()
            assert _mail_send(app) == "sent 0, failed 0, dead 1"
            message = db.session.scalar(sa.select(MailMessage))
            assert (message.status, message.attempts) == ("dead", mail.MAX_ATTEMPTS)
            server.down = False
            _make_due()
            assert _mail_send(app) == "sent 0, failed 0, dead 0", "dead is never claimed again"
            assert not server.received


def test_a_sender_that_died_between_claiming_and_marking_is_held_not_resent(app_factory):
    with SMTPServer() as server:
        app = _smtp_app(app_factory, server)
        with app.app_context():
            server.down = True
            _queue(2)
            server.down = False
            # Both claimed by a sender that never came back: one a minute ago, one past the timeout.
            _make_due(status="sending", claim_token="a-sender-that-died", claimed_at=utcnow() - timedelta(minutes=1))
            with write_transaction():
                db.session.execute(
                    sa.update(MailMessage)
                    .where(MailMessage.id == sa.select(sa.func.min(MailMessage.id)).scalar_subquery())
                    .values(claimed_at=utcnow() - mail.SENDING_TIMEOUT - timedelta(seconds=1))
                )
            assert _mail_send(app) == "sent 0, failed 0, dead 1"
            assert _statuses() == {"dead": 1, "sending": 1}
            held = db.session.scalar(sa.select(MailMessage).where(MailMessage.status == "dead"))
            assert held.last_error.startswith(mail.UNKNOWN_OUTCOME)
            assert not server.received, "neither was sent again"


@sqlite_only
def test_a_database_locked_longer_than_the_marks_retries_holds_the_message(app_factory, monkeypatch):
    monkeypatch.setattr(mail, "MARK_ATTEMPTS", 2)
    locks: list[threading.Timer] = []
    with SMTPServer({1: lambda _message: locks.append(_lock_database(app, 1.5))}) as server:
        app = _smtp_app(app_factory, server, SQLITE_BUSY_TIMEOUT_MS=100)
        with app.app_context():
            expected = _queue(1)
            locks[0].join()
            assert _statuses() == {"sending": 1}, "sent, but its outcome could not be written"
            assert _mail_send(app) == "sent 0, failed 0, dead 0", "not claimable, not resent"
            with write_transaction():
                db.session.execute(sa.update(MailMessage).values(claimed_at=utcnow() - mail.SENDING_TIMEOUT * 2))
            assert _mail_send(app) == "sent 0, failed 0, dead 1"
            _exactly_once(server, expected)


def test_admins_retry_or_discard_dead_mail_audited_members_get_403(app_factory):
    with SMTPServer({1: "550", 2: "accept-drop"}) as server:
        app = _smtp_app(app_factory, server)
        with app.app_context():
            admin, member = make_user(role="admin"), make_user()
            expected = _queue(2)
            refused_id, unknown_id = db.session.scalars(sa.select(MailMessage.id).order_by(MailMessage.id)).all()
            client = app.test_client()

            login(client, member)
            assert client.get("/admin/mail").status_code == 403
            assert client.post(f"/admin/mail/{refused_id}/retry").status_code == 403
            client.post("/logout")

            login(client, admin)
            page = client.get("/admin/mail").get_data(as_text=True)
            for subject in expected.values():
                assert subject in page
            assert "受け取りを拒否しました" in page and "届いたかどうか不明です" in page
            assert 'id="count-dead">2<' in page

            response = client.post(f"/admin/mail/{refused_id}/retry", follow_redirects=True)
            assert "送信待ちに戻しました" in response.get_data(as_text=True)
            client.post(f"/admin/mail/{unknown_id}/discard")
            again = client.post(f"/admin/mail/{unknown_id}/retry", follow_redirects=True)
            assert "すでに再送または破棄されています" in again.get_data(as_text=True)

            db.session.rollback()
            retried = db.session.get(MailMessage, refused_id)
            assert retried.status == "sent" and retried.attempts == 1
            assert db.session.get(MailMessage, unknown_id) is None
            assert server.copies() == {message_id: 1 for message_id in expected}, "the retry kept its Message-ID"
            audits = db.session.scalars(sa.select(AuditLog).where(AuditLog.target_type == "mail").order_by(AuditLog.id)).all()
            assert [(entry.action, entry.target_id, entry.actor_id) for entry in audits] == [
                ("mail_retry", refused_id, admin.id),
                ("mail_discard", unknown_id, admin.id),
            ]
            assert "送信できなかったメールの再送" in client.get("/admin/audit").get_data(as_text=True)
