"""Handover notes: parse, call app.services.handover, render."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.handover import bp
from app.handover.forms import HandoverForm
from app.services import careers, handover
from app.services.errors import Conflict, PersonalInformationFound, ValidationFailed
from app.web import confirmed_categories, show_errors


def _input(form: HandoverForm) -> handover.HandoverInput:
    return handover.HandoverInput(body=form.body.data or "", visibility=form.visibility.data or "")


@bp.get("/handover/<id:note_id>")
@login_required
def show(note_id: int):
    note = handover.get_note(current_user, note_id)
    return render_template(
        "handover/show.html",
        note=note,
        linked=handover.linked_questions(current_user, note),
        can_edit=handover.can_edit(current_user, note),
    )


@bp.get("/handover/<id:note_id>/history")
@login_required
def history(note_id: int):
    note = handover.get_note(current_user, note_id)
    return render_template("handover/history.html", note=note, history=handover.history(note))


@bp.route("/handover/<id:note_id>/edit", methods=["GET", "POST"])
@login_required
def edit(note_id: int):
    note = handover.get_note(current_user, note_id)
    if not handover.can_edit(current_user, note):
        abort(403)
    form = HandoverForm(obj=note)
    status = 200
    if request.method == "GET":
        form.base_revision.data = note.revision_count
    elif form.validate_on_submit():
        base = str(form.base_revision.data or "")
        try:
            handover.edit_note(
                current_user, note, _input(form), base_revision=int(base) if base.isdigit() else -1,
                confirmed_categories=confirmed_categories(),
            )  # fmt: skip
        except ValidationFailed as failure:
            show_errors(form, failure)
        except PersonalInformationFound as found:
            form.hold(found)
            status = 422
        except Conflict:
            form.form_errors.append(
                _("編集中にほかの人がこの引継書を更新しました。あなたの入力はそのまま残してあります。最新の内容（下に表示）を確認してから保存し直してください。")
            )
            form.base_revision.data = note.revision_count
            status = 409
        else:
            flash(_("引継書を保存しました。"), "success")
            return redirect(url_for("handover.show", note_id=note.id))
    return render_template("handover/edit.html", form=form, note=note, entry=None, conflict=status == 409), status


@bp.route("/settings/career/<id:entry_id>/handover", methods=["GET", "POST"])
@login_required
def write_for_post(entry_id: int):
    """Write the note of the post of one's own career entry (or edit it, when it has one)."""
    entry = careers.get_own_entry(current_user, entry_id)
    note = handover.note_for_post(entry.organization_code, entry.department_key)
    if note is not None:
        return redirect(url_for("handover.edit", note_id=note.id))
    form = HandoverForm()
    status = 200
    if form.validate_on_submit():
        try:
            note = handover.start_note(current_user, entry.id, _input(form), confirmed_categories=confirmed_categories())
        except ValidationFailed as failure:
            show_errors(form, failure)
        except PersonalInformationFound as found:
            form.hold(found)
            status = 422
        except Conflict:  # a colleague saved the first note meanwhile: continue from theirs
            flash(_("この職の引継書はほかの人が先に作成しました。内容を確認して追記してください。"), "info")
            note = handover.note_for_post(entry.organization_code, entry.department_key)
            return redirect(url_for("handover.edit", note_id=note.id))
        else:
            flash(_("引継書を保存しました。"), "success")
            return redirect(url_for("handover.show", note_id=note.id))
    return render_template("handover/edit.html", form=form, note=None, entry=entry, conflict=False), status


@bp.app_template_global()
def handover_visibility(note) -> str:
    return str(handover.VISIBILITY_LABELS[note.visibility])
