"""SearchIndex on a real in-memory index: matching, operators, ranking, pages, snippets."""

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

import search.index
from search import AnswerDocument, QuestionDocument, SearchIndex, parse_query
from search.query import MAX_QUERY_CHARS, MAX_TEXT_ITEMS

START = datetime(2024, 4, 1, 9, 0)


def answer(id: int, body: str, author_id: int = 50, score: int = 0, accepted: bool = False) -> AnswerDocument:
    return AnswerDocument(id=id, body=body, author_id=author_id, score=score, accepted=accepted)


def question(id: int, title: str, body: str, *, tags=(), answers=(), author_id=1, org_code="141003", score=0):
    return QuestionDocument(
        id=id,
        title=title,
        body=body,
        tags=tuple(tags),
        author_id=author_id,
        org_code=org_code,
        created_at=START + timedelta(days=id),
        score=score,
        answer_count=len(answers),
        has_accepted=any(a.accepted for a in answers),
        answers=tuple(answers),
    )


DOCS = [
    question(
        1,
        "住民税の特別徴収の税額通知",
        "給与所得者の住民税特別徴収の税額通知はいつ届きますか。",
        tags=["住民税"],
        author_id=10,
        score=5,
        answers=[answer(101, "毎年５月に事業所へ送付します。", author_id=20, accepted=True)],
    ),
    question(
        2,
        "ｶﾞｲﾄﾞﾗｲﾝ改定と附属資料",
        "附属資料はどこにありますか？ＰＣＲ検査の手順も知りたいです😀",
        tags=["ガイドライン"],
        author_id=11,
        org_code="011002",
    ),
    question(
        3,
        "ゴミ出しのルール",
        "分別区分が変わりました。",
        tags=["環境"],
        answers=[
            answer(102, "収集日は毎週月曜日です。", author_id=21),
            answer(103, "市のガイドラインに<script>alert(1)</script>と書いてあります。", author_id=22),
        ],
    ),
    question(
        4,
        "新型コロナウイルス感染症の予防接種",
        "ワクチン接種の予約方法を教えてください。",
        tags=["予防接種"],
        score=12,
        answers=[answer(104, "コールセンターで予約できます。", author_id=20)],
    ),
    question(5, "滞納整理の進め方", "督促のあとの手続きについて。", tags=["債権回収"]),
    question(6, "国保の加入手続き", "転入した人の国保の手続きを知りたい。", tags=["国民健康保険"]),
    question(7, "国民健康保険の保険税の減免", "減免の基準は？", tags=["国民健康保険"], score=-2),
]


@pytest.fixture(scope="module")
def index():
    index = SearchIndex.in_memory()
    index.apply(DOCS, [], position=42)
    yield index
    index.close()


def ids(page) -> list[int]:
    return [hit.question_id for hit in page.hits]


def test_documents_and_position(index):
    assert index.doc_count() == len(DOCS)
    assert index.position == 42


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("住民税", [1]),
        ("特別徴収", [1]),
        ("徴収", [1]),  # a part of the compound 特別徴収
        ("ｶﾞｲﾄﾞﾗｲﾝ", [2, 3]),  # half-width query; 3 through its answer
        ("付属資料", [2]),  # the text says 附属資料
        ("ＰＣＲ検査", [2]),
        ("pcr検査", [2]),
        ("ごみ", [3]),  # the text says ゴミ: the bigram field folds katakana
        ("コロナウイルス", [4]),  # the dictionary keeps 新型コロナウイルス感染症 whole
        ("事業所", [1]),  # only in an answer
        ("予防接種 ワクチン", [4]),
    ],
)
def test_matching(index, query, expected):
    page = index.search(query)
    assert sorted(ids(page)) == expected
    assert not any(hit.partial for hit in page.hits)


def test_documents_with_some_of_the_words_follow_those_with_all(index):
    page = index.search("手続き 転入")  # 5 has only 手続き, the lighter word: less than half the weight
    assert ids(page) == [6]
    assert page.total == 1
    page = index.search("督促 手続き 転入")  # 5 has the two lighter words, 6 two of three
    assert ids(page) == [6, 5] or ids(page) == [5, 6]
    assert all(hit.partial for hit in page.hits)
    page = index.search("滞納整理 転入")  # 滞納 + 整理 in 5 are 2 of the 3 terms; 転入 alone in 6 is not half
    assert ids(page) == [5]
    assert page.hits[0].partial
    page = index.search("住民税 予防接種")  # no document has both
    assert sorted(ids(page)) == [1, 4]
    assert all(hit.partial for hit in page.hits)
    assert index.search("住民税 予防接種 [予防接種]").total == 1  # filters still apply


def test_highlights_point_at_the_original_text(index):
    hit = index.search("ガイドライン 付属").hits[0]
    assert hit.title_html == "<mark>ｶﾞｲﾄﾞﾗｲﾝ</mark>改定と<mark>附属</mark>資料"
    assert "<mark>附属</mark>資料はどこにありますか" in hit.snippet_html
    assert hit.answer_id is None
    hit = index.search("ゴミ").hits[0]
    assert hit.title_html == "<mark>ゴミ</mark>出しのルール"


def test_snippet_from_the_best_matching_answer_is_escaped_and_names_the_answer(index):
    page = index.search("ガイドライン is:answer")
    assert ids(page) == [3]
    hit = page.hits[0]
    assert hit.answer_id == 103
    assert hit.snippet_html == "市の<mark>ガイドライン</mark>に&lt;script&gt;alert(1)&lt;/script&gt;と書いてあります。"
    assert hit.title_html == "ゴミ出しのルール"


def test_title_only_match_shows_the_start_of_the_body(index):
    hit = index.search("ルール").hits[0]
    assert hit.title_html == "ゴミ出しの<mark>ルール</mark>"
    assert hit.snippet_html == "分別区分が変わりました。"
    assert hit.answer_id is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("[国民健康保険]", [7, 6]),  # no text: newest first
        ("[国民健康保険] 減免", [7]),
        ("[国民健康保険] [債権回収]", []),
        ("user:10", [1]),
        ("user:20 is:answer", [4, 1]),
        ("user:20", []),  # without is:answer, user: is the question's author
        ("org:011002", [2]),
        ("accepted:yes", [1]),
        ("accepted:no [国民健康保険]", [7, 6]),
        ("answers:0 [国民健康保険]", [7, 6]),
        ("answers:2", [3]),
        ("score:5", [4, 1]),
        ("score:-2 [国民健康保険]", [7, 6]),
        ("score:0 [国民健康保険]", [6]),
        ("is:question 事業所", []),
        ("is:answer 事業所", [1]),
        ("手続き -国保", [5]),
        ("手続き -[国民健康保険]", [5]),
        ("手続き", [6, 5]),
        ('"税額通知"', [1]),
        ('"税額 通知"', [1]),  # spaces inside a phrase are ignored
        ('"通知税額"', []),  # both words are there, the phrase is not
        ('"ｶﾞｲﾄﾞﾗｲﾝ"', [3, 2]),
        ('"ガイドライン" is:question', [2]),
    ],
)
def test_operators(index, query, expected):
    page = index.search(query, sort="newest")
    assert ids(page) == expected
    assert page.total == len(expected)


def test_synonyms_widen_free_text_only(index):
    assert ids(index.search("国保", sort="newest")) == [6]
    synonyms = [["国保", "国民健康保険"], ["滞納整理", "債権回収"]]
    page = index.search("国保", sort="newest", synonyms=synonyms)
    assert ids(page) == [7, 6]
    assert "<mark>国民健康保険</mark>" in page.hits[0].title_html
    assert ids(index.search("[国保]", synonyms=synonyms)) == []  # tags are the app's business


def test_sorts(index):
    assert ids(index.search("[国民健康保険]", sort="votes")) == [6, 7]  # score 0 before -2
    assert ids(index.search("score:-100", sort="votes")) == [4, 1, 6, 5, 3, 2, 7]  # ties: newest first
    assert ids(index.search("score:-100", sort="newest")) == [7, 6, 5, 4, 3, 2, 1]
    with pytest.raises(ValueError):
        index.search("国保", sort="random")


def test_relevance_reranks_by_accepted_answer_and_votes():
    twins = [
        question(1, "公用車の運行記録", "運行記録の保存期間は？"),
        question(
            2, "公用車の運行記録", "運行記録の保存期間は？", score=30, answers=[answer(9, "五年です。", accepted=True)]
        ),
        question(3, "公用車の運行記録", "運行記録の保存期間は？", score=3),
    ]
    with SearchIndex.in_memory() as index:
        index.apply(twins, [])
        hits = index.search("運行記録").hits
    assert [hit.question_id for hit in hits] == [2, 3, 1]
    assert hits[0].score > hits[1].score > hits[2].score


def test_adoptions_are_a_mild_boost_and_nothing_without_them():
    assert search.index.quality_boost(5, True, 0) == search.index.quality_boost(5, True)  # eval corpora: unchanged
    assert 1.0 < search.index.quality_boost(0, False, 12) < search.index.quality_boost(12, False, 0)  # milder than votes
    twins = [question(1, "公用車の運行記録", "運行記録の保存期間は？"), replace(question(2, "公用車の運行記録", "運行記録の保存期間は？"), adopted=3)]
    with SearchIndex.in_memory() as index:
        index.apply(twins, [])
        assert [hit.question_id for hit in index.search("運行記録").hits] == [2, 1]


def test_orgkind_keeps_questions_its_keys_name():
    docs = [replace(question(1, "町営バスの運賃", "改定の手続きは？"), peers=("town", "town/1")), question(2, "市営バスの運賃", "改定の手続きは？")]
    with SearchIndex.in_memory() as index:
        index.apply(docs, [])
        assert [hit.question_id for hit in index.search("運賃 orgkind:town/1").hits] == [1]
        assert [hit.question_id for hit in index.search("orgkind:town").hits] == [1]
        assert index.search("運賃 orgkind:city").hits == []


def test_pages_and_past_the_end(index):
    everything = "score:-100"
    first = index.search(everything, per_page=3, sort="newest")
    assert (first.total, first.pages, ids(first)) == (7, 3, [7, 6, 5])
    last = index.search(everything, page=3, per_page=3, sort="newest")
    assert ids(last) == [1]
    beyond = index.search(everything, page=4, per_page=3, sort="newest")
    assert (beyond.hits, beyond.total, beyond.page, beyond.pages) == ([], 7, 4, 3)


@pytest.mark.parametrize(
    "query",
    [
        "deleted:true",
        "author_email:*",
        "author_email:x@city.yokohama.lg.jp",
        "id:[0 TO 9999]",
        "*",
        "?*",
        "*a*",
        "*:*",
        "body:[a TO z]",
        "title:{a TO}",
        "a^1000000",
        "title^100",
        "\\",
        '""',
        "%",
        "_",
        "AND OR NOT",
    ],
)
def test_field_wildcard_range_and_boost_syntax_is_inert(index, query):
    """SRCH-03/04/05: no hidden field, no every-document expansion, no range scan."""
    assert index.search(query).total == 0


@pytest.mark.parametrize(
    "query",
    ["'; DROP TABLE users; --", "1' OR '1'='1", '"abc', "(((a", "a)))", "a AND", "(" * 3000, "住民税 " * 3000],
)
def test_malformed_queries_never_raise_and_stay_bounded(index, query):
    """Whatever is typed, the search runs over at most MAX_TEXT_ITEMS terms of the first
    MAX_QUERY_CHARS characters (its speed is measured by `make bench-search`, not here)."""
    parsed = parse_query(query)
    assert len(parsed.words) + len(parsed.phrases) <= MAX_TEXT_ITEMS
    assert sum(map(len, parsed.words)) + sum(map(len, parsed.phrases)) <= MAX_QUERY_CHARS
    index.search(query)


def test_empty_query_lists_nothing(index):
    assert index.search("").total == 0
    assert index.search(parse_query("-国保")).total == 0  # exclusions alone: no "everything" scan


def test_apply_updates_deletes_and_never_moves_position_back():
    with SearchIndex.in_memory() as index:
        index.apply(DOCS[:3], [], position=10)
        renamed = question(1, "個人住民税の普通徴収", "納付書で納めます。")
        index.apply([renamed, DOCS[1]], [2, 3], position=5)
        assert index.doc_count() == 1
        assert index.position == 10
        assert ids(index.search("特別徴収")) == []
        assert ids(index.search("普通徴収")) == [1]
        index.apply([], [1])
        assert index.doc_count() == 0
        assert index.position == 10


def test_similar_questions_while_typing_a_title(index):
    hits = index.similar("住民税の特別徴収はいつ？")
    assert hits[0].question_id == 1
    assert "<mark>特別徴収</mark>" in hits[0].title_html
    assert [h.question_id for h in index.similar("国民健康保険の減免基準", limit=1)] == [7]
    assert 7 not in [h.question_id for h in index.similar("国民健康保険の減免基準", exclude_id=7)]
    assert index.similar("。、！") == []
    plain = index.similar("住民税の特別徴収はいつ？", highlight=False)
    assert [h.question_id for h in plain] == [h.question_id for h in hits]
    assert "<mark>" not in plain[0].title_html and plain[0].snippet_html == ""


def test_similar_questions_skip_words_most_questions_share(monkeypatch):
    """Related questions score only the distinctive words once a word is in most questions
    (the cost of a question page at scale), and still find the question sharing them."""
    monkeypatch.setattr(search.index, "SIMILAR_COMMON_MIN_DOCS", 1)
    common = [question(n, f"事業の実施状況その{n}", "事業の概要と実施状況を報告します。") for n in range(1, 30)]
    target = question(30, "ふるさと納税の返礼品事業の実施状況", "返礼品の調達と寄附の受付について。")
    with SearchIndex.in_memory() as index:
        index.apply([*common, target], [])
        hits = index.similar("ふるさと納税の返礼品を見直す事業の実施状況")
        assert hits[0].question_id == 30
        assert "<mark>ふるさと納税</mark>" in hits[0].title_html and "<mark>実施" not in hits[0].title_html
        # Only common words: the rarest few still find something.
        assert index.similar("事業の実施状況")


def test_snippets_of_long_posts_are_short_windows_around_the_best_sentence():
    filler = "本市では各種の行政手続きを順次オンライン化しています。" * 30
    long_question = question(
        1,
        "電子申請の導入",
        filler + "マイナンバーカードによる本人確認の手順は次のとおりです。" + filler,
        answers=[
            answer(11, filler + "窓口の手順を説明します。"),
            answer(12, "ｶｰﾄﾞの読み取りには対応端末が必要です。マイナンバーカードによる本人確認ができます。"),
        ],
    )
    with SearchIndex.in_memory() as index:
        index.apply([long_question], [])
        body_hit = index.search("本人確認 手順").hits[0]
        answer_hit = index.search("本人確認 端末").hits[0]
    assert body_hit.answer_id is None
    assert body_hit.snippet_html.startswith("…") and body_hit.snippet_html.endswith("…")
    assert "<mark>本人確認</mark>の<mark>手順</mark>" in body_hit.snippet_html
    assert len(body_hit.snippet_html.replace("<mark>", "").replace("</mark>", "")) <= 162
    assert answer_hit.answer_id == 12  # both words, where the body has only one
    assert answer_hit.snippet_html == (
        "ｶｰﾄﾞの読み取りには対応<mark>端末</mark>が必要です。マイナンバーカードによる<mark>本人確認</mark>ができます。"
    )


def test_totals_of_large_results_count_every_segment_filter_mask_and_deletion():
    docs = [
        question(n, f"公文書管理 第{n}号", "保存期間の確認", tags=["文書" if n % 2 else "総務"], score=n % 7)
        for n in range(1, 301)
    ]
    with SearchIndex.in_memory() as index:
        index.apply(docs[:150], [])
        index.apply(docs[150:], [])  # a second segment
        index.apply([], range(1, 21))  # deletions inside the first
        assert index.search("公文書管理").total == 280
        assert index.search("公文書管理 [文書]").total == 140
        assert index.search("公文書管理 -[文書]").total == 140
        assert index.search("公文書管理 保存期間 score:3").total == sum(1 for d in docs[20:] if d.score >= 3)
        page = index.search("公文書管理", page=14, per_page=20)
        assert (len(page.hits), page.pages) == (20, 14)
        assert index.search("公文書管理", page=15, per_page=20).hits == []


def test_title_outranks_tags_body_and_answers():
    docs = [
        question(1, "庁舎の清掃", "委託契約の更新について。", answers=[answer(11, "指定管理の範囲です。")]),
        question(2, "庁舎の清掃", "指定管理の範囲を確認したい。"),
        question(3, "庁舎の清掃", "委託契約の更新。", tags=["指定管理"]),
        question(4, "指定管理の更新", "委託契約の更新。"),
    ]
    with SearchIndex.in_memory() as index:
        index.apply(docs, [])
        assert ids(index.search("指定管理")) == [4, 3, 2, 1]


def test_scopes_follow_synonyms_into_the_part_they_name(index):
    synonyms = [["国保", "国民健康保険"]]
    assert ids(index.search("is:question 国保", sort="newest", synonyms=synonyms)) == [7, 6]
    assert ids(index.search("is:answer 国保", synonyms=synonyms)) == []


def test_deep_pages_are_not_ranked_but_the_total_stays_true(monkeypatch):
    monkeypatch.setattr(search.index, "MAX_RESULTS", 40)
    docs = [question(n, f"議会答弁 第{n}号", "答弁書の作成") for n in range(1, 61)]
    with SearchIndex.in_memory() as index:
        index.apply(docs, [])
        served = index.search("答弁", page=2, per_page=20)  # results 21-40
        beyond = index.search("答弁", page=3, per_page=20)  # 41-60: past MAX_RESULTS
        absurd = index.search("答弁", page=10**9, per_page=20)
    assert (len(served.hits), served.total) == (20, 60)
    assert (beyond.hits, beyond.total, beyond.pages) == ([], 60, 3)
    assert (absurd.hits, absurd.total) == ([], 60)


def test_phrases_are_checked_in_the_best_candidates_only_past_the_limit(monkeypatch):
    """Each candidate of an "exact phrase" is checked on its stored text: past
    PHRASE_CHECK_LIMIT candidates only the best ones are, and the page says so."""
    monkeypatch.setattr(search.index, "PHRASE_CHECK_LIMIT", 5)
    # 12 questions with both words (more of them in some titles), the odd ones with the phrase.
    docs = [
        question(
            n,
            f"第{n}号 " + "税額の確認と通知 " * (n % 4),
            "税額通知の様式" if n % 2 else "通知と税額の様式",
            tags=["様式"] if n in (3, 4) else [],
        )
        for n in range(1, 13)
    ]
    with SearchIndex.in_memory() as index:
        index.apply(docs, [])
        limited = index.search('"税額通知"')
        few = index.search('"税額通知" [様式]')  # 2 candidates: every one checked
    assert limited.phrases_checked_in == 5
    checked = {hit.question_id for hit in limited.hits}
    assert checked and checked <= {n for n in range(1, 13) if n % 2}
    assert limited.total == len(checked) <= 5
    assert (few.phrases_checked_in, [h.question_id for h in few.hits]) == (None, [3])
