"""Relevance: the hybrid of lexical and meaning scores, the floor under partial matches, and
related questions that share what makes a title specific."""

from datetime import datetime, timedelta

from search import QuestionDocument, SearchIndex, meaning
from search.index import PARTIAL_FLOOR

START = datetime(2025, 4, 1, 9, 0)


def question(id: int, title: str, body: str = "", tags=()) -> QuestionDocument:
    return QuestionDocument(
        id=id,
        title=title,
        body=body,
        tags=tuple(tags),
        author_id=1,
        org_code=None,
        created_at=START + timedelta(days=id),
    )


def build(docs: list[QuestionDocument]) -> SearchIndex:
    index = SearchIndex.in_memory()
    index.apply(docs, [])
    return index


def ids(page) -> list[int]:
    return [hit.question_id for hit in page.hits]


def test_meaning_lifts_the_answer_in_other_words():
    # Both share only 書類 with the question; 捺印 and 押印 share a vector, 保存年限 does not.
    index = build(
        [
            question(1, "書類の保存年限", "文書管理規程で保存年限を決めています。"),
            question(2, "書類への捺印が必要な手続き", "申請書の捺印を省略できるか検討しています。"),
        ]
    )
    page = index.search("書類などに押印するものは。")
    assert ids(page) == [2, 1]
    assert all(hit.partial for hit in page.hits)


def test_the_stored_vector_is_the_documents_meaning():
    index = build([question(1, "押印の省略", "申請書への押印を廃止しました。")])

    def stored(searcher, _vectors):
        column = searcher.reader().column_reader("meaning")
        return meaning.decode([column[0]])[0]

    vector = index._read(stored)
    assert vector @ meaning.vector_for("捺印") > 0.5
    assert vector @ meaning.vector_for("猫") < 0.3


def test_partial_matches_need_half_the_best_score():
    assert PARTIAL_FLOOR == 0.5
    docs = [question(n, f"滞納処分と差押えの手順 その{n}", "滞納処分の執行停止と差押えの解除") for n in range(1, 4)]
    docs.append(question(9, "PFASの水質検査の手順", "検査の手順と公表の方法"))  # shares only 手順
    page = build(docs).search("滞納処分 差押え 手順")
    assert sorted(ids(page)) == [1, 2, 3]  # not the PFAS question
    assert page.total == 3


def test_a_strong_partial_match_joins_the_complete_ones():
    # The title says it all but lacks one word of the query; it ranks among the complete
    # matches, marked partial.
    docs = [question(n, f"窓口の案内 その{n}", "総合窓口の受付時間") for n in range(1, 12)]
    docs.append(question(20, "国民健康保険税の減免申請", "国民健康保険税の減免申請の窓口と必要な書類"))
    page = build(docs).search("国民健康保険税 減免申請 受付時間")
    assert 20 in ids(page)
    assert next(hit for hit in page.hits if hit.question_id == 20).partial


def test_related_questions_share_what_makes_the_title_specific():
    others = [
        "医薬品の輸入",
        "建築確認申請の手数料",
        "住民票の写しの交付",
        "介護認定の結果",
        "課税証明の様式",
        "選挙人名簿",
    ]
    others += ["道路占用の許可", "農地転用の届出", "児童手当の現況届", "下水道の使用料", "公印の管理", "火葬許可の申請"]
    others += [f"様式第{n}号" for n in range(1, 40)]  # the floor needs SIMILAR_FLOOR_MIN_DOCS questions
    index = build(
        [
            question(1, "分納誓約書を取るときの注意点"),
            question(2, "分納誓約の不履行が続いたときの対応"),
            *(question(10 + n, f"{topic}の確認について") for n, topic in enumerate(others)),
        ]
    )
    related = index.similar("分納誓約の期間の確認について", highlight=False)
    assert [hit.question_id for hit in related] == [2, 1]  # not those sharing only 確認について
