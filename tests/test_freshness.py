"""Outdated warnings (app/services/freshness.py) and confirmations (app/services/confirmations.py):
reasons computed from the 年度, dates in the text, amended laws and reviews; the notices on the
question page; `outdated` in the JSON; who may confirm (page and API)."""

from datetime import date, datetime
from urllib.parse import quote, unquote

import pytest
import sqlalchemy as sa

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Post
from app.models.knowledge import Confirmation, LawAmendment, PostLaw
from app.services import answers, confirmations, fiscal_years, freshness
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.api_client import assert_error, bearer, post_json
from tests.factories import PASSWORD, login, make_answer, make_question, make_user
from tests.people_factories import add_post

HPV = "HPVキャッチアップ接種は令和7年3月31日まで無料です（定期接種の対象外の方は自費）。"
MAY_2026 = date(2026, 5, 1)  # 令和8年度


def _set(post: Post, **values) -> Post:
    with write_transaction():
        for name, value in values.items():
            setattr(post, name, value)
    return post


def _confirm(post: Post, user, verdict: str, fiscal_year: int, at: datetime | None = None) -> Confirmation:
    with write_transaction():
        item = Confirmation(post_id=post.id, user_id=user.id, verdict=verdict, fiscal_year=fiscal_year, note="")
        if at:
            item.created_at = at
        db.session.add(item)
    return item


@pytest.fixture
def hpv(alice, bob):
    question = make_question(alice, title="HPVワクチンのキャッチアップ接種の費用", body="無料の期間はいつまでですか？", tags="予防接種")
    return _set(make_answer(bob, question, HPV), fiscal_year=2024)


def test_the_hpv_answer_shows_that_its_deadline_has_passed(hpv):
    reasons = freshness.outdated_reasons(hpv, today=MAY_2026)
    assert [reason.code for reason in reasons] == ["old_fiscal_year", "date_passed"]
    assert reasons[1].text("answer") == "この回答の期限（令和7年3月31日）は過ぎています。"
    assert "令和6年度の情報です" in reasons[0].text("answer")


def test_a_deadline_still_ahead_is_no_reason(hpv):
    assert freshness.codes(hpv, today=date(2025, 3, 31)) == []


def test_old_fiscal_year_follows_the_setting(app, hpv):
    _set(hpv, body="特別徴収の切替は異動届出書で処理します。")
    assert freshness.codes(hpv, today=date(2026, 3, 31)) == []  # 令和7年度: one 年度 later
    assert freshness.codes(hpv, today=MAY_2026) == ["old_fiscal_year"]
    app.config["OUTDATED_AFTER_YEARS"] = 3
    assert freshness.codes(hpv, today=MAY_2026) == []


def test_a_post_without_a_fiscal_year_speaks_for_the_year_it_was_written(hpv):
    _set(hpv, fiscal_year=None, body="特別徴収の切替は異動届出書で処理します。", created_at=datetime(2024, 3, 31, 16))  # 4月1日 JST
    assert freshness.post_fiscal_year(hpv) == 2024
    assert freshness.codes(hpv, today=MAY_2026) == ["old_fiscal_year"]


def test_a_current_confirmation_clears_old_year_and_passed_date_while_its_year_lasts(hpv, carol):
    _confirm(hpv, carol, "current", 2026)
    assert freshness.codes(hpv, today=MAY_2026) == []
    assert freshness.codes(hpv, today=date(2027, 4, 1)) == ["date_passed"]  # 令和9年度: the confirmation was for 令和8年度
    assert freshness.codes(hpv, today=date(2028, 4, 1)) == ["old_fiscal_year", "date_passed"]


def test_the_latest_confirmation_counts_and_an_outdated_one_says_so(hpv, carol):
    _confirm(hpv, carol, "current", 2026)
    _confirm(hpv, carol, "outdated", 2026)
    checked = freshness.check([hpv], today=MAY_2026)[hpv.id]
    assert checked.codes == ["old_fiscal_year", "date_passed", "marked_outdated"]
    assert checked.reasons[-1].text("answer") == "北海道 キャロルさんが「古い情報」と指摘しています。"
    assert checked.latest_text.startswith("古い情報と指摘（北海道 キャロル, ")


def test_confirmation_text_names_the_year_the_person_and_the_day(hpv, carol):
    _confirm(hpv, carol, "current", 2026, at=datetime(2026, 4, 30, 15, 30))  # 5月1日 00:30 JST
    assert freshness.check([hpv])[hpv.id].latest_text == "令和8年度も有効と確認（北海道 キャロル, 2026-05-01）"
    assert fiscal_years.label(2019) == "令和元年度"


def _cite(post: Post, law: str, article: str | None, text: str) -> None:
    with write_transaction():
        db.session.add(PostLaw(post_id=post.id, position=0, law=law, article=article, text=text))


def _amend(law: str, article: str | None, on: date, by) -> None:
    with write_transaction():
        db.session.add(LawAmendment(law=law, article=article, amended_on=on, note="令和9年度税制改正", created_by_id=by.id))


def test_an_amendment_after_the_answer_flags_it(app, alice, bob, moderator):
    question = make_question(alice, title="住宅用地の特例の適用について", tags="固定資産税")
    answer = _set(make_answer(bob, question, "住宅用地の特例で課税標準を6分の1にします。"), fiscal_year=2026, created_at=datetime(2026, 5, 1))
    _cite(answer, "地方税法", "第349条の3の2", "地方税法第349条の3の2")
    _amend("地方税法", "第15条の7", date(2026, 10, 1), moderator)  # another article
    assert freshness.codes(answer, today=date(2026, 12, 1)) == []
    _amend("地方税法", "第349条の3の2", date(2027, 4, 1), moderator)
    assert freshness.codes(answer, today=date(2027, 3, 31)) == []  # not yet in effect
    reasons = freshness.outdated_reasons(answer, today=date(2027, 4, 2))
    assert [reason.code for reason in reasons] == ["law_amended"]
    assert reasons[0].text("answer").startswith("根拠法令（地方税法第349条の3の2）が2027-04-01に改正されています。")
    _confirm(answer, bob, "current", 2027, at=datetime(2027, 4, 5))  # reviewed after the amendment
    assert freshness.codes(answer, today=date(2027, 4, 6)) == []


def test_an_amendment_of_the_whole_law_flags_every_citation_but_not_an_older_one(alice, bob, moderator):
    question = make_question(alice, title="滞納処分の執行停止について", tags="債権回収")
    answer = _set(make_answer(bob, question, "国税徴収法の例により執行停止できます。"), fiscal_year=2026, created_at=datetime(2026, 5, 1))
    _cite(answer, "国税徴収法", None, "国税徴収法")
    _amend("国税徴収法", None, date(2026, 4, 1), moderator)  # before the answer
    assert freshness.codes(answer, today=date(2026, 12, 1)) == []
    _amend("国税徴収法", None, date(2026, 11, 1), moderator)
    assert freshness.codes(answer, today=date(2026, 12, 1)) == ["law_amended"]
    _set(answer, edited_at=datetime(2026, 11, 20))  # rewritten since
    assert freshness.codes(answer, today=date(2026, 12, 1)) == []


def test_check_answers_a_list_in_a_fixed_number_of_queries(alice, bob, carol, moderator):
    question = make_question(alice, title="会計年度任用職員の期末手当", tags="人事")
    answers = [_set(make_answer(bob, question, f"令和7年3月31日まで経過措置（事例{n}）"), fiscal_year=2024) for n in range(12)]
    for answer in answers:
        _cite(answer, "地方自治法", None, "地方自治法")
        _confirm(answer, carol, "outdated", 2026)
    _amend("地方自治法", None, date(2030, 1, 1), moderator)
    answers = db.session.scalars(sa.select(Answer).where(Answer.id.in_([answer.id for answer in answers]))).all()
    statements = []
    listener = lambda *args: statements.append(args[2]) if args[2].startswith("SELECT") else None  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        checked = freshness.check(answers, today=MAY_2026)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert all(item.codes == ["old_fiscal_year", "date_passed", "marked_outdated"] for item in checked.values())
    assert len(statements) == 3


# ---------------------------------------------------------------- who may confirm


def test_the_author_an_expert_and_a_privileged_member_may_confirm(app, hpv, bob, carol):
    app.config["PRIVILEGE_THRESHOLDS"] = {**app.config["PRIVILEGE_THRESHOLDS"], "confirm_answers": 1000}
    assert confirmations.can_confirm(bob, hpv)  # the author
    assert not confirmations.can_confirm(carol, hpv)
    add_post(carol, "健康福祉局 予防接種担当", tags="予防接種", started=36, ended=6)  # a former holder
    assert confirmations.can_confirm(carol, hpv)
    stranger = make_user(name="ﾃｽﾄ 太郎")
    assert not confirmations.can_confirm(stranger, hpv)
    with write_transaction():
        db.session.get(type(stranger), stranger.id).reputation = 1000
    assert confirmations.can_confirm(stranger, hpv)


def test_an_accepted_answer_in_the_tag_makes_an_expert(app, alice, hpv):
    app.config["PRIVILEGE_THRESHOLDS"] = {**app.config["PRIVILEGE_THRESHOLDS"], "confirm_answers": 1000}
    dave = make_user(name="予防 デイブ")
    other = make_question(alice, title="風しんの抗体検査の対象者", tags="予防接種")
    accepted = make_answer(dave, other, "対象は一定の年代の男性で、クーポン券が届きます。")
    assert not confirmations.can_confirm(dave, hpv)
    with write_transaction():
        other.accepted_answer_id = accepted.id
    assert confirmations.can_confirm(dave, hpv)
    assert [person.id for person in confirmations.experts_of([hpv.question.tags[0].id])] == [dave.id]


def test_confirm_records_the_review_and_checks_its_values(hpv, bob):
    item = confirmations.confirm(bob, hpv, fiscal_year=fiscal_years.current(), note="  令和８年度の要綱でも変更なし👍 ")
    assert (item.verdict, item.note) == ("current", "令和８年度の要綱でも変更なし👍")
    for bad in ({"fiscal_year": "2026"}, {"fiscal_year": 1999}, {"fiscal_year": True}, {"verdict": "maybe"}, {"note": "あ" * 501}):
        with pytest.raises(ValidationFailed):
            confirmations.confirm(bob, hpv, **bad)


@pytest.mark.privileges(create_tags=0, confirm_answers=1000)
def test_others_may_not_confirm_and_a_removed_answer_is_not_found(hpv, bob, carol, moderator):
    with pytest.raises(PermissionDenied):
        confirmations.confirm(carol, hpv)
    answers.delete_answer(bob, hpv)
    with pytest.raises(NotFound):
        confirmations.confirm(bob, db.session.get(Answer, hpv.id))


# ---------------------------------------------------------------- pages and API


THIS_YEAR = fiscal_years.current()


@pytest.fixture
def stale(alice, bob):
    """An answer two 年度 old whose deadline (last 31 March) has passed, whatever today is."""
    question = make_question(alice, title="ﾜｸﾁﾝ接種の助成期間について", body="助成はいつまでですか？", tags="予防接種")
    return _set(make_answer(bob, question, f"助成は{THIS_YEAR}年3月31日までです。"), fiscal_year=THIS_YEAR - 2)


def _question_json(client, question_id: int, token: str) -> dict:
    response = client.get(f"/api/v1/questions/{question_id}", headers=bearer(token))
    assert response.status_code == 200
    return response.get_json()


def test_the_json_carries_the_reason_codes_and_a_confirmation_clears_them(client, stale, bob_token, alice_token):
    body = _question_json(client, stale.question_id, alice_token)
    assert body["outdated"] == []
    assert body["answers"][0]["outdated"] == ["old_fiscal_year", "date_passed"]
    listed = client.get("/api/v1/questions", headers=bearer(alice_token)).get_json()["items"]
    assert listed[0]["outdated"] == []

    response = post_json(client, f"/api/v1/answers/{stale.id}/confirmations", {"fiscal_year": THIS_YEAR, "note": "今年度も同じ（確認済み）✅"}, bob_token)
    assert response.status_code == 201
    created = response.get_json()
    assert (created["verdict"], created["fiscal_year"], created["note"], created["answer_id"]) == ("current", THIS_YEAR, "今年度も同じ（確認済み）✅", stale.id)
    assert created["user"]["display_name"] == "大阪 ボブ"
    assert _question_json(client, stale.question_id, alice_token)["answers"][0]["outdated"] == []

    response = post_json(client, f"/api/v1/answers/{stale.id}/confirmations", {"verdict": "outdated", "note": "制度が変わりました"}, bob_token)
    assert response.status_code == 201 and response.get_json()["fiscal_year"] == THIS_YEAR
    assert _question_json(client, stale.question_id, alice_token)["answers"][0]["outdated"] == ["old_fiscal_year", "date_passed", "marked_outdated"]


@pytest.mark.privileges(create_tags=0, confirm_answers=1000)
def test_the_api_refuses_others_missing_and_removed_answers(client, stale, bob, alice_token, bob_token):
    error = assert_error(post_json(client, f"/api/v1/answers/{stale.id}/confirmations", {"fiscal_year": THIS_YEAR}, alice_token), 403)
    assert error["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Confirmation)) == 0
    assert_error(post_json(client, "/api/v1/answers/999999/confirmations", {}, bob_token), 404)
    assert_error(post_json(client, f"/api/v1/answers/{stale.question_id}/confirmations", {}, bob_token), 404)  # a question
    error = assert_error(post_json(client, f"/api/v1/answers/{stale.id}/confirmations", {"fiscal_year": "２０２６"}, bob_token), 422)
    assert "fiscal_year" in error["fields"]
    answers.delete_answer(bob, stale)
    assert_error(post_json(client, f"/api/v1/answers/{stale.id}/confirmations", {}, bob_token), 404)


def test_the_question_page_shows_the_notices_and_the_latest_confirmation(client, stale, alice, bob):
    login(client, alice)
    page = client.get(f"/questions/{stale.question_id}", follow_redirects=True).get_data(as_text=True)
    assert f"この回答の期限（{THIS_YEAR}年3月31日）は過ぎています。" in page
    assert "の情報です。その後、今も有効かどうか確認されていません。" in page
    assert "この回答が今も有効か確認する" in page  # a new site: every privilege's threshold is 0


@pytest.mark.privileges(create_tags=0, confirm_answers=1000)
def test_the_author_confirms_from_the_page_and_the_notice_goes_away(client, stale, alice, bob):
    login(client, alice)
    page = client.get(f"/questions/{stale.question_id}", follow_redirects=True).get_data(as_text=True)
    assert "この回答が今も有効か確認する" not in page
    assert client.post(f"/answers/{stale.id}/confirmations", data={"fiscal_year": THIS_YEAR, "verdict": "current"}).status_code == 403
    client.post("/logout")
    login(client, bob)
    page = client.get(f"/questions/{stale.question_id}", follow_redirects=True).get_data(as_text=True)
    label = fiscal_years.label(THIS_YEAR)
    assert f"{label}も有効と確認" in page
    response = client.post(f"/answers/{stale.id}/confirmations", data={"fiscal_year": str(THIS_YEAR), "verdict": "current", "note": "ﾒﾓ: 要綱を確認"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#answer-{stale.id}")
    page = client.get(f"/questions/{stale.question_id}", follow_redirects=True).get_data(as_text=True)
    assert "は過ぎています" not in page
    assert f"{label}も有効と確認（大阪 ボブ, " in page and "ﾒﾓ: 要綱を確認" in page
    assert client.post("/answers/999999/confirmations", data={"verdict": "current"}).status_code == 404


def test_the_confirm_form_needs_a_csrf_token(app_factory):
    import re

    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        author, asker = make_user(), make_user()
        question = make_question(asker, title="防災行政無線の更新時期", tags="防災")
        answer = make_answer(author, question, "令和7年度末までに更新が必要です。")
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"email": author.email, "password": PASSWORD, "csrf_token": token})
        assert client.post(f"/answers/{answer.id}/confirmations", data={"verdict": "current"}).status_code == 400
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Confirmation)) == 0
        response = client.post(f"/answers/{answer.id}/confirmations", data={"verdict": "current", "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        db.session.rollback()  # end the read snapshot taken before the request
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Confirmation)) == 1
        db.session.remove()


# ---------------------------------------------------------------- review page and reminders


def _viewed(question_id: int, count: int) -> None:
    with write_transaction():
        db.session.get(Post, question_id).view_count = count


def test_the_review_page_lists_answers_needing_attention_most_read_first(client, alice, bob, carol, stale):
    fresh_question = make_question(alice, title="今年度の研修計画", tags="予防接種")
    _set(make_answer(bob, fresh_question, "今年度の計画どおりです。"), fiscal_year=THIS_YEAR)
    read_more = make_question(alice, title="接種記録の保存期間", tags="予防接種")
    marked = make_answer(bob, read_more, "接種記録は5年間保存します。")
    _confirm(marked, carol, "outdated", THIS_YEAR)
    _viewed(stale.question_id, 10)
    _viewed(read_more.id, 500)
    tag = stale.question.tags[0]
    assert [item.answer.id for item in confirmations.needs_review(tag)] == [marked.id, stale.id]

    login(client, carol)
    page = client.get(f"/tags/{tag.name}").get_data(as_text=True)
    assert f'href="/tags/{quote(tag.name)}/review"' in page
    page = client.get(f"/tags/{tag.name}/review").get_data(as_text=True)
    assert page.index("接種記録の保存期間") < page.index("ﾜｸﾁﾝ接種の助成期間について")
    assert "今年度の研修計画" not in page
    assert ">期限切れ<" in page and ">古い年度<" in page and ">古い情報<" in page
    response = client.post(
        f"/answers/{stale.id}/confirmations",
        data={"verdict": "current", "fiscal_year": THIS_YEAR, "next": f"/tags/{tag.name}/review"},
    )
    assert unquote(response.headers["Location"]) == f"/tags/{tag.name}/review"
    assert [item.answer.id for item in confirmations.needs_review(tag)] == [marked.id]


def test_the_review_page_has_an_empty_state_and_a_404(client, carol):
    make_question(carol, title="窓口のｷｬｯｼｭﾚｽ決済", tags="会計")
    login(client, carol)
    page = client.get("/tags/会計/review").get_data(as_text=True)
    assert "確認が必要な回答はありません。" in page
    assert client.get("/tags/存在しないタグ/review").status_code == 404


def test_experts_are_reminded_once_and_the_notification_leads_to_the_review_page(app, stale, carol):
    add_post(carol, "健康福祉局 予防接種担当", tags="予防接種", started=36, ended=6)
    tag = stale.question.tags[0]
    assert confirmations.remind_experts() == 1
    assert confirmations.remind_experts() == 0  # idempotent within the week
    result = app.test_cli_runner().invoke(args=["housekeeping"])
    assert "review reminders sent: 0" in result.output
    from app.models import Notification
    from app.services import notifications

    item = db.session.scalars(sa.select(Notification).where(Notification.user_id == carol.id)).one()
    entry = notifications.entry(item, carol)
    assert entry.text == "「予防接種」で、古くなっているかもしれない回答が1件あります。確認をお願いします。"
    assert entry.reason == "あなたは予防接種に詳しい人として挙がっているため"
    assert unquote(entry.url).endswith(f"/tags/{tag.name}/review")
    assert entry.type.key == "review"


# ---------------------------------------------------------------- onboarding


def test_onboarding_shows_current_answers_first_and_marks_stale_ones(client, alice, bob, carol):
    from app.services import transfer
    from tests.people_factories import month

    stale_question = make_question(alice, title="滞納処分の停止の要件", tags="債権回収")
    answers.accept_answer(alice, _set(make_answer(bob, stale_question, f"{THIS_YEAR}年3月31日までは旧様式で可。"), fiscal_year=THIS_YEAR - 2))
    _viewed(stale_question.id, 900)  # read the most: still after the current one
    current_question = make_question(alice, title="分納誓約書の様式", tags="債権回収")
    answers.accept_answer(alice, _set(make_answer(bob, current_question, "今年度の様式を使います。"), fiscal_year=THIS_YEAR))
    newcomer = make_user(name="異動者 ﾀﾅｶ", org="141003")
    add_post(newcomer, "港北区役所 戸籍課", tags="戸籍", started=40)
    transfer.declare_transfer(newcomer, transfer.TransferInput("141003", "財政局 債権回収課", "債権回収", month(0)))

    guide = transfer.onboarding(newcomer)
    assert [q.id for q in guide.essential] == [current_question.id, stale_question.id]
    assert [reason.code for reason in guide.stale[stale_question.id]] == ["old_fiscal_year", "date_passed"]
    assert guide.stale[current_question.id] == []

    login(client, newcomer)
    page = client.get("/transfer/onboarding").get_data(as_text=True)
    essential = page[page.index('id="essential"') : page.index('id="unanswered"')]
    assert essential.index("分納誓約書の様式") < essential.index("滞納処分の停止の要件")
    assert 'data-reason="date_passed"' in essential and ">期限切れ<" in essential
    assert f"この回答の期限（{THIS_YEAR}年3月31日）は過ぎています。" in essential  # the badge's title says why


def test_the_handover_marks_the_leavers_stale_answers(alice, bob):
    from app.services import transfer
    from tests.people_factories import month

    add_post(bob, "健康福祉局 予防接種担当", tags="予防接種", started=40)
    question = make_question(alice, title="定期接種の対象年齢の確認方法", tags="予防接種")
    answer = _set(make_answer(bob, question, "予診票の生年月日で確認します。"), fiscal_year=THIS_YEAR - 3)
    transfer.declare_transfer(bob, transfer.TransferInput("141003", "財政局 財政課", "財政", month(0)))
    guide = transfer.onboarding(bob)
    assert [reason.code for reason in guide.handover.stale[answer.id]] == ["old_fiscal_year"]


def test_the_author_hears_when_their_answer_is_marked_outdated(hpv, bob, carol):
    from app.models import Notification
    from app.services import notifications

    confirmations.confirm(carol, hpv, verdict="current")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == bob.id)) == 0
    confirmations.confirm(carol, hpv, verdict="outdated", note="令和８年度から有料です")
    item = db.session.scalars(sa.select(Notification).where(Notification.user_id == bob.id)).one()
    entry = notifications.entry(item, bob)
    assert entry.text == "北海道 キャロル さんが「HPVワクチンのキャッチアップ接種の費用」のあなたの回答を「古い情報」と指摘しました。見直して編集してください。"
    assert entry.url.endswith(f"#answer-{hpv.id}")
    confirmations.confirm(bob, hpv, verdict="outdated")  # the author themself: no notification
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == bob.id)) == 1
