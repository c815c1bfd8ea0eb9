from flask import jsonify, render_template, request

from app.search_views import bp
from app.services import search
from app.services.pagination import parse_page
from app.templating import question_url

QUERY_MAX = 200


@bp.get("/search")
def results():
    query = request.args.get("q", "")[:QUERY_MAX]
    sort = request.args.get("sort", "relevance")
    found = search.search_questions(query, page=parse_page(request.args.get("page")), sort=sort) if query.strip() else None
    return render_template(
        "search/results.html", query=query, sort=sort, results=found, search_notice=found.notice if found else None
    )


@bp.get("/questions/similar")
def similar():
    """While typing a title on the ask page: questions that may already answer it."""
    questions = search.similar_questions(request.args.get("title", "")[:QUERY_MAX], limit=5)
    return jsonify(
        items=[
            {"id": q.id, "title": q.title, "url": question_url(q), "answers": q.answer_count, "accepted": q.accepted_answer_id is not None}
            for q in questions
        ]
    )
