"""The JSON API through the test client: auth, each endpoint, permissions, validation, hostile input."""

import pytest
import sqlalchemy as sa

import search.index as search_index
from app.extensions import db
from app.models import Answer, ApiToken, Question, Vote
from app.services import answers, questions, reputation, tokens
from tests.api_client import assert_error, bearer, post_json
from tests.factories import login, make_answer, make_question, make_user


@pytest.fixture
def carol_read_token(carol) -> str:
    return tokens.create_token(carol, "読み取り専用", "read").secret


# ---------------------------------------------------------------- authentication


def test_requests_without_a_token_get_401_with_a_challenge(client, alice):
    question = make_question(alice)
    for path in ["/api/v1/questions", f"/api/v1/questions/{question.id}", "/api/v1/search?q=住民税"]:
        response = client.get(path)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.post("/api/v1/questions", json={"title": "x"}), 401)


@pytest.mark.parametrize("header", ["Bearer znn_not-a-real-token", "Bearer ", "Basic YWxpY2U6cGFzcw==", "bearer", "Bearer " + "a" * 5000])
def test_invalid_tokens_get_401(client, header):
    response = client.get("/api/v1/questions", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in ("invalid_token", "unauthorized")


def test_a_revoked_token_stops_working(client, alice, alice_token):
    assert client.get("/api/v1/questions", headers=bearer(alice_token)).status_code == 200
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == alice.id))
    tokens.revoke_token(alice, token.id)
    assert_error(client.get("/api/v1/questions", headers=bearer(alice_token)), 401, "invalid_token")


def test_a_disabled_account_cannot_use_its_token(client, alice, alice_token):
    from app.models import utcnow

    alice.disabled_at = utcnow()
    db.session.commit()
    assert_error(client.get("/api/v1/questions", headers=bearer(alice_token)), 401)


def test_a_session_cookie_alone_does_not_authenticate(client, alice):
    login(client, alice)
    assert client.get("/settings").status_code == 200  # logged in on the site
    assert_error(client.get("/api/v1/questions"), 401)
    assert_error(client.post("/api/v1/questions", json={"title": "住民税の切替時期について", "body": "本文を十分な長さで書きます。", "tags": ["住民税"]}), 401)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0


def test_a_read_only_token_reads_but_cannot_write(client, alice, carol, carol_read_token):
    question = make_question(alice)
    assert client.get(f"/api/v1/questions/{question.id}", headers=bearer(carol_read_token)).status_code == 200
    for path, payload in [
        ("/api/v1/questions", {"title": "読み取り専用で質問できるか", "body": "できないはずです。確認します。", "tags": "テスト"}),
        (f"/api/v1/questions/{question.id}/answers", {"body": "読み取り専用トークンからの回答です。"}),
        (f"/api/v1/posts/{question.id}/vote", {"value": 1}),
    ]:
        assert_error(post_json(client, path, payload, carol_read_token), 403, "insufficient_scope")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0


def test_the_token_records_when_it_was_used(client, alice, alice_token):
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == alice.id))
    assert token.last_used_at is None
    client.get("/api/v1/questions", headers=bearer(alice_token))
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_tokens_are_stored_hashed(alice):
    created = tokens.create_token(alice, "ハッシュ確認", "read")
    assert created.secret.startswith("znn_") and len(created.secret) > 40
    row = db.session.get(ApiToken, created.token.id)
    assert created.secret not in (row.token_hash, row.prefix) and row.token_hash == tokens.hash_secret(created.secret)
    assert created.secret.startswith(row.prefix)


# ---------------------------------------------------------------- ask, answer, accept, vote


def test_ask_answer_accept_vote_through_the_api(client, alice, bob, alice_token, bob_token):
    response = post_json(
        client,
        "/api/v1/questions",
        {"title": "ワクチン接種券の再発行は電子申請で受け付けていますか？😀", "body": "転入者からの再発行依頼が増えています。\n- 窓口\n- 電話", "tags": ["ワクチン接種", "ｼﾞｭｳﾐﾝ票"]},
        alice_token,
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/questions/{created['id']}")
    assert created["title"] == "ワクチン接種券の再発行は電子申請で受け付けていますか？😀"
    assert created["tags"] == sorted(["ワクチン接種", "ジュウミン票"])  # NFKC: half-width kana folded
    assert created["score"] == 0 and created["accepted_answer_id"] is None and created["answers"] == []
    assert "<li>窓口</li>" in created["body_html"]
    assert created["author"]["id"] == alice.id and created["author"]["organization"]["code"] == "141003"

    response = post_json(client, f"/api/v1/questions/{created['id']}/answers", {"body": "当市では電子申請でも受け付けています。"}, bob_token)
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["question_id"] == created["id"] and answer["accepted"] is False
    assert response.headers["Location"].endswith(f"/api/v1/questions/{created['id']}#answer-{answer['id']}")

    assert_error(post_json(client, f"/api/v1/answers/{answer['id']}/accept", {}, bob_token), 403)  # only the asker
    response = client.post(f"/api/v1/answers/{answer['id']}/accept", headers=bearer(alice_token))
    assert response.status_code == 200
    assert response.get_json()["accepted_answer_id"] == answer["id"]
    assert response.get_json()["answers"][0]["accepted"] is True

    assert_error(post_json(client, f"/api/v1/posts/{answer['id']}/vote", {"value": 1}, bob_token), 403)  # own post
    response = post_json(client, f"/api/v1/posts/{answer['id']}/vote", {"value": 1}, alice_token)
    assert response.get_json() == {"post_id": answer["id"], "score": 1, "vote": 1}
    response = post_json(client, f"/api/v1/posts/{created['id']}/vote", {"value": -1}, bob_token)
    assert response.get_json()["score"] == -1
    response = post_json(client, f"/api/v1/posts/{created['id']}/vote", {"value": 0}, bob_token)
    assert response.get_json()["score"] == 0

    shown = client.get(f"/api/v1/questions/{created['id']}", headers=bearer(bob_token)).get_json()
    assert set(shown) >= {"id", "title", "body", "tags", "score", "accepted_answer_id", "answers"}
    assert shown["answers"][0] == {**answer, "accepted": True, "score": 1}
    db.session.expire_all()
    assert bob.reputation == reputation.recompute(bob.id) == 10 + reputation.ACCEPTED


def test_tags_may_be_typed_as_text(client, alice_token):
    response = post_json(client, "/api/v1/questions", {"title": "債権回収と住民税のタグを文字列で", "body": "タグを読点区切りで送ります。", "tags": "債権回収、住民税　Ｐｙｔｈｏｎ"}, alice_token)
    assert response.status_code == 201
    # Matched by the key (python), shown as written (Python: NFKC of Ｐｙｔｈｏｎ).
    assert response.get_json()["tags"] == ["Python", "住民税", "債権回収"]


def test_moderators_may_accept_for_the_asker(client, alice, bob, moderator):
    question = make_question(alice)
    answer = make_answer(bob, question)
    secret = tokens.create_token(moderator, "モデレーター", "write").secret
    assert client.post(f"/api/v1/answers/{answer.id}/accept", headers=bearer(secret)).status_code == 200


def test_answers_on_a_closed_question_are_refused(client, alice, bob_token):
    from app.models import utcnow

    question = make_question(alice)
    question.closed_at = utcnow()
    db.session.commit()
    error = assert_error(post_json(client, f"/api/v1/questions/{question.id}/answers", {"body": "締め切られた質問への回答です。"}, bob_token), 422)
    assert "締め切られている" in error["fields"]["body"]


# ---------------------------------------------------------------- validation and hostile input


def test_validation_errors_come_back_per_field_in_japanese(client, alice_token):
    error = assert_error(post_json(client, "/api/v1/questions", {"title": "短い", "body": "短い", "tags": []}, alice_token), 422, "validation_failed")
    assert set(error["fields"]) == {"title", "body", "tags"}
    assert "タイトルは5文字以上" in error["fields"]["title"]


def test_too_many_tags_and_invalid_tag_names(client, alice_token):
    payload = {"title": "タグが多すぎる質問のテスト", "body": "タグを6個付けて送ってみます。", "tags": ["a", "b", "c", "d", "e", "f"]}
    assert "5個まで" in assert_error(post_json(client, "/api/v1/questions", payload, alice_token), 422)["fields"]["tags"]
    payload["tags"] = ["c#"]
    assert "使えない文字" in assert_error(post_json(client, "/api/v1/questions", payload, alice_token), 422)["fields"]["tags"]


@pytest.mark.parametrize(
    "payload",
    [
        {"title": ["住民税の特別徴収について"], "body": "本文は十分な長さです。", "tags": ["住民税"]},
        {"title": "住民税の特別徴収について", "body": {"$ne": 1}, "tags": ["住民税"]},
        {"title": "住民税の特別徴収について", "body": "本文は十分な長さです。", "tags": [1, 2]},
        {"title": "住民税の特別徴収について", "body": "本文は十分な長さです。", "tags": {"name": "住民税"}},
        {"title": None, "body": None, "tags": None},
        {"title": 12345, "body": True, "tags": 1.5},
    ],
)
def test_wrong_json_types_are_422_never_500(client, alice_token, payload):
    assert_error(post_json(client, "/api/v1/questions", payload, alice_token), 422, "validation_failed")


@pytest.mark.parametrize("body, content_type", [("not json", "application/json"), ("[1, 2]", "application/json"), ('"文字列"', "application/json"), ("title=x", "application/x-www-form-urlencoded"), (b"\xff\xfe\x00", "application/json"), ("", "application/json")])
def test_non_object_bodies_are_400(client, alice_token, body, content_type):
    response = client.post("/api/v1/questions", data=body, content_type=content_type, headers=bearer(alice_token))
    assert_error(response, 400, "bad_request")


def test_nul_bytes_and_lone_surrogates_are_cleaned(client, alice_token):
    raw = '{"title": "住民税\\u0000の特別徴収\\ud800について", "body": "本文\\u0000に NUL と \\udfff が入っています。", "tags": ["住民\\u0000税"]}'
    response = client.post("/api/v1/questions", data=raw, content_type="application/json", headers=bearer(alice_token))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["title"] == "住民税の特別徴収について"
    assert "\x00" not in created["body"] and created["tags"] == ["住民税"]


def test_oversized_bodies_are_413(client, alice_token):
    payload = {"title": "大きすぎる本文のテスト", "body": "あ" * 600_000, "tags": ["テスト"]}
    assert_error(post_json(client, "/api/v1/questions", payload, alice_token), 413, "payload_too_large")


def test_bodies_over_the_markdown_limit_are_422(client, alice_token):
    payload = {"title": "長すぎる本文のテスト", "body": "あ" * 30001, "tags": ["テスト"]}
    assert "30,000文字以内" in assert_error(post_json(client, "/api/v1/questions", payload, alice_token), 422)["fields"]["body"]


@pytest.mark.parametrize("value", ["1", 2, -2, True, None, 1.0, [1]])
def test_vote_values_are_validated(client, alice, bob_token, value):
    question = make_question(alice)
    assert_error(post_json(client, f"/api/v1/posts/{question.id}/vote", {"value": value}, bob_token), 422)
    db.session.refresh(question)
    assert question.score == 0


@pytest.mark.parametrize(
    "path",
    ["/api/v1/questions/0", "/api/v1/questions/99999999999999999999", "/api/v1/questions/9223372036854775808", "/api/v1/questions/１", "/api/v1/questions/-1", "/api/v1/questions/abc", "/api/v1/questions/%FF", "/api/v1/nothing-here"],
)
def test_bad_ids_are_json_404(client, alice_token, path):
    assert_error(client.get(path, headers=bearer(alice_token)), 404, "not_found")


@pytest.mark.parametrize("method, path", [("post", "/api/v1/answers/{q}/accept"), ("post", "/api/v1/questions/{a}/answers"), ("get", "/api/v1/questions/{a}")])
def test_ids_of_the_wrong_kind_are_404(client, alice, bob, alice_token, method, path):
    question = make_question(alice)
    answer = make_answer(bob, question)
    response = getattr(client, method)(path.format(q=question.id, a=answer.id), json={"body": "種類の違う ID への回答です。"}, headers=bearer(alice_token))
    assert_error(response, 404)


def test_deleted_questions_are_404_except_for_moderators(client, alice, moderator, bob_token):
    question = make_question(alice)
    questions.delete_question(alice, question)
    assert_error(client.get(f"/api/v1/questions/{question.id}", headers=bearer(bob_token)), 404)
    assert_error(post_json(client, f"/api/v1/posts/{question.id}/vote", {"value": 1}, bob_token), 404)
    secret = tokens.create_token(moderator, "mod", "read").secret
    assert client.get(f"/api/v1/questions/{question.id}", headers=bearer(secret)).status_code == 200


def test_deleted_answers_are_hidden(client, alice, bob, carol, alice_token):
    question = make_question(alice)
    answer = make_answer(bob, question)
    answers.delete_answer(bob, answer)
    assert client.get(f"/api/v1/questions/{question.id}", headers=bearer(alice_token)).get_json()["answers"] == []
    assert_error(client.post(f"/api/v1/answers/{answer.id}/accept", headers=bearer(alice_token)), 404)


def test_wrong_methods_are_json_405(client, alice_token):
    assert_error(client.delete("/api/v1/questions", headers=bearer(alice_token)), 405, "method_not_allowed")


# ---------------------------------------------------------------- lists and pagination


def test_list_filters_sorts_and_pages(client, app, alice, bob, alice_token):
    made = [make_question(alice, title=f"住民税の質問その{n}について", tags="住民税") for n in range(22)]
    other = make_question(alice, title="債権回収の時効について", tags="債権回収")
    make_answer(bob, made[0])
    body = client.get("/api/v1/questions", headers=bearer(alice_token)).get_json()
    assert body["total"] == 23 and body["page"] == 1 and len(body["items"]) == 20
    assert body["items"][0]["id"] == other.id
    assert "answers" not in body["items"][0]
    body = client.get("/api/v1/questions?tag=住民税&page=2", headers=bearer(alice_token)).get_json()
    assert body["total"] == 22 and body["page"] == 2 and len(body["items"]) == 2
    body = client.get("/api/v1/questions?tag=ｼﾞｭｳﾐﾝ&sort=unanswered", headers=bearer(alice_token))
    assert_error(body, 404)  # unknown tag
    body = client.get("/api/v1/questions?tag=住民税&sort=unanswered", headers=bearer(alice_token)).get_json()
    assert body["total"] == 21 and made[0].id not in [q["id"] for q in body["items"]]


@pytest.mark.parametrize("query, status", [("page=abc", 400), ("page=0", 400), ("page=-1", 400), ("page=99999999999999999999", 400), ("page=100001", 400), ("page=1.5", 400), ("page=５", 400), ("page=2", 404), ("page=100000", 404), ("sort=bogus", 400), ("page=1&page=2", 200), ("tag=", 200)])
def test_bad_pages_and_sorts(client, alice, alice_token, query, status):
    make_question(alice)
    response = client.get(f"/api/v1/questions?{query}", headers=bearer(alice_token))
    assert response.status_code == status
    if status != 200:
        assert_error(response, status)


# ---------------------------------------------------------------- search


def test_search_returns_ids_titles_snippets_and_scores(client, alice, alice_token):
    question = make_question(alice, title="住民票の写しを郵送で請求する方法", body="郵送請求の受付と返信用封筒の扱いを教えてください。", tags="住民基本台帳")
    make_question(alice, title="固定資産税の縦覧期間について", body="縦覧帳簿の閲覧方法を知りたいです。", tags="固定資産税")
    body = client.get("/api/v1/search?q=住民票 郵送", headers=bearer(alice_token)).get_json()
    assert body["total"] == 1 and body["page"] == 1
    hit = body["items"][0]
    assert hit["id"] == question.id and hit["title"] == question.title and hit["score"] == 0
    assert "郵送" in hit["snippet"] and "<mark>" in hit["snippet_html"] and "<" not in hit["snippet"]
    half_width = client.get("/api/v1/search?q=ｼﾞｭｳﾐﾝﾋｮｳ", headers=bearer(alice_token))
    assert half_width.status_code == 200


def test_a_phrase_checked_in_part_comes_with_a_notice(client, alice, alice_token, monkeypatch):
    monkeypatch.setattr(search_index, "PHRASE_CHECK_LIMIT", 1)
    # Both are candidates (every word of the phrase); the one with the phrase ranks first.
    make_question(alice, title="住民票の郵送請求", body="返信用封筒の扱いを教えてください。", tags="住民基本台帳")
    make_question(alice, title="郵送での住民票の取り寄せ", body="請求の仕方を教えてください。", tags="住民基本台帳")
    body = client.get('/api/v1/search?q="住民票の郵送請求"', headers=bearer(alice_token)).get_json()
    assert body["total"] == 1 and "上位1件で確かめた結果です" in body["notice"]


@pytest.mark.parametrize("query", ["", "q=", "q=%20%20", "q=" + "あ" * 201])
def test_search_needs_a_query(client, alice_token, query):
    assert_error(client.get(f"/api/v1/search?{query}", headers=bearer(alice_token)), 422)


@pytest.mark.parametrize("q", ['"unbalanced', "(((a", "title:*", "*:*", "a^1000000", "\x00", "𝓪", "'; DROP TABLE users; --", "%", "id:[0 TO 9999]"])
def test_hostile_search_queries_never_500(client, alice, alice_token, q):
    make_question(alice)
    response = client.get("/api/v1/search", query_string={"q": q}, headers=bearer(alice_token))
    assert response.status_code in (200, 404, 422)


def test_search_page_past_the_end_is_404(client, alice, alice_token):
    make_question(alice)
    assert_error(client.get("/api/v1/search?q=住民税&page=5", headers=bearer(alice_token)), 404)


# ---------------------------------------------------------------- rate limits


def test_rate_limits_are_per_token(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute", API_WRITE_RATE_LIMIT="1 per minute")
    client = app.test_client()
    with app.app_context():
        first = tokens.create_token(make_user(), "一つ目", "write").secret
        second = tokens.create_token(make_user(), "二つ目", "write").secret
    for _ in range(3):
        assert client.get("/api/v1/questions", headers=bearer(first)).status_code == 200
    assert_error(client.get("/api/v1/questions", headers=bearer(first)), 429, "rate_limited")
    assert client.get("/api/v1/questions", headers=bearer(second)).status_code == 200
    payload = {"title": "書き込みの回数制限を確かめる", "body": "一回目は通り、二回目は止まるはずです。", "tags": ["テスト"]}
    with app.app_context():
        assert post_json(client, "/api/v1/questions", payload, second).status_code == 201
        assert_error(post_json(client, "/api/v1/questions", payload, second), 429)
