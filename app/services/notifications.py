"""The in-app inbox and the e-mail that goes with it."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.database import write_transaction
from app.extensions import db
from app.mail import queue_mail
from app.models import Notification, Post, Question, User, utcnow
from app.services import closing
from app.services.pagination import Page, paginate
from app.services.removal import label as removal_label
from app.urls import external_url


def _describe(kind: str, actor_name: str, title: str, reason: str | None = None, message: str | None = None) -> str:
    texts = {
        "answer": _("%(actor)s さんがあなたの質問「%(title)s」に回答しました。"),
        "comment": _("%(actor)s さんが「%(title)s」のあなたの投稿にコメントしました。"),
        "accepted": _("%(actor)s さんが「%(title)s」であなたの回答を採用しました。"),
        "directed": _("%(actor)s さんがあなたに質問しました:「%(title)s」"),
        "routed": _("あなたの経験が役立ちそうな質問があります:「%(title)s」"),
        # Removal and restoring name no moderator: the decision is the site's, not a person's.
        "removed": _("「%(title)s」のあなたの投稿がモデレーターにより削除されました。"),
        "restored": _("「%(title)s」のあなたの投稿が復元されました。"),
        # Closing by votes names no voter either.
        "closed": _("あなたの質問「%(title)s」が閉じられました。"),
        "reopened": _("あなたの質問「%(title)s」が再開されました。"),
        "merged": _("重複した質問の回答が「%(title)s」へ統合されました。"),
        # Flags (app/services/flags.py, review.py): flaggers stay anonymous to the author.
        "hidden": _("「%(title)s」のあなたの投稿は報告を受けたため、モデレーターの確認が終わるまで非表示になっています。"),
        "flags_dismissed": _("「%(title)s」のあなたの投稿への報告を確認し、問題なしと判断しました。"),
        "unhidden": _("「%(title)s」のあなたの投稿は確認が終わり、再び表示されています。"),
        "flag_dismissed": _("「%(title)s」についてのあなたの報告を確認しました。対応は不要と判断しました。ご協力ありがとうございます。"),
        "flag_upheld": _("「%(title)s」についてのあなたの報告を確認し、対応しました。ご協力ありがとうございます。"),
        "comment_removed": _("「%(title)s」のあなたのコメントがモデレーターにより削除されました。"),
        "warned": _("「%(title)s」のあなたの投稿について、モデレーターから注意がありました。"),
        "suspended": _("モデレーターにより、投稿・編集・コメント・投票・報告が一時停止されました（「%(title)s」）。"),
        "edit_approved": _("「%(title)s」へのあなたの編集の提案が承認され、反映されました。"),
        "edit_rejected": _("「%(title)s」へのあなたの編集の提案は却下されました。"),
        # Tag notifications point at no question (the row has no tag column): a fixed text.
        "synonym_approved": _("あなたが提案したタグの同義語が承認されました。"),
        "synonym_rejected": _("あなたが提案したタグの同義語は採用されませんでした。"),
    }
    text = texts.get(kind, _("「%(title)s」に新しい動きがあります。")) % {"actor": actor_name, "title": title}
    if kind == "removed" and reason:
        text += _("理由: %(reason)s", reason=removal_label(reason))
    elif kind == "closed" and reason:
        text += _("理由: %(reason)s", reason=closing.label(reason))
    if message:
        text += _("モデレーターからのメッセージ: %(message)s", message=message)
    return text


def _reason_now(kind: str, post_id: int | None) -> str | None:
    """Why the post was removed or closed, as it stands now (gone once restored or reopened)."""
    if kind not in ("removed", "closed") or post_id is None:
        return None
    post = db.session.get(Post, post_id)
    if post is None:
        return None
    return post.removal_reason if kind == "removed" else closing.reason_of(post)


def describe(notification: Notification) -> str:
    actor = notification.actor.display_name if notification.actor else ""
    title = notification.question.title if notification.question else ""
    reason = _reason_now(notification.kind, notification.post_id or notification.question_id)
    return _describe(notification.kind, actor, title, reason, notification.message)


def notify(
    recipient: User,
    kind: str,
    actor: User | None,
    question: Question | None,
    post_id: int | None = None,
    *,
    message: str | None = None,
) -> None:
    """Add to the recipient's inbox (inside the caller's transaction) and queue an e-mail if wanted.
    `message`: a moderator's words to the person (a warning, a suspension's reason). Without a
    question (a tag synonym's outcome) the e-mail links to the tag list."""
    if actor is not None and recipient.id == actor.id:
        return
    db.session.add(
        Notification(
            user_id=recipient.id,
            kind=kind,
            actor_id=actor.id if actor else None,
            question_id=question.id if question else None,
            post_id=post_id,
            message=message,
        )
    )
    if recipient.notify_by_email and recipient.is_verified:
        if question is None:
            link = external_url("tags.index")
        else:
            anchor = f"answer-{post_id}" if post_id and post_id != question.id else None
            link = external_url("questions.show", question_id=question.id, anchor=anchor)
        # In the recipient's language, not the language of whoever caused the notification.
        with force_locale(recipient.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            reason = _reason_now(kind, post_id or (question.id if question else None))
            title = question.title if question else ""
            text = _describe(kind, actor.display_name if actor else "", title, reason, message)
            subject = _("【Zennin】%(text)s", text=text[:150])
            body = _("%(text)s\n\n%(link)s\n\n通知メールは設定ページで止められます。", text=text, link=link)
        queue_mail(recipient.email, subject, body)


def unread_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def list_notifications(user: User, page: int, per_page: int = 30) -> Page[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    return paginate(query, page, per_page)


def mark_all_read(user: User) -> None:
    with write_transaction():
        db.session.execute(
            sa.update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
