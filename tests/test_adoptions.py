"""「うちでも採用」→「N団体が採用」, organization kinds and populations, 「同規模の団体」."""

import re

import pytest
import sqlalchemy as sa

from app import indexing
from app.extensions import db
from app.models import Adoption, Organization
from app.services import adoptions, answers, organizations, questions, search
from app.services.errors import PermissionDenied
from search import SearchUnavailable
from tests.api_client import assert_error, bearer, post_json
from tests.factories import PASSWORD, login, make_answer, make_question, make_user

HAYAMA, SAMUKAWA, MANAZURU, KAWASAKI = "143014", "143219", "143839", "141305"


# ---------------------------------------------------------------- population and kinds


def test_the_census_population_is_loaded_with_the_list(app):
    assert db.session.get(Organization, "141003").population == 3_777_491  # 横浜市
    assert db.session.get(Organization, "134023").population == 169  # 青ヶ島村
    assert db.session.get(Organization, "130001").population == 14_047_594  # 東京都
    assert db.session.get(Organization, "900141").population is None  # 総務省: a national body
    counted = db.session.scalar(sa.select(sa.func.count()).where(Organization.population.is_not(None)))
    assert counted == 1956  # 47 prefectures, 1,741 municipalities, 168 designated-city wards


def test_loading_fills_the_population_of_an_existing_database_idempotently(app):
    db.session.execute(sa.update(Organization).values(population=None))
    db.session.commit()
    assert organizations.load_population() == 1956
    db.session.expire_all()
    assert db.session.get(Organization, "141003").population == 3_777_491
    assert organizations.load_population() == 1956  # nothing left to change
    assert db.session.get(Organization, "134023").population == 169


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("130001", "都道府県"),
        (KAWASAKI, "政令指定都市"),
        ("131121", "特別区"),
        ("141003", "政令指定都市"),
        ("141011", "区（行政区）"),
        (HAYAMA, "町"),
        ("134023", "村"),
        ("900141", "府省庁"),
    ],
)
def test_kinds_read_in_japanese(app, code, label):
    assert organizations.kind_label(db.session.get(Organization, code).kind) == label


@pytest.mark.parametrize(
    ("population", "band"), [(169, 0), (9_999, 0), (10_000, 1), (31_665, 1), (49_999, 1), (50_000, 2), (499_999, 3), (3_777_491, 4)]
)
def test_population_bands(population, band):
    assert organizations.population_band(population) == band


def test_similar_organizations_share_kind_and_band(app):
    codes = set(db.session.scalars(organizations.similar_organizations(db.session.get(Organization, HAYAMA))))
    assert {HAYAMA, SAMUKAWA} <= codes  # two 町 of 1万〜5万人
    assert MANAZURU not in codes  # a 町 under 1万人
    assert "142042" not in codes  # 鎌倉市: a city
    assert organizations.peer_label(db.session.get(Organization, HAYAMA)) == "町・人口1万〜5万人"
    prefectures = set(db.session.scalars(organizations.similar_organizations(db.session.get(Organization, "130001"))))
    assert len(prefectures) == 47  # 東京都 with every prefecture, whatever its size
    ministries = set(db.session.scalars(organizations.similar_organizations(db.session.get(Organization, "900141"))))
    assert "900141" in ministries and all(db.session.get(Organization, c).kind == "ministry" for c in ministries)


# ---------------------------------------------------------------- the service


@pytest.fixture
def answer(alice, bob):
    question = make_question(alice, title="ふるさと納税の返礼品の選定基準は？", tags="ふるさと納税")
    return make_answer(bob, question, "地場産品基準（告示第5条）に沿って、審査会で年1回見直しています。")


def test_adopting_is_once_per_organization_and_any_member_may_withdraw(app, answer):
    first = make_user(org=KAWASAKI, name="川崎 一郎")
    colleague = make_user(org=KAWASAKI, name="川崎 花子")
    assert adoptions.adopt(first, answer) is True
    assert adoptions.adopt(colleague, answer) is False  # 川崎市 already has
    assert adoptions.counts([answer.id]) == {answer.id: 1}
    assert adoptions.adopt(make_user(org=HAYAMA), answer) is True
    assert adoptions.counts([answer.id]) == {answer.id: 2}
    assert adoptions.question_counts([answer.question_id]) == {answer.question_id: 2}
    assert adoptions.withdraw(colleague, answer) is True  # not the one who marked it
    assert adoptions.withdraw(colleague, answer) is False
    assert [org.name for org in adoptions.adopters([answer.id])[answer.id]] == ["葉山町"]


def test_members_without_an_organization_get_a_clear_message(app, answer):
    nobody = make_user(org=None, name="無所属 ｻﾝ")
    with pytest.raises(adoptions.NoOrganization) as raised:
        adoptions.adopt(nobody, answer)
    assert "所属団体" in raised.value.errors["organization"]


def test_removed_answers_and_unverified_accounts_cannot_be_marked(app, answer, moderator):
    unverified = make_user(org=KAWASAKI)
    unverified.email_verified_at = None
    db.session.commit()
    with pytest.raises(PermissionDenied):
        adoptions.adopt(unverified, answer)
    answers.delete_answer(moderator, answer, reason="spam")
    with pytest.raises(PermissionDenied):
        adoptions.adopt(make_user(org=KAWASAKI), answer)


def test_adoptions_break_score_ties_in_the_answer_order(app, alice, bob, carol):
    question = make_question(alice, title="会計年度任用職員の期末手当")
    older = make_answer(bob, question, "条例で支給月数を定めています。")
    newer = make_answer(carol, question, "規則に委任しています🙂")
    assert [a.id for a in questions.answers_for_display(alice, question)] == [older.id, newer.id]
    adoptions.adopt(make_user(org=HAYAMA), newer)
    assert [a.id for a in questions.answers_for_display(alice, question)] == [newer.id, older.id]


def test_the_similar_filter_keeps_answers_written_or_adopted_by_like_organizations(app, alice):
    question = make_question(alice, title="町営バスの運賃改定の手続き")
    from_hayama = make_answer(make_user(org=HAYAMA), question, "公共交通会議で協議しました。")
    from_yokohama = make_answer(make_user(org="141003"), question, "審議会に諮問しました。")
    from_tokyo = make_answer(make_user(org="130001"), question, "運輸局に届け出ます。")
    adoptions.adopt(make_user(org=SAMUKAWA), from_tokyo)
    like = organizations.similar_organizations(db.session.get(Organization, HAYAMA))
    shown = [a.id for a in questions.answers_for_display(alice, question, like_orgs=like)]
    assert shown == [from_tokyo.id, from_hayama.id]  # adopted by 寒川町 first (tie of score)
    assert from_yokohama.id not in shown


# ---------------------------------------------------------------- pages


def test_the_button_marks_and_the_answer_reads_n_organizations(client, answer):
    kawasaki = make_user(org=KAWASAKI, name="川崎 職員")
    adoptions.adopt(make_user(org=HAYAMA), answer)
    login(client, kawasaki)
    page = client.get(f"/questions/{answer.question_id}", follow_redirects=True).get_data(as_text=True)
    assert "1団体が採用" in page and "葉山町" in page and ">町<" not in page
    assert "うちでも採用" in page
    response = client.post(f"/answers/{answer.id}/adoption", data={"adopted": "1"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "2団体が採用" in page and "神奈川県川崎市" in page and "政令指定都市" in page
    assert "うちでの採用を取り消す" in page
    assert db.session.get(Adoption, (answer.id, KAWASAKI)).user_id == kawasaki.id
    page = client.post(f"/answers/{answer.id}/adoption", data={"adopted": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "1団体が採用" in page and "取り消しました" in page


def test_bad_values_and_missing_answers(client, answer):
    login(client, make_user(org=KAWASAKI))
    assert client.post(f"/answers/{answer.id}/adoption", data={"adopted": "２"}).status_code == 400
    missing = client.post("/answers/999999/adoption", data={"adopted": "1"})
    assert missing.status_code == 404 and "見つかりません" in missing.get_data(as_text=True)


def test_a_member_without_an_organization_is_told_where_to_set_it(client, answer):
    login(client, make_user(org=None))
    page = client.get(f"/questions/{answer.question_id}", follow_redirects=True).get_data(as_text=True)
    assert "所属団体を登録すると使えます" in page and "/settings/career" in page
    page = client.post(f"/answers/{answer.id}/adoption", data={"adopted": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "経歴" in page and db.session.scalar(sa.select(sa.func.count()).select_from(Adoption)) == 0


def test_the_form_needs_a_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        asker, answerer = make_user(), make_user(org="271004")
        answer = make_answer(answerer, make_question(asker))
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
        member = make_user(org=KAWASAKI)
        client.post("/login", data={"email": member.email, "password": PASSWORD, "csrf_token": token})
        assert client.post(f"/answers/{answer.id}/adoption", data={"adopted": "1"}).status_code == 400
        page = client.get(f"/questions/{answer.question_id}", follow_redirects=True).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post(f"/answers/{answer.id}/adoption", data={"adopted": "1", "csrf_token": token}).status_code == 302
        assert adoptions.counts([answer.id]) == {answer.id: 1}
        db.session.remove()


def test_a_member_of_a_town_filters_to_like_organizations(client, alice):
    question = make_question(alice, title="町内会への補助金の交付要綱")
    make_answer(make_user(org="141003"), question, "横浜市では区ごとに要綱があります。")
    login(client, make_user(org=HAYAMA, name="葉山 ﾀﾛｳ"))
    page = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert "同規模の団体（町・人口1万〜5万人）" in page and "answers=similar" in page
    url = re.search(r'href="([^"]*answers=similar[^"]*)"', page).group(1).replace("&amp;", "&")
    page = client.get(url).get_data(as_text=True)
    assert "横浜市では" not in page and "同規模の団体が採用した回答はまだありません" in page
    make_answer(make_user(org=SAMUKAWA), question, "寒川町では自治会連絡協議会を通じて交付しています。")
    page = client.get(url).get_data(as_text=True)
    assert "寒川町では" in page and "横浜市では" not in page


# ---------------------------------------------------------------- API


def test_the_api_marks_withdraws_and_counts(client, alice, answer):
    from app.services import tokens

    secret = tokens.create_token(make_user(org=KAWASAKI), "川崎の連携", "write").secret
    path = f"/api/v1/answers/{answer.id}/adoptions"
    first = post_json(client, path, {}, secret)
    assert first.status_code == 201
    assert first.get_json() == {"answer_id": answer.id, "organization": {"code": KAWASAKI, "name": "神奈川県川崎市"}, "adopted_by": 1}
    assert post_json(client, path, {}, secret).status_code == 200  # idempotent
    body = client.get(f"/api/v1/questions/{answer.question_id}", headers=bearer(secret)).get_json()
    assert body["adopted_by"] == 1 and body["answers"][0]["adopted_by"] == 1
    listed = client.get("/api/v1/questions", headers=bearer(secret)).get_json()["items"]
    assert [q["adopted_by"] for q in listed if q["id"] == answer.question_id] == [1]
    assert client.delete(path, headers=bearer(secret)).status_code == 204
    assert client.delete(path, headers=bearer(secret)).status_code == 204
    assert client.get(f"/api/v1/questions/{answer.question_id}", headers=bearer(secret)).get_json()["adopted_by"] == 0


def test_api_errors_are_json_in_japanese(client, answer, alice_token):
    from app.services import tokens

    assert_error(post_json(client, "/api/v1/answers/999999/adoptions", {}, alice_token), 404)
    nobody = tokens.create_token(make_user(org=None), "無所属", "write").secret
    error = assert_error(post_json(client, f"/api/v1/answers/{answer.id}/adoptions", {}, nobody), 400, "no_organization")
    assert "所属団体" in error["message"]
    reader = tokens.create_token(make_user(org=KAWASAKI), "読むだけ", "read").secret
    assert_error(post_json(client, f"/api/v1/answers/{answer.id}/adoptions", {}, reader), 403)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Adoption)) == 0


# ---------------------------------------------------------------- search


@pytest.fixture
def bus_questions(app):
    asker = make_user(org="900141", name="総務 ｼﾞﾛｳ")  # 総務省: a kind neither answer has
    town = make_question(asker, title="コミュニティバスの運賃改定", body="町営バスの運賃を改定する手続きは？", tags="地域交通")
    make_answer(make_user(org=SAMUKAWA), town, "地域公共交通会議で協議して、運輸局へ届け出ました。")
    city = make_question(asker, title="路線バスの運賃補助", body="市として運賃補助をする根拠は？", tags="地域交通")
    make_answer(make_user(org="141003"), city, "補助金交付要綱を定めています。")
    return {"town": town.id, "city": city.id}


def _found(query: str, **options) -> list[int]:
    return [hit.question.id for hit in search.search_questions(query, **options).hits]


def test_orgkind_and_like_organizations_filter_search(app, bus_questions):
    assert set(_found("運賃")) == {bus_questions["town"], bus_questions["city"]}
    assert _found("運賃 orgkind:町") == [bus_questions["town"]]
    assert _found("運賃 ｏｒｇｋｉｎｄ：政令市") == [bus_questions["city"]]
    hayama = db.session.get(Organization, HAYAMA)
    assert _found("運賃", like=hayama) == [bus_questions["town"]]
    assert _found("運賃", like=db.session.get(Organization, MANAZURU)) == []  # a 町 under 1万人
    unknown = search.search_questions("運賃 orgkind:島")
    assert unknown.hits == [] and "団体の種類はありません" in unknown.notice


def test_an_adoption_reaches_the_index(app, bus_questions):
    city_answer = questions.answers_for_display(None, questions.get_question(None, bus_questions["city"]))[0]
    adoptions.adopt(make_user(org=HAYAMA), city_answer)
    assert set(_found("運賃 orgkind:町")) == {bus_questions["town"], bus_questions["city"]}


def test_the_database_fallback_filters_like_the_index(app, bus_questions, monkeypatch):
    def unavailable():
        raise SearchUnavailable("テスト")

    monkeypatch.setattr(indexing, "get_index", unavailable)
    found = search.search_questions("運賃", like=db.session.get(Organization, HAYAMA))
    assert "簡易検索" in found.notice and [hit.question.id for hit in found.hits] == [bus_questions["town"]]


def test_a_member_of_a_town_narrows_search_to_like_organizations(client, bus_questions):
    login(client, make_user(org=HAYAMA))
    page = client.get("/search?q=運賃").get_data(as_text=True)
    assert "同規模の団体（町・人口1万〜5万人）に絞る" in page and "コミュニティバス" in page and "路線バス" in page
    url = re.search(r'href="([^"]*similar_orgs=1[^"]*)"', page).group(1).replace("&amp;", "&")
    page = client.get(url).get_data(as_text=True)
    assert "コミュニティバス" in page and "路線バス" not in page and "表示中" in page
    assert 'name="similar_orgs" value="1"' in page  # a new search keeps the filter


def test_the_api_search_takes_similar_orgs(client, bus_questions):
    from app.services import tokens

    town = tokens.create_token(make_user(org=HAYAMA), "葉山", "read").secret
    body = client.get("/api/v1/search?q=運賃&similar_orgs=1", headers=bearer(town)).get_json()
    assert [item["id"] for item in body["items"]] == [bus_questions["town"]]
    assert body["items"][0]["adopted_by"] == 0
    assert_error(client.get("/api/v1/search?q=運賃&similar_orgs=2", headers=bearer(town)), 422)
    nobody = tokens.create_token(make_user(org=None), "無所属", "read").secret
    error = assert_error(client.get("/api/v1/search?q=運賃&similar_orgs=1", headers=bearer(nobody)), 422)
    assert "所属団体" in error["message"]


def test_a_removed_answer_or_a_suspended_member_gets_403_in_japanese(client, answer, moderator):
    from datetime import timedelta

    from app.models import utcnow

    member = make_user(org=KAWASAKI)
    login(client, member)
    member.suspended_until = utcnow() + timedelta(days=3)
    db.session.commit()
    suspended = client.post(f"/answers/{answer.id}/adoption", data={"adopted": "1"})
    assert suspended.status_code == 403 and "停止されています" in suspended.get_data(as_text=True)
    member.suspended_until = None
    db.session.commit()
    answers.delete_answer(moderator, answer, reason="spam")
    login(client, moderator)
    refused = client.post(f"/answers/{answer.id}/adoption", data={"adopted": "1"})
    assert refused.status_code == 403 and "権限" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Adoption)) == 0
