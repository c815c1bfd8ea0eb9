"""Search by 年度 and 根拠法令: the query language, the index fields, the page, the API, the fallback."""

import pytest

from app import indexing
from app.services import answers, questions, search
from search import SearchUnavailable, parse_query
from tests.api_client import bearer

BODY = "滞納処分の停止を判断するときの財産調査の範囲について教えてください。"


def test_the_operators_parse():
    parsed = parse_query("年度:2025 法令:地方税法 滞納")
    assert (parsed.fiscal_year, parsed.law, parsed.words) == (2025, "地方税法", ("滞納",))
    assert parse_query("ＦＹ：２０２４").fiscal_year == 2024
    assert parse_query("fy:令和7年度").fiscal_year_text == "令和7年度"
    assert parse_query("LAW:DX推進法第3条").law == "DX推進法第3条"  # law names keep their case
    assert parse_query("年度:2025").has_filters and not parse_query("年度:2025").has_text
    assert parse_query("-年度:2025").fiscal_year is None  # negation is not an operator: plain text


def _ask(author, title, fiscal_year, cited):
    return questions.ask_question(
        author, questions.QuestionInput(title, BODY, "債権回収", fiscal_year=fiscal_year, laws=cited)
    )


@pytest.fixture
def cited(app, alice, bob):
    old = _ask(alice, "滞納処分の停止と財産調査の範囲", 2024, "地方税法第15条の7")
    new = _ask(alice, "差押えできる財産の順序について", 2025, "国税徴収法第47条")
    answers.post_answer(bob, new, "地方税法第331条の準用で国税徴収法の例によります。", fiscal_year=2026, cited="地税法第331条")
    return {"old": old, "new": new}


def _ids(query: str) -> list[int]:
    return sorted(hit.question.id for hit in search.search_questions(query).hits)


def test_filters_match_the_question_or_any_of_its_answers(cited):
    old, new = cited["old"].id, cited["new"].id
    assert _ids("年度:2024") == [old]
    assert _ids("fy:2026") == [new]  # only the answer says 令和8年度
    assert _ids("年度:令和６年度") == [old] and _ids("fy:R7") == [new]
    assert _ids("法令:地方税法") == sorted([old, new])
    assert _ids("law:地税法15条の7") == [old]
    assert _ids("法令:国税徴収法 年度:2024") == []
    assert _ids("法令:地方税法 順序") == [new]
    assert _ids("年度:2019") == []


def test_unreadable_values_say_so(cited):
    found = search.search_questions("年度:来年度")
    assert found.hits == [] and "「年度:来年度」は年度として読めません。" in found.notice
    found = search.search_questions("法令:第3条")
    assert found.hits == [] and "法令名がわかりません" in found.notice


def test_edits_reindex_the_citations(cited, alice):
    old = cited["old"]
    data = questions.QuestionInput(old.title, old.body, "債権回収", laws="民法第166条")
    questions.edit_question(alice, old, data, base_revision=old.revision_count)
    assert _ids("法令:民法") == [old.id]
    assert old.id not in _ids("法令:地方税法第15条の7")


def test_the_database_fallback_filters_too(cited, monkeypatch):
    def unavailable():
        raise SearchUnavailable("テスト")

    monkeypatch.setattr(indexing, "get_index", unavailable)
    assert _ids("fy:2026") == [cited["new"].id]
    assert _ids("法令:地方税法第15条の7") == [cited["old"].id]
    assert _ids("法令:地方税法") == sorted([cited["old"].id, cited["new"].id])


def test_the_page_and_the_api(cited, member_client, client, alice_token):
    page = member_client.get("/search?q=法令:地方税法第15条の7").get_data(as_text=True)
    assert cited["old"].title in page and cited["new"].title not in page
    assert "年度:2025" in member_client.get("/search?q=x").get_data(as_text=True)  # the help lists it
    body = client.get("/api/v1/search?q=年度:2026", headers=bearer(alice_token)).get_json()
    assert [item["id"] for item in body["items"]] == [cited["new"].id]


def test_the_filter_panel_writes_and_reads_the_operators(app, member_client):
    composed = search.compose_query("滞納 年度:2020 law:民法", fy="Ｒ７", law="地方税法 第15条の7")
    assert composed == "滞納 年度:r7 法令:地方税法第15条の7"
    assert search.compose_query("滞納 fy:2020 法令：民法") == "滞納"  # cleared fields remove theirs
    assert search.panel_values(parse_query(composed))["fy"] == "r7"
    assert search.panel_values(parse_query("fy:2025 law:国税徴収法")) | {"tag": ""} == {
        "tag": "", "org": "", "status": "", "fy": "2025", "law": "国税徴収法"
    }
    moved = member_client.get("/search", query_string={"q": "滞納", "panel": "1", "fy": "2025", "law": "地税法"})
    assert moved.status_code == 302 and "q=%E6%BB%9E%E7%B4%8D+%E5%B9%B4%E5%BA%A6:2025" in moved.headers["Location"]
