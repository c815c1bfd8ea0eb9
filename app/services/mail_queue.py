"""The mail queue as admins see it (/admin/mail): how many messages are in each state, the dead
letters with why they stopped, and the two decisions on one: retry (sent again with the same
Message-ID) or discard (deleted). Admins only; each decision is an audit row. Delivery itself is
app/mail.py."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app import mail
from app.database import write_transaction
from app.extensions import db
from app.models import MailMessage, User, utcnow
from app.models.ops import MAIL_STATUSES
from app.services import audit
from app.services.admin import require_admin
from app.services.errors import NotFound
from app.services.pagination import Page, paginate

PER_PAGE = 50


def counts(viewer: User | None) -> dict[str, int]:
    """Messages per state, every state listed (0 when none)."""
    require_admin(viewer)
    found = dict(db.session.execute(sa.select(MailMessage.status, sa.func.count()).group_by(MailMessage.status)).all())
    return {status: found.get(status, 0) for status in MAIL_STATUSES}


def dead_letters(viewer: User | None, page: int, per_page: int = PER_PAGE) -> Page[MailMessage]:
    require_admin(viewer)
    return paginate(sa.select(MailMessage).where(MailMessage.status == "dead").order_by(MailMessage.id.desc()), page, per_page)


def reason(message: MailMessage) -> str:
    """Why a dead message stopped, in words an admin can decide on."""
    if (message.last_error or "").startswith(mail.UNKNOWN_OUTCOME):
        return _("届いたかどうか不明です（送信の途中で接続や処理が止まりました）。再送すると二重に届くことがあります。")
    if message.attempts >= mail.MAX_ATTEMPTS:
        return _("一時的なエラーが続いたため、%(n)d 回で送信をやめました。", n=message.attempts)
    return _("受信側のサーバーが受け取りを拒否しました（宛先や内容を確認してください）。")


def _dead(message_id: int) -> MailMessage:
    message = db.session.scalar(
        sa.select(MailMessage).where(MailMessage.id == message_id, MailMessage.status == "dead").with_for_update()
    )
    if message is None:  # never existed, already retried or discarded (another admin, another tab)
        raise NotFound(message_id)
    return message


def retry(actor: User | None, message_id: int) -> MailMessage:
    """Queue a dead message again, as new (attempts from 0), and try it once this commits."""
    require_admin(actor)
    with write_transaction():
        message = _dead(message_id)
        message.status = "queued"
        message.attempts = 0
        message.next_attempt_at = utcnow()
        message.claim_token = message.claimed_at = message.last_error = None
        audit.record(actor, "mail_retry", "mail", message.id, message_id=message.message_id)
        mail.deliver_after_commit(message)
    return message


def discard(actor: User | None, message_id: int) -> None:
    """Delete a dead message: it will never be sent."""
    require_admin(actor)
    with write_transaction():
        message = _dead(message_id)
        audit.record(actor, "mail_discard", "mail", message.id, message_id=message.message_id)
        db.session.delete(message)
