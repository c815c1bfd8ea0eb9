"""Faults: a locked database, a mail server that is down (SECURITY.md reliability rows)."""

import sqlite3

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Answer, MailMessage, utcnow
from tests import databases
from tests.browser import free_port
from tests.factories import make_question, make_user


@pytest.mark.skipif(databases.is_postgres(), reason="SQLite's writer lock; PostgreSQL locks rows, not the file")
def test_a_locked_database_gives_a_clear_retry_and_writes_nothing(app_factory):
    app = app_factory(SQLITE_BUSY_TIMEOUT_MS=200)
    with app.app_context():
        asker, answerer = make_user(), make_user()
        question_id = make_question(asker).id
        answerer_email = answerer.email
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"email": answerer_email, "password": "correct-horse-battery"})

    blocker = sqlite3.connect(sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = client.post(f"/questions/{question_id}/answers", data={"body": "ロック中に送った回答です。保存されないはず。"})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert response.status_code == 503
    assert "内容は保存されていません" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0

    retry = client.post(f"/questions/{question_id}/answers", data={"body": "混雑が収まってから送り直した回答です。"})
    assert retry.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 1


def test_posting_works_while_the_mail_server_is_down_and_mail_is_retried(app_factory):
    app = app_factory(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nothing listens
    with app.app_context():
        asker = make_user(email="asker-mail@city.yokohama.lg.jp")
        answerer = make_user()
        question = make_question(asker)
        question_id, answerer_email = question.id, answerer.email
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"email": answerer_email, "password": "correct-horse-battery"})
    assert client.post(f"/questions/{question_id}/answers", data={"body": "メールが止まっていても回答は保存されます。"}).status_code == 302

    with app.app_context():
        message = db.session.scalar(sa.select(MailMessage).where(MailMessage.recipient == "asker-mail@city.yokohama.lg.jp"))
        assert message.sent_at is None and message.attempts == 1 and message.last_error
        message.next_attempt_at = utcnow()  # the back-off has passed
        db.session.commit()
        app.config["MAIL_BACKEND"] = "file"  # the mail server is back
        result = app.test_cli_runner().invoke(args=["mail", "send"])
        assert "sent 1" in result.output, result.output
        db.session.refresh(message)
        assert message.sent_at is not None
