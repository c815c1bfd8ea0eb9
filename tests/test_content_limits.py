"""Content and limits (issue 19): the minimum counts rendered text, one body limit everywhere,
every answer under /api/ is JSON (404, 405, 413, 414 included)."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Answer, Question, SuggestedEdit
from app.models.post import BODY_MAX
from app.services import answers, questions
from app.services.errors import ValidationFailed
from app.services.importers import faq_csv
from app.services.posting import check_body
from tests.api_client import assert_error, bearer, post_json
from tests.factories import login, make_answer, make_question

pytestmark = pytest.mark.privileges(create_tags=0)

# Long in the source, nothing (or almost nothing) on the page.
EMPTY_ON_THE_PAGE = [
    "<!-- 住民税の特別徴収について、あとで書く予定のメモです -->",
    "[1]: https://example.jp/juminzei/tokubetsu-choshu",
    '<div class="注意"><span></span><iframe src="https://example.jp/juminzei"></iframe></div>',
    "<!-- ここは下書き -->\n\n住民税です",  # 5 visible characters
    "   \u3000\n\n<br><br><br><br>\n\n---\n\n   ",
]


@pytest.mark.parametrize("body", EMPTY_ON_THE_PAGE)
def test_a_body_that_renders_to_less_than_the_minimum_is_refused(app, body):
    assert len(body.strip()) >= 10
    with pytest.raises(ValidationFailed) as refused:
        check_body(body)
    assert "表示される本文" in refused.value.errors["body"] or "10文字以上" in refused.value.errors["body"]


def test_ten_visible_characters_pass_and_markup_does_not_count(app):
    text, html = check_body("**住民税の特別徴収**です")  # 11 characters on the page
    assert text == "**住民税の特別徴収**です" and "<strong>" in html
    with pytest.raises(ValidationFailed):
        check_body("**住民税**<!-- です。ここは見えない注記 -->")


def test_ask_answer_and_edit_refuse_an_empty_rendering(app, alice, bob):
    comment_only = "<!-- 回答はあとで書きます。ご容赦ください -->"
    with pytest.raises(ValidationFailed):
        questions.ask_question(alice, questions.QuestionInput("住民税の特別徴収の切替時期", comment_only, "住民税"))
    question = make_question(alice)
    with pytest.raises(ValidationFailed):
        answers.post_answer(bob, question, comment_only)
    answer = make_answer(bob, question)
    with pytest.raises(ValidationFailed):
        answers.edit_answer(bob, answer, comment_only, base_revision=answer.revision_count)
    with pytest.raises(ValidationFailed):
        data = questions.QuestionInput(question.title, comment_only, "住民税")
        questions.edit_question(alice, question, data, base_revision=question.revision_count)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 1


@pytest.mark.privileges(create_tags=0, edit_others=1000, suggest_edits=0)
def test_a_suggested_edit_that_renders_to_nothing_is_refused(app, alice, bob):
    question = make_question(alice)
    answer = make_answer(alice, question)
    link_only = "[資料]: https://example.jp/shiryo/2025-juminzei.pdf"
    with pytest.raises(ValidationFailed):
        answers.edit_answer(bob, answer, link_only, base_revision=answer.revision_count)
    with pytest.raises(ValidationFailed):
        data = questions.QuestionInput(question.title, link_only, "住民税")
        questions.edit_question(bob, question, data, base_revision=question.revision_count)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SuggestedEdit)) == 0


def test_the_web_form_shows_the_error_in_japanese(client, alice):
    login(client, alice)
    question = make_question(alice)
    response = client.post(f"/questions/{question.id}/answers", data={"body": "<!-- ｶﾞｲﾄﾞラインを後で貼ります。 -->"})
    assert response.status_code in (200, 422)
    assert "表示される本文が10文字未満です" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_the_api_answers_422_for_a_body_long_only_in_source(client, alice, alice_token):
    body = "<!-- " + "住民税" * 50 + " -->"
    response = post_json(client, "/api/v1/questions", {"title": "住民税の特別徴収の切替時期", "body": body, "tags": ["住民税"]}, alice_token)
    error = assert_error(response, 422, "validation_failed")
    assert "表示される本文" in str(error)
    question = make_question(alice)
    response = post_json(client, f"/api/v1/questions/{question.id}/answers", {"body": "[1]: https://example.jp/a"}, alice_token)
    assert_error(response, 422, "validation_failed")


def test_the_importer_skips_and_counts_answers_that_render_to_nothing(app, tmp_path):
    csv = tmp_path / "faq.csv"
    csv.write_text(
        "問い,回答\n"
        "住民票の写しを郵送で請求するには？,請求書と本人確認書類の写しを同封して郵送してください。\n"
        "マイナンバーカードの暗証番号を忘れました,<!-- 回答は準備中です。しばらくお待ちください -->\n",
        encoding="utf-8",
    )
    report = faq_csv.import_faq_csv(csv, org="141003")
    assert report.created["questions"] == 1
    assert report.skipped["rows refused by our rules (body)"] == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 1


# ---------------------------------------------------------------- one body limit


def test_the_textarea_says_the_servers_limit(client, alice):
    login(client, alice)
    page = client.get("/questions/ask").get_data(as_text=True)
    assert f'maxlength="{BODY_MAX}"' in page and 'maxlength="40000"' not in page
    assert "30,000文字まで" in page


def test_one_limit_for_form_service_and_api(client, alice, alice_token):
    login(client, alice)
    question = make_question(alice)
    over = "住" * (BODY_MAX + 1)
    page = client.post(f"/questions/{question.id}/answers", data={"body": over}).get_data(as_text=True)
    assert "30,000文字以内で入力してください。" in page
    with pytest.raises(ValidationFailed):
        answers.post_answer(alice, question, over)
    assert_error(post_json(client, f"/api/v1/questions/{question.id}/answers", {"body": over}, alice_token), 422)


def test_line_breaks_count_once_as_the_browser_counts_them(client, alice):
    """A browser sends each line break of a full textarea as CRLF: 30,000 characters must pass."""
    login(client, alice)
    question = make_question(alice)
    body = "住民税の特別徴収について。\r\n" * 2100
    assert len(body.replace("\r\n", "\n")) <= BODY_MAX < len(body)
    response = client.post(f"/questions/{question.id}/answers", data={"body": body})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Answer.body)).startswith("住民税の特別徴収について。\n")


# ---------------------------------------------------------------- JSON under /api/


def test_api_404_405_413_414_are_json(app, client, alice_token):
    assert_error(client.get("/api/v1/存在しない", headers=bearer(alice_token)), 404, "not_found")
    assert_error(client.delete("/api/v1/questions", headers=bearer(alice_token)), 405, "method_not_allowed")
    big = {"title": "住民税の特別徴収の切替時期", "body": "住" * (app.config["MAX_CONTENT_LENGTH"] // 3 + 10), "tags": ["住民税"]}
    assert_error(post_json(client, "/api/v1/questions", big, alice_token), 413, "payload_too_large")
    long_query = "/api/v1/search?q=" + "%E4%BD%8F" * 12000  # 100 KB of 住
    assert_error(client.get(long_query, headers=bearer(alice_token)), 414, "uri_too_long")
    assert_error(client.get(long_query), 414, "uri_too_long")  # before the token check too


def test_an_over_long_url_elsewhere_is_an_html_page(member_client):
    response = member_client.get("/search?q=" + "%E4%BD%8F" * 12000)
    assert response.status_code == 414 and response.mimetype == "text/html"
    assert "URLが長すぎます" in response.get_data(as_text=True)
    assert member_client.get("/search?q=" + "%E4%BD%8F" * 600).status_code == 200  # 600 characters: long but fine
