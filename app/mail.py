"""Outgoing e-mail: queued in the caller's transaction, delivered after commit.

Backends: `smtp` in production; `file` (development and tests) writes one .eml per message into
MAIL_OUTBOX_DIR. A message whose delivery fails stays queued with a back-off;
`flask --app wsgi mail send` (cron) retries it, so posting never fails because mail is down.
"""

import json
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.database import after_commit
from app.extensions import db
from app.models import MailMessage, utcnow

MAX_ATTEMPTS = 8


def queue_mail(
    recipient: str, subject: str, body: str, *, html: str | None = None, headers: dict[str, str] | None = None
) -> MailMessage:
    """Add a message to the current transaction; it is sent once the transaction commits.

    `html` adds an HTML alternative to the plain-text body; `headers` are extra headers
    (List-Unsubscribe…). The Message-ID is fixed now, so every attempt carries the same one."""
    message = MailMessage(
        recipient=recipient,
        subject=subject,
        body=body,
        html_body=html,
        headers=json.dumps(headers, ensure_ascii=False) if headers else None,
        message_id=make_msgid(domain="zennin.invalid"),
    )
    db.session.add(message)
    db.session.flush()
    pending = db.session.info.setdefault("zennin_mail_ids", [])
    pending.append(message.id)
    after_commit(db.session, _deliver_committed)
    return message


def _deliver_committed() -> None:
    ids = db.session.info.pop("zennin_mail_ids", [])
    if ids:
        deliver_pending(ids)


def deliver_pending(ids: list[int] | None = None, limit: int = 100) -> tuple[int, int]:
    """Send queued messages (the given ids, or every message that is due). Returns (sent, failed)."""
    sent = failed = 0
    with Session(db.engine) as session:
        query = sa.select(MailMessage).where(MailMessage.sent_at.is_(None))
        if ids is not None:
            query = query.where(MailMessage.id.in_(ids))
        else:
            query = query.where(MailMessage.next_attempt_at <= utcnow(), MailMessage.attempts < MAX_ATTEMPTS)
        for message in session.scalars(query.order_by(MailMessage.id).limit(limit)):
            message.attempts += 1
            try:
                _send(message)
            except (OSError, smtplib.SMTPException) as error:
                failed += 1
                message.last_error = f"{type(error).__name__}: {error}"[:500]
                message.next_attempt_at = utcnow() + timedelta(minutes=2**message.attempts)
                current_app.logger.warning("mail %s to be retried: %s", message.id, message.last_error)
            else:
                sent += 1
                message.sent_at = utcnow()
                message.status = "sent"
            session.commit()
    return sent, failed


def _build(message: MailMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message.message_id or make_msgid(domain="zennin.invalid")
    for name, value in json.loads(message.headers or "{}").items():
        email[name] = value
    email.set_content(message.body, charset="utf-8")
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html", charset="utf-8")
    return email


def _send(message: MailMessage) -> None:
    config = current_app.config
    email = _build(message)
    if config["MAIL_BACKEND"] == "file":
        outbox = Path(config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{message.created_at:%Y%m%d-%H%M%S}-{message.id:06d}.eml"
        path.write_bytes(email.as_bytes())
        return
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(email)
