"""The query side of search on a real in-memory index: readings, 「もしかして」, sentences,
unknown words."""

import pytest

from search import SearchIndex, parse_query
from search.compiler import QueryPlan
from search.ja import content_runs, is_reading, spelled_as
from tests.search.test_index import DOCS, answer, question

MORE = [
    question(20, "財産調査の照会先", "預貯金の財産調査で金融機関に照会する方法を教えてください。", tags=["債権回収"]),
    question(21, "滞納処分としての差押えの手順", "給与の差押えをする前に滞納処分の手順を確認したい。", tags=["債権回収"]),
    question(22, "PFASを含む泡消火剤の処分", "古い泡消火剤の処分方法が分かりません。", tags=["環境"]),
    question(23, "太陽光パネルの処分", "廃棄する太陽光パネルの処分費用は誰が負担しますか。", tags=["環境"]),
    question(24, "公用車の処分と売却", "古い公用車の処分は入札ですか。", tags=["財産管理"]),
    question(25, "ケースワーカーの訪問記録", "訪問記録の様式は？", tags=["生活保護"],
             answers=[answer(125, "国の様式例があります。", author_id=21)]),
]


@pytest.fixture(scope="module")
def index():
    index = SearchIndex.in_memory()
    index.apply(DOCS + MORE, [])
    yield index
    index.close()


def ids(page) -> list[int]:
    return [hit.question_id for hit in page.hits]


@pytest.mark.parametrize("typed", ["ざいさんちょうさ", "ザイサンチョウサ", "ｻﾞｲｻﾝﾁｮｳｻ", "ざいさん　ちょうさ"])
def test_a_reading_in_kana_finds_the_kanji(index, typed):
    page = index.search(typed)
    assert ids(page)[0] == 20  # two words typed: a question with one of them may follow
    assert not page.hits[0].partial and all(hit.partial for hit in page.hits[1:])
    # 「もしかして」 offers the spelling the question uses, for each word as it was typed.
    assert set(page.respellings.values()) <= {"財産調査", "財産", "調査"} and page.respellings


def test_a_reading_suggests_its_kanji_for_the_word_as_typed(index):
    assert index.search("ざいさんちょうさ").respellings == {"ざいさんちょうさ": "財産調査"}
    assert index.search("ｻﾞｲｻﾝﾁｮｳｻ").respellings == {"ザイサンチョウサ": "財産調査"}  # the query is NFKC'd
    # A katakana word spelled as questions spell it needs no suggestion.
    assert index.search("ケースワーカー").respellings == {}


def test_readings_are_nouns_in_titles_and_tags(index):
    # 照会 is in the title (しょうかい); 金融機関 only in the body: readings stay out of bodies.
    assert ids(index.search("しょうかい")) == [20]
    assert ids(index.search("きんゆうきかん")) == []


def test_a_typo_gets_a_suggestion_from_real_titles(index):
    page = index.search("財産調差")
    assert page.respellings == {"財産調差": "財産調査"}
    assert index.search("財産調査").respellings == {}


@pytest.mark.parametrize("query", ["xyzzy", "xyzzy 存在しない語彙", "ｚｚｚｑ 住民税"])
def test_a_short_query_with_an_unknown_word_shows_nothing_and_names_it(index, query):
    page = index.search(query)
    assert page.hits == [] and page.total == 0
    assert page.unknown and "住民税" not in page.unknown
    assert set(page.unknown) <= set(parse_query(query).words)


def test_a_long_query_is_searched_without_its_unknown_words(index):
    page = index.search("住民税 特別徴収 税額通知 xyzzy")
    assert ids(page) == [1]
    assert page.unknown == ("xyzzy",)


def test_operators_alone_have_no_unknown_words(index):
    page = index.search("[債権回収]")
    assert page.unknown == () and sorted(ids(page)) == [5, 20, 21]


def test_a_sentence_falls_back_on_bigrams_run_by_run(index):
    # コロナウイルス is not a dictionary word in 新型コロナウイルス感染症: only its bigrams
    # match. Typed inside a sentence, it used to make the question a partial match.
    page = index.search("コロナウイルスの予防接種の予約方法を教えて")
    assert ids(page)[0] == 4
    assert not page.hits[0].partial and all(hit.partial for hit in page.hits[1:])


def test_unresolved_names_match_nothing(index):
    # The app resolves user:山田 and org:横浜市; left unresolved they must not widen the search.
    assert index.search("user:山田 住民税").total == 0
    assert index.search("org:横浜市").total == 0


def test_answers_at_least(index):
    assert sorted(ids(index.search("answers:1+ [生活保護]"))) == [25]
    assert ids(index.search("answers:0 [生活保護]")) == []


def test_analysis_helpers():
    assert is_reading("ざいさんちょうさ") and is_reading("けーすわーく")
    assert not is_reading("財産") and not is_reading("あ") and not is_reading("abc")
    assert spelled_as("財産調査の照会先", "ざいさんちょうさ") == "財産調査"
    assert spelled_as("ｶﾞｲﾄﾞﾗｲﾝの改定", "がいどらいん") == "ｶﾞｲﾄﾞﾗｲﾝ"  # half-width, as written
    assert spelled_as("財産の調査", "ざいさんちょうさ") is None  # not adjacent
    assert content_runs("新型コロナの給付金の申請") == ["新型コロナ", "給付金", "申請"]


def test_reading_pieces_use_the_index_vocabulary(index):
    def plan_for(text):
        def run(searcher, _vectors):
            plan = QueryPlan(parse_query(text))
            plan.use(searcher.reader())
            return str(plan._reading_clause(text))

        return index._read(run)

    assert plan_for("ざいさんちょうさ") == "(reading:ざいさん AND reading:ちょうさ)"
    assert plan_for("財産") == "None"


def test_a_sentence_with_a_run_that_analyzes_to_nothing(index):
    # Alone, 幸い analyzes to nothing; inside this pasted comment it is a run of its own.
    page = index.search("「人の健康」「人間の健康」に関しては、後者で統一できますと幸いです")
    assert page.hits == [] or all(hit.partial for hit in page.hits)
