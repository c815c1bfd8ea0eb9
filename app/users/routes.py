"""People: directory, profiles, settings, notifications, organization lookup."""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from app.extensions import db
from app.models import User
from app.services import (
    accounts,
    bookmarks,
    feeds,
    notifications,
    organizations,
    profiles,
    reputation,
    routing,
    watching,
)
from app.services.errors import NotFound, ValidationFailed
from app.services.pagination import parse_page
from app.urls import external_url
from app.users import bp
from app.users.forms import PasswordChangeForm, ProfileForm
from app.web import show_errors

REPUTATION_PER_PAGE = 20


@bp.get("/users")
def index():
    filter_text = request.args.get("q", "")[:50]
    page = profiles.list_users(filter_text, parse_page(request.args.get("page")))
    return render_template("users/index.html", page=page, filter_text=filter_text)


@bp.get("/users/<id:user_id>")
def show(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(user_id)
    history = reputation.history(user, parse_page(request.args.get("page")), REPUTATION_PER_PAGE)
    return render_template("users/show.html", profile=profiles.profile(current_user, user), history=history)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            profiles.update_settings(
                current_user,
                accounts.ProfileUpdate(
                    display_name=form.display_name.data,
                    department=form.department.data or "",
                    bio=form.bio.data or "",
                    career_visibility=form.career_visibility.data,
                    notify_by_email=form.notify_by_email.data,
                ),
                routing_opt_in=form.routing_opt_in.data,
            )
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("プロフィールを更新しました。"), "success")
            return redirect(url_for("users.show", user_id=current_user.id))
    token = feeds.feed_token(current_user)
    return render_template(
        "users/settings.html",
        form=form,
        routed_this_week=routing.weekly_load(current_user),
        routing_cap=routing.setting("ROUTING_WEEKLY_CAP"),
        feed_url=external_url("feeds.questions_feed", token=token) if token else None,
        watched_tags=watching.tags_of(current_user, "watch"),
        ignored_tags=watching.tags_of(current_user, "ignore"),
    )


@bp.get("/bookmarks")
@login_required
def bookmarks_page():
    page = bookmarks.list_saved(current_user, parse_page(request.args.get("page")))
    return render_template("users/bookmarks.html", page=page)


@bp.post("/settings/feeds")
@login_required
def feed_url():
    """Create the person's feed URL, or with action=revoke make every one of theirs stop working."""
    if request.form.get("action") == "revoke":
        feeds.revoke_feed_key(current_user)
        flash(_("フィードURLを無効にしました。これまでのURLでは読めなくなります。"), "info")
    else:
        feeds.create_feed_key(current_user)
        flash(_("個人用のフィードURLを作成しました。フィードリーダーに登録してください。"), "success")
    return redirect(url_for("users.settings", _anchor="feeds"))


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data)
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            login_user(current_user._get_current_object())  # this device keeps its session (new token)
            flash(_("パスワードを変更しました。ほかの端末ではログアウトされました。"), "success")
            return redirect(url_for("users.settings"))
    return render_template("users/password.html", form=form)


@bp.get("/notifications")
@login_required
def notifications_inbox():
    page = notifications.list_notifications(current_user, parse_page(request.args.get("page")))
    return render_template(
        "users/notifications.html", page=page, describe=notifications.describe
    )


@bp.post("/notifications/read")
@login_required
def notifications_read():
    notifications.mark_all_read(current_user)
    return redirect(url_for("users.notifications_inbox"))


@bp.get("/organizations/search")
def organization_search():
    found = organizations.search_organizations(request.args.get("q", "")[:50])
    return jsonify(items=[{"code": org.code, "name": org.full_name, "kana": org.kana} for org in found])
