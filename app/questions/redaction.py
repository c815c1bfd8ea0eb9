"""The edit history and redaction of personal information from it (app/services/redaction.py)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.models import Post, Question
from app.questions import bp
from app.questions.forms import RedactPassageForm, RedactRevisionForm
from app.services import permissions, questions, redaction, revisions
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.web import show_errors


def history_target(post_id: int) -> tuple[Post, Question]:
    """The post whose history is asked for and its question; 404 when the viewer may not see them."""
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound(post_id)
    question = questions.get_question(current_user, post.question_id or post.id)
    if post.is_deleted and not permissions.can_view_deleted(current_user):
        raise NotFound(post_id)
    return post, question


def render_history(post: Post, question: Question, form: RedactPassageForm | None = None) -> str:
    if form is None and permissions.can_redact(current_user, post):
        form = RedactPassageForm()
    return render_template(
        "questions/revisions.html",
        post=post,
        question=question,
        history=revisions.history(post),
        redact_form=form,
        placeholder=redaction.PLACEHOLDER,
    )


def _redactable(post_id: int) -> tuple[Post, Question]:
    post, question = history_target(post_id)
    if not permissions.can_redact(current_user, post):
        raise PermissionDenied()
    return post, question


@bp.post("/posts/<id:post_id>/redact")
@login_required
def redact_passage(post_id: int):
    post, question = _redactable(post_id)
    form = RedactPassageForm()
    if form.validate_on_submit():
        try:
            result = redaction.redact_passage(current_user, post, form.passage.data, form.reason.data)
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(
                _("%(n)d か所を「%(p)s」に置き換えました。", n=result.occurrences, p=redaction.PLACEHOLDER), "success"
            )
            return redirect(url_for("questions.post_revisions", post_id=post.id))
    return render_history(post, question, form), 422


@bp.route("/posts/<id:post_id>/revisions/<id:number>/redact", methods=["GET", "POST"])
@login_required
def redact_revision(post_id: int, number: int):
    post, question = _redactable(post_id)
    revision = revisions.get_revision(post, number)
    form = RedactRevisionForm()
    if form.validate_on_submit():
        redaction.redact_revision(current_user, post, number, form.reason.data)
        flash(_("第%(n)d版を「%(p)s」に置き換えました。", n=number, p=redaction.PLACEHOLDER), "success")
        return redirect(url_for("questions.post_revisions", post_id=post.id))
    return render_template(
        "questions/redact_revision.html",
        post=post,
        question=question,
        revision=revision,
        current=number == post.revision_count,
        form=form,
        placeholder=redaction.PLACEHOLDER,
    ), 422 if form.is_submitted() else 200
