"""The HTML site through the test client: pages, permissions, CSRF, bad ids, the HTML contract."""

import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Question
from app.services import answers
from tests.factories import PASSWORD, login, make_answer, make_question, make_user


def test_pages_render_for_members(client, app, alice, bob, carol):
    question = make_question(alice)
    make_answer(bob, question)
    login(client, carol)
    for path in ["/", "/questions", "/questions?tab=unanswered", "/tags", "/tags/住民税", "/users", f"/users/{alice.id}", "/about", "/search?q=住民税"]:  # /login, /register: test_members_only.py
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'lang="ja"' in response.get_data(as_text=True)


def test_ask_answer_accept_through_the_site(client, alice, bob):
    login(client, alice)
    response = client.post(
        "/questions/ask",
        data={"title": "接種券の再発行の受付方法は？", "body": "転入者からの接種券の再発行依頼が増えています。\n- 窓口\n- 電話", "tags": "ワクチン接種、住民基本台帳"},
    )
    assert response.status_code == 302
    question = db.session.scalar(sa.select(Question))
    assert unquote(response.headers["Location"]) == f"/questions/{question.id}/接種券の再発行の受付方法は"
    client.post("/logout")

    login(client, bob)
    response = client.post(f"/questions/{question.id}/answers", data={"body": "当市では電子申請でも受け付けています。"})
    assert response.status_code == 302
    answer_id = int(re.search(r"#answer-(\d+)", response.headers["Location"]).group(1))
    client.post("/logout")

    login(client, alice)
    assert client.post(f"/answers/{answer_id}/accept").status_code == 302
    page = client.get(f"/questions/{question.id}/x", follow_redirects=True).get_data(as_text=True)
    assert re.search(rf'<article id="answer-{answer_id}" class="answer accepted">', page)
    assert "<li>窓口</li>" in page


def test_every_form_carries_a_csrf_token(client, alice, bob):
    question = make_question(alice)
    make_answer(bob, question)
    login(client, alice)
    page = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    forms = re.findall(r"<form\b.*?</form>", page, re.S)
    posting = [form for form in forms if 'method="post"' in form]
    assert len(posting) >= 5
    for form in posting:
        assert 'name="csrf_token"' in form, form[:200]


def test_csrf_is_enforced_when_enabled(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        email = make_user().email
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert "不正な送信" in response.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "path",
    ["/questions/999999", "/questions/99999999999999999999", "/questions/１", "/users/99999999", "/tags/存在しないタグ", "/posts/999/revisions", "/questions?page=999", "/questions?page=99999999999999999999"],
)
def test_bad_ids_and_pages_are_404_in_japanese(client, carol, path):
    login(client, carol)
    response = client.get(path)
    assert response.status_code == 404
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_odd_page_parameter_shows_the_first_page(client, carol):
    login(client, carol)
    assert client.get("/questions?page=abc").status_code == 200


def test_slug_redirects_to_the_canonical_url(client, alice):
    question = make_question(alice, title="ｶﾞｲﾄﾞﾗｲﾝの改定（２０２５年）について😀")
    login(client, alice)
    response = client.get(f"/questions/{question.id}/wrong")
    assert response.status_code == 301
    assert unquote(response.headers["Location"]) == f"/questions/{question.id}/ガイドラインの改定-2025年-について"


# Editing others' posts is open to members (directly or as a suggestion: test_suggested_edits.py).
@pytest.mark.parametrize("method, path", [("post", "/questions/{q}/delete"), ("post", "/answers/{a}/accept"), ("post", "/answers/{a}/delete")])
def test_other_members_get_403(client, alice, bob, carol, method, path):
    question = make_question(alice)
    answer = make_answer(bob, question)
    login(client, carol)
    response = getattr(client, method)(path.format(q=question.id, a=answer.id))
    assert response.status_code == 403
    assert "許可されていません" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/questions/ask", "/settings", "/notifications"])
def test_login_required_pages_redirect_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_state_changes_are_not_allowed_with_get(client, alice):
    login(client, alice)
    assert client.get("/logout").status_code == 405
    assert client.get("/settings").status_code == 200  # still logged in


def test_vote_from_the_page(client, alice, bob):
    question = make_question(alice)
    login(client, bob)
    assert client.post(f"/posts/{question.id}/vote", data={"value": "1"}).status_code == 302
    db.session.refresh(question)
    assert question.score == 1
    assert client.post(f"/posts/{question.id}/vote", data={"value": "5"}).status_code == 400


def test_answer_errors_keep_the_typed_text(client, alice, bob):
    question = make_question(alice)
    login(client, bob)
    response = client.post(f"/questions/{question.id}/answers", data={"body": "短い"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "本文は10文字以上" in text and "短い</textarea>" in text


def test_edit_conflict_page_keeps_both_versions(client, alice, moderator):
    question = make_question(alice)
    login(client, moderator)
    client.post(f"/questions/{question.id}/edit", data={"title": question.title, "body": question.body + "（モデレーター追記）", "tags": "住民税", "base_revision": "1"})
    client.post("/logout")
    login(client, alice)
    response = client.post(
        f"/questions/{question.id}/edit",
        data={"title": question.title, "body": question.body + "（本人の追記）", "tags": "住民税", "base_revision": "1"},
    )
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "（本人の追記）" in text and "（モデレーター追記）" in text


def test_revisions_page_shows_an_escaped_diff(client, alice):
    question = make_question(alice)
    login(client, alice)
    client.post(f"/questions/{question.id}/edit", data={"title": question.title, "body": "<script>alert(1)</script> 書き換えました", "tags": "住民税", "base_revision": "1"})
    text = client.get(f"/posts/{question.id}/revisions").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 書き換えました" in text
    assert "<script>alert(1)" not in text


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)


def test_accepted_answer_is_listed_first(client, alice, bob, carol):
    question = make_question(alice)
    older = make_answer(bob, question, "先に書かれた回答です。よろしく。")
    newer = make_answer(carol, question, "後から書かれた回答です。よろしく。")
    answers.accept_answer(alice, newer)
    login(client, carol)
    page = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert page.index(f'id="answer-{newer.id}"') < page.index(f'id="answer-{older.id}"')
