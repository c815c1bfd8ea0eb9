"""The guard's API contract (DESIGN §5): 422 `personal_information` with the findings and nothing
stored; the same request naming every category in `confirmed_findings` is accepted (201)."""

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Answer, AuditLog, Comment, Question
from tests.api_client import assert_error, post_json
from tests.factories import make_answer, make_question

RESIDENT = "😀滞納者: 川崎 一郎（川崎市川崎区宮本町1-2-3）、個人番号: 123456789018 の分納について。"
RESIDENT_CATEGORIES = ["address", "my_number", "person_name"]
PHONE = "090-1234-5678"


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _confirmations() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "pii_confirm"))


def _held(response, texts: dict[str, str]) -> list[dict]:
    """The 422 envelope, exactly; each finding's span indexes the text of its field."""
    error = assert_error(response, 422, "personal_information")
    assert set(error) == {"code", "message", "findings"}
    assert "個人情報" in error["message"]
    for finding in error["findings"]:
        assert set(finding) == {"category", "start", "end", "field"}
        assert 0 <= finding["start"] < finding["end"] <= len(texts[finding["field"]])
    return error["findings"]


def _endpoints(question_id: int, answer_id: int):
    return [
        ("/api/v1/questions", {"title": "分納誓約の途中で転居した滞納者への対応", "tags": ["債権回収"]}, Question),
        (f"/api/v1/questions/{question_id}/answers", {}, Answer),
        (f"/api/v1/posts/{answer_id}/comments", {}, Comment),
    ]


@pytest.fixture
def posts(alice, bob):
    question = make_question(alice)
    return question, make_answer(bob, question)


@pytest.mark.parametrize("which", [0, 1, 2], ids=["question", "answer", "comment"])
def test_personal_information_is_422_with_findings_and_stores_nothing(client, posts, alice_token, which):
    path, extra, model = _endpoints(posts[0].id, posts[1].id)[which]
    before = _count(model)
    findings = _held(post_json(client, path, {**extra, "body": RESIDENT}, alice_token), {"body": RESIDENT})
    assert sorted(f["category"] for f in findings) == RESIDENT_CATEGORIES
    spans = {f["category"]: RESIDENT[f["start"] : f["end"]] for f in findings}  # code points: the emoji counts once
    assert "123456789018" in spans["my_number"] and "一郎" in spans["person_name"]
    assert _count(model) == before and _confirmations() == 0


@pytest.mark.parametrize("which", [0, 1, 2], ids=["question", "answer", "comment"])
def test_naming_every_category_found_is_accepted_and_audited(client, posts, alice_token, alice, which):
    path, extra, model = _endpoints(posts[0].id, posts[1].id)[which]
    response = post_json(client, path, {**extra, "body": RESIDENT, "confirmed_findings": RESIDENT_CATEGORIES}, alice_token)
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["body"] == RESIDENT and response.headers["Location"]
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "pii_confirm"))
    assert (row.actor_id, row.target_id) == (alice.id, created["id"])
    assert row.target_type == ("comment" if model is Comment else "post")
    assert json.loads(row.detail) == {"categories": RESIDENT_CATEGORIES}


def test_a_finding_in_the_title_names_its_field(client, alice_token):
    title = f"携帯 {PHONE} の方からの相談"
    body = "分納の相談を受けた場合の手順を教えてください。"
    findings = _held(
        post_json(client, "/api/v1/questions", {"title": title, "body": body, "tags": "債権回収"}, alice_token),
        {"title": title, "body": body},
    )
    assert [(f["field"], f["category"], title[f["start"] : f["end"]]) for f in findings] == [("title", "phone", PHONE)]


def test_only_the_categories_not_confirmed_are_listed(client, posts, alice_token):
    path = f"/api/v1/questions/{posts[0].id}/answers"
    body = RESIDENT + f"\n連絡先 {PHONE}"
    findings = _held(post_json(client, path, {"body": body, "confirmed_findings": ["my_number", "phone"]}, alice_token), {"body": body})
    assert sorted(f["category"] for f in findings) == ["address", "person_name"]


def test_categories_listed_but_not_found_are_harmless(client, posts, alice_token):
    body = "地方税法第15条の7第1項の執行停止について、令和６年度の運用を教えてください。"
    response = post_json(client, f"/api/v1/questions/{posts[0].id}/answers", {"body": body, "confirmed_findings": ["email", "bank_account"]}, alice_token)
    assert response.status_code == 201
    assert _confirmations() == 0  # nothing was found, so nothing was confirmed


@pytest.mark.parametrize("value", [["マイナンバー"], ["phone", "PHONE"], "phone", [1], None, {"phone": True}])
def test_an_unknown_category_or_shape_is_a_validation_error(client, posts, alice_token, value):
    response = post_json(
        client, f"/api/v1/posts/{posts[0].id}/comments", {"body": f"連絡先 {PHONE}", "confirmed_findings": value}, alice_token
    )
    error = assert_error(response, 422, "validation_failed")
    assert "confirmed_findings" in error["fields"]
    assert _count(Comment) == 0


def test_comments_endpoint_without_personal_information(client, posts, alice_token, alice):
    question, answer = posts
    response = post_json(client, f"/api/v1/posts/{question.id}/comments", {"body": "年度はいつのことですか？ｶﾞｲﾄﾞﾗｲﾝも見ました🙏"}, alice_token)
    assert response.status_code == 201
    created = response.get_json()
    assert created["post_id"] == question.id and created["author"]["id"] == alice.id
    assert response.headers["Location"].endswith(f"/api/v1/questions/{question.id}#comment-{created['id']}")
    response = post_json(client, f"/api/v1/posts/{answer.id}/comments", {"body": "参考になりました。"}, alice_token)
    assert response.headers["Location"].endswith(f"/api/v1/questions/{question.id}#comment-{response.get_json()['id']}")
    assert_error(post_json(client, "/api/v1/posts/999999/comments", {"body": "参考になりました。"}, alice_token), 404)
    assert_error(post_json(client, f"/api/v1/posts/{question.id}/comments", {"body": "あ" * 601}, alice_token), 422, "validation_failed")
