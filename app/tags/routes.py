"""Tag list, tag pages, moderator editing, autocomplete."""

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.services import questions, tags
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.pagination import parse_page
from app.tags import bp
from app.tags.forms import TagEditForm
from app.web import show_errors


@bp.get("/tags")
def index():
    filter_text = request.args.get("q", "")[:50]
    sort = request.args.get("sort", "popular")
    page = tags.list_tags(filter_text, sort, parse_page(request.args.get("page")))
    return render_template("tags/index.html", page=page, filter_text=filter_text, sort=sort)


@bp.get("/tags/suggest")
def suggest():
    found = tags.suggest_tags(request.args.get("q", "")[:50])
    return jsonify(items=[{"name": tag.name, "count": tag.question_count} for tag in found])


@bp.get("/tags/<name>")
def show(name: str):
    tag = tags.get_tag(name)
    if tag.name != name:  # a synonym or an unnormalized spelling: one canonical URL
        return redirect(url_for("tags.show", name=tag.name, **request.args), code=301)
    tab = request.args.get("tab", "newest")
    page = questions.list_questions(tab, parse_page(request.args.get("page")), current_app.config["QUESTIONS_PER_PAGE"], tag=tag)
    return render_template("tags/show.html", tag=tag, page=page, tab=tab if tab in questions.TABS else "newest")


@bp.route("/tags/<name>/edit", methods=["GET", "POST"])
@login_required
def edit(name: str):
    tag = tags.get_tag(name)
    if not current_user.is_moderator:
        raise PermissionDenied()
    form = TagEditForm(obj=tag)
    if request.method == "GET":
        form.synonyms.data = " ".join(synonym.name for synonym in tag.synonyms)
    elif form.validate_on_submit():
        try:
            tags.edit_tag(current_user, tag, tags.TagEdit(form.description.data or "", form.category.data, form.synonyms.data or ""))
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("タグを更新しました。"), "success")
            return redirect(url_for("tags.show", name=tag.name))
    return render_template("tags/edit.html", form=form, tag=tag)
