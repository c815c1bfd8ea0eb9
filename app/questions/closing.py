"""Close and reopen votes, moderators' immediate close and reopen, merging a duplicate's answers
(app/services/closing.py). Each redirects back to the question saying what happened."""

from collections.abc import Callable

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.questions import bp
from app.services import closing, questions
from app.services.errors import ValidationFailed
from app.templating import question_url


def _vote(question, act: Callable[[], closing.Outcome], done: str):
    try:
        outcome = act()
    except ValidationFailed as failure:
        flash(next(iter(failure.errors.values())), "danger")
    else:
        round_ = outcome.round
        flash(done if outcome.decided else _("投票しました（%(n)d/%(needed)d）。", n=round_.count, needed=round_.needed), "success")
    return redirect(question_url(question))


@bp.post("/questions/<id:question_id>/close")
@login_required
def close(question_id: int):
    question = questions.get_question(current_user, question_id)
    reason, original = request.form.get("reason"), request.form.get("duplicate_of")
    return _vote(question, lambda: closing.close(current_user, question, reason, original), _("質問を閉じました。"))


@bp.post("/questions/<id:question_id>/reopen")
@login_required
def reopen(question_id: int):
    question = questions.get_question(current_user, question_id)
    return _vote(question, lambda: closing.reopen(current_user, question), _("質問を再開しました。"))


@bp.post("/questions/<id:question_id>/merge-answers")
@login_required
def merge_answers(question_id: int):
    question = questions.get_question(current_user, question_id)
    try:
        moved = closing.merge_answers(current_user, question)
    except ValidationFailed as failure:
        flash(next(iter(failure.errors.values())), "danger")
        return redirect(question_url(question))
    flash(ngettext("回答%(num)d件を元の質問へ統合しました。", "回答%(num)d件を元の質問へ統合しました。", moved), "success")
    return redirect(question_url(question.duplicate_of))
