"""Checks shared by questions, answers and comments: body rendering, titles, rate of posting;
and what removing or restoring a question or an answer does besides hiding it."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Post, Revision, Tag, User, utcnow
from app.models.post import BODY_MAX, COMMENT_MAX, TITLE_MAX
from app.rendering import RenderError, plain_text, render_markdown
from app.services import audit, notifications
from app.services.errors import ValidationFailed
from app.text import clean_line, clean_text

TITLE_MIN = 5
BODY_MIN = 10


def check_title(title: str) -> str:
    title = clean_line(title)
    if len(title) < TITLE_MIN:
        raise ValidationFailed({"title": _("タイトルは%(n)d文字以上で、内容がわかるように書いてください。", n=TITLE_MIN)})
    if len(title) > TITLE_MAX:
        raise ValidationFailed({"title": _("タイトルは%(n)d文字以内にしてください。", n=TITLE_MAX)})
    return title


def check_body(body: str, field: str = "body") -> tuple[str, str]:
    """The cleaned Markdown source of a question or an answer and its sanitized HTML.

    The minimum counts what readers will see: an HTML comment, a lone link definition or tags
    the sanitizer strips are long in the source and render to nothing. Every writer (forms, the
    API, edits, suggested edits, importers) goes through here."""
    body = clean_text(body).strip()
    if len(body) < BODY_MIN:
        raise ValidationFailed({field: _("本文は%(n)d文字以上で書いてください。", n=BODY_MIN)})
    body_html = render_body(body, field)
    if visible_length(body_html) < BODY_MIN:
        raise ValidationFailed(
            {field: _("表示される本文が%(n)d文字未満です。HTMLのコメントやタグ、リンクの定義は表示されないため数えません。", n=BODY_MIN)}
        )
    return body, body_html


def visible_length(body_html: str) -> int:
    """Characters a reader sees in sanitized HTML, runs of white space counted as one."""
    return len(" ".join(plain_text(body_html).split()))


def render_body(text: str, field: str = "body") -> str:
    """Sanitized HTML for Markdown `text`, or a form error on `field` when it breaks the limits."""
    config = current_app.config
    try:
        return render_markdown(
            text, max_chars=BODY_MAX, timeout=config["MARKDOWN_RENDER_TIMEOUT"], image_sources=config["IMAGE_SOURCES"]
        )
    except RenderError as error:
        if str(error) == "too_long":
            message = _("%(n)s文字以内で入力してください。", n=f"{BODY_MAX:,}")
        else:
            message = _("書式が複雑すぎて表示できません。入れ子や記号の連続を減らしてください。")
        raise ValidationFailed({field: message}) from None


def render_stored(batch_size: int = 200) -> tuple[int, int]:
    """Render every post's and tag description's stored Markdown again with today's rules (say,
    the sanitizer's image rule) and keep the HTML where it changed. Returns (changed, refused):
    refused sources (over the time budget) keep their old HTML."""
    changed = refused = 0
    for model, source, target in ((Post, "body", "body_html"), (Tag, "description", "description_html")):
        last_id = 0
        while True:
            with write_transaction():
                rows = db.session.scalars(sa.select(model).where(model.id > last_id).order_by(model.id).limit(batch_size)).all()
                for row in rows:
                    try:
                        html = render_body(getattr(row, source)) if getattr(row, source) else ""
                    except ValidationFailed:
                        refused += 1
                        continue
                    if html != getattr(row, target):
                        setattr(row, target, html)
                        changed += 1
            if not rows:
                break
            last_id = rows[-1].id
    return changed, refused


def check_comment(body: str) -> str:
    body = clean_text(body).strip()
    if len(body) < 2:
        raise ValidationFailed({"body": _("コメントを入力してください。")})
    if len(body) > COMMENT_MAX:
        raise ValidationFailed({"body": _("コメントは%(n)d文字以内にしてください。", n=COMMENT_MAX)})
    return body


def add_revision(actor: User, post: Post, summary: str, now, tags: str | None = None) -> None:
    """Record the post's new state as its next revision (the post's fields are already set)."""
    post.revision_count += 1
    post.edited_at = now
    db.session.add(
        Revision(
            post_id=post.id,
            number=post.revision_count,
            author_id=actor.id,
            title=post.title,
            body=post.body,
            tags=tags,
            summary=" ".join(summary.split())[:200],
            created_at=now,
        )
    )
    if actor.id != post.author_id:  # a moderator editing someone else's post
        audit.record(actor, f"{post.kind}_edit", "post", post.id, revision=post.revision_count)


def mark_removed(actor: User, post: Post, reason: str | None, note: str | None) -> None:
    """Inside the caller's write transaction: hide the post, keep why (app.services.removal),
    write the audit row (the reason code, never the note) and tell the author."""
    post.deleted_at = utcnow()
    post.deleted_by_id = actor.id
    post.removal_reason = reason
    post.removal_note = note
    audit.record(actor, f"{post.kind}_delete", "post", post.id, **({"reason": reason} if reason else {}))
    _notify_author(post, "removed", actor)


def mark_restored(actor: User, post: Post) -> None:
    post.deleted_at = None
    post.deleted_by_id = None
    post.removal_reason = None
    post.removal_note = None
    audit.record(actor, f"{post.kind}_undelete", "post", post.id)
    _notify_author(post, "restored", actor)


def _notify_author(post: Post, kind: str, actor: User) -> None:
    # notify() skips the author's own actions: deleting one's own post tells nobody.
    if isinstance(post, Answer):
        notifications.notify(post.author, kind, actor, post.question, post.id)
    else:
        notifications.notify(post.author, kind, actor, post)
