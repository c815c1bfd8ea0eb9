"""Search through the site for people who do not know its syntax: readings, synonyms and the
starter jargon list, unknown words, names in org:/user:, missing tags, the filter panel."""

import sqlalchemy as sa

from app.extensions import db
from app.models import SearchSynonym
from app.services import search, tags
from tests.api_client import bearer
from tests.factories import login, make_answer, make_question, make_user


def _ids(results) -> list[int]:
    return [hit.question.id for hit in results.hits]


# ---------------------------------------------------------------- readings and もしかして


def test_a_hiragana_reading_finds_the_kanji_title(member_client, alice):
    question = make_question(alice, title="財産調査で預金を照会する手順", body="金融機関への照会文書の様式を教えてください。", tags="債権回収")
    make_question(alice, title="固定資産税の縦覧期間", body="縦覧帳簿の閲覧方法を知りたいです。", tags="固定資産税")
    for typed in ("ざいさんちょうさ", "ザイサンチョウサ", "ｻﾞｲｻﾝﾁｮｳｻ"):
        found = search.search_questions(typed)
        assert _ids(found) == [question.id]
    page = member_client.get("/search", query_string={"q": "ざいさんちょうさ"}).get_data(as_text=True)
    assert "もしかして:" in page and ">財産調査</a>" in page


def test_a_typo_offers_the_spelling_questions_use(member_client, alice):
    make_question(alice, title="財産調査で預金を照会する手順", body="照会文書の様式を教えてください。", tags="債権回収")
    found = search.search_questions("財産調差 様式")
    assert found.suggestion is not None and found.suggestion.query == "財産調査 様式"
    page = member_client.get("/search", query_string={"q": "財産調差 様式"}).get_data(as_text=True)
    assert 'href="/search?q=%E8%B2%A1%E7%94%A3%E8%AA%BF%E6%9F%BB+%E6%A7%98%E5%BC%8F' in page  # 財産調査 様式


# ---------------------------------------------------------------- synonyms


def test_the_starter_jargon_list_is_there_on_a_fresh_install(alice):
    question = make_question(alice, title="地方債の償還計画の見直し", body="繰上償還の判断基準を知りたい。", tags="財政")
    assert _ids(search.search_questions("起債")) == [question.id]
    groups = search.synonym_groups()
    assert ["起債", "地方債"] in groups and ["国保", "国民健康保険"] in groups
    assert len(search.starter_synonyms()) >= 200


def test_the_starter_list_never_overwrites_moderator_edits(app, client, moderator, alice):
    question = make_question(alice, title="地方債の償還計画の見直し", body="繰上償還の判断基準を知りたい。", tags="財政")
    login(client, moderator)
    client.post("/search/synonyms", data={"synonyms": "滞納整理、債権回収\nマイナ、マイナンバーカード"})
    assert _ids(search.search_questions("起債")) == []
    assert search.load_starter_synonyms() == 0  # make db on an edited site: nothing changes
    result = app.test_cli_runner().invoke(args=["search", "synonyms", "load"])
    assert result.exit_code == 0 and "nothing to do" in result.output
    assert search.synonyms_as_text() == "滞納整理、債権回収\nマイナ、マイナンバーカード"
    assert _ids(search.search_questions("起債")) == []
    client.post("/search/synonyms", data={"synonyms": ""})  # emptied on purpose: stays empty
    assert search.synonyms_as_text() == "" and search.load_starter_synonyms() == 0
    assert _ids(search.search_questions("地方債")) == [question.id]


def test_the_starter_list_fills_only_an_empty_never_edited_dictionary(app, tmp_path):
    starter = tmp_path / "starter.csv"
    starter.write_text("terms,source\n起債、地方債,総務省 地方債制度の概要\nｹｰｽﾜｰｸ、生活保護,生活保護法\nひとつだけ,なし\n", encoding="utf-8")
    # NFKC (half-width kana folded), and a line with a single term is no group.
    assert search.starter_synonyms(starter) == [["起債", "地方債"], ["ケースワーク", "生活保護"]]
    before = search.synonyms_as_text()
    assert search.load_starter_synonyms(starter) == 0  # the template database has it already
    assert search.synonyms_as_text() == before
    db.session.execute(sa.delete(SearchSynonym))
    db.session.commit()
    assert search.load_starter_synonyms(starter) == 2  # empty and never edited: a fresh install
    assert search.synonyms_as_text() == "起債、地方債\nケースワーク、生活保護"


def test_tag_synonyms_expand_queries_both_ways(alice, moderator):
    tagged = make_question(alice, title="保護費の返還金の扱い", body="過払いの返還をどう求めるか。", tags="生活保護")
    tags.edit_tag(moderator, tags.get_tag("生活保護"), tags.TagEdit("", "policy", "ケースワーク"))
    mentioned = make_question(alice, title="ケースワークの記録の残し方", body="面談の記録様式について。", tags="記録")
    assert set(_ids(search.search_questions("ケースワーク"))) == {tagged.id, mentioned.id}
    assert set(_ids(search.search_questions("生活保護"))) == {tagged.id, mentioned.id}
    assert ["生活保護", "ケースワーク"] in search.synonym_groups()
    # A tag typed by its synonym filters by the tag.
    assert _ids(search.search_questions("[ケースワーク]")) == [tagged.id]


# ---------------------------------------------------------------- a clean tail


def test_partial_matches_sharing_only_a_minor_word_are_cut(alice):
    both = make_question(alice, title="滞納処分の前の差押えの手順", body="給与の差押えと滞納処分の順序。", tags="債権回収")
    minor = [
        make_question(alice, title=f"{subject}の処分方法", body=f"{subject}をどう処分するか。", tags="環境")
        for subject in ("PFAS", "太陽光パネル", "公用車", "古い書類", "粗大ごみ")
    ]
    found = search.search_questions("滞納処分 差押え")
    assert _ids(found) == [both.id]
    assert not any(question.id in _ids(found) for question in minor)
    assert not any(hit.partial for hit in found.hits)


def test_unknown_words_say_so_in_the_page_and_the_api(client, member_client, alice, alice_token):
    make_question(alice, title="住民税の特別徴収", body="存在しない語は含まない。", tags="住民税")
    page = member_client.get("/search", query_string={"q": "xyzzy ｚｚｚｑ"}).get_data(as_text=True)
    assert "「xyzzy」「zzzq」を含む質問はありません" in page
    assert 'class="search-hit"' not in page
    body = client.get("/api/v1/search?q=xyzzy", headers=bearer(alice_token)).get_json()
    assert body["items"] == [] and body["total"] == 0 and "「xyzzy」" in body["notice"]
    ambiguous = client.get("/api/v1/search?q=org:府中市", headers=bearer(alice_token)).get_json()
    assert ambiguous["items"] == [] and ambiguous["choices"][0] == {"label": "東京都府中市 (132063)", "q": "org:132063"}
    mixed = search.search_questions("xyzzy 住民税")
    assert mixed.hits == [] and "「住民税」で検索してください" in mixed.notice


# ---------------------------------------------------------------- names in operators


def test_org_by_name_and_a_choice_when_ambiguous(member_client, alice):
    yokohama = make_question(alice, title="住民税の特別徴収の切替", tags="住民税")
    fuchu_user = make_user(name="府中の職員", org="132063")
    fuchu = make_question(fuchu_user, title="住民税の普通徴収への切替", tags="住民税")
    assert _ids(search.search_questions("org:横浜市 住民税")) == [yokohama.id]
    assert _ids(search.search_questions("org:よこはまし")) == [yokohama.id]  # by reading
    assert _ids(search.search_questions("org:東京都府中市")) == [fuchu.id]
    ambiguous = search.search_questions("org:府中市 住民税")
    assert ambiguous.hits == [] and "複数あります" in ambiguous.notice
    assert [choice.query for choice in ambiguous.choices] == ["org:132063 住民税", "org:342084 住民税"]
    page = member_client.get("/search", query_string={"q": "org:府中市 住民税"}).get_data(as_text=True)
    assert "東京都府中市 (132063)" in page and "広島県府中市 (342084)" in page
    assert "に当たる団体がありません" in search.search_questions("org:存在しない市").notice


def test_user_by_name_and_a_choice_when_ambiguous(alice):
    taro, hanako = make_user(name="山田太郎"), make_user(name="山田　花子")  # a full-width space
    asked = make_question(taro, title="会計年度任用職員の期末手当", tags="人事")
    make_question(hanako, title="会計年度任用職員の勤勉手当", tags="人事")
    assert _ids(search.search_questions("user:山田太郎 期末手当")) == [asked.id]
    ambiguous = search.search_questions("user:山田")
    assert ambiguous.hits == []
    assert [choice.query for choice in ambiguous.choices] == [f"user:{taro.id}", f"user:{hanako.id}"]
    answered = make_answer(hanako, asked, "条例の改正が要ります。")
    assert _ids(search.search_questions("user:山田花子 is:answer 条例")) == [answered.question_id]
    assert "利用者がいません" in search.search_questions("user:鈴木").notice


def test_a_missing_tag_says_so_and_proposes_near_tags(member_client, alice):
    make_question(alice, title="督促状の発送時期", tags="債権回収")
    found = search.search_questions("[債権回集] 督促状")
    assert found.hits == [] and "タグ［債権回集］はありません" in found.notice
    assert [choice.query for choice in found.choices] == ["[債権回収] 督促状"]
    page = member_client.get("/search", query_string={"q": "［債権回集］"}).get_data(as_text=True)
    assert "近いタグ" in page and "[債権回収]" in page


# ---------------------------------------------------------------- the filter panel


def test_the_panel_writes_the_operators(member_client, alice):
    assert search.compose_query("住民税 [古いタグ] accepted:yes", tag="債権回収　国保", org="横浜市", status="answered") == (
        "住民税 [債権回収] [国保] org:横浜市 answers:1+"
    )
    assert search.compose_query("住民税", status="unanswered") == "住民税 answers:0"
    assert search.compose_query("住民税 [国保]", status="nonsense") == "住民税"  # cleared fields remove theirs
    response = member_client.get("/search", query_string={"q": "住民税", "panel": "1", "tag": "住民税", "org": "", "status": "accepted"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/search?q=%E4%BD%8F%E6%B0%91%E7%A8%8E+%5B%E4%BD%8F%E6%B0%91%E7%A8%8E%5D+accepted:yes&sort=relevance"


def test_the_panel_shows_what_the_query_sets(member_client, alice):
    make_question(alice, title="住民税の特別徴収", tags="住民税")
    page = member_client.get("/search", query_string={"q": "特別徴収 [住民税] org:横浜市 answers:0"}).get_data(as_text=True)
    assert '<details class="search-filters" open>' in page
    assert 'name="tag" value="住民税"' in page and 'name="org" value="横浜市"' in page
    assert '<option value="unanswered" selected>' in page
