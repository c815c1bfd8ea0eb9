"""Register, verify, log in and out, reset a password."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import EmailForm, LoginForm, RegisterForm, ResetPasswordForm
from app.extensions import limiter
from app.i18n import wait_text
from app.security import safe_redirect_target, security_event
from app.services import accounts, login_guard
from app.services.errors import ValidationFailed
from app.text import normalize_key
from app.web import show_errors


def _register_rate():
    return current_app.config["REGISTER_RATE_LIMIT"]


def _email_rate():
    return current_app.config["EMAIL_RATE_LIMIT"]


def _email_key() -> str:
    """Rate-limit key per typed e-mail address, so no mailbox is flooded from many addresses."""
    return "email:" + normalize_key(request.form.get("email", ""))[:254]


def _reset_link_key() -> str:
    return "reset-link:" + (request.view_args or {}).get("token", "")[:300]


def _locked_out(form: LoginForm, lock: login_guard.Lockout):
    """The login form again, saying how long to wait: 429 with Retry-After."""
    security_event("login_locked", email=form.email.data, scope=lock.scope)
    form.form_errors.append(_locked_message(lock))
    return render_template("auth/login.html", form=form), 429, {"Retry-After": str(lock.seconds)}


def _locked_message(lock: login_guard.Lockout) -> str:
    wait = wait_text(lock.seconds)
    if lock.scope == "ip":  # a flood of failures from this address, across many accounts
        return _("この接続元からのログインの失敗が非常に多いため、ログインを一時的に止めています。%(wait)s後にもう一度お試しください。", wait=wait)
    return _(
        "ログインの失敗が続いたため、このアカウントへのログインを一時的に止めています。%(wait)s後にもう一度お試しください。"
        "パスワードがわからない場合は「パスワードを忘れた場合」から再設定できます。",
        wait=wait,
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    # Throttled by login_guard (failed attempts only), not per address: a city hall shares one.
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        address = request.remote_addr or ""
        lock = login_guard.lockout(form.email.data, address)
        if lock is not None:
            return _locked_out(form, lock)
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.NotVerified:
            security_event("login_unverified", email=form.email.data)
            flash(_("メールアドレスの確認が済んでいません。届いたメールのリンクを開いてください。"), "warning")
            return redirect(url_for("auth.resend_verification"))
        if user is None:
            security_event("login_failure", email=form.email.data)
            form.form_errors.append(_("メールアドレスまたはパスワードが正しくありません。"))
            lock = login_guard.record_failure(form.email.data, address)
            if lock is not None:
                form.form_errors.append(_locked_message(lock))
        else:
            login_user(user, remember=form.remember.data)
            accounts.record_login(user)
            security_event("login_success", user=user.id)
            flash(_("ログインしました。"), "success")
            return redirect(safe_redirect_target(form.next.data))
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
@limiter.limit(_email_rate, methods=["POST"], key_func=_email_key)
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
@limiter.limit(_email_rate, methods=["POST"], key_func=_email_key)
def resend_verification():
    form = EmailForm()
    if form.validate_on_submit():
        accounts.resend_verification(form.email.data)
        return render_template("auth/check_email.html", email=form.email.data)
    return render_template("auth/resend.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_register_rate, methods=["POST"])
@limiter.limit(_email_rate, methods=["POST"], key_func=_email_key)
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        return render_template("auth/check_email.html", email=form.email.data, reset=True)
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LINK_RATE_LIMIT"], methods=["POST"], key_func=_reset_link_key)
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
