"""The in-app inbox and the e-mail that goes with it.

Each notification keeps why it reached the person (`Notification.reason`, a small JSON object
fixed when it is sent: a routed question names the career post that matched). How it reaches them
(inbox, e-mail at once, the digest, or not at all) is their choice per type
(app/services/notification_settings.py). A notification about a post the person may no longer
see (removed, or hidden by flags) keeps its row but no longer shows the title or a link.
"""

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from app.database import write_transaction
from app.extensions import db
from app.mail import queue_mail
from app.models import Group, Notification, Post, Question, QuestionFollow, User, utcnow
from app.services import closing, notification_settings, permissions, unsubscribe, visibility
from app.services.errors import NotFound
from app.services.pagination import Page, paginate
from app.services.removal import label as removal_label
from app.urls import external_url

# Who a kind of notification goes to, when the caller gives no more precise reason.
DEFAULT_REASONS = {
    "answer": "asker",
    "directed": "directed",
    "routed": "expert",
    "suspended": "account",
    "flag_dismissed": "flagger",
    "flag_upheld": "flagger",
    "edit_approved": "suggester",
    "edit_rejected": "suggester",
    "synonym_approved": "suggester",
    "synonym_rejected": "suggester",
    "review_due": "tag_expert",
}


def _describe(kind: str, actor_name: str, title: str, reason: str | None = None, message: str | None = None) -> str:
    texts = {
        "answer": _("%(actor)s さんが質問「%(title)s」に回答しました。"),
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
        "marked_outdated": _("%(actor)s さんが「%(title)s」のあなたの回答を「古い情報」と指摘しました。見直して編集してください。"),
        # Theme groups (app/services/groups.py): the group's name stands in the title's place.
        "group_applied": _("%(actor)s さんがグループ「%(title)s」への参加を申し込みました。"),
        "group_approved": _("グループ「%(title)s」への参加が承認されました。"),
        "group_refused": _("グループ「%(title)s」への参加は承認されませんでした。"),
    }
    text = texts.get(kind, _("「%(title)s」に新しい動きがあります。")) % {"actor": actor_name, "title": title}
    if kind == "removed" and reason:
        text += _("理由: %(reason)s", reason=removal_label(reason))
    elif kind == "closed" and reason:
        text += _("理由: %(reason)s", reason=closing.label(reason))
    if message:
        text += _("モデレーターからのメッセージ: %(message)s", message=message)
    return text


def reason_text(reason: dict) -> str:
    """「あなたは 2019–2022 年に債権回収を担当していたため」, in the reader's language."""
    texts = {
        "career_current": _("あなたは %(start)s 年から%(tag)sを担当しているため"),
        "career_former": _("あなたは %(start)s–%(end)s 年に%(tag)sを担当していたため"),
        "answered_tag": _("あなたは%(tag)sの質問に回答してきたため"),
        "expert": _("あなたの経験に近い分野の質問のため"),
        "asker": _("あなたの質問のため"),
        "follower": _("フォローしている質問のため"),
        "directed": _("あなたが質問の宛先に選ばれたため"),
        "flagger": _("あなたが報告したため"),
        "suggester": _("あなたが提案したため"),
        "account": _("あなたのアカウントについてのため"),
        "author": _("あなたの投稿のため"),
        "tag_expert": _("あなたは%(tag)sに詳しい人として挙がっているため"),
        "group_organizer": _("あなたがグループの世話人のため"),
        "group_applicant": _("あなたが参加を申し込んだため"),
    }
    template = texts.get(reason.get("code"), texts["author"])
    return template % {key: value for key, value in reason.items() if key not in ("code", "group_id")}


def _reason_of(notification: Notification) -> dict:
    if notification.reason:
        return json.loads(notification.reason)
    return {"code": DEFAULT_REASONS.get(notification.kind, "author")}  # rows from before reasons were stored


def _reason_now(kind: str, post_id: int | None) -> str | None:
    """Why the post was removed or closed, as it stands now (gone once restored or reopened)."""
    if kind not in ("removed", "closed") or post_id is None:
        return None
    post = db.session.get(Post, post_id)
    if post is None:
        return None
    return post.removal_reason if kind == "removed" else closing.reason_of(post)


def may_see(viewer: User, question: Question | None) -> bool:
    """Whether the notification may still show this question's title and link to it."""
    if question is None:
        return False
    if not permissions.can_see_hidden(viewer, question) or not visibility.can_read_question(viewer, question):
        return False  # hidden by flags, or group-private to someone no longer (or never) in the group
    return not question.is_deleted or question.author_id == viewer.id or permissions.can_view_deleted(viewer)


def describe(notification: Notification, viewer: User | None = None) -> str:
    viewer = viewer or db.session.get(User, notification.user_id)
    if notification.kind == "review_due":  # about a tag, not a question: its reason names it
        reason = _reason_of(notification)
        return ngettext(
            "「%(tag)s」で、古くなっているかもしれない回答が%(num)d件あります。確認をお願いします。",
            "「%(tag)s」で、古くなっているかもしれない回答が%(num)d件あります。確認をお願いします。",
            reason.get("count", 0),
            tag=reason.get("tag", ""),
        )
    question = notification.question
    if question is not None and not may_see(viewer, question):
        return _("表示できなくなった投稿についての通知です。")
    actor = notification.actor.display_name if notification.actor else ""
    group = _group_of(notification)
    title = question.title if question else (group.name if group else "")
    reason = _reason_now(notification.kind, notification.post_id or notification.question_id)
    return _describe(notification.kind, actor, title, reason, notification.message)


def _group_of(notification: Notification) -> Group | None:
    """The theme group a membership notification is about (app/services/groups.py)."""
    group_id = _reason_of(notification).get("group_id") if notification.kind.startswith("group_") else None
    return db.session.get(Group, group_id) if group_id else None


def _anchor(question_id: int, post_id: int | None) -> str | None:
    return f"answer-{post_id}" if post_id and post_id != question_id else None


def link(notification: Notification, viewer: User, *, absolute: bool = True) -> str | None:
    """Link to what the notification is about (absolute for mail, a path for the site's own
    redirects), or None when there is nothing to show."""
    make = external_url if absolute else url_for
    question = notification.question
    if question is None:
        if notification.kind == "review_due":
            return make("tags.review", name=_reason_of(notification).get("name", ""))
        if (group := _group_of(notification)) is not None:
            return make("groups.show", slug=group.slug)
        return make("tags.index") if notification.kind.startswith("synonym_") else None
    if not may_see(viewer, question):
        return None
    # No slug: a title passage redacted later must not survive in a link of a mail already queued.
    anchor = _anchor(question.id, notification.post_id)
    if absolute:
        return external_url("questions.show", question_id=question.id, anchor=anchor)
    return url_for("questions.show", question_id=question.id, _anchor=anchor)


@dataclass
class Entry:
    """One inbox line, as the page, the API and the digest show it."""

    id: int
    type: notification_settings.NotificationType
    text: str
    reason: str
    read: bool
    url: str | None
    created_at: datetime


def entry(notification: Notification, viewer: User) -> Entry:
    return Entry(
        id=notification.id,
        type=notification_settings.type_of(notification.kind),
        text=describe(notification, viewer),
        reason=reason_text(_reason_of(notification)),
        read=notification.read_at is not None,
        url=link(notification, viewer),
        created_at=notification.created_at,
    )


def notify(
    recipient: User,
    kind: str,
    actor: User | None,
    question: Question | None,
    post_id: int | None = None,
    *,
    message: str | None = None,
    reason: dict | None = None,
) -> None:
    """Add to the recipient's inbox (inside the caller's transaction) and queue an e-mail if the
    person wants this type at once. `message`: a moderator's words to the person (a warning, a
    suspension's reason). `reason`: why it reaches them (see reason_text); the kind's usual one
    if not given."""
    if actor is not None and recipient.id == actor.id:
        return
    if question is not None and not visibility.can_see_listed(recipient, question):
        return  # a group-private question reaches its group's members only
    channel = notification_settings.channel_for(recipient, kind)
    if channel == "off":
        return
    notification = Notification(
        user_id=recipient.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        question_id=question.id if question else None,
        post_id=post_id,
        message=message,
        reason=json.dumps(reason or {"code": DEFAULT_REASONS.get(kind, "author")}, ensure_ascii=False),
        actor=actor,
        # Only the digest channel leaves it for a digest to carry; choosing the digest later does
        # not resend what already went by e-mail or was meant for the inbox.
        digested_at=None if channel == "digest" else utcnow(),
    )
    db.session.add(notification)
    if channel == "email" and recipient.is_verified and recipient.is_active:
        db.session.flush()
        _queue_email(recipient, notification)


def _queue_email(recipient: User, notification: Notification) -> None:
    # In the recipient's language, not the language of whoever caused the notification.
    with force_locale(recipient.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        line = entry(notification, recipient)
        subject = _("【Zennin】%(text)s", text=line.text[:150])
        settings_url = external_url("users.settings", anchor="notifications")
        stop_url = unsubscribe.link(recipient, "notifications")
        body = _(
            "%(text)s\n（%(reason)s）\n\n%(link)s\n\n通知メールの受け取り方は設定ページで変えられます: %(settings)s\n"
            "通知メールを止める: %(stop)s",
            text=line.text,
            reason=line.reason,
            link=line.url or settings_url,
            settings=settings_url,
            stop=stop_url,
        )
        html = render_template("mail/notification.html", line=line, settings_url=settings_url, stop_url=stop_url)
    queue_mail(recipient.email, subject, body, html=html, headers=unsubscribe.headers(recipient, "notifications"))


def notify_followers(question: Question, answer_id: int, author: User) -> None:
    """A new answer: everyone who follows the question hears of it, never the answer's author.
    The asker counts as a follower unless they unfollowed (rows from before follows existed)."""
    follows = dict(
        db.session.execute(
            sa.select(QuestionFollow.user_id, QuestionFollow.active).where(QuestionFollow.question_id == question.id)
        ).all()
    )
    ids = {user_id for user_id, active in follows.items() if active}
    if follows.get(question.author_id, True):
        ids.add(question.author_id)
    ids.discard(author.id)
    people = db.session.scalars(sa.select(User).where(User.id.in_(ids), User.disabled_at.is_(None)).order_by(User.id))
    for person in people:
        if person.is_placeholder or not may_see(person, question):
            continue
        code = "asker" if person.id == question.author_id else "follower"
        notify(person, "answer", author, question, answer_id, reason={"code": code})


def _inbox(user: User, type_key: str | None = None) -> sa.Select:
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if type_key is not None:
        query = query.where(Notification.kind.in_(notification_settings.BY_KEY[type_key].kinds))
    return query


def unread_count(user: User) -> int:
    """The badge: unread notifications that arrived since the person last opened the inbox."""
    query = sa.select(sa.func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if user.notifications_seen_at is not None:
        query = query.where(Notification.created_at > user.notifications_seen_at)
    return db.session.scalar(query)


def unread_by_type(user: User) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Notification.kind, sa.func.count())
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .group_by(Notification.kind)
    )
    counts: dict[str, int] = {}
    for kind, count in rows:
        key = notification_settings.type_of(kind).key
        counts[key] = counts.get(key, 0) + count
    return counts


def list_notifications(user: User, page: int, per_page: int = 30, *, type_key: str | None = None) -> Page[Notification]:
    if type_key is not None and type_key not in notification_settings.BY_KEY:
        raise NotFound(type_key)
    return paginate(_inbox(user, type_key).order_by(Notification.id.desc()), page, per_page)


def mark_seen(user: User) -> None:
    """Opening the inbox clears the badge (the items stay unread until read)."""
    with write_transaction():
        user.notifications_seen_at = utcnow()


def mark_read(user: User, notification_id: int) -> Notification:
    with write_transaction():
        notification = db.session.get(Notification, notification_id)
        if notification is None or notification.user_id != user.id:
            raise NotFound(notification_id)
        if notification.read_at is None:
            notification.read_at = utcnow()
    return notification


def mark_all_read(user: User, type_key: str | None = None) -> None:
    if type_key is not None and type_key not in notification_settings.BY_KEY:
        raise NotFound(type_key)
    kinds = notification_settings.BY_KEY[type_key].kinds if type_key else None
    with write_transaction():
        query = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        if kinds is not None:
            query = query.where(Notification.kind.in_(kinds))
        db.session.execute(query.values(read_at=utcnow()))
