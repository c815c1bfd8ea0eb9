"""The audit log (read only: no route here, nor anywhere, edits or deletes an entry), roles, the
mail queue's dead letters, and analytics (admins, and organization administrators for their own
organization)."""

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.admin import bp, labels
from app.admin.forms import AnalyticsForm
from app.charts import chart
from app.errors import error_response
from app.extensions import db
from app.models import User
from app.services import admin, analytics, audit, mail_queue
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.pagination import parse_page
from app.web import show_errors

FILTER_FIELDS = ("who", "action", "since", "until", "target_type", "target_id")
ANALYTICS_FIELDS = ("scope", "organization", "organization_code", "tag", "preset", "start", "end")


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


@bp.post("/users/<id:user_id>/org-admin")
@login_required
def set_org_admin(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(user_id)
    value = request.form.get("org_admin") == "1"
    try:
        changed = admin.set_org_admin(current_user, user, value)
    except ValidationFailed as failure:
        flash(next(iter(failure.errors.values())), "danger")
    else:
        if changed and value:
            flash(_("%(name)s さんを団体管理者にしました。", name=user.display_name), "success")
        elif changed:
            flash(_("%(name)s さんの団体管理者を外しました。", name=user.display_name), "success")
    return redirect(url_for("admin.users", q=request.form.get("q", "")[:100] or None, page=request.form.get("page") or None))


def _analytics_report() -> analytics.Report:
    args = request.args
    return analytics.read(
        current_user,
        scope=args.get("scope"),
        # The picker's hidden code when JavaScript chose one, else what was typed.
        organization=(args.get("organization_code") or args.get("organization", ""))[:120],
        tag=args.get("tag", "")[:50],
        preset=args.get("preset"),
        start=args.get("start", "")[:20],
        end=args.get("end", "")[:20],
    )


def _denied(denied: PermissionDenied):
    return error_response(403, str(denied.args[0]) if denied.args else None)


@bp.get("/analytics")
@login_required
def analytics_page():
    form = AnalyticsForm(request.args)
    try:
        result = _analytics_report()
    except PermissionDenied as denied:
        return _denied(denied)
    except ValidationFailed as failure:
        show_errors(form, failure)
        return render_template("admin/analytics.html", form=form, report=None, charts={}, analytics=analytics), 400
    if not request.args.get("start") and not request.args.get("end"):
        form.preset.data = result.period.preset
    if result.scope.organization is not None and not form.organization.data:
        form.organization.data = f"{result.scope.organization.full_name} ({result.scope.organization.code})"
    # The CSV links carry the same filter (only its own fields: any other query key is dropped).
    csv_args = {key: request.args[key] for key in ANALYTICS_FIELDS if request.args.get(key)}
    return render_template(
        "admin/analytics.html", form=form, report=result, charts=_charts(result), analytics=analytics, csv_args=csv_args
    )


def _charts(result: analytics.Report) -> dict:
    trend = result.trend
    labels_ = [analytics.bucket_label(trend.unit, day) for day in trend.starts]
    per = _("週ごと") if trend.unit == "week" else _("月ごと")
    charts = {
        "trend": chart(
            "chart-trend",
            _("%(scope)sの推移（%(per)s）", scope=result.scope.label, per=per),
            _("質問・回答・アクティブなメンバーの数の推移。同じ数値を下の表に示します。"),
            labels_,
            [(_("質問"), trend.questions), (_("回答"), trend.answers), (_("アクティブなメンバー"), trend.active_members)],
        )
    }
    if result.meetings:
        charts["meetings"] = chart(
            "chart-meetings",
            _("情報交換会の参加登録と出席"),
            _("期間中の情報交換会ごとの参加登録数と出席数。同じ数値を下の表に示します。"),
            [row.title[:12] for row in result.meetings],
            [(_("参加登録"), [row.registered for row in result.meetings]), (_("出席"), [row.attended for row in result.meetings])],
            kind="bar",
            unit=_("人"),
        )
    return charts


@bp.get("/analytics/<name>.csv")
@login_required
def analytics_csv(name: str):
    if name not in analytics.TABLES:
        raise NotFound(name)
    try:
        result = _analytics_report()
    except PermissionDenied as denied:
        return _denied(denied)
    except ValidationFailed as failure:
        return error_response(400, " ".join(failure.errors.values()))
    fallback, encoded = analytics.csv_filename(result, name)
    return Response(
        analytics.to_csv(*analytics.table(result, name)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{fallback}"; filename*={encoded}'},
    )


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
