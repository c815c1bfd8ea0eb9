"""How each type of notification reaches a member, and how often the digest comes.

The inbox groups the notification kinds of app/services/notifications.py into a few types that
people recognise, each with a symbol, a default channel and the channels it allows:

- `app`: the inbox only; `email`: the inbox and an e-mail at once; `digest`: the inbox and the
  next e-mail digest; `off`: nothing (no inbox row either).
- Answers, requests to answer, acceptances and moderation default to immediate e-mail: someone
  is waiting for the person, or something happened to their own post. The rest stay in the inbox.
- Moderation (removals, warnings, suspensions) cannot be turned off: a person must always be able
  to learn that a moderator acted on their post or account. E-mail can still be turned off.
- Accounts from before the per-type table kept one switch, `User.notify_by_email`: when it is off
  the types that default to e-mail default to the inbox instead (explicit rows always win).
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.database import write_transaction
from app.extensions import db
from app.models import NotificationPreference, User
from app.models.engagement import DIGEST_FREQUENCIES, NOTIFICATION_CHANNELS
from app.services.errors import ValidationFailed


@dataclass(frozen=True)
class NotificationType:
    key: str
    label: object  # a lazy string
    symbol: str  # shown before each item (aria-hidden; the label is read out instead)
    kinds: tuple[str, ...]
    default: str
    can_turn_off: bool = True

    @property
    def channels(self) -> tuple[str, ...]:
        return NOTIFICATION_CHANNELS if self.can_turn_off else tuple(c for c in NOTIFICATION_CHANNELS if c != "off")


TYPES = (
    NotificationType("answer", _l("回答"), "✍", ("answer",), "email"),
    NotificationType("request", _l("質問の依頼"), "➜", ("directed", "routed"), "email"),
    NotificationType("accepted", _l("採用"), "✔", ("accepted",), "email"),
    NotificationType("comment", _l("コメント"), "✉", ("comment",), "app"),
    NotificationType("question_status", _l("質問の状態"), "◐", ("closed", "reopened", "merged"), "app"),
    NotificationType(
        "moderation",
        _l("モデレーション"),
        "⚑",
        ("removed", "restored", "hidden", "unhidden", "flags_dismissed", "comment_removed", "warned", "suspended"),
        "email",
        can_turn_off=False,
    ),
    NotificationType("flag_result", _l("報告の結果"), "⚐", ("flag_dismissed", "flag_upheld"), "app"),
    NotificationType("edit", _l("編集の提案"), "✎", ("edit_approved", "edit_rejected"), "app"),
    NotificationType("tag", _l("タグ"), "#", ("synonym_approved", "synonym_rejected"), "app"),
    # Experts of a tag: answers there that may be outdated; an author: their answer was marked outdated
    # (app/services/confirmations.py).
    NotificationType("review", _l("回答の確認のお願い"), "✓", ("review_due", "marked_outdated"), "app"),
    NotificationType("group", _l("グループ"), "◎", ("group_applied", "group_approved", "group_refused"), "app"),
)
BY_KEY = {kind.key: kind for kind in TYPES}
TYPE_OF_KIND = {kind: notification_type for notification_type in TYPES for kind in notification_type.kinds}
OTHER = NotificationType("other", _l("その他"), "•", (), "app")

CHANNEL_LABELS = {"app": _l("サイト内のみ"), "email": _l("すぐにメール"), "digest": _l("ダイジェスト"), "off": _l("受け取らない")}
DIGEST_LABELS = {"off": _l("受け取らない"), "daily": _l("毎日"), "weekly": _l("毎週（月曜）")}


def type_of(kind: str) -> NotificationType:
    return TYPE_OF_KIND.get(kind, OTHER)


def default_channel(user: User, notification_type: NotificationType) -> str:
    if notification_type.default == "email" and not user.notify_by_email:
        return "app"
    return notification_type.default


def channels(user: User) -> dict[str, str]:
    """The channel of every type for this person (their choice, or the default)."""
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.channel).where(NotificationPreference.user_id == user.id)
        ).all()
    )
    return {t.key: chosen.get(t.key) or default_channel(user, t) for t in TYPES}


def channel_for(user: User, kind: str) -> str:
    notification_type = type_of(kind)
    if notification_type is OTHER:
        return "app"
    chosen = db.session.get(NotificationPreference, (user.id, notification_type.key))
    return chosen.channel if chosen else default_channel(user, notification_type)


def check_channels(values: dict) -> dict[str, str]:
    """`{type: channel}` as sent (a form or the API): unknown types or channels are refused."""
    errors = {}
    for key, channel in values.items():
        notification_type = BY_KEY.get(key)
        if notification_type is None:
            errors[key] = _l("通知の種類が正しくありません。")
        elif channel not in notification_type.channels:
            errors[key] = _l("%(type)s の受け取り方が正しくありません。", type=notification_type.label)
    if errors:
        raise ValidationFailed(errors)
    return dict(values)


def check_digest(value: object) -> str:
    if value not in DIGEST_FREQUENCIES:
        raise ValidationFailed({"digest": _l("ダイジェストは daily、weekly、off のいずれかで指定してください。")})
    return value


def update(user: User, *, notification_channels: dict[str, str] | None = None, digest: str | None = None) -> None:
    """Save the person's choices (only what was given); values are checked before anything is written."""
    notification_channels = check_channels(notification_channels or {})
    if digest is not None:
        check_digest(digest)
    with write_transaction():
        for key, channel in notification_channels.items():
            row = db.session.get(NotificationPreference, (user.id, key))
            if row is None:
                db.session.add(NotificationPreference(user_id=user.id, kind=key, channel=channel))
            else:
                row.channel = channel
        if digest is not None:
            user.digest_frequency = digest


def stop_email(user: User) -> None:
    """The one-click unsubscribe from notification e-mail: every type that e-mails goes to the inbox."""
    update(user, notification_channels={key: "app" for key, channel in channels(user).items() if channel == "email"})


def as_dict(user: User) -> dict:
    return {"digest": user.digest_frequency, "notifications": channels(user)}
