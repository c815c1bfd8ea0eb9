from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.search_views import bp
from app.search_views.forms import SynonymsForm
from app.services import closing, meetings, organizations, search
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.pagination import parse_page
from app.templating import question_url
from app.web import show_errors
from search import parse_query

QUERY_MAX = 200


@bp.get("/search")
def results():
    query = request.args.get("q", "")[:QUERY_MAX]
    sort = request.args.get("sort", "relevance")
    if request.args.get("panel"):  # the filter panel: write its choices into the query
        fields = {name: request.args.get(name, "")[:QUERY_MAX] for name in ("tag", "org", "status", "fy", "law")}
        composed = search.compose_query(query, **fields)[:QUERY_MAX]
        return redirect(url_for("search.results", q=composed, sort=sort) if composed else url_for("search.results"))
    page = parse_page(request.args.get("page"))
    own_org = current_user.organization if current_user.is_authenticated else None
    # similar_orgs=1: 「同規模の団体」, questions asked, answered or adopted by organizations like the viewer's.
    like = own_org if request.args.get("similar_orgs") == "1" else None
    found = search.search_questions(query, viewer=current_user, page=page, sort=sort, like=like) if query.strip() else None
    return render_template(
        "search/results.html",
        query=query,
        sort=sort,
        results=found,
        similar_orgs=like is not None,
        peer_label=organizations.peer_label(own_org) if own_org is not None else None,
        panel=search.panel_values(parse_query(query)),
        statuses=search.STATUSES,
        search_notice=found.notice if found else None,
        meetings_found=meetings.site_search(query) if found and page == 1 else [],
        meeting_snippet=meetings.snippet,
    )


@bp.get("/questions/similar")
def similar():
    """While typing a title on the ask page: questions that may already answer it."""
    title = request.args.get("title", "")[:QUERY_MAX]
    return jsonify(
        items=[
            {
                "id": q.id,
                "title": q.title,
                "url": question_url(q),
                "answers": q.answer_count,
                "accepted": q.accepted_answer_id is not None,
                "near_duplicate": closing.is_near_duplicate(title, q.title),  # the ask page warns of these
            }
            for q in search.similar_questions(title, viewer=current_user, limit=5)
        ]
    )


@bp.route("/search/synonyms", methods=["GET", "POST"])
@login_required
def synonyms():
    """Moderators keep the administrative-jargon dictionary search expands queries with."""
    if not current_user.is_moderator:
        raise PermissionDenied()
    form = SynonymsForm()
    if request.method == "GET":
        form.synonyms.data = search.synonyms_as_text()
    elif form.validate_on_submit():
        try:
            count = search.replace_synonyms(current_user, form.synonyms.data or "")
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("同義語辞書を保存しました（%(n)d件）。次の検索から使われます。", n=count), "success")
            return redirect(url_for("search.synonyms"))
    return render_template("search/synonyms.html", form=form)
