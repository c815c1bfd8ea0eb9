"""Housekeeping (issue 19, part 5): each trim rule, and that no index on any host loses an
outbox row it has not applied."""

import time
from datetime import timedelta

import sqlalchemy as sa

from app import indexing, mail
from app.database import write_transaction
from app.extensions import db
from app.models import IndexConsumer, MailMessage, Notification, RateLimitCounter, SearchOutbox, utcnow
from app.services import housekeeping
from tests.factories import make_question

OTHER_HOST = "app2.example.lg.jp:/srv/zennin/search-index"


def _outbox(count: int, age: timedelta) -> list[int]:
    with write_transaction():
        ids = [
            db.session.scalar(sa.insert(SearchOutbox).values(question_id=0, created_at=utcnow() - age).returning(SearchOutbox.id))
            for _ in range(count)
        ]
    return ids


def _consumer(name: str, position: int, seen: timedelta = timedelta(minutes=1)) -> None:
    with write_transaction():
        db.session.merge(IndexConsumer(name=name, position=position, updated_at=utcnow() - seen))


def _left(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _outbox_ids() -> list[int]:
    db.session.rollback()
    return db.session.scalars(sa.select(SearchOutbox.id).order_by(SearchOutbox.id)).all()


def test_each_sync_records_where_this_index_is(app, alice):
    make_question(alice, title="住民税の特別徴収について教えてください")  # synced after commit
    consumer = db.session.get(IndexConsumer, indexing.consumer_name())
    assert consumer.name.endswith(app.config["SEARCH_INDEX_DIR"]) and ":" in consumer.name
    assert consumer.position == max(_outbox_ids()) == indexing.get_index().position
    assert utcnow() - consumer.updated_at < timedelta(minutes=1)


def test_no_known_index_trims_nothing(app):
    _outbox(3, age=timedelta(days=30))
    assert housekeeping.trim_outbox(utcnow()) == 0
    assert _left(SearchOutbox) == 3


def test_an_index_on_another_host_that_has_not_applied_a_row_keeps_it(app):
    old = _outbox(6, age=timedelta(hours=1))
    _consumer("this-host:/var/lib/zennin/search-index", position=old[-1])  # applied everything
    _consumer(OTHER_HOST, position=old[2])  # applied up to the 3rd row
    assert housekeeping.trim_outbox(utcnow()) == 2
    assert _outbox_ids() == old[2:], "rows the other host has not applied (and its last one) stay"

    _consumer(OTHER_HOST, position=old[-1])  # it catches up
    assert housekeeping.trim_outbox(utcnow()) == 3
    assert _outbox_ids() == old[-1:]


def test_rows_within_the_replay_window_stay_even_when_applied(app):
    _outbox(2, age=indexing.REPLAY_WINDOW + timedelta(minutes=1))
    recent = _outbox(2, age=timedelta(minutes=1))  # `search sync` still re-applies these
    _consumer(OTHER_HOST, position=recent[-1] + 1)
    assert housekeeping.trim_outbox(utcnow()) == 2
    assert _outbox_ids() == recent


def test_an_index_silent_longer_than_the_window_no_longer_holds_the_outbox(app):
    old = _outbox(4, age=timedelta(days=10))
    _consumer(OTHER_HOST, position=old[-1] + 1)
    _consumer("retired-host:/srv/zennin/search-index", position=0, seen=indexing.CONSUMER_WINDOW + timedelta(hours=1))
    assert housekeeping.trim_outbox(utcnow()) == 4


def test_read_notifications_go_after_the_retention_unread_ones_stay(app, alice):
    days = app.config["NOTIFICATION_RETENTION_DAYS"]
    old, recent = utcnow() - timedelta(days=days + 1), utcnow() - timedelta(days=days - 1)
    with write_transaction():
        db.session.add_all(
            [
                Notification(user_id=alice.id, kind="answer", created_at=old, read_at=old),  # goes
                Notification(user_id=alice.id, kind="answer", created_at=old, read_at=recent),
                Notification(user_id=alice.id, kind="warning", message="投稿内容に注意してください", created_at=old),
            ]
        )
    assert housekeeping.trim().notifications == 1
    kept = db.session.execute(sa.select(Notification.kind, Notification.read_at.is_(None))).all()
    assert sorted(kept) == [("answer", False), ("warning", True)]


def test_expired_rate_limit_windows_go(app):
    now = time.time()
    with write_transaction():
        db.session.add_all(
            [
                RateLimitCounter(key="LIMITER/login/127.0.0.1/10/1/minute", count=3, expires_at=now - 1),
                RateLimitCounter(key="LIMITER/login/127.0.0.2/60/1/hour", count=9, expires_at=now + 3600),
            ]
        )
    assert housekeeping.trim().rate_limits == 1
    assert db.session.scalars(sa.select(RateLimitCounter.key)).all() == ["LIMITER/login/127.0.0.2/60/1/hour"]


def test_sent_mail_goes_after_the_retention_dead_and_queued_mail_stays(app):
    days = app.config["MAIL_RETENTION_DAYS"]
    with write_transaction():
        subjects = ["【前任】古い送信済み", "【前任】最近の送信済み", "【前任】送信停止", "【前任】送信待ち"]
        for subject in subjects:
            mail.queue_mail("shokuin@city.yokohama.lg.jp", subject, "本文")
    # Delivered after that commit (file backend); then age them, and put two back in other states.
    old = utcnow() - timedelta(days=days + 1)
    with write_transaction():
        rows = {m.subject: m for m in db.session.scalars(sa.select(MailMessage))}
        assert {m.status for m in rows.values()} == {"sent"}
        rows["【前任】古い送信済み"].sent_at = old
        rows["【前任】最近の送信済み"].sent_at = utcnow() - timedelta(days=days - 1)
        for subject, status in (("【前任】送信停止", "dead"), ("【前任】送信待ち", "queued")):
            rows[subject].status, rows[subject].created_at, rows[subject].sent_at = status, old, None
    assert housekeeping.trim().mail == 1
    assert sorted(db.session.scalars(sa.select(MailMessage.subject))) == sorted(subjects[1:])


def test_large_trims_go_in_batches_and_the_command_prints_counts(app, monkeypatch):
    monkeypatch.setattr(housekeeping, "BATCH", 2)
    old = _outbox(5, age=timedelta(days=1))
    _consumer(OTHER_HOST, position=old[-1] + 1)
    with write_transaction():
        db.session.add(RateLimitCounter(key="LIMITER/post/1", count=1, expires_at=time.time() - 10))
    result = app.test_cli_runner().invoke(args=["housekeeping"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["deleted: search outbox 5, notifications 0, rate limits 1, mail 0", "review reminders sent: 0"]
    assert _left(SearchOutbox) == 0
