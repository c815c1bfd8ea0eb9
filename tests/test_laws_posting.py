"""年度 and 根拠法令 on questions and answers: services, forms, pages per law, amendments, the API."""

import re
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLog, Question
from app.models.knowledge import LawAmendment, PostLaw
from app.services import answers, fiscal_years, laws, questions
from app.services.errors import PermissionDenied, ValidationFailed
from tests.api_client import assert_error, post_json
from tests.factories import PASSWORD, login, make_answer, make_question, make_user

BODY = "年度途中で退職した職員の特別徴収から普通徴収への切替はどう処理していますか？"


def _ask(author, fiscal_year=None, cited=None, title="固定資産税の住宅用地特例の適用について"):
    return questions.ask_question(
        author, questions.QuestionInput(title, BODY, "固定資産税", fiscal_year=fiscal_year, laws=cited)
    )


def test_asking_stores_the_fiscal_year_and_citations_in_order(app, alice):
    question = _ask(alice, "令和７年度", "地方税法第349条の3の2、地税法施行令第52条の11\n○○市税条例")
    assert question.fiscal_year == 2025
    assert [(row.position, row.law, row.article) for row in question.laws] == [
        (0, "地方税法", "第349条の3の2"),
        (1, "地方税法施行令", "第52条の11"),
        (2, "○○市税条例", None),
    ]
    assert question.laws[1].text == "地税法施行令第52条の11"


def test_the_fiscal_year_defaults_to_the_current_one(app, alice, bob):
    question = make_question(alice)
    answer = make_answer(bob, question)
    assert question.fiscal_year == answer.fiscal_year == fiscal_years.current()
    assert question.laws == [] and answer.laws == []


def test_errors_of_both_fields_come_together(app, alice):
    try:
        _ask(alice, "来年度", "第15条")
    except ValidationFailed as failure:
        assert set(failure.errors) == {"fiscal_year", "laws"}
    else:
        raise AssertionError("accepted")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0


def test_edits_keep_or_replace_fiscal_year_and_citations(app, alice, bob):
    question = _ask(alice, 2024, "国税徴収法第153条")
    data = questions.QuestionInput(question.title, BODY + "（追記）", "固定資産税")
    questions.edit_question(alice, question, data, base_revision=question.revision_count)
    assert question.fiscal_year == 2024 and [str(c) for c in laws.parse(laws.as_text(question))] == ["国税徴収法第153条"]
    data = questions.QuestionInput(question.title, question.body, "固定資産税", fiscal_year="R8", laws="地方自治法第231条の3")
    questions.edit_question(alice, question, data, base_revision=question.revision_count)
    assert question.fiscal_year == 2026 and laws.citation_strings(question) == ["地方自治法第231条の3"]
    assert question.revision_count == 2  # 年度 and 根拠法令 alone make no revision

    answer = answers.post_answer(bob, question, "滞納処分の停止の要件を満たすか確認してください。", fiscal_year="２０２５", cited=["徴収法第153条"])
    assert answer.fiscal_year == 2025 and laws.citation_strings(answer) == ["国税徴収法第153条"]
    answers.edit_answer(bob, answer, answer.body, base_revision=answer.revision_count, cited="")
    assert answer.laws == [] and answer.fiscal_year == 2025


def test_the_ask_form_shows_and_keeps_the_fields(app, alice, client):
    login(client, alice)
    page = client.get("/questions/ask").get_data(as_text=True)
    label = fiscal_years.label(fiscal_years.current())
    assert 'name="fiscal_year"' in page and f'value="{label}"' in page and 'name="laws"' in page
    refused = client.post(
        "/questions/ask",
        data={"title": "住宅用地特例の適用について", "body": BODY, "tags": "固定資産税", "fiscal_year": "令和百年度", "laws": "地方税法"},
    )
    text = refused.get_data(as_text=True)
    assert "年度は「2026」「令和8年度」「R8」のように入力してください。" in text and "令和百年度" in text
    posted = client.post(
        "/questions/ask",
        data={
            "title": "住宅用地特例の適用について🏠",
            "body": BODY,
            "tags": "固定資産税",
            "fiscal_year": "R7",
            "laws": "地方税法 349条の3の2第1項、ｺﾃｲｼｻﾝ通知",
            "not_duplicate": "y",
        },
        follow_redirects=True,
    )
    shown = posted.get_data(as_text=True)
    assert '<span class="fiscal-year" title="2025年度">令和7年度</span>' in shown
    assert "/laws/%E5%9C%B0%E6%96%B9%E7%A8%8E%E6%B3%95?article=" in shown and "地方税法第349条の3の2</a>" in shown
    assert "コテイシサン通知</a>" in shown  # half-width kana folded


def test_the_answer_form_and_answer_edit_form(app, alice, bob, client):
    question = make_question(alice)
    login(client, bob)
    client.post(
        f"/questions/{question.id}/answers",
        data={"body": "給与支払報告書の異動届出書で処理します。", "fiscal_year": "令和元年度", "laws": "地方税法第321条の4"},
    )
    [answer] = question.answers
    assert answer.fiscal_year == 2019 and laws.citation_strings(answer) == ["地方税法第321条の4"]
    form = client.get(f"/answers/{answer.id}/edit").get_data(as_text=True)
    assert 'value="令和元年度"' in form and "地方税法第321条の4</textarea>" in form
    client.post(
        f"/answers/{answer.id}/edit",
        data={"body": answer.body, "fiscal_year": "2026", "laws": "地方税法第321条の4\n地方税法第321条の5", "base_revision": "1"},
    )
    db.session.refresh(answer)
    assert answer.fiscal_year == 2026 and len(answer.laws) == 2


def test_the_question_edit_form_keeps_fields_it_was_not_sent(app, alice, client):
    question = _ask(alice, "平成30年度", "徴収法第47条、同法第48条")
    login(client, alice)
    form = client.get(f"/questions/{question.id}/edit").get_data(as_text=True)
    assert 'value="平成30年度"' in form and "徴収法第47条\n同法第48条</textarea>" in form
    # An older client that sends only title, body and tags keeps the 年度 and the citations.
    data = {"title": question.title, "body": BODY + "（追記）", "tags": "固定資産税", "base_revision": "1"}
    assert client.post(f"/questions/{question.id}/edit", data=data).status_code == 302
    db.session.refresh(question)
    assert question.fiscal_year == 2018 and laws.citation_strings(question) == ["国税徴収法第47条", "国税徴収法第48条"]


def test_the_law_page_lists_questions_citing_it_themselves_or_by_an_answer(app, alice, bob, member_client):
    by_question = _ask(alice, 2025, "地方税法第15条の7", title="滞納処分の停止の判断基準について")
    by_answer = _ask(alice, 2025, None, title="執行停止後の時効の扱いについて")
    answers.post_answer(bob, by_answer, "地方税法第15条の7第4項の即時消滅を検討します。", cited="地税法第15条の7")
    _ask(alice, 2025, "国税徴収法", title="差押えの順序についての質問")
    page = member_client.get("/laws/地方税法").get_data(as_text=True)
    assert by_question.title in page and by_answer.title in page and "差押えの順序" not in page
    assert "第15条の7 (2)" in page  # two questions: one by itself, one by its answer
    assert by_question.title in member_client.get("/laws/地方税法?article=第１５条の７").get_data(as_text=True)
    empty = member_client.get("/laws/地方税法?article=第1条").get_data(as_text=True)
    assert "地方税法第1条を挙げたQ&Aはまだありません。" in empty
    assert "まだ根拠法令" not in member_client.get("/laws").get_data(as_text=True)
    short = member_client.get("/laws/地税法")
    assert short.status_code == 301 and short.headers["Location"].endswith("/laws/%E5%9C%B0%E6%96%B9%E7%A8%8E%E6%B3%95")


def test_the_law_index_has_an_empty_state(app, member_client):
    assert "まだ根拠法令を挙げた投稿がありません" in member_client.get("/laws").get_data(as_text=True)
    assert "改正の記録はありません。" in member_client.get("/laws/予防接種法").get_data(as_text=True)
    missing = member_client.get("/laws/「」")
    assert missing.status_code == 404 and "見つかりません" in missing.get_data(as_text=True)


def test_deleted_answers_do_not_list_their_question(app, alice, bob, moderator, member_client):
    question = _ask(alice, 2025, None, title="予防接種の費用負担について")
    answer = answers.post_answer(bob, question, "予防接種法第28条により市町村の負担となります。", cited="予防接種法第28条")
    answers.delete_answer(bob, answer)
    assert "まだありません" in member_client.get("/laws/予防接種法").get_data(as_text=True)


def test_moderators_record_amendments_audited(app, moderator, alice):
    amendment = laws.record_amendment(moderator, "地税法", "１５条の７", "２０２６年４月１日", "令和8年度改正 🏛️")
    assert (amendment.law, amendment.article, amendment.amended_on) == ("地方税法", "第15条の7", date(2026, 4, 1))
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "law_amendment_record"))
    assert entry.target_type == "law_amendment" and entry.target_id == amendment.id and "地方税法" in entry.detail
    try:
        laws.record_amendment(moderator, "地方税法", "第〇〇項", "4月1日", "")
    except ValidationFailed as failure:
        assert set(failure.errors) == {"article", "amended_on"}
    try:
        laws.record_amendment(alice, "地方税法", "", "2026-04-01", "")
    except PermissionDenied:
        pass
    else:
        raise AssertionError("a member recorded an amendment")
    laws.delete_amendment(moderator, amendment.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LawAmendment)) == 0
    assert db.session.scalar(sa.select(AuditLog.action).order_by(AuditLog.id.desc()).limit(1)) == "law_amendment_delete"


def test_members_cannot_record_amendments(app, moderator, member_client):
    refused = member_client.get("/laws/地方税法/amendments")
    assert refused.status_code == 403 and "権限" in refused.get_data(as_text=True)
    assert member_client.post("/laws/地方税法/amendments", data={"amended_on": "2026-04-01"}).status_code == 403
    amendment = laws.record_amendment(moderator, "地方税法", "", "2026-04-01", "")
    assert member_client.post(f"/laws/amendments/{amendment.id}/delete").status_code == 403
    assert "改正を記録する" not in member_client.get("/laws/地方税法").get_data(as_text=True)


def test_amendment_page_is_for_moderators_with_csrf(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        mod = make_user(email="mod2@soumu.go.jp", role="moderator")
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"email": mod.email, "password": PASSWORD, "csrf_token": token})
        data = {"article": "第15条の7", "amended_on": "2026-04-01", "note": "対象拡大"}
        assert client.post("/laws/地方税法/amendments", data=data).status_code == 400  # no CSRF token
        form = client.get("/laws/地方税法/amendments").get_data(as_text=True)
        assert "まだ改正の記録はありません。" in form
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        bad = client.post("/laws/地方税法/amendments", data={**data, "amended_on": "来月", "csrf_token": token})
        assert bad.status_code == 422 and "日付は「2026-12-01」の形で入力してください。" in bad.get_data(as_text=True)
        saved = client.post("/laws/地方税法/amendments", data={**data, "csrf_token": token}, follow_redirects=True)
        assert "改正を記録しました。" in saved.get_data(as_text=True)
        law_page = client.get("/laws/地方税法").get_data(as_text=True)
        assert "2026-04-01" in law_page and "対象拡大" in law_page and "改正を記録する" in law_page
        [row] = db.session.scalars(sa.select(LawAmendment)).all()
        assert client.post(f"/laws/amendments/{row.id + 1}/delete", data={"csrf_token": token}).status_code == 404
        db.session.remove()


def test_api_carries_and_accepts_fiscal_year_and_laws(app, alice, alice_token, client):
    created = post_json(
        client,
        "/api/v1/questions",
        {"title": "住宅用地特例の適用について", "body": BODY, "tags": ["固定資産税"], "fiscal_year": 2025, "laws": ["地税法349条の3の2", "国税徴収法"]},
        alice_token,
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["fiscal_year"] == 2025 and body["laws"] == ["地方税法第349条の3の2", "国税徴収法"]
    question_id = body["id"]
    answer = post_json(
        client, f"/api/v1/questions/{question_id}/answers",
        {"body": "住宅用地の申告書で確認します。", "fiscal_year": "令和８年度", "laws": "地方税法第384条、同法第349条の3の2"},
        alice_token,
    )
    assert answer.status_code == 201
    assert answer.get_json()["fiscal_year"] == 2026
    assert answer.get_json()["laws"] == ["地方税法第384条", "地方税法第349条の3の2"]
    read = client.get(f"/api/v1/questions/{question_id}", headers={"Authorization": f"Bearer {alice_token}"}).get_json()
    assert read["fiscal_year"] == 2025 and read["answers"][0]["laws"] == ["地方税法第384条", "地方税法第349条の3の2"]
    listed = client.get("/api/v1/questions", headers={"Authorization": f"Bearer {alice_token}"}).get_json()
    assert listed["items"][0]["laws"] == ["地方税法第349条の3の2", "国税徴収法"]
    default = post_json(client, "/api/v1/questions", {"title": "既定の年度になる質問です", "body": BODY, "tags": "財政"}, alice_token)
    assert default.get_json()["fiscal_year"] == fiscal_years.current() and default.get_json()["laws"] == []


def test_api_refuses_bad_fiscal_years_and_laws(app, alice, alice_token, client):
    base = {"title": "住宅用地特例の適用について", "body": BODY, "tags": "固定資産税"}
    assert_error(post_json(client, "/api/v1/questions", {**base, "fiscal_year": True}, alice_token), 400, "bad_request")
    assert_error(post_json(client, "/api/v1/questions", {**base, "fiscal_year": [2025]}, alice_token), 400, "bad_request")
    assert_error(post_json(client, "/api/v1/questions", {**base, "laws": [1, 2]}, alice_token), 400, "bad_request")
    assert_error(post_json(client, "/api/v1/questions", {**base, "laws": {"law": "地方税法"}}, alice_token), 400, "bad_request")
    error = assert_error(post_json(client, "/api/v1/questions", {**base, "fiscal_year": 1850}, alice_token), 422, "validation_failed")
    assert "年度" in error["fields"]["fiscal_year"]
    error = assert_error(post_json(client, "/api/v1/questions", {**base, "laws": "第3条"}, alice_token), 422)
    assert "法令名" in error["fields"]["laws"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostLaw)) == 0
