"""/laws: the Q&As citing each law (根拠法令), and the moderators' records of its amendments."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.laws import bp
from app.services import laws
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.pagination import parse_page


@bp.get("/laws")
def index():
    return render_template("laws/index.html", popular=laws.popular_laws(current_user))


@bp.get("/laws/<path:law>")
def show(law: str):
    name = laws.law_name(law)
    if not name:
        raise NotFound(law)
    if name != law:  # an abbreviation or another spelling: one canonical URL
        return redirect(url_for("laws.show", law=name, **request.args), code=301)
    page = laws.law_page(
        law,
        request.args.get("article", "").strip()[:60] or None,
        parse_page(request.args.get("page")),
        current_user,
        current_app.config["QUESTIONS_PER_PAGE"],
    )
    return render_template("laws/show.html", view=page)


@bp.route("/laws/<path:law>/amendments", methods=["GET", "POST"])
@login_required
def amendments(law: str):
    """Moderators record that the law (or one article) was amended on a date."""
    if not current_user.is_moderator:
        raise PermissionDenied()
    name = laws.law_name(law)
    errors: dict[str, str] = {}
    typed = {"article": "", "amended_on": "", "note": ""}
    if request.method == "POST":
        typed = {key: request.form.get(key, "") for key in typed}
        try:
            laws.record_amendment(current_user, name, typed["article"], typed["amended_on"], typed["note"])
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            flash(_("改正を記録しました。"), "success")
            return redirect(url_for("laws.amendments", law=name))
    return render_template(
        "laws/amendments.html", law=name, amendments=laws.amendments(name), errors=errors, typed=typed
    ), 422 if errors else 200


@bp.post("/laws/amendments/<id:amendment_id>/delete")
@login_required
def delete_amendment(amendment_id: int):
    amendment = laws.delete_amendment(current_user, amendment_id)
    flash(_("改正の記録を削除しました。"), "info")
    return redirect(url_for("laws.amendments", law=amendment.law))
