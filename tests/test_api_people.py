"""The people endpoints of the JSON API: experts by tag, profiles, and one's own career."""

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import CareerEntry, User, utcnow
from app.services import answers, tags, tokens, votes
from tests.api_client import assert_error, bearer, post_json
from tests.factories import login, make_answer, make_question, make_user
from tests.people_factories import add_post, month

EXAMPLE = {"organization": "141003", "department": "財政局 債権回収課", "tags": ["債権回収"], "start": "2019-04", "end": "2022-03"}


def entry_count(user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(CareerEntry).where(CareerEntry.user_id == user.id))


@pytest.fixture
def alice_read_token(alice) -> str:
    return tokens.create_token(alice, "読み取り専用", "read").secret


# ---------------------------------------------------------------- authentication


def test_every_people_endpoint_needs_a_token(client, alice):
    entry = add_post(alice)
    make_question(alice, tags="債権回収")
    for method, path in [
        ("get", "/api/v1/tags/債権回収/experts"),
        ("get", f"/api/v1/users/{alice.id}"),
        ("get", "/api/v1/users/me/career"),
        ("post", "/api/v1/users/me/career"),
        ("delete", f"/api/v1/users/me/career/{entry.id}"),
    ]:
        for headers in [{}, bearer("znn_not-a-real-token"), {"Authorization": "Basic YWxpY2U6cGFzcw=="}]:
            response = getattr(client, method)(path, json=EXAMPLE, headers=headers)
            assert_error(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert entry_count(alice) == 1


def test_a_read_only_token_reads_the_career_but_cannot_change_it(client, alice, alice_read_token):
    entry = add_post(alice)
    listed = client.get("/api/v1/users/me/career", headers=bearer(alice_read_token))
    assert listed.status_code == 200 and listed.get_json()["total"] == 1
    assert_error(post_json(client, "/api/v1/users/me/career", EXAMPLE, alice_read_token), 403, "insufficient_scope")
    assert_error(client.delete(f"/api/v1/users/me/career/{entry.id}", headers=bearer(alice_read_token)), 403, "insufficient_scope")
    assert entry_count(alice) == 1


def test_deletes_count_against_the_write_limit(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, API_RATE_LIMIT="10 per minute", API_WRITE_RATE_LIMIT="1 per minute")
    client = app.test_client()
    with app.app_context():
        secret = tokens.create_token(make_user(), "削除の回数制限", "write").secret
    assert_error(client.delete("/api/v1/users/me/career/987654", headers=bearer(secret)), 404)
    assert_error(client.delete("/api/v1/users/me/career/987654", headers=bearer(secret)), 429, "rate_limited")
    assert client.get("/api/v1/users/me/career", headers=bearer(secret)).status_code == 200


# ---------------------------------------------------------------- /users/ID


def test_a_profile_has_public_fields_only(client, alice, bob, bob_token):
    alice.bio = "税務と債権回収を担当してきました。"
    db.session.commit()
    add_post(alice, "財政局 債権回収課", started=30)
    question = make_question(bob, tags="債権回収")
    answers.accept_answer(bob, make_answer(alice, question))
    make_question(alice, title="滞納処分の執行停止の判断基準は", tags="債権回収")

    response = client.get(f"/api/v1/users/{alice.id}", headers=bearer(bob_token))
    assert response.status_code == 200
    profile = response.get_json()
    assert profile["id"] == alice.id and profile["display_name"] == "横浜 アリス"
    assert profile["organization"] == {"code": "141003", "name": "神奈川県横浜市"}
    assert profile["department"] == "財政局 債権回収課" and profile["bio"] == "税務と債権回収を担当してきました。"
    assert (profile["question_count"], profile["answer_count"], profile["accepted_count"]) == (1, 1, 1)
    assert profile["reputation"] == alice.reputation > 0
    assert profile["placeholder"] is False and profile["url"].endswith(f"/users/{alice.id}")
    assert profile["career"] == [
        {
            "id": profile["career"][0]["id"],
            "organization": {"code": "141003", "name": "神奈川県横浜市"},
            "department": "財政局 債権回収課",
            "tags": ["債権回収"],
            "start": month(30),
            "end": None,
            "current": True,
        }
    ]
    text = response.get_data(as_text=True)
    for private in ["alice@city.yokohama.lg.jp", "email", "password", "session_token", "token", "career_visibility", "notify", "routing", "locale"]:
        assert private not in text, private


@pytest.mark.parametrize(
    "visibility, seen_by",
    [
        ("members", {"self", "same organization", "other organization"}),
        ("organization", {"self", "same organization"}),
        ("ranking_only", {"self"}),
    ],
)
def test_the_career_follows_the_persons_privacy_choice(client, alice, bob, visibility, seen_by):
    person = make_user(name="横浜 職員", org="141003")
    add_post(person, "財政局 債権回収課", started=60, ended=25)
    add_post(person, "総務局 人事課", tags="人事", started=24)
    person.career_visibility = visibility
    db.session.commit()
    viewers = {"self": person, "same organization": alice, "other organization": bob}
    for label, viewer in viewers.items():
        secret = tokens.create_token(viewer, f"{label}の確認", "read").secret
        profile = client.get(f"/api/v1/users/{person.id}", headers=bearer(secret)).get_json()
        if label in seen_by:
            assert [entry["department"] for entry in profile["career"]] == ["総務局 人事課", "財政局 債権回収課"], label
            assert profile["career"][1]["end"] == month(25) and profile["career"][1]["current"] is False
        else:
            assert profile["career"] is None, label
            assert "債権回収" not in json.dumps(profile, ensure_ascii=False)
        assert profile["question_count"] == 0  # the rest of the profile is the same for everyone


def test_admins_see_every_career(client, bob):
    bob.career_visibility = "ranking_only"
    db.session.commit()
    add_post(bob, "財政局 税務部 収税課", org="271004")
    admin = make_user(role="admin", org="900141")
    secret = tokens.create_token(admin, "管理者", "read").secret
    assert client.get(f"/api/v1/users/{bob.id}", headers=bearer(secret)).get_json()["career"][0]["department"] == "財政局 税務部 収税課"


def test_missing_placeholder_unverified_and_disabled_people_are_404(client, alice, bob_token):
    placeholder = User(email="imported-1@placeholder.invalid", display_name="移行元の投稿者", is_placeholder=True, notify_by_email=False)
    unverified = User(email="mada@city.kawasaki.lg.jp", display_name="未確認 さん", organization_code="141003")
    disabled = make_user(name="退職 さん")
    disabled.disabled_at = utcnow()
    db.session.add_all([placeholder, unverified])
    db.session.commit()
    for user_id in [placeholder.id, unverified.id, disabled.id, 987654, "0", "2147483648", "9223372036854775807", "１", "me", "-1"]:
        assert_error(client.get(f"/api/v1/users/{user_id}", headers=bearer(bob_token)), 404, "not_found")
    assert client.get(f"/api/v1/users/{alice.id}", headers=bearer(bob_token)).status_code == 200


# ---------------------------------------------------------------- /tags/NAME/experts


@pytest.fixture
def debt_experts(alice, bob):
    """A three-year former holder with two accepted answers, a newcomer with one upvoted answer,
    a colleague whose career is private, and someone who only answered."""
    first = make_question(alice, title="督促状の発送時期はいつですか", tags="債権回収")
    veteran = make_user(name="前任 三年", org="141003")
    add_post(veteran, "財政局 債権回収課", started=60, ended=25)
    add_post(veteran, "総務局 人事課", tags="人事", started=24)
    for title in ["分納誓約の不履行が続く場合の対応は", "預貯金調査の照会先はどこまで広げますか"]:
        question = make_question(alice, title=title, tags="債権回収")
        answers.accept_answer(alice, make_answer(veteran, question, "地方税法と国税徴収法の規定に沿って進めます。"))

    newcomer = make_user(name="新任 一年目", org="141003")
    add_post(newcomer, "財政局 債権回収課", started=1)
    votes.cast_vote(alice, make_answer(newcomer, first, "納期限後20日以内に発します。"), 1)

    hidden = make_user(name="非公開 さん", org="141003")
    add_post(hidden, "財政局 債権回収課 特別整理係", started=50, ended=20)
    hidden.career_visibility = "ranking_only"
    db.session.commit()
    make_answer(bob, first, "大阪市では督促状をシステムで一括発送しています。")
    return {"veteran": veteran, "newcomer": newcomer, "hidden": hidden}


def test_experts_are_ranked_with_reasons_in_japanese(client, alice, debt_experts, bob_token):
    response = client.get("/api/v1/tags/債権回収/experts", headers=bearer(bob_token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["tag"] == "債権回収" and body["page"] == 1 and body["total"] == 4
    names = [item["user"]["display_name"] for item in body["items"]]
    assert names == ["前任 三年", "非公開 さん", "新任 一年目", "大阪 ボブ"]
    veteran, hidden, newcomer, answerer = body["items"]
    assert veteran["score"] > 2 * newcomer["score"] > 0
    assert veteran["reason"] == f"{month(60)[:4]}–{month(25)[:4]} 横浜市 財政局 債権回収課 · 回答 2件（採用 2）"
    assert (veteran["answers"], veteran["accepted"], veteran["current_holder"]) == (2, 2, False)
    assert [post["department"] for post in veteran["posts"]] == ["財政局 債権回収課"]  # only posts with the tag
    assert veteran["posts"][0]["end"] == month(25)
    assert newcomer["reason"] == f"{month(1)[:4]}–現在 横浜市 財政局 債権回収課 · 回答 1件"
    assert newcomer["current_holder"] is True and newcomer["upvotes"] == 1 and newcomer["posts"][0]["end"] is None
    # Hidden careers rank, but what the post was is never told.
    assert hidden["reason"] == "このタグの職歴あり（非公開）" and hidden["posts"] == [] and hidden["current_holder"] is False
    assert "特別整理係" not in response.get_data(as_text=True)
    assert answerer["reason"] == "回答 1件" and answerer["posts"] == []
    assert set(veteran["user"]) == {"id", "display_name", "organization", "placeholder"}

    own = client.get("/api/v1/tags/債権回収/experts", headers=bearer(tokens.create_token(debt_experts["hidden"], "本人", "read").secret))
    assert "特別整理係" in own.get_json()["items"][1]["reason"]  # the person sees their own posts


def test_experts_filters_by_place_and_holding(client, alice, bob, debt_experts, bob_token):
    alice_token = tokens.create_token(alice, "横浜から", "read").secret

    def names(query, secret=alice_token):
        response = client.get(f"/api/v1/tags/債権回収/experts?{query}", headers=bearer(secret))
        assert response.status_code == 200, response.get_json()
        return [item["user"]["display_name"] for item in response.get_json()["items"]]

    assert names("holders=current") == ["新任 一年目"]
    assert names("holders=former") == ["前任 三年"]  # the private post filters nothing in
    assert names("scope=organization") == ["前任 三年", "非公開 さん", "新任 一年目"]
    assert names("scope=prefecture&holders=all") == ["前任 三年", "非公開 さん", "新任 一年目"]
    assert names("scope=organization", bob_token) == ["大阪 ボブ"]
    assert names("scope=nationwide&holders=current&page=1") == ["新任 一年目"]


def test_experts_by_synonym_or_other_width(client, alice, moderator, debt_experts, bob_token):
    tag = tags.get_tag("債権回収")
    tags.edit_tag(moderator, tag, tags.TagEdit(description="", category=tag.category, synonyms="滞納整理 ｻｲｹﾝ"))
    for name in ["滞納整理", "ｻｲｹﾝ", "サイケン"]:
        body = client.get(f"/api/v1/tags/{name}/experts", headers=bearer(bob_token)).get_json()
        assert body["tag"] == "債権回収" and body["total"] == 4


@pytest.mark.parametrize(
    "query, status, field",
    [
        ("scope=全国", 422, "scope"),
        ("scope=", 422, "scope"),
        ("holders=現在", 422, "holders"),
        ("holders=ALL", 422, "holders"),
        ("page=0", 400, None),
        ("page=abc", 400, None),
        ("page=２", 400, None),
        ("page=99999999999999999999", 400, None),
        ("page=2", 404, None),
        ("page=100000", 404, None),
    ],
)
def test_bad_expert_filters_and_pages(client, debt_experts, bob_token, query, status, field):
    error = assert_error(client.get(f"/api/v1/tags/債権回収/experts?{query}", headers=bearer(bob_token)), status)
    if field:
        assert set(error["fields"]) == {field} and error["fields"][field]


def test_scopes_need_an_organization(client, debt_experts):
    secret = tokens.create_token(make_user(org=None), "所属なし", "read").secret
    error = assert_error(client.get("/api/v1/tags/債権回収/experts?scope=prefecture", headers=bearer(secret)), 422)
    assert "所属団体" in error["fields"]["scope"]
    assert client.get("/api/v1/tags/債権回収/experts", headers=bearer(secret)).status_code == 200


def test_unknown_tags_are_404_and_a_tag_without_experts_is_an_empty_page(client, alice, bob_token):
    assert_error(client.get("/api/v1/tags/存在しないタグ/experts", headers=bearer(bob_token)), 404, "not_found")
    assert_error(client.get("/api/v1/tags/" + "あ" * 300 + "/experts", headers=bearer(bob_token)), 404)
    make_question(alice, title="空き家対策の固定資産税の特例は", tags="空き家")
    body = client.get("/api/v1/tags/空き家/experts", headers=bearer(bob_token)).get_json()
    assert body == {"items": [], "total": 0, "page": 1, "tag": "空き家"}
    assert_error(client.get("/api/v1/tags/空き家/experts?page=2", headers=bearer(bob_token)), 404)


# ---------------------------------------------------------------- /users/me/career


def test_add_list_and_delete_my_career(client, alice, alice_token):
    assert client.get("/api/v1/users/me/career", headers=bearer(alice_token)).get_json() == {"items": [], "total": 0, "page": 1}

    response = post_json(client, "/api/v1/users/me/career", EXAMPLE, alice_token)
    assert response.status_code == 201, response.get_json()
    entry = response.get_json()
    assert entry == {
        "id": entry["id"],
        "organization": {"code": "141003", "name": "神奈川県横浜市"},
        "department": "財政局 債権回収課",
        "tags": ["債権回収"],
        "start": "2019-04",
        "end": "2022-03",
        "current": False,
    }
    assert response.headers["Location"].endswith(f"/api/v1/users/me/career/{entry['id']}")

    current = {"organization": "横浜市", "department": "財政局　主税部　収納対策課", "tags": "債権回収、住民税", "start": month(3), "end": None}
    response = post_json(client, "/api/v1/users/me/career", current, alice_token)
    assert response.status_code == 201, response.get_json()
    now = response.get_json()
    assert now["department"] == "財政局 主税部 収納対策課" and now["tags"] == ["住民税", "債権回収"]
    assert now["end"] is None and now["current"] is True and now["start"] == month(3)

    listed = client.get("/api/v1/users/me/career", headers=bearer(alice_token)).get_json()
    assert listed["total"] == 2 and listed["page"] == 1
    assert listed["items"] == [now, entry]  # the current post first
    profile = client.get(f"/api/v1/users/{alice.id}", headers=bearer(alice_token)).get_json()
    assert profile["department"] == "財政局 主税部 収納対策課"  # the profile follows the current post

    response = client.delete(f"/api/v1/users/me/career/{entry['id']}", headers=bearer(alice_token))
    assert response.status_code == 204 and response.get_data() == b""
    assert [item["id"] for item in client.get("/api/v1/users/me/career", headers=bearer(alice_token)).get_json()["items"]] == [now["id"]]
    assert_error(client.delete(f"/api/v1/users/me/career/{entry['id']}", headers=bearer(alice_token)), 404)


def test_one_current_post_unless_it_is_concurrent(client, alice, alice_token):
    add_post(alice, "財政局 債権回収課", started=12)
    payload = {"organization": "141003", "department": "健康福祉局 健康安全課", "tags": ["ワクチン接種"], "start": month(2)}
    error = assert_error(post_json(client, "/api/v1/users/me/career", payload, alice_token), 422, "validation_failed")
    assert "兼務" in error["fields"]["end"]
    response = post_json(client, "/api/v1/users/me/career", {**payload, "concurrent": True}, alice_token)
    assert response.status_code == 201 and response.get_json()["current"] is True
    assert entry_count(alice) == 2


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"start": "2022-04", "end": "2019-03"}, "end", "開始月と同じか、それより後"),
        ({"start": "2019-13"}, "start", "「2019-04」の形"),
        ({"start": "来年の4月"}, "start", "「2019-04」の形"),
        ({"start": ""}, "start", "「2019-04」の形"),
        ({"end": "2022-3月末"}, "end", "「2019-04」の形"),
        ({"start": "2000-04", "end": "9999-03"}, "end", "未来の月"),
        ({"start": "2999-04", "end": None}, "start", "来月まで"),
        ({"organization": "999999"}, "organization", "一覧から選んで"),
        ({"organization": "ニライカナイ市"}, "organization", "一覧から選んで"),
        ({"organization": ""}, "organization", "一覧から選んで"),
        ({"department": "　"}, "department", "部署名を入力"),
        ({"department": "課" * 101}, "department", "100文字以内"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, "tags", "5個まで"),
        ({"tags": "c# 債権回収"}, "tags", "使えない文字"),
        ({"organization": ["141003"]}, "organization", "文字列で指定"),
        ({"department": ["財政局", "債権回収課"]}, "department", "文字列で指定"),
        ({"start": ["2019-04"]}, "start", "文字列で指定"),
        ({"start": 201904}, "start", "文字列で指定"),
        ({"end": {"year": 2022, "month": 3}}, "end", "文字列で指定"),
        ({"tags": [1, 2]}, "tags", "配列か、区切った文字列"),
        ({"tags": {"name": "債権回収"}}, "tags", "配列か、区切った文字列"),
        ({"tags": None}, "tags", "配列か、区切った文字列"),
        ({"concurrent": "はい"}, "concurrent", "true か false"),
        ({"organization": None}, "organization", "文字列で指定"),
    ],
)
def test_career_validation_is_per_field_in_japanese(client, alice, alice_token, changes, field, message):
    error = assert_error(post_json(client, "/api/v1/users/me/career", {**EXAMPLE, **changes}, alice_token), 422, "validation_failed")
    assert message in error["fields"][field], error
    assert entry_count(alice) == 0


def test_every_career_rule_is_reported_at_once(client, alice, alice_token):
    payload = {"organization": "999999", "department": "", "tags": "c#", "start": "そのうち"}
    error = assert_error(post_json(client, "/api/v1/users/me/career", payload, alice_token), 422)
    assert set(error["fields"]) == {"organization", "department", "tags", "start"}


def test_nul_bytes_and_lone_surrogates_are_cleaned(client, alice_token):
    raw = (
        '{"organization": "141\\u0000003", "department": "財政局\\u0000 債権\\ud800回収課",'
        ' "tags": ["債権\\u0000回収"], "start": "2019-\\u000004", "end": "2022-03\\udfff"}'
    )
    response = client.post("/api/v1/users/me/career", data=raw, content_type="application/json", headers=bearer(alice_token))
    assert response.status_code == 201, response.get_json()
    entry = response.get_json()
    assert entry["organization"]["code"] == "141003" and entry["department"] == "財政局 債権回収課"
    assert entry["tags"] == ["債権回収"] and (entry["start"], entry["end"]) == ("2019-04", "2022-03")


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"財政局"', "", "null"])
def test_non_object_career_bodies_are_400(client, alice, alice_token, body):
    response = client.post("/api/v1/users/me/career", data=body, content_type="application/json", headers=bearer(alice_token))
    assert_error(response, 400, "bad_request")
    assert entry_count(alice) == 0


def test_someone_elses_entry_cannot_be_deleted_and_is_not_even_found(client, alice, bob, bob_token):
    entry = add_post(alice)
    assert_error(client.delete(f"/api/v1/users/me/career/{entry.id}", headers=bearer(bob_token)), 404, "not_found")
    assert entry_count(alice) == 1
    for entry_id in ["987654", "0", "2147483648", "9223372036854775808", "abc", "１"]:
        assert_error(client.delete(f"/api/v1/users/me/career/{entry_id}", headers=bearer(bob_token)), 404)


def test_wrong_methods_on_career_are_json_405(client, alice, alice_token):
    entry = add_post(alice)
    assert_error(client.delete("/api/v1/users/me/career", headers=bearer(alice_token)), 405, "method_not_allowed")
    assert_error(client.get(f"/api/v1/users/me/career/{entry.id}", headers=bearer(alice_token)), 405)


# ---------------------------------------------------------------- the Japanese guide


def test_the_api_page_documents_the_people_endpoints(client, alice):
    login(client, alice)
    page = client.get("/api").get_data(as_text=True)
    for text in [
        "GET /api/v1/tags/NAME/experts",
        "GET /api/v1/users/ID",
        "GET /api/v1/users/me/career",
        "POST /api/v1/users/me/career",
        "DELETE /api/v1/users/me/career/ID",
        "/users/me/career",
        '"organization": "141003", "department": "財政局 債権回収課",',
        '"tags": ["債権回収"], "start": "2019-04", "end": "2022-03"',
        "本人の公開設定",
    ]:
        assert text in page, text
