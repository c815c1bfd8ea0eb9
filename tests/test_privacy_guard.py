"""個人情報チェック: every publishing service holds text with personal information until its author
removes it or confirms each category; the web forms keep what was typed and mark the findings."""

import html
import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Answer, AuditLog, Comment, Post, Question, Revision
from app.services import answers, comments, questions
from app.services.errors import PersonalInformationFound, ValidationFailed
from tests.factories import login, make_answer, make_question

# What the reporter pasted: a resident's name, address and 個人番号.
RESIDENT = "滞納者: 川崎 一郎（川崎市川崎区宮本町1-2-3）、個人番号: 123456789018 の分納について相談です。"
RESIDENT_CATEGORIES = {"person_name", "address", "my_number"}
PHONE = "090-1234-5678"
WIDE_MY_NUMBER = "１２３４５６７８９０１８"  # full-width digits, as typed with a Japanese IME
TITLE = "分納誓約の途中で転居した滞納者への対応"


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _confirmations() -> list[AuditLog]:
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "pii_confirm").order_by(AuditLog.id)).all()


def _ask(author, body: str, **kwargs) -> Question:
    return questions.ask_question(author, questions.QuestionInput(TITLE, body, "債権回収"), **kwargs)


# ---------------------------------------------------------------- services


def test_asking_with_personal_information_is_held_and_stores_nothing(app, alice):
    with pytest.raises(PersonalInformationFound) as held:
        _ask(alice, RESIDENT)
    found = held.value
    assert set(found.held_categories) == RESIDENT_CATEGORIES
    assert {field for field, _finding in found.held} == {"body"}
    spans = {finding.category: RESIDENT[finding.start : finding.end] for _field, finding in found.held}
    assert "123456789018" in spans["my_number"] and "一郎" in spans["person_name"] and "1-2-3" in spans["address"]
    assert (_count(Question), _count(Revision), _count(AuditLog)) == (0, 0, 0)


def test_confirming_every_category_publishes_and_audits_the_categories_never_the_text(app, alice):
    question = _ask(alice, RESIDENT, confirmed_categories=sorted(RESIDENT_CATEGORIES))
    assert question.body == RESIDENT
    [row] = _confirmations()
    assert (row.actor_id, row.target_type, row.target_id) == (alice.id, "post", question.id)
    assert json.loads(row.detail) == {"categories": sorted(RESIDENT_CATEGORIES)}
    for fragment in ("123456789018", "一郎", "宮本町"):
        assert fragment not in row.detail


def test_a_partial_confirmation_still_holds_and_names_only_what_is_left(app, alice):
    with pytest.raises(PersonalInformationFound) as held:
        _ask(alice, RESIDENT, confirmed_categories=["my_number", "phone"])
    assert set(held.value.held_categories) == {"person_name", "address"}
    assert held.value.confirmed == {"my_number"}
    assert _count(Question) == 0


def test_an_unknown_category_is_a_validation_error(app, alice):
    with pytest.raises(ValidationFailed) as failure:
        _ask(alice, RESIDENT, confirmed_categories=[*RESIDENT_CATEGORIES, "マイナンバー"])
    assert "confirmed_findings" in failure.value.errors
    assert _count(Question) == 0


def test_confirming_a_category_that_is_not_there_is_harmless_and_not_audited(app, alice):
    question = _ask(alice, "地方税法第15条の7に基づく執行停止の判断基準を教えてください😀", confirmed_categories=["phone"])
    assert question.id is not None and _confirmations() == []


def test_answers_and_comments_are_held_and_confirmed_the_same_way(app, alice, bob):
    question = make_question(alice)
    body = f"担当の携帯 {PHONE} に折り返してもらいました。"
    with pytest.raises(PersonalInformationFound):
        answers.post_answer(bob, question, body)
    with pytest.raises(PersonalInformationFound):
        comments.add_comment(bob, question, body)
    assert (_count(Answer), _count(Comment)) == (0, 0)
    answer = answers.post_answer(bob, question, body, confirmed_categories=["phone"])
    comment = comments.add_comment(bob, answer, body, confirmed_categories=["phone"])
    assert [(row.target_type, row.target_id) for row in _confirmations()] == [("post", answer.id), ("comment", comment.id)]


def test_every_edit_checks_the_whole_text_again_and_the_editor_confirms(app, alice, moderator):
    question = _ask(alice, RESIDENT, confirmed_categories=sorted(RESIDENT_CATEGORIES))
    edited = questions.QuestionInput(TITLE, RESIDENT + "\n追記: 分納は月1万円です。", "債権回収")
    with pytest.raises(PersonalInformationFound):
        questions.edit_question(moderator, question, edited, base_revision=1)
    assert question.revision_count == 1
    questions.edit_question(moderator, question, edited, base_revision=1, confirmed_categories=sorted(RESIDENT_CATEGORIES))
    assert [row.actor_id for row in _confirmations()] == [alice.id, moderator.id]
    # Editing the personal information away needs no confirmation.
    cleaned = questions.QuestionInput(TITLE, "滞納者Aさんの分納について相談です。分納は月1万円です。", "債権回収")
    questions.edit_question(alice, question, cleaned, base_revision=2)
    assert question.revision_count == 3 and len(_confirmations()) == 2


def test_the_edit_summary_is_published_too_and_is_checked(app, alice, bob):
    answer = make_answer(bob, make_question(alice))
    with pytest.raises(PersonalInformationFound) as held:
        answers.edit_answer(bob, answer, answer.body + "（追記）", base_revision=1, summary=f"{PHONE} の方の件を追記")
    assert [field for field, _finding in held.value.held] == ["summary"]
    assert answer.revision_count == 1


# ---------------------------------------------------------------- web forms


def _panel(page: str) -> str:
    start = page.index('class="privacy-panel"')
    return page[start : page.index("</section>", start)]


def test_the_ask_form_holds_the_post_marks_each_finding_and_keeps_the_input(client, alice):
    login(client, alice)
    body = f"<b>連絡先</b> {PHONE} 😀 と 個人番号：{WIDE_MY_NUMBER}"
    response = client.post("/questions/ask", data={"title": TITLE, "body": body, "tags": "債権回収"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    panel = _panel(page)
    assert f"<mark>{PHONE}</mark>" in panel and f"<mark>{WIDE_MY_NUMBER}</mark>" in panel
    assert "&lt;b&gt;連絡先&lt;/b&gt;" in panel and "<b>" not in panel  # the snippet is escaped
    assert "番号法" in panel and "個人情報ではありません（電話番号）" in panel
    assert 'name="confirmed_findings" value="phone"' in panel and 'value="my_number"' in panel
    assert html.escape(body, quote=False) in page and TITLE in page  # nothing lost
    assert _count(Question) == 0

    confirmed = client.post(
        "/questions/ask",
        data={"title": TITLE, "body": body, "tags": "債権回収", "confirmed_findings": ["phone", "my_number"]},
    )
    assert confirmed.status_code == 302
    question = db.session.scalar(sa.select(Question))
    assert question.body == body
    assert json.loads(_confirmations()[0].detail) == {"categories": ["my_number", "phone"]}


def test_a_box_left_unchecked_holds_again_with_the_checked_one_kept(client, alice):
    login(client, alice)
    data = {"title": TITLE, "body": RESIDENT, "tags": "債権回収", "confirmed_findings": ["my_number"]}
    response = client.post("/questions/ask", data=data)
    assert response.status_code == 422
    panel = _panel(response.get_data(as_text=True))
    assert 'value="my_number" checked' in panel and 'value="address">' in panel
    assert _count(Question) == 0


def test_editing_the_text_away_also_posts(client, alice):
    login(client, alice)
    assert client.post("/questions/ask", data={"title": TITLE, "body": RESIDENT, "tags": "債権回収"}).status_code == 422
    response = client.post("/questions/ask", data={"title": TITLE, "body": "滞納者Aさんの分納について相談です。", "tags": "債権回収"})
    assert response.status_code == 302 and _count(Question) == 1 and _confirmations() == []


def test_a_tampered_category_is_a_form_error(client, alice):
    login(client, alice)
    data = {"title": TITLE, "body": RESIDENT, "tags": "債権回収", "confirmed_findings": ["<script>"]}
    response = client.post("/questions/ask", data=data)
    assert "confirmed_findings" in response.get_data(as_text=True) and "<script>" not in response.get_data(as_text=True)
    assert _count(Question) == 0


def test_the_answer_form_holds_on_the_question_page(client, alice, bob):
    question = make_question(alice)
    login(client, bob)
    body = f"相談者の電話 {PHONE} に折り返しました。"
    response = client.post(f"/questions/{question.id}/answers", data={"body": body})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"<mark>{PHONE}</mark>" in _panel(page) and body in page
    assert _count(Answer) == 0
    response = client.post(f"/questions/{question.id}/answers", data={"body": body, "confirmed_findings": "phone"})
    assert response.status_code == 302 and _count(Answer) == 1


def test_the_comment_form_holds_under_its_post_with_the_comment_kept(client, alice, bob):
    question = make_question(alice)
    answer = make_answer(bob, question)
    login(client, alice)
    body = f"ｶﾜｻｷさんの番号 {PHONE} です🙏"
    response = client.post(f"/posts/{answer.id}/comments", data={"body": body})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    form_start = page.index(f'action="/posts/{answer.id}/comments"')
    held_form = page[form_start : page.index("</form>", form_start)]
    assert f">{body}</textarea>" in held_form and f"<mark>{PHONE}</mark>" in held_form
    assert '<details class="comment-form" open>' in page
    your_answer = page[page.index('id="your-answer"') :]
    assert body not in your_answer  # the answer box is not filled with the comment
    assert _count(Comment) == 0
    response = client.post(f"/posts/{answer.id}/comments", data={"body": body, "confirmed_findings": "phone"})
    assert response.status_code == 302
    comment = db.session.scalar(sa.select(Comment))
    assert comment.body == body and (_confirmations()[0].target_type, _confirmations()[0].target_id) == ("comment", comment.id)


@pytest.mark.parametrize("kind", ["question", "answer"])
def test_edit_forms_hold_and_the_editor_confirms(client, alice, bob, kind):
    question = make_question(alice)
    answer = make_answer(alice, question)
    login(client, alice)
    body = f"更新: 申請者の自宅 {PHONE} へ連絡済み。"
    if kind == "question":
        path, data, post = f"/questions/{question.id}/edit", {"title": question.title, "body": body, "tags": "住民税"}, question
    else:
        path, data, post = f"/answers/{answer.id}/edit", {"body": body}, answer
    data["base_revision"] = "1"
    response = client.post(path, data=data)
    assert response.status_code == 422
    assert f"<mark>{PHONE}</mark>" in _panel(response.get_data(as_text=True))
    assert db.session.get(Post, post.id).revision_count == 1
    assert client.post(path, data={**data, "confirmed_findings": "phone"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post.id).body == body
    assert [(row.actor_id, row.target_id) for row in _confirmations()] == [(alice.id, post.id)]


def test_asking_a_person_is_held_the_same_way(client, alice, bob):
    login(client, alice)
    data = {"title": TITLE, "body": RESIDENT, "tags": "債権回収"}
    response = client.post(f"/users/{bob.id}/ask", data=data)
    assert response.status_code == 422 and "<mark>" in _panel(response.get_data(as_text=True))
    assert _count(Question) == 0
    response = client.post(f"/users/{bob.id}/ask", data={**data, "confirmed_findings": sorted(RESIDENT_CATEGORIES)})
    assert response.status_code == 302 and _count(Question) == 1 and len(_confirmations()) == 1


# ---------------------------------------------------------------- preview


def test_the_preview_returns_the_findings_with_their_context_and_why(client, alice):
    login(client, alice)
    body = f"**至急** <i>確認</i> 携帯 {PHONE} まで"
    data = client.post("/preview", data={"body": body}).get_json()
    assert "<strong>至急</strong>" in data["html"]
    [finding] = data["findings"]
    assert (finding["category"], finding["label"], finding["confirmed"]) == ("phone", "電話番号", False)
    assert "個人の電話番号" in finding["explanation"]
    [passage] = finding["passages"]
    assert passage["text"] == PHONE and passage["before"].endswith("携帯 ") and passage["after"] == " まで"
    assert passage["field"] == "body" and body[passage["start"] : passage["end"]] == PHONE


def test_the_preview_of_clean_text_has_no_findings(client, alice):
    login(client, alice)
    data = client.post("/preview", data={"body": "地方自治法第243条の2の規定により、令和６年度予算で対応します。"}).get_json()
    assert data["findings"] == []
