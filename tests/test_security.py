"""Cross-cutting security rules checked over the whole application (SECURITY.md CSRF-*, XSS-08)."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.factories import PASSWORD, make_answer, make_question, make_user

TEMPLATES = Path(__file__).resolve().parent.parent / "app" / "templates"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
TOKEN_AUTH_PREFIX = "/api/v1/"  # bearer tokens, no cookies: CSRF does not apply
# RFC 8058 one-click unsubscribe: mail programs POST without a form; the signed link is the proof
# (test_digests.py: an unsigned or tampered POST is refused and changes nothing).
SIGNED_LINKS = {"users.unsubscribe"}


def _fill(rule, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values.get(m.group(1), "1"), rule.rule)


def _state_changing_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.methods & STATE_CHANGING and not rule.rule.startswith(TOKEN_AUTH_PREFIX) and rule.endpoint not in SIGNED_LINKS:
            yield rule


def test_every_state_changing_route_requires_a_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        email = make_user().email
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302

    rules = list(_state_changing_rules(app))
    assert len(rules) > 20
    for rule in rules:
        for method in sorted(rule.methods & STATE_CHANGING):
            response = client.open(_fill(rule, {}), method=method, data={"body": "CSRFなしの送信"})
            assert response.status_code == 400, (method, rule.rule, response.status_code)
            assert "不正な送信" in response.get_data(as_text=True), rule.rule


def test_state_changing_endpoints_refuse_get(client):
    member = make_user()
    client.post("/login", data={"email": member.email, "password": PASSWORD})
    for path in ["/logout", "/questions/1/delete", "/answers/1/accept", "/posts/1/vote", "/notifications/read", "/language"]:
        assert client.get(path).status_code in (404, 405), path


def _fingerprint() -> dict:
    tables = [t for t in db.metadata.sorted_tables if t.name not in ("search_outbox", "mail_messages")]
    counts = {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables}
    posts = db.session.execute(sa.text("SELECT id, score, deleted_at, accepted_answer_id, revision_count FROM posts ORDER BY id")).all()
    users = db.session.execute(sa.text("SELECT id, session_token, role, email_verified_at, reputation FROM users ORDER BY id")).all()
    return {"counts": counts, "posts": posts, "users": users}


def test_no_get_request_changes_state(app, client):
    """An <img src="/anything"> in a post can only cause GETs: none of them may change data."""
    author = make_user(email="get-test@city.yokohama.lg.jp")
    other = make_user()
    question = make_question(author)
    answer = make_answer(other, question)
    db.session.commit()
    client.post("/login", data={"email": author.email, "password": PASSWORD})
    values = {"question_id": str(question.id), "answer_id": str(answer.id), "post_id": str(answer.id), "user_id": str(other.id), "name": "住民税", "token": "x", "slug": "x", "comment_id": "1"}
    before = _fingerprint()
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.rule.startswith("/static"):
            client.get(_fill(rule, values))
            checked += 1
    db.session.rollback()
    assert checked > 20
    assert _fingerprint() == before


_SAFE_MARKUP = re.compile(r"\|\s*safe\b|Markup\(|autoescape\s+false", re.I)
_SANITIZED = re.compile(r"([\w.]+)\s*\|\s*sanitized")


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_mark_only_sanitized_fields_as_safe(template):
    """XSS-08: autoescaping everywhere; `|sanitized` only on *_html columns from app.rendering."""
    text = template.read_text(encoding="utf-8")
    assert not _SAFE_MARKUP.search(text), "use |sanitized on a *_html field, never |safe or Markup"
    for expression in _SANITIZED.findall(text):
        assert expression.endswith("_html"), expression
