"""Collections: parse, call app.services.curation, render."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.curation import bp
from app.curation.forms import CollectionForm, ItemForm
from app.models import Collection, Tag
from app.services import curation, privacy_guard, tags
from app.services.errors import PermissionDenied, PersonalInformationFound, ValidationFailed
from app.web import confirmed_categories, show_errors


def _input(form: CollectionForm) -> curation.CollectionInput:
    return curation.CollectionInput(form.title.data or "", form.intro.data or "", form.tag.data or "", form.department.data or "")


def _saving(form, save) -> tuple[object | None, int]:
    """(what `save()` returned, 200) once saved; (None, status) with the errors on the form."""
    try:
        return save(), 200
    except ValidationFailed as failure:
        show_errors(form, failure)
        return None, 200
    except PersonalInformationFound as found:
        form.hold(found)
        return None, 422


@bp.get("/collections/<id:collection_id>")
@login_required
def show(collection_id: int):
    collection = curation.get_collection(collection_id)
    return render_template(
        "collections/show.html",
        collection=collection,
        items=curation.shown_items(current_user, collection),
        can_edit=curation.can_edit(current_user, collection),
        saved=curation.is_saved(current_user, collection),
    )


@bp.get("/collections/saved")
@login_required
def saved():
    return render_template("collections/saved.html", collections=curation.saved_collections(current_user))


@bp.route("/tags/<name>/collections/new", methods=["GET", "POST"])
@login_required
def new(name: str):
    tag = tags.get_tag(name)
    if not curation.can_curate(current_user, tag):
        raise PermissionDenied()
    form = CollectionForm()
    status = 200
    if request.method == "GET":
        form.tag.data = tag.name
    elif form.validate_on_submit():
        data = _input(form)
        collection, status = _saving(form, lambda: curation.create_collection(current_user, data, confirmed_categories=confirmed_categories()))
        if collection is not None:
            flash(_("まとめを作成しました。質問を追加してください。"), "success")
            return redirect(url_for("collections.edit", collection_id=collection.id))
    return render_template("collections/form.html", form=form, tag=tag, collection=None), status


def _editable(collection_id: int) -> Collection:
    collection = curation.get_collection(collection_id)
    if not curation.can_edit(current_user, collection):
        raise PermissionDenied()
    return collection


def _edit_page(collection: Collection, form: CollectionForm | None = None, item_form: ItemForm | None = None, status: int = 200):
    if form is None:
        form = CollectionForm(
            formdata=None,
            data={"title": collection.title, "intro": collection.intro, "tag": collection.tag.name if collection.tag else "",
                  "department": collection.department_key or ""},
        )  # fmt: skip
    return render_template(
        "collections/edit.html",
        form=form,
        item_form=item_form or ItemForm(formdata=None),
        collection=collection,
        items=curation.shown_items(current_user, collection),
        tag=collection.tag,
    ), status


@bp.route("/collections/<id:collection_id>/edit", methods=["GET", "POST"])
@login_required
def edit(collection_id: int):
    collection = _editable(collection_id)
    if request.method == "GET":
        return _edit_page(collection)
    form = CollectionForm()
    status = 200
    if form.validate_on_submit():
        data = _input(form)
        saved_, status = _saving(
            form, lambda: curation.update_collection(current_user, collection, data, confirmed_categories=confirmed_categories())
        )
        if saved_ is not None:
            flash(_("まとめを保存しました。"), "success")
            return redirect(url_for("collections.show", collection_id=collection.id))
    return _edit_page(collection, form=form, status=status)


@bp.post("/collections/<id:collection_id>/items")
@login_required
def add_item(collection_id: int):
    collection = _editable(collection_id)
    item_form = ItemForm()
    status = 200
    if item_form.validate_on_submit():
        question, note = item_form.question.data, item_form.note.data or ""
        item, status = _saving(
            item_form, lambda: curation.add_item(current_user, collection, question, note, confirmed_categories=confirmed_categories())
        )
        if item is not None:
            flash(_("まとめに質問を追加しました。"), "success")
            return redirect(url_for("collections.edit", collection_id=collection.id, _anchor="items"))
    return _edit_page(collection, item_form=item_form, status=status)


@bp.post("/collections/<id:collection_id>/items/<id:question_id>/move")
@login_required
def move_item(collection_id: int, question_id: int):
    collection = _editable(collection_id)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)
    curation.move_item(current_user, collection, question_id, direction)
    return redirect(url_for("collections.edit", collection_id=collection.id, _anchor=f"item-{question_id}"))


@bp.post("/collections/<id:collection_id>/items/<id:question_id>/note")
@login_required
def item_note(collection_id: int, question_id: int):
    collection = _editable(collection_id)
    try:
        curation.set_item_note(current_user, collection, question_id, request.form.get("note", ""), confirmed_categories=confirmed_categories())
    except ValidationFailed as failure:
        flash(" ".join(failure.errors.values()), "danger")
    except PersonalInformationFound as found:
        flash(privacy_guard.held_message(found), "danger")
    else:
        flash(_("ひとことを保存しました。"), "success")
    return redirect(url_for("collections.edit", collection_id=collection.id, _anchor=f"item-{question_id}"))


@bp.post("/collections/<id:collection_id>/items/<id:question_id>/delete")
@login_required
def remove_item(collection_id: int, question_id: int):
    collection = _editable(collection_id)
    curation.remove_item(current_user, collection, question_id)
    flash(_("まとめから質問を外しました。"), "info")
    return redirect(url_for("collections.edit", collection_id=collection.id, _anchor="items"))


@bp.post("/collections/<id:collection_id>/delete")
@login_required
def delete(collection_id: int):
    collection = _editable(collection_id)
    tag_name = collection.tag.name if collection.tag else None
    curation.delete_collection(current_user, collection)
    flash(_("まとめを削除しました。"), "info")
    return redirect(url_for("tags.show", name=tag_name) if tag_name else url_for("collections.saved"))


@bp.post("/collections/<id:collection_id>/save")
@login_required
def save(collection_id: int):
    collection = curation.get_collection(collection_id)
    raw = request.form.get("saved", "")
    if raw not in ("1", "0"):
        abort(400)
    curation.set_saved(current_user, collection, raw == "1")
    flash(_("まとめを保存しました。") if raw == "1" else _("まとめの保存を取り消しました。"), "success" if raw == "1" else "info")
    return redirect(url_for("collections.show", collection_id=collection.id))


@bp.app_template_global()
def tag_collections(tag: Tag) -> list[Collection]:
    """The collections block on a tag page (the tags blueprint stays unaware of collections)."""
    return curation.for_tags([tag.id])


@bp.app_template_global()
def may_curate(tag: Tag) -> bool:
    return curation.can_curate(current_user, tag)
