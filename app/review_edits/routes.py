"""The suggested-edits queue: reviewers compare each suggestion with the post and decide."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.review_edits import bp
from app.services import reputation, suggested_edits
from app.services.errors import Conflict, ValidationFailed
from app.services.pagination import parse_page


@bp.get("")
@login_required
def queue():
    page, items = suggested_edits.queue(
        current_user, parse_page(request.args.get("page")), current_app.config["QUESTIONS_PER_PAGE"]
    )
    return render_template(
        "review_edits/queue.html",
        page=page,
        items=items,
        reasons=suggested_edits.REJECT_REASONS,
        rep_bonus=reputation.SUGGESTED_EDIT,
    )


@bp.post("/<id:suggestion_id>/approve")
@login_required
def approve(suggestion_id: int):
    try:
        suggested_edits.approve(current_user, suggestion_id)
    except Conflict:
        flash(_("提案の後に投稿が編集されたため、承認できません。却下するか、提案者に最新の内容へ提案し直してもらってください。"), "danger")
    except ValidationFailed as failure:
        flash(next(iter(failure.errors.values())), "danger")
    else:
        flash(_("編集の提案を承認し、投稿に反映しました。"), "success")
    return redirect(url_for("review_edits.queue"))


@bp.post("/<id:suggestion_id>/reject")
@login_required
def reject(suggestion_id: int):
    try:
        suggested_edits.reject(current_user, suggestion_id, request.form.get("reason", ""))
    except ValidationFailed as failure:
        flash(next(iter(failure.errors.values())), "danger")
    else:
        flash(_("編集の提案を却下しました。"), "info")
    return redirect(url_for("review_edits.queue"))
