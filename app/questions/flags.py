"""Flags from the question page: 「報告」 under a post or a comment (a plain POST form with CSRF)."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.api.auth import flag_limit
from app.questions import bp
from app.questions.routes import visible_post
from app.services import comments, flags, permissions
from app.services.errors import ValidationFailed
from app.templating import question_url


@bp.post("/posts/<id:post_id>/flag")
@login_required
@flag_limit
def flag_post(post_id: int):
    return _flag(visible_post(post_id))


@bp.post("/comments/<id:comment_id>/flag")
@login_required
@flag_limit
def flag_comment(comment_id: int):
    return _flag(comments.get_comment(current_user, comment_id))


def _flag(target: flags.Target):
    try:
        flags.flag(current_user, target, request.form.get("reason"), request.form.get("note"))
    except ValidationFailed as failure:
        flash(next(iter(failure.errors.values())), "danger")
    else:
        flash(_("報告しました。モデレーターが確認します。ご協力ありがとうございます。"), "success")
    question = flags.question_of(target)
    if not permissions.can_see_hidden(current_user, question):  # the flag hid it from the flagger too
        return redirect(url_for("questions.index"))
    post_id = flags.anchor_post_id(target)
    return redirect(question_url(question, _anchor=f"answer-{post_id}" if post_id else "question"))
