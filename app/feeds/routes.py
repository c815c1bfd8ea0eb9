"""Atom 1.0 (RFC 4287) feeds. Text is escaped by Jinja (the template is .xml), URLs are absolute
(app.urls.external_url, from PUBLIC_BASE_URL), entries carry the sanitized HTML as escaped content."""

from dataclasses import dataclass

from flask import make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.errors import error_response
from app.feeds import bp
from app.models import Question, utcnow
from app.services import feeds, questions, search, tags
from app.text import slugify
from app.urls import external_url

FEED_SIZE = 30
QUERY_MAX = 200
ATOM = "application/atom+xml; charset=utf-8"


@dataclass(frozen=True)
class FeedLink:
    title: str
    url: str


def _render(title: str, self_url: str, alternate_url: str, items: list[Question]):
    updated = max((q.edited_at or q.created_at for q in items), default=None) or utcnow()
    entries = [
        {
            "question": q,
            "id": external_url("questions.show", question_id=q.id),
            "url": external_url("questions.show", question_id=q.id, slug=slugify(q.title)),
            "updated": q.edited_at or q.created_at,
        }
        for q in items
    ]
    body = render_template(
        "feeds/atom.xml", title=title, self_url=self_url, alternate_url=alternate_url, updated=updated, entries=entries
    )
    response = make_response(body)
    response.headers["Content-Type"] = ATOM
    return response


def _token() -> str | None:
    """The personal token this feed was read with (app/access.py checked it), kept in the self link
    so that a feed reader following it stays subscribed."""
    return request.args.get("token") or None


@bp.get("/questions")
def questions_feed():
    page = questions.list_questions("newest", 1, FEED_SIZE, viewer=current_user)
    return _render(
        _("Zennin の新着質問"),
        external_url("feeds.questions_feed", token=_token()),
        external_url("questions.index"),
        page.items,
    )


@bp.get("/tags/<name>")
def tag_feed(name: str):
    tag = tags.get_tag(name)
    page = questions.list_questions("newest", 1, FEED_SIZE, viewer=current_user, tag=tag)
    return _render(
        _("Zennin の新着質問: %(tag)s", tag=tag.label),
        external_url("feeds.tag_feed", name=tag.name, token=_token()),
        external_url("tags.show", name=tag.name),
        page.items,
    )


@bp.get("/search")
def search_feed():
    query = request.args.get("q", "")[:QUERY_MAX]
    if not query.strip():
        return error_response(400, _("検索語を指定してください。"))
    found = search.search_questions(query, viewer=current_user, sort="newest", per_page=FEED_SIZE)
    return _render(
        _("Zennin の検索「%(q)s」の新着", q=query),
        external_url("feeds.search_feed", q=query, token=_token()),
        external_url("search.results", q=query, sort="newest"),
        [hit.question for hit in found.hits],
    )


def feed_links() -> list[FeedLink]:
    """Feeds for the page being rendered (head <link rel="alternate"> and a visible link), most specific first.

    Members-only, a feed reader needs the member's personal URL: none without a feed key
    (base.html then links to the settings section that creates one)."""
    token = feeds.feed_token(current_user) if access.is_member(current_user) else None
    if token is None and not access.public_read():
        return []
    endpoint = request.endpoint or ""
    args = request.view_args or {}
    links: list[FeedLink] = []
    if endpoint == "tags.show" and args.get("name"):
        name = args["name"]
        links.append(
            FeedLink(_("タグ「%(tag)s」の新着質問", tag=name), external_url("feeds.tag_feed", name=name, token=token))
        )
    elif endpoint == "search.results" and request.args.get("q", "").strip():
        query = request.args["q"][:QUERY_MAX]
        links.append(
            FeedLink(_("検索「%(q)s」の新着", q=query), external_url("feeds.search_feed", q=query, token=token))
        )
    links.append(FeedLink(_("新着質問"), external_url("feeds.questions_feed", token=token)))
    return links
