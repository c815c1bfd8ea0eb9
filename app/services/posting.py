"""Checks shared by questions, answers and comments: body rendering, titles, rate of posting."""

from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models import Post, Revision, User
from app.models.post import COMMENT_MAX, TITLE_MAX
from app.rendering import RenderError, render_markdown
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


def check_body(body: str, field: str = "body") -> str:
    body = clean_text(body).strip()
    if len(body) < BODY_MIN:
        raise ValidationFailed({field: _("本文は%(n)d文字以上で書いてください。", n=BODY_MIN)})
    return body


def render_body(text: str, field: str = "body") -> str:
    """Sanitized HTML for Markdown `text`, or a form error on `field` when it breaks the limits."""
    config = current_app.config
    try:
        return render_markdown(
            text, max_chars=config["MARKDOWN_MAX_CHARS"], timeout=config["MARKDOWN_RENDER_TIMEOUT"]
        )
    except RenderError as error:
        if str(error) == "too_long":
            message = _("%(n)s文字以内で入力してください。", n=f"{config['MARKDOWN_MAX_CHARS']:,}")
        else:
            message = _("書式が複雑すぎて表示できません。入れ子や記号の連続を減らしてください。")
        raise ValidationFailed({field: message}) from None


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
