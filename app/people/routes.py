"""Career history, experts by tag, the 異動 flow, asking a person: parse, call one service, render."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db, limiter
from app.models import Tag, User
from app.people import bp
from app.people.forms import CareerForm, FirstRunForm, TransferForm
from app.questions.forms import QuestionForm
from app.services import careers, experts, first_run, questions, tag_inference, tags, transfer
from app.services.errors import NotFound, PersonalInformationFound, ValidationFailed
from app.services.pagination import parse_page
from app.templating import question_url
from app.web import confirmed_categories, show_errors

SIDEBAR_EXPERTS = 5


def _organization_choice(organization) -> str:
    """How the picker shows a chosen organization (and reads it back)."""
    return f"{organization.full_name} ({organization.code})"


def _organization_text(form) -> str:
    # The picker's hidden code when JavaScript chose one, else what was typed (a name or a code).
    return request.form.get("organization_code") or form.organization.data


# ---------------------------------------------------------------- experts


@bp.get("/tags/<name>/experts")
def tag_experts_page(name: str):
    tag = tags.get_tag(name)
    if tag.name != name:  # a synonym or an unnormalized spelling: one canonical URL
        return redirect(url_for("people.tag_experts_page", name=tag.name, **request.args), code=301)
    scopes = experts.available_scopes(current_user)
    scope = request.args.get("scope", "nationwide")
    scope = scope if scope in dict(scopes) else "nationwide"
    holders = request.args.get("holders", "all")
    holders = holders if holders in experts.HOLDERS else "all"
    page = experts.rank_experts(
        tag, viewer=current_user, scope=scope, holders=holders, page=parse_page(request.args.get("page"))
    )
    return render_template("people/experts.html", tag=tag, page=page, scopes=scopes, scope=scope, holders=holders)


@bp.app_template_global()
def tag_experts(tag: Tag) -> list[experts.ExpertRow]:
    """The experts block on a tag page (the tags blueprint stays unaware of people)."""
    return experts.rank_experts(tag, viewer=current_user, limit=SIDEBAR_EXPERTS).items


# ---------------------------------------------------------------- career (職歴)


def _career_input(form: CareerForm) -> careers.CareerInput:
    return careers.CareerInput(
        organization=_organization_text(form),
        department=form.department.data,
        tags=form.tags.data or "",
        start=form.start.data,
        end=form.end.data,
        concurrent=form.concurrent.data,
    )


@bp.route("/settings/career", methods=["GET", "POST"])
@login_required
def career():
    form = CareerForm()
    if form.validate_on_submit():
        try:
            careers.add_entry(current_user, _career_input(form))
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("職歴を追加しました。"), "success")
            return redirect(url_for("people.career"))
    return render_template("people/career.html", form=form, entries=careers.list_entries(current_user, current_user))


@bp.route("/settings/career/<id:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit_career(entry_id: int):
    entry = careers.get_own_entry(current_user, entry_id)
    form = CareerForm()
    if request.method == "GET":
        form.organization.data = _organization_choice(entry.organization)
        form.department.data = entry.department
        form.tags.data = " ".join(tag.name for tag in entry.tags)
        form.start.data = entry.start_month
        form.end.data = entry.end_month or ""
    elif form.validate_on_submit():
        try:
            careers.update_entry(current_user, entry.id, _career_input(form))
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("職歴を更新しました。"), "success")
            return redirect(url_for("people.career"))
    return render_template("people/career_edit.html", form=form, entry=entry)


@bp.post("/settings/career/<id:entry_id>/end")
@login_required
def end_career(entry_id: int):
    try:
        careers.end_entry(current_user, entry_id, request.form.get("end", ""))
    except ValidationFailed as failure:
        flash(" ".join(failure.errors.values()), "danger")
    else:
        flash(_("職の終了月を登録しました。"), "success")
    return redirect(url_for("people.career"))


@bp.post("/settings/career/<id:entry_id>/delete")
@login_required
def delete_career(entry_id: int):
    careers.delete_entry(current_user, entry_id)
    flash(_("職歴を削除しました。"), "info")
    return redirect(url_for("people.career"))


# ---------------------------------------------------------------- first run


@bp.app_template_global()
def first_run_pending(user: User) -> bool:
    """The home page's reminder (the main blueprint stays unaware of people)."""
    return first_run.is_pending(user)


@bp.route("/start", methods=["GET", "POST"])
@login_required
def first_run_page():
    form = FirstRunForm()
    if request.method == "GET":
        organization = first_run.suggested_organization(current_user)
        if organization is not None:
            form.organization.data = _organization_choice(organization)
        post = careers.latest_current_entry(current_user)
        form.department.data = post.department if post is not None else current_user.department
        form.tags.data = " ".join(tag.name for tag in post.tags) if post is not None else ""
    elif form.validate_on_submit():
        data = first_run.FirstRunInput(_organization_text(form), form.department.data, form.tags.data or "")
        try:
            first_run.complete(current_user, data)
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("今の職を登録しました。この職場で役立つ情報をまとめました。"), "success")
            return redirect(url_for("people.onboarding"))
    return render_template("people/first_run.html", form=form)


# ---------------------------------------------------------------- 異動


@bp.route("/transfer", methods=["GET", "POST"])
@login_required
def transfer_page():
    form = TransferForm()
    if request.method == "GET":
        form.start.data = transfer.suggested_start(current_user).strftime("%Y-%m")
        organization = transfer.current_organization(current_user)
        if organization is not None:
            form.organization.data = _organization_choice(organization)
    elif form.validate_on_submit():
        data = transfer.TransferInput(
            organization=_organization_text(form), department=form.department.data, tags=form.tags.data or "", start=form.start.data
        )
        try:
            transfer.declare_transfer(current_user, data)
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("異動を登録しました。新しい職場で役立つ情報をまとめました。"), "success")
            return redirect(url_for("people.onboarding"))
    return render_template("people/transfer.html", form=form, current_posts=careers.current_entries(current_user))


@bp.get("/transfer/onboarding")
@login_required
def onboarding():
    return render_template("people/onboarding.html", guide=transfer.onboarding(current_user))


@bp.post("/transfer/onboarding/tags")
@login_required
def confirm_post_tags():
    try:
        tag_inference.confirm(current_user, request.form.get("entry", type=int) or 0, request.form.getlist("tags"))
    except ValidationFailed as failure:
        flash(" ".join(failure.errors.values()), "danger")
    else:
        flash(_("この職のタグを登録しました。"), "success")
    return redirect(url_for("people.onboarding"))


# ---------------------------------------------------------------- この人に聞く


@bp.route("/users/<id:user_id>/ask", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["POST_RATE_LIMIT"], methods=["POST"])
def ask_person(user_id: int):
    person = db.session.get(User, user_id)
    if person is None or not person.is_active or not person.is_verified:
        raise NotFound(user_id)
    if person.id == current_user.id:
        return redirect(url_for("questions.ask"))
    form = QuestionForm()
    if form.validate_on_submit():
        fiscal_year, cited = form.typed_knowledge()
        data = questions.QuestionInput(
            form.title.data, form.body.data, form.tags.data, directed_to_id=person.id, fiscal_year=fiscal_year, laws=cited
        )
        try:
            question = questions.ask_question(current_user, data, confirmed_categories=confirmed_categories())
        except ValidationFailed as failure:
            show_errors(form, failure)
        except PersonalInformationFound as found:
            form.hold(found)
        else:
            flash(_("%(name)s さんに質問を送りました。", name=person.display_name), "success")
            return redirect(question_url(question))
    elif request.method == "GET" and request.args.get("tags"):
        form.tags.data = request.args["tags"]
    return render_template("people/ask.html", form=form, person=person), 422 if form.privacy else 200
