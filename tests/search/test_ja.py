"""The analyzers: terms, offsets into the original text, robustness, pickling, threads."""

import pickle
import threading

import pytest

from search.ja import CJKBigramTokenizer, SudachiTokenizer, bigram_terms, fold, morph_terms
from search.schema import build_schema


def spans(tokenizer, text: str, mode: str = "index") -> list[tuple[str, str]]:
    """(term, the original text the offsets point at) for each token."""
    return [(t.text, text[t.startchar : t.endchar]) for t in tokenizer(text, chars=True, mode=mode)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｶﾞｲﾄﾞﾗｲﾝ", [("ガイドライン", "ｶﾞｲﾄﾞﾗｲﾝ")]),  # half-width kana, voiced marks
        ("附属資料", [("付属", "附属"), ("資料", "資料")]),  # variant kanji -> normalized form
        ("手順①を確認", [("手順", "手順"), ("1", "①"), ("確認", "確認")]),
        ("ＰＣＲ検査", [("pcr検査", "ＰＣＲ検査"), ("pcr", "ＰＣＲ"), ("検査", "検査")]),
        ("令和５年度", [("令和", "令和"), ("5", "５"), ("年度", "年度")]),
        ("㈱😀サーバ", [("サーバー", "サーバ")]),  # symbols and emoji are no terms
    ],
)
def test_morph_terms_are_normalized_and_offsets_point_into_the_original(text, expected):
    assert spans(SudachiTokenizer(), text) == expected


def test_compounds_index_their_parts_but_queries_keep_the_compound():
    index_terms = [term for term, _ in spans(SudachiTokenizer(), "住民税特別徴収")]
    assert {"住民税", "特別徴収", "住民", "税", "特別", "徴収"} <= set(index_terms)
    assert morph_terms("住民税特別徴収") == ["住民税", "特別徴収"]
    assert spans(SudachiTokenizer(), "個人住民税") == [  # the mode-B part too
        ("個人住民税", "個人住民税"),
        ("個人", "個人"),
        ("住民税", "住民税"),
        ("住民", "住民"),
        ("税", "税"),
    ]


def test_particles_auxiliaries_and_formal_nouns_are_not_terms():
    assert morph_terms("住民税の特別徴収について教えてください。こともある") == [
        "住民税",
        "特別徴収",
        "つく",
        "教える",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ゴミ出し", [("ごみ", "ゴミ"), ("み出", "ミ出"), ("出し", "出し")]),  # katakana folds to hiragana
        ("ｺﾞﾐ", [("ごみ", "ｺﾞﾐ")]),
        ("㈱ＰＣＲ", [("pcr", "ＰＣＲ")]),  # ㈱ (a symbol) NFKC-expands to 3 chars; offsets after it hold
        ("①😀検査", [("1", "①"), ("検査", "検査")]),
        ("Python3と附属", [("python", "Python"), ("3", "3"), ("附属", "附属")]),
    ],
)
def test_bigrams_fold_and_keep_offsets_into_the_original(text, expected):
    assert spans(CJKBigramTokenizer(), text) == expected


def test_bigrams_skip_particles_so_spacing_and_の_do_not_matter():
    with_particle = bigram_terms("住民税の特別徴収をしています")
    assert with_particle == ["住民", "民税", "特別", "別徴", "徴収"]
    assert set(with_particle) <= set(bigram_terms("住民税特別徴収"))
    assert fold("ゴミ") == fold("ごみ") == fold("ｺﾞﾐ") == "ごみ"


def test_offsets_stay_right_after_a_long_text_and_mixed_scripts():
    text = "前置き。" * 5000 + "ＤＸ推進の㈱ｶﾞｲﾄﾞﾗｲﾝ😀を改定"  # far over Sudachi's 49,149-byte input limit
    assert spans(SudachiTokenizer(), text)[-4:] == [
        ("dx", "ＤＸ"),
        ("推進", "推進"),
        ("ガイドライン", "ｶﾞｲﾄﾞﾗｲﾝ"),
        ("改定", "改定"),
    ]
    assert spans(CJKBigramTokenizer(), text)[-4:] == [("どら", "ﾄﾞﾗ"), ("らい", "ﾗｲ"), ("いん", "ｲﾝ"), ("改定", "改定")]


def test_one_line_without_punctuation_longer_than_sudachis_limit():
    text = "滞納整理" * 20000  # 80,000 chars, 240 KB, no sentence end
    assert len(morph_terms(text)) >= 20000


def test_lone_surrogates_and_empty_text_do_not_break_analysis():
    assert morph_terms("住民\ud800税") == ["住民", "税"]
    assert morph_terms("") == bigram_terms("") == []
    assert morph_terms("。、！？  \n") == []


def test_schema_with_its_analyzers_survives_pickling():
    schema = build_schema()
    restored = pickle.loads(pickle.dumps(schema))
    assert restored.names() == schema.names()
    assert restored["text"].analyzer == schema["text"].analyzer == SudachiTokenizer()
    assert restored["question_ng"].analyzer == CJKBigramTokenizer() != SudachiTokenizer()
    assert [t.text for t in restored["question_ng"].analyzer("ゴミ")] == ["ごみ"]


def test_four_threads_analyze_at_once_with_the_same_results():
    texts = [f"{n}件目：新型コロナウイルス感染症の予防接種とｶﾞｲﾄﾞﾗｲﾝ、住民税の特別徴収" for n in range(50)]
    expected = [(spans(SudachiTokenizer(), t), spans(CJKBigramTokenizer(), t)) for t in texts]
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            results[worker] = [(spans(SudachiTokenizer(), t), spans(CJKBigramTokenizer(), t)) for t in texts]
        except BaseException as error:  # collected: an exception in a thread would go unseen
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [results[n] for n in range(4)] == [expected] * 4
