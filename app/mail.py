"""Outgoing e-mail: queued in the caller's transaction, delivered after commit, exactly once.

Backends: `smtp` in production; `file` (development and tests) writes one .eml per message into
MAIL_OUTBOX_DIR. `queue_mail` is the only way to send mail (notifications, digests, reminders).

Delivery (`deliver_pending`; the request that queued a message, then `flask mail send` from a
timer, on any number of servers at once), one message at a time:

1. **Claim.** In its own short committed transaction, one queued message that is due becomes
   `sending` with a fresh claim token (UPDATE … WHERE status = 'queued': two senders can never both
   claim it). A busy database (SQLite `database is locked`) is retried with back-off; if it stays
   busy the message simply stays queued for the next run.
2. **Send** over SMTP with the Message-ID fixed at queue time.
3. **Mark** it `sent` (or `queued` again with a back-off, or `dead`) in another short transaction,
   only where the claim token is still ours. The message is out by now, so a busy database is
   retried with back-off for about a minute (MARK_ATTEMPTS); a sent message never goes back to
   `queued`, the only state that can be claimed.

SMTP errors: a 4xx reply, a refused or dropped connection, a failed login are retried with
exponential back-off (2, 4, 8 … minutes) until MAX_ATTEMPTS, then the message is `dead`; a 5xx
reply to the message itself (sender, recipients or data refused for good) makes it `dead` at once.
Dead messages wait at /admin/mail, where an admin retries or discards them (audited).

**Unknown outcome: held, never resent automatically.** Two cases leave us not knowing whether the
server took a message: the connection was lost after the message data started (the server may
have accepted it without our hearing the reply, RFC 1047), and a row still `sending` after
SENDING_TIMEOUT (its sender was killed between claiming and marking, or the database stayed
locked longer than the mark's retries). Both go to `dead` with that reason. The trade-off:
resending at once would make sure the message arrives but may deliver it twice, and only receiving
servers that drop repeated Message-IDs would save us; holding it makes sure nobody gets it twice,
and it arrives only when an admin decides (a retry resends it with the same Message-ID, so a
deduplicating server still delivers it once). Duplicate mail to officials was the reported
failure, and the window is a crash or an outage of minutes, so we hold.
"""

import json
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.database import after_commit, short_write
from app.extensions import db
from app.models import MailMessage, utcnow

MAX_ATTEMPTS = 8
# A claim older than this belongs to a sender that stopped (see "Unknown outcome" above). Far
# longer than one message can take: connect 10 s, the data's reply DATA_TIMEOUT, the mark's retries
# (under 3 min with a 10 s busy timeout).
SENDING_TIMEOUT = timedelta(minutes=15)
CONNECT_TIMEOUT = 10
# Waiting for the reply to the message data (RFC 5321 suggests minutes): giving up early turns a
# slow but successful delivery into an unknown outcome.
DATA_TIMEOUT = 120
# Back-off doubles from 50 ms, on top of the busy timeout each attempt waits (SQLite).
CLAIM_ATTEMPTS = 6  # ~1.5 s of back-off; then the message waits for the next run
MARK_ATTEMPTS = 11  # ~50 s of back-off: the message is out, its state must be written
UNKNOWN_OUTCOME = "outcome unknown"
_PENDING = "zennin_mail_ids"


@dataclass
class Delivery:
    """What one run did: sent, failed (queued again with a back-off) and dead (held for an admin)."""

    sent: int = 0
    failed: int = 0
    dead: int = 0


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
    deliver_after_commit(message)
    return message


def deliver_after_commit(message: MailMessage) -> None:
    """Try to send `message` once the current transaction commits (the timer retries otherwise)."""
    db.session.info.setdefault(_PENDING, []).append(message.id)
    after_commit(db.session, _deliver_committed)


def _deliver_committed() -> None:
    ids = db.session.info.pop(_PENDING, [])
    if ids:
        # A request does not wait long for a busy database: `mail send` will claim what is left.
        deliver_pending(ids, claim_attempts=2)


def deliver_pending(ids: list[int] | None = None, limit: int = 1000, claim_attempts: int = CLAIM_ATTEMPTS) -> Delivery:
    """Send queued messages that are due (only `ids` if given), at most `limit`, each claimed,
    sent and marked on its own (see the module's docstring). Without `ids` (the timer's run),
    messages left `sending` too long are held first."""
    report = Delivery()
    try:
        if ids is None:
            report.dead += hold_stale_claims()
        for _ in range(limit):
            claimed = short_write(lambda session: _claim(session, ids), attempts=claim_attempts)
            if claimed is None:
                break
            _deliver(claimed, report)
    except sa.exc.OperationalError as error:  # the database stayed busy: the rest waits for the next run
        current_app.logger.warning("mail delivery stopped, database busy: %s", error.orig)
    return report


def hold_stale_claims() -> int:
    """Move messages `sending` for longer than SENDING_TIMEOUT to `dead` (never resend them blindly)."""
    cutoff = utcnow() - SENDING_TIMEOUT

    def hold(session: Session) -> int:
        return session.execute(
            sa.update(MailMessage)
            .where(MailMessage.status == "sending", MailMessage.claimed_at < cutoff)
            .values(
                status="dead",
                last_error=f"{UNKNOWN_OUTCOME}: the sender stopped between claiming and marking; not resent automatically",
            )
        ).rowcount

    held = short_write(hold, attempts=CLAIM_ATTEMPTS)
    if held:
        current_app.logger.error("%d mail messages held for an admin decision (outcome unknown): /admin/mail", held)
    return held


def _claim(session: Session, ids: list[int] | None) -> MailMessage | None:
    query = sa.select(MailMessage.id).where(MailMessage.status == "queued", MailMessage.next_attempt_at <= utcnow())
    if ids is not None:
        query = query.where(MailMessage.id.in_(ids))
    token = secrets.token_hex(16)
    for candidate in session.scalars(query.order_by(MailMessage.id).limit(5)).all():
        # On PostgreSQL a concurrent claim makes this UPDATE wait, then match nothing: try the next.
        claimed = session.execute(
            sa.update(MailMessage)
            .where(MailMessage.id == candidate, MailMessage.status == "queued")
            .values(status="sending", claim_token=token, claimed_at=utcnow(), attempts=MailMessage.attempts + 1)
        ).rowcount
        if claimed:
            return session.get(MailMessage, candidate)
    return None


def _deliver(message: MailMessage, report: Delivery) -> None:
    outcome, error = _attempt(message)
    if outcome == "sent":
        report.sent += 1
        values = {"status": "sent", "sent_at": utcnow(), "last_error": None}
    elif outcome == "retry" and message.attempts < MAX_ATTEMPTS:
        report.failed += 1
        values = {
            "status": "queued",
            "last_error": error,
            "next_attempt_at": utcnow() + timedelta(minutes=2**message.attempts),
        }
        current_app.logger.warning("mail %s to be retried: %s", message.id, error)
    else:
        report.dead += 1
        values = {"status": "dead", "last_error": error}
        current_app.logger.error("mail %s held at /admin/mail: %s", message.id, error)
    _mark(message, values)


def _mark(message: MailMessage, values: dict) -> None:
    # Matched by the claim token, not the status: if a long-locked database let the stale-claim
    # rule hold it meanwhile, the real outcome still lands. An admin's retry or discard drops the token.
    def mark(session: Session) -> int:
        return session.execute(
            sa.update(MailMessage)
            .where(MailMessage.id == message.id, MailMessage.claim_token == message.claim_token)
            .values(**values, claim_token=None)
        ).rowcount

    try:
        if not short_write(mark, attempts=MARK_ATTEMPTS):
            current_app.logger.warning(
                "mail %s changed hands before its outcome (%s) was written", message.id, values["status"]
            )
    except sa.exc.OperationalError as error:
        # Still `sending`: after SENDING_TIMEOUT it is held for an admin, never claimed again.
        current_app.logger.error(
            "mail %s: outcome %s not written, database busy: %s", message.id, values["status"], error.orig
        )


class _Connection(smtplib.SMTP):
    """An SMTP client that knows when the message data has started: a connection lost after that
    may have delivered the message, so it is not retried blindly."""

    data_started = False

    def data(self, msg):
        self.data_started = True
        self.sock.settimeout(DATA_TIMEOUT)
        return super().data(msg)


def _attempt(message: MailMessage) -> tuple[str, str | None]:
    """Send one message: ("sent", None), or ("retry" | "dead", the error to show the admin)."""
    config = current_app.config
    email = _build(message)
    if config["MAIL_BACKEND"] == "file":
        try:
            outbox = Path(config["MAIL_OUTBOX_DIR"])
            outbox.mkdir(parents=True, exist_ok=True)
            (outbox / f"{message.created_at:%Y%m%d-%H%M%S}-{message.id:06d}.eml").write_bytes(email.as_bytes())
        except OSError as error:
            return "retry", _describe(error)
        return "sent", None
    smtp = None
    in_transaction = False
    try:
        smtp = _Connection(config["SMTP_HOST"], config["SMTP_PORT"], timeout=CONNECT_TIMEOUT)
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        in_transaction = True
        smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as error:
        verdict = _verdict(error, in_transaction, smtp is not None and smtp.data_started)
        if verdict == "unknown":
            return "dead", f"{UNKNOWN_OUTCOME}: {_describe(error)}"[:500]
        return verdict, _describe(error)
    finally:
        if smtp is not None:
            _close(smtp)
    return "sent", None


def _verdict(error: Exception, in_transaction: bool, data_started: bool) -> str:
    """ "retry", "dead" (refused for good) or "unknown" (lost after the data started: held)."""
    if not in_transaction:  # connecting, STARTTLS, login: nothing was said about the message
        return "retry"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return "dead" if codes and min(codes) >= 500 else "retry"
    if isinstance(error, smtplib.SMTPResponseException):  # a reply about this message
        return "dead" if error.smtp_code >= 500 else "retry"
    return "unknown" if data_started else "retry"


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _close(smtp: smtplib.SMTP) -> None:
    # The message's fate is decided by its own reply; a failing QUIT changes nothing.
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _build(message: MailMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message.message_id
    for name, value in json.loads(message.headers or "{}").items():
        email[name] = value
    email.set_content(message.body, charset="utf-8")
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html", charset="utf-8")
    return email
