"""Home page, Markdown preview, language switch."""

from dataclasses import asdict

from flask import current_app, jsonify, redirect, render_template, request
from flask_login import current_user, login_required

from app import access
from app.extensions import limiter
from app.i18n import LOCALE_COOKIE
from app.main import bp
from app.security import safe_redirect_target
from app.services import (
    accounts,
    health,
    home,
    privacy_guard,
    privileges,
    questions,
    reputation,
    tags,
    visibility,
    watching,
)
from app.services.errors import ValidationFailed
from app.services.pagination import parse_page
from app.services.posting import render_body
from app.text import clean_text


@bp.get("/")
def index():
    if not access.can_read(current_user):  # members-only: the front door shows no content
        return render_template("main/welcome.html")
    member = current_user.is_authenticated  # with PUBLIC_READ on, visitors read too
    popular = tags.popular_tags(20)
    page = questions.list_questions(
        request.args.get("tab", "active"),
        parse_page(request.args.get("page")),
        current_app.config["QUESTIONS_PER_PAGE"],
        viewer=current_user,
        ignored_tags=watching.tag_ids(current_user, "ignore") if member else None,
    )
    return render_template(
        "main/index.html",
        page=page,
        tab=request.args.get("tab", "active"),
        popular_tags=popular,
        hidden_counts=visibility.unreadable_tag_counts(current_user, [tag.id for tag in popular]),
        areas=home.your_areas(current_user) if member else None,
    )


@bp.post("/preview")
@login_required
@limiter.limit(lambda: current_app.config["PREVIEW_RATE_LIMIT"])
def preview():
    """Server-side preview: the same pipeline and limits as saving (SECURITY.md XSS-10), and what
    the personal-information guard would hold, each finding with its context and why."""
    body = request.form.get("body", "")
    try:
        html = render_body(body)
    except ValidationFailed as failure:
        return jsonify(error=next(iter(failure.errors.values()))), 422
    return jsonify(html=html, findings=[asdict(notice) for notice in privacy_guard.preview(clean_text(body).strip())])


@bp.post("/language")
def set_language():
    language = request.form.get("language", "")
    response = redirect(safe_redirect_target(request.form.get("next")))
    if language in current_app.config["LANGUAGES"]:
        response.set_cookie(LOCALE_COOKIE, language, max_age=365 * 86400, samesite="Lax", httponly=True)
        if current_user.is_authenticated:
            accounts.set_locale(current_user, language)
    return response


@bp.get("/about")
def about():
    return render_template("main/about.html")


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """For load balancers and monitoring: 200 when the database answers; the index state is
    reported but never makes the site unhealthy (search falls back to the database)."""
    report = health.check()
    return jsonify(report), 200 if report["database"] == "ok" else 503


@bp.get("/help/privileges")
@login_required
def help_privileges():
    """What reputation unlocks, with the thresholds this site is configured with."""
    return render_template(
        "main/help_privileges.html",
        rows=privileges.table(current_user),
        next_row=privileges.next_unlocked(current_user),
        rules=reputation.rules(),
    )
