"""The audit log (read only: no route here, nor anywhere, edits or deletes an entry), roles, and
the mail queue's dead letters."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.admin import bp, labels
from app.extensions import db
from app.models import User
from app.services import admin, audit, mail_queue
from app.services.errors import NotFound, ValidationFailed
from app.services.pagination import parse_page

FILTER_FIELDS = ("who", "action", "since", "until", "target_type", "target_id")


@bp.get("/audit")
@login_required
def audit_log():
    typed = {name: request.args.get(name, "")[:100] for name in FILTER_FIELDS}
    try:
        page = audit.list_entries(current_user, typed, parse_page(request.args.get("page")))
    except ValidationFailed as failure:  # nothing is listed until the filter reads right
        return render_template("admin/audit.html", page=None, typed=typed, errors=failure.errors, labels=labels, targets={})
    return render_template(
        "admin/audit.html", page=page, typed=typed, errors={}, labels=labels, targets=audit.load_targets(page.items)
    )


@bp.get("/users")
@login_required
def users():
    query = request.args.get("q", "")[:100]
    page = admin.list_users(current_user, query, parse_page(request.args.get("page")))
    return render_template("admin/users.html", page=page, query=query, labels=labels)


@bp.post("/users/<id:user_id>/role")
@login_required
def set_role(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(user_id)
    try:
        changed = admin.set_role(current_user, user, request.form.get("role", ""))
    except ValidationFailed as failure:
        flash(next(iter(failure.errors.values())), "danger")
    else:
        if changed:
            flash(_("%(name)s さんの権限を「%(role)s」にしました。", name=user.display_name, role=labels.role(user.role)), "success")
    return redirect(url_for("admin.users", q=request.form.get("q", "")[:100] or None, page=request.form.get("page") or None))


@bp.get("/mail")
@login_required
def mail():
    page = mail_queue.dead_letters(current_user, parse_page(request.args.get("page")))
    return render_template("admin/mail.html", page=page, counts=mail_queue.counts(current_user), reason=mail_queue.reason)


@bp.post("/mail/<id:message_id>/retry")
@login_required
def mail_retry(message_id: int):
    try:
        mail_queue.retry(current_user, message_id)
    except NotFound:
        flash(_("このメールはすでに再送または破棄されています。"), "warning")
    else:
        flash(_("メール #%(id)d を送信待ちに戻しました。", id=message_id), "success")
    return redirect(url_for("admin.mail"))


@bp.post("/mail/<id:message_id>/discard")
@login_required
def mail_discard(message_id: int):
    try:
        mail_queue.discard(current_user, message_id)
    except NotFound:
        flash(_("このメールはすでに再送または破棄されています。"), "warning")
    else:
        flash(_("メール #%(id)d を破棄しました。送信されません。", id=message_id), "success")
    return redirect(url_for("admin.mail"))
