"""Theme groups: the list, a group's page, creating and editing, joining, leaving, watching,
and organizers deciding applications. Every rule lives in app/services/groups.py."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.groups import bp
from app.groups.forms import GroupForm
from app.services import groups
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.pagination import parse_page
from app.web import MAX_ID, show_errors


@bp.get("/groups")
def index():
    return render_template("groups/index.html", listed=groups.list_groups(current_user), can_create=groups.can_create(current_user))


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def create():
    if not groups.can_create(current_user):
        raise PermissionDenied()
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = groups.create_group(current_user, _input(form))
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("グループ「%(name)s」を作りました。", name=group.name), "success")
            return redirect(url_for("groups.show", slug=group.slug))
    return render_template("groups/edit.html", form=form, group=None)


@bp.route("/groups/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    group = groups.get_group(slug)
    if not groups.can_manage(current_user, group):
        raise PermissionDenied()
    form = GroupForm(obj=group)
    if request.method == "GET":
        form.tags.data = " ".join(tag.label for tag in group.tags)
    elif form.validate_on_submit():
        try:
            groups.update_group(current_user, group, _input(form))
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("グループを保存しました。"), "success")
            return redirect(url_for("groups.show", slug=group.slug))
    return render_template("groups/edit.html", form=form, group=group)


def _input(form: GroupForm) -> groups.GroupInput:
    return groups.GroupInput(
        name=form.name.data or "",
        slug=form.slug.data or "",
        description=form.description.data or "",
        tags=form.tags.data or "",
        join_policy=form.join_policy.data or "open",
    )


@bp.get("/groups/<slug>")
def show(slug: str):
    group = groups.get_group(slug)
    if group.slug != slug:  # another spelling (full-width, upper case): one canonical URL
        return redirect(url_for("groups.show", slug=group.slug), code=301)
    return render_template(
        "groups/show.html",
        group=group,
        page=groups.group_questions(current_user, group, parse_page(request.args.get("page"))),
        members=groups.members(group),
        pending=groups.members(group, "pending") if groups.can_manage(current_user, group) else [],
        mine=groups.membership(current_user, group),
        can_manage=groups.can_manage(current_user, group),
        form=FlaskForm(),
    )


@bp.post("/groups/<slug>/membership")
@login_required
def membership(slug: str):
    """`action`: join, leave, watch or unwatch."""
    group = groups.get_group(slug)
    action = request.form.get("action", "")
    if action == "join":
        row = groups.join(current_user, group)
        if row.status == "active":
            flash(_("グループ「%(name)s」に参加しました。", name=group.name), "success")
        else:
            flash(_("参加を申し込みました。世話人が承認すると参加になります。"), "info")
    elif action == "leave":
        try:
            groups.leave(current_user, group)
        except ValidationFailed as failure:
            flash(" ".join(str(message) for message in failure.errors.values()), "error")
        else:
            flash(_("グループ「%(name)s」から退会しました。", name=group.name), "info")
    elif action in ("watch", "unwatch"):
        groups.set_watching(current_user, group, action == "watch")
        if action == "watch":
            flash(_("グループをウォッチします。ホームの「あなたの分野」とダイジェストに質問が届きます。"), "success")
        else:
            flash(_("グループのウォッチをやめました。"), "info")
    else:
        abort(400)
    return redirect(url_for("groups.show", slug=group.slug))


@bp.post("/groups/<slug>/applications/<int:user_id>")
@login_required
def decide(slug: str, user_id: int):
    group = groups.get_group(slug)
    decision = request.form.get("decision", "")
    if decision not in ("approve", "refuse") or user_id > MAX_ID:
        abort(400)
    groups.decide(current_user, group, user_id, approve=decision == "approve")
    flash(_("参加を承認しました。") if decision == "approve" else _("参加の申し込みをお断りしました。"), "info")
    return redirect(url_for("groups.show", slug=group.slug, _anchor="members"))


@bp.post("/groups/<slug>/members/<int:user_id>/role")
@login_required
def role(slug: str, user_id: int):
    group = groups.get_group(slug)
    if user_id > MAX_ID:
        abort(400)
    try:
        groups.set_role(current_user, group, user_id, request.form.get("role", ""))
    except ValidationFailed:
        abort(400)
    flash(_("役割を変更しました。"), "info")
    return redirect(url_for("groups.show", slug=group.slug, _anchor="members"))

