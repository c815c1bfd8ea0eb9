"""Tag list, tag pages, moderator editing, autocomplete."""

from collections.abc import Callable

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.models import Tag, User
from app.security import safe_redirect_target
from app.services import confirmations, fiscal_years, privileges, questions, tag_admin, tags, visibility, watching
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.pagination import parse_page
from app.tags import bp
from app.tags.forms import SynonymProposalForm, TagEditForm, TagMergeForm, TagRenameForm
from app.web import show_errors


@bp.get("/tags")
def index():
    filter_text = request.args.get("q", "")[:50]
    sort = request.args.get("sort", "popular")
    page = tags.list_tags(filter_text, sort, parse_page(request.args.get("page")))
    hidden = visibility.unreadable_tag_counts(current_user, [tag.id for tag in page.items])
    return render_template("tags/index.html", page=page, filter_text=filter_text, sort=sort, hidden=hidden)


@bp.get("/tags/suggest")
def suggest():
    found = tags.suggest_tags(request.args.get("q", "")[:50])
    hidden = visibility.unreadable_tag_counts(current_user, [tag.id for tag in found])
    return jsonify(items=[{"name": tag.label, "count": tag.question_count - hidden.get(tag.id, 0)} for tag in found])


@bp.get("/tags/<name>")
def show(name: str):
    tag = tags.get_tag(name)
    if tag.name != name:  # a synonym or an unnormalized spelling: one canonical URL
        return redirect(url_for("tags.show", name=tag.name, **request.args), code=301)
    tab = request.args.get("tab", "newest")
    page = questions.list_questions(tab, parse_page(request.args.get("page")), current_app.config["QUESTIONS_PER_PAGE"], viewer=current_user, tag=tag)
    return render_template(
        "tags/show.html",
        tag=tag,
        # What this viewer may read: the list's total already is, except on the unanswered tab.
        question_count=page.total
        if tab != "unanswered"
        else tag.question_count - visibility.unreadable_tag_counts(current_user, [tag.id]).get(tag.id, 0),
        page=page,
        tab=tab if tab in questions.TABS else "newest",
        proposal_form=SynonymProposalForm() if privileges.has(current_user, "propose_synonyms") else None,
        watch_state=watching.state_of(current_user, tag),
    )


@bp.get("/tags/<name>/review")
@login_required
def review(name: str):
    """Answers of the tag that may be outdated, the most read first, with confirm buttons for
    those who may confirm them (app/services/confirmations.py)."""
    tag = tags.get_tag(name)
    if tag.name != name:
        return redirect(url_for("tags.review", name=tag.name), code=301)
    items = confirmations.needs_review(tag)
    this_year = fiscal_years.current()
    return render_template(
        "tags/review.html",
        tag=tag,
        items=items,
        confirmable=confirmations.confirmable_ids(current_user, [tag.id], [item.answer for item in items]),
        this_year=this_year,
        this_year_label=fiscal_years.label(this_year),
        next_url=url_for("tags.review", name=tag.name),
    )


@bp.post("/tags/<name>/watch")
@login_required
def watch(name: str):
    """`state`: watch, ignore or none (stop either). Back to the tag page, or to `next` (settings)."""
    tag = tags.get_tag(name)
    state = request.form.get("state", "")
    if state in watching.KINDS:
        watching.set_state(current_user, tag, state)
        message = _("タグ「%(name)s」をウォッチします。ホームの「あなたの分野」に質問が表示されます。", name=tag.label)
        if state == "ignore":
            message = _("タグ「%(name)s」を無視します。ホームの一覧に表示されなくなります。", name=tag.label)
        flash(message, "success")
    elif state == "none":
        watching.clear_state(current_user, tag)
        flash(_("タグ「%(name)s」のウォッチ・無視をやめました。", name=tag.label), "info")
    else:
        abort(400)
    return redirect(safe_redirect_target(request.form.get("next"), fallback=url_for("tags.show", name=tag.name)))


@bp.route("/tags/<name>/edit", methods=["GET", "POST"])
@login_required
def edit(name: str):
    tag = tags.get_tag(name)
    if not current_user.is_moderator:
        raise PermissionDenied()
    form = TagEditForm(obj=tag)
    if request.method == "GET":
        form.synonyms.data = " ".join(synonym.name for synonym in tag.approved_synonyms)
    elif form.validate_on_submit():
        try:
            tags.edit_tag(current_user, tag, tags.TagEdit(form.description.data or "", form.category.data, form.synonyms.data or ""))
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("タグを更新しました。"), "success")
            return redirect(url_for("tags.show", name=tag.name))
    return render_template("tags/edit.html", form=form, tag=tag)


@bp.post("/tags/<name>/synonyms")
@login_required
def propose_synonym(name: str):
    tag = tags.get_tag(name)
    form = SynonymProposalForm()
    try:
        synonym = tag_admin.propose_synonym(current_user, tag, form.name.data or "")
    except ValidationFailed as failure:
        flash(" ".join(failure.errors.values()), "danger")
    else:
        if synonym.approved_at is None:
            flash(_("同義語「%(name)s」を提案しました。モデレーターの承認を待っています。", name=synonym.name), "success")
        else:
            flash(_("同義語「%(name)s」を追加しました。", name=synonym.name), "success")
    return redirect(url_for("tags.show", name=tag.name))


def _manage_page(tag: Tag, rename_form: TagRenameForm | None = None, merge_form: TagMergeForm | None = None, errors=()):
    return render_template(
        "tags/manage.html",
        tag=tag,
        rename_form=rename_form or TagRenameForm(formdata=None, name=tag.label),
        merge_form=merge_form or TagMergeForm(formdata=None),
        errors=list(errors),
    )


@bp.get("/tags/<name>/manage")
@login_required
def manage(name: str):
    tag = tags.get_tag(name)
    tag_admin.require_moderator(current_user)
    return _manage_page(tag)


def _manage_form_posted(name: str, slot: str, form: FlaskForm, change: Callable[[User, Tag, str], Tag], done: str):
    """A moderator's change from the manage page, given the form's one text field: the resulting
    tag's page after, or the manage page again with the form's errors."""
    tag = tags.get_tag(name)
    typed = next(field for field in form if field.name != "csrf_token").data or ""
    try:
        result = change(current_user, tag, typed)
    except ValidationFailed as failure:
        show_errors(form, failure)
        return _manage_page(tag, **{slot: form}), 422
    flash(done % {"name": result.label}, "success")
    return redirect(url_for("tags.show", name=result.name))


@bp.post("/tags/<name>/rename")
@login_required
def rename(name: str):
    return _manage_form_posted(name, "rename_form", TagRenameForm(), tag_admin.rename_tag, _("タグの名前を「%(name)s」にしました。"))


@bp.post("/tags/<name>/merge")
@login_required
def merge(name: str):
    return _manage_form_posted(name, "merge_form", TagMergeForm(), tag_admin.merge_tags, _("タグを「%(name)s」に統合しました。"))


@bp.post("/tags/<name>/delete")
@login_required
def delete(name: str):
    tag = tags.get_tag(name)
    try:
        tag_admin.delete_tag(current_user, tag)
    except ValidationFailed as failure:
        return _manage_page(tag, errors=failure.errors.values()), 422
    flash(_("タグ「%(name)s」を削除しました。", name=tag.label), "success")
    return redirect(url_for("tags.cleanup"))


@bp.get("/moderation/tags")
@login_required
def cleanup():
    """Moderators: synonym proposals to decide, and tags no question carries."""
    tag_admin.require_moderator(current_user)
    return render_template("tags/cleanup.html", pending=tag_admin.pending_synonyms(), empty=tag_admin.empty_tags())


@bp.post("/moderation/tags/synonyms/<id:synonym_id>")
@login_required
def decide_synonym(synonym_id: int):
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        abort(400)
    try:
        if decision == "approve":
            tag_admin.approve_synonym(current_user, synonym_id)
            flash(_("同義語を承認しました。"), "success")
        else:
            tag_admin.reject_synonym(current_user, synonym_id)
            flash(_("同義語の提案を却下しました。"), "success")
    except ValidationFailed as failure:
        flash(" ".join(failure.errors.values()), "danger")
    return redirect(url_for("tags.cleanup"))
