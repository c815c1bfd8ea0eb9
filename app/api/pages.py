"""The human side of the API: the Japanese documentation page and token management in settings."""

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.api import pages_bp as bp
from app.api.forms import RevokeForm, TokenForm
from app.services import tokens
from app.services.errors import ValidationFailed
from app.urls import external_url
from app.web import show_errors


@bp.get("/api")
def docs():
    return render_template("api/index.html", base_url=external_url("api.openapi").rsplit("/", 1)[0])


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def token_list():
    form = TokenForm()
    created = None
    status = 200
    if form.validate_on_submit():
        try:
            created = tokens.create_token(current_user, form.name.data, form.scope.data)
        except ValidationFailed as failure:
            show_errors(form, failure)
            status = 422
        else:
            form = TokenForm(formdata=None)
            status = 201
    elif form.is_submitted():
        status = 422
    # The new secret is rendered into this response only (never flashed into the session cookie).
    response = make_response(
        render_template(
            "api/tokens.html",
            form=form,
            created=created,
            tokens=tokens.active_tokens(current_user),
            action_form=RevokeForm(),
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/settings/tokens/<id:token_id>/revoke")
@login_required
def revoke(token_id: int):
    form = RevokeForm()
    if form.validate_on_submit():
        tokens.revoke_token(current_user, token_id)
        flash(_("トークンを無効にしました。このトークンを使っていたプログラムは使えなくなります。"), "info")
    return redirect(url_for("api_pages.token_list"))
