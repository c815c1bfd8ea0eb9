"""Register, verify, log in and out, reset a password."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import EmailForm, LoginForm, RegisterForm, ResetPasswordForm
from app.extensions import limiter
from app.security import safe_next, security_event
from app.services import accounts
from app.services.errors import ValidationFailed
from app.text import normalize_key
from app.web import show_errors


def _login_rate():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_rate():
    return current_app.config["REGISTER_RATE_LIMIT"]


def _email_key() -> str:
    """Rate-limit key per target account, so one address cannot be guessed at from many IPs."""
    return "email:" + normalize_key(request.form.get("email", ""))[:254]


def _audit_lockout(by: str):
    """on_breach callback: the first refused attempt of a window goes to the audit log, once per
    window and limit (the counter goes on counting refused attempts), so a flood cannot fill it."""

    def record(breach: RequestLimit) -> None:
        if limiter.storage.get(breach.key) == breach.limit.amount + 1:
            accounts.record_login_lockout(request.form.get("email", ""), str(breach.limit), by)

    return record


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"], on_breach=_audit_lockout("ip"))
@limiter.limit(_login_rate, methods=["POST"], key_func=_email_key, on_breach=_audit_lockout("account"))
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.NotVerified:
            security_event("login_unverified", email=form.email.data)
            flash(_("メールアドレスの確認が済んでいません。届いたメールのリンクを開いてください。"), "warning")
            return redirect(url_for("auth.resend_verification"))
        if user is None:
            security_event("login_failure", email=form.email.data)
            form.form_errors.append(_("メールアドレスまたはパスワードが正しくありません。"))
        else:
            login_user(user, remember=form.remember.data)
            accounts.record_login(user)
            security_event("login_success", user=user.id)
            flash(_("ログインしました。"), "success")
            return redirect(safe_next(form.next.data) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    accounts.end_all_sessions(current_user)
    logout_user()
    flash(_("ログアウトしました。"), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_rate, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.register_user(
                accounts.Registration(
                    email=form.email.data,
                    password=form.password.data,
                    display_name=form.display_name.data,
                    organization_code=request.form.get("organization_code") or form.organization.data,
                    department=form.department.data or "",
                )
            )
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            return render_template("auth/check_email.html", email=form.email.data)
    return render_template("auth/register.html", form=form)


@bp.get("/verify/<token>")
def verify_email(token: str):
    user = accounts.verify_email(token)
    if user is None:
        flash(_("確認リンクが無効か、期限切れか、すでに使用済みです。"), "danger")
        return redirect(url_for("auth.resend_verification"))
    login_user(user)
    accounts.record_login(user)
    flash(_("メールアドレスを確認しました。ようこそ、%(name)s さん。", name=user.display_name), "success")
    return redirect(url_for("people.first_run_page"))  # the guided start: current post and its areas


@bp.route("/verify/resend", methods=["GET", "POST"])
@limiter.limit(_register_rate, methods=["POST"])
def resend_verification():
    form = EmailForm()
    if form.validate_on_submit():
        accounts.resend_verification(form.email.data)
        return render_template("auth/check_email.html", email=form.email.data)
    return render_template("auth/resend.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_register_rate, methods=["POST"])
@limiter.limit(_register_rate, methods=["POST"], key_func=_email_key)
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        return render_template("auth/check_email.html", email=form.email.data, reset=True)
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_rate, methods=["POST"])
def reset_password(token: str):
    if accounts.user_for_reset_token(token) is None:
        flash(_("再設定リンクが無効か、期限切れか、すでに使用済みです。もう一度お申し込みください。"), "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.reset_password(token, form.password.data)
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            if user is not None:
                login_user(user)
                flash(_("パスワードを変更しました。"), "success")
                return redirect(url_for("main.index"))
    return render_template("auth/reset.html", form=form)
