"""The full rebuild's fast paths index exactly what the straightforward ones do.

The rebuild analyzes with ``index_terms`` (no Whoosh Token objects, Sudachi words cached)
and writes with ``search.codec.BulkWriter`` (postings pooled by term, rare terms inlined).
Each is compared here with the plain path: Sudachi and Whoosh's Token path for the terms,
Whoosh's own SegmentWriter for the files and for what a built index answers.
"""

import unicodedata
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from whoosh import qparser
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

import search.codec as search_codec
import search.ja as ja
from search import AnswerDocument, QuestionDocument, SearchIndex, rebuild_index
from search.codec import BulkWriter, ZenninCodec
from search.schema import QUESTION_BIGRAMS, build_schema, document_fields

TEXTS = [
    "ｶﾞｲﾄﾞﾗｲﾝとガイドラインの改定",  # half- and full-width: one dictionary word, two surfaces
    "ガス料金とｶﾞｽ料金、ｺﾝﾋﾟｭｰﾀｰｼｽﾃﾑとコンピューターシステム",  # ... whose parts' offsets differ
    "令和２０２６年度の個人住民税特別徴収について",
    "㈱ＰＣＲ検査とPCR検査①②、手順③を確認😀",
    "Python3とDjangoで附属資料を作るにはどうすればよいですか？",
    "税",  # a lone kanji
    "マイナンバーカードの申請はﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ申請と同じ。こともあるため、ものです。",
    "新型コロナウイルス感染症対策本部\n\n評価替えの ゴミ ごみ ｺﾞﾐ",
    "か\u3099ぎ ｶﾞｷﾞ \ud800 ΑΣ Straße ﬁle",  # combining marks, a lone surrogate, special casing
    "前置き。" * 2000 + "ＤＸ推進の㈱ｶﾞｲﾄﾞﾗｲﾝ😀を改定",  # over Sudachi's input limit
]


def reference_morph_spans(text: str) -> list[tuple[str, int, int]]:
    """Index-mode morphological terms as search.ja produced them before the word cache."""
    tokenizer, skip = ja._thread_tokenizer(), ja._skip
    spans = []
    for chunk in ja._CHUNK.finditer(ja._SURROGATE.sub("\ufffd", text)):
        offset = chunk.start()
        for m in tokenizer.tokenize(chunk.group()):
            if skip(m):
                continue
            parts = {}
            if len(m) > 1:
                for mode in "BA":
                    for part in m.split(mode, add_single=False):
                        parts.setdefault((part.begin(), part.end()), part)
            for morpheme in (m, *(p for p in parts.values() if not skip(p))):
                term = unicodedata.normalize("NFKC", morpheme.normalized_form()).lower()
                if term not in ja._STOP_FORMS:
                    spans.append((term, offset + morpheme.begin(), offset + morpheme.end()))
    return spans


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """W3's 128 postings a block, so these corpora's common terms span several blocks."""
    monkeypatch.setattr(search_codec, "BLOCK_LIMIT", 128)


@pytest.fixture
def cold_word_cache():
    ja._words.clear()
    ja._per_thread.recent.clear()
    yield
    ja._per_thread.recent.clear()


def test_cached_words_give_the_terms_and_offsets_sudachi_gives(cold_word_cache):
    tokenizer = ja.SudachiTokenizer()
    for _ in range(2):  # cache misses, then hits
        for text in TEXTS:
            expected = reference_morph_spans(text)
            assert list(tokenizer.spans(text, query=False, offsets=True)) == expected
            assert tokenizer.index_terms(text) == [term for term, _, _ in expected]
            ja._per_thread.recent.clear()


def test_texts_analyzed_ahead_give_what_sudachi_gives(cold_word_cache):
    copies = ["".join(text) for text in TEXTS]  # new objects: nothing of them is memoized
    with ja.analyzed_ahead(copies):
        assert len(ja._per_thread.ahead) == len(TEXTS)
        for text in copies:
            assert list(ja.SudachiTokenizer().spans(text, query=False, offsets=True)) == reference_morph_spans(text)
        assert not ja._per_thread.recent  # every text was found ahead
    assert not ja._per_thread.ahead  # released with the block


@pytest.mark.parametrize("tokenizer", [ja.SudachiTokenizer(), ja.CJKBigramTokenizer()], ids=type)
def test_index_terms_are_the_terms_of_the_token_path(tokenizer, cold_word_cache):
    for text in TEXTS:
        assert tokenizer.index_terms(text) == [token.text for token in tokenizer(text, mode="index")]
    assert tokenizer.index_terms("") == []


def test_weighted_text_index_matches_counting_tokens():
    doc = question(1, "住民税の特別徴収 住民税", "特別徴収の住民税は" * 3 + TEXTS[3], tags=("住民税", "税"))
    doc = QuestionDocument(**{**doc.__dict__, "answers": (AnswerDocument(9, TEXTS[2] + "住民税", 5),)})
    fields = document_fields(doc)
    schema = build_schema()
    for name in ("text", QUESTION_BIGRAMS, "answers_ng"):
        field = schema[name]
        counts, weights = Counter(), Counter()
        for text, weight in fields[name]:
            for token in field.analyzer(text, mode="index"):
                counts[token.text] += 1
                weights[token.text] += weight
        indexed = sorted(field.index(fields[name]))
        assert indexed == sorted((t.encode(), n, weights[t], n.to_bytes(4, "big")) for t, n in counts.items())
        assert any(n > 1 for _, n, _, _ in indexed)


START = datetime(2024, 4, 1, 9, 0)
WORDS = ["住民税", "特別徴収", "ガイドライン", "ｶﾞｲﾄﾞﾗｲﾝ", "附属資料", "ＰＣＲ検査", "ゴミ出し", "個人番号", "税額通知"]


def question(id: int, title: str, body: str, tags=()) -> QuestionDocument:
    return QuestionDocument(
        id=id,
        title=title,
        body=body,
        tags=tuple(tags),
        author_id=id % 7,
        org_code=None if id % 5 == 0 else f"{id % 3:06d}",
        created_at=START + timedelta(hours=id),
        score=id % 4 - 1,
    )


def corpus(count: int = 320) -> list[QuestionDocument]:
    """Terms in every document (several posting blocks), in a few, and in one."""
    docs = []
    for i in range(count):
        common = "の".join(WORDS[j % len(WORDS)] for j in range(i % 4 + 1))
        rare = "".join(WORDS[(i * j) % len(WORDS)] for j in range(3)) if i % 9 == 0 else ""
        answers = tuple(AnswerDocument(10_000 + i * 3 + k, f"回答{k}：{WORDS[k]}{i}番", 100 + k) for k in range(i % 3))
        doc = question(
            i + 1, f"{WORDS[i % len(WORDS)]}について{i}", f"{common}を確認。{rare}整理番号{i}", (WORDS[i % 3],)
        )
        docs.append(QuestionDocument(**{**doc.__dict__, "answers": answers, "answer_count": len(answers)}))
    return docs


def build(path: Path, writer_for, docs) -> dict[str, bytes]:
    """Index ``docs`` in one segment; its files by extension (segment names are random)."""
    path.mkdir()
    ix = FileStorage(str(path)).create_index(build_schema())
    writer = writer_for(ix)
    for doc in docs:
        writer.add_document(**document_fields(doc))
    writer.commit(merge=False)
    files = {f.name.split(".", 1)[1]: f.read_bytes() for f in path.glob("MAIN_*.*") if f.is_file()}
    assert {"trm", "pst"} <= files.keys()
    return files


def test_bulk_writer_writes_what_whoosh_writes(tmp_path):
    """BulkWriter's pooling writes the files Whoosh's SegmentWriter writes with ZenninCodec;
    ZenninCodec differs from W3 only in its posting blocks (arrays) and inlined terms."""
    docs = corpus()
    whoosh_w3 = build(tmp_path / "w3", lambda ix: SegmentWriter(ix, codec=W3Codec(), compound=False), docs)
    whoosh_1 = build(tmp_path / "zennin-1", lambda ix: SegmentWriter(ix, codec=ZenninCodec(1), compound=False), docs)
    assert build(tmp_path / "bulk-1", lambda ix: BulkWriter(ix, inlinelimit=1, compound=False), docs) == whoosh_1
    assert whoosh_1["pst"] != whoosh_w3["pst"]
    postings = ("pst", "trm")  # the term table points into the posting file
    assert {k: v for k, v in whoosh_1.items() if k not in postings} == {
        k: v for k, v in whoosh_w3.items() if k not in postings
    }

    whoosh_inlined = build(tmp_path / "zennin", lambda ix: SegmentWriter(ix, codec=ZenninCodec(), compound=False), docs)
    assert len(whoosh_inlined["pst"]) < len(whoosh_1["pst"])
    assert build(tmp_path / "bulk", lambda ix: BulkWriter(ix, compound=False), docs) == whoosh_inlined
    # A pool over its memory limit saves runs and merges them: the same files again.
    spilled = build(tmp_path / "spilled", lambda ix: BulkWriter(ix, limitmb=0.05, compound=False), docs)
    assert spilled == whoosh_inlined
    assert not list((tmp_path / "spilled").glob("*.tmp/*"))  # the runs are deleted


def read_postings(path: Path) -> dict:
    """Every term's document frequency and (question id, weight) postings, field lengths."""
    with FileStorage(str(path)).open_index().searcher() as searcher:
        reader = searcher.reader()
        ids = {n: searcher.stored_fields(n)["id"] for n in range(reader.doc_count_all())}
        postings = {}
        for field, text in reader.all_terms():
            matcher = reader.postings(field, text)
            found = []
            while matcher.is_active():
                found.append((ids[matcher.id()], matcher.weight()))
                matcher.next()
            postings[field, text] = (reader.doc_frequency(field, text), reader.frequency(field, text), found)
        lengths = {(name, ids[n]): reader.doc_field_length(n, name) for name in ("text", "answers_ng") for n in ids}
        return {"postings": postings, "lengths": lengths, "total": reader.field_length("text")}


def search(path: Path, query: str) -> list[tuple[str, float]]:
    ix = FileStorage(str(path)).open_index()
    with ix.searcher() as searcher:
        parsed = qparser.QueryParser("text", ix.schema).parse(query)
        return [(hit["id"], round(hit.score, 9)) for hit in searcher.search(parsed, limit=None)]


def test_a_rebuilt_index_answers_as_a_plain_whoosh_index(tmp_path):
    docs = corpus()
    build(tmp_path / "plain", lambda ix: ix.writer(compound=False), docs)
    rebuild_index(tmp_path / "rebuilt", docs, procs=1)
    rebuilt = (tmp_path / "rebuilt" / "current").resolve()

    plain, ours = read_postings(tmp_path / "plain"), read_postings(rebuilt)
    assert ours == plain
    dfs = [df for df, _, _ in plain["postings"].values()]
    assert min(dfs) == 1 and max(dfs) > 128  # inlined terms and several posting blocks
    for query in ("住民税", "ガイドライン OR 附属資料", "特別徴収 AND 確認", "question_ng:税額", "整理番号"):
        assert search(rebuilt, query) == search(tmp_path / "plain", query)
        assert search(rebuilt, query)


def test_later_commits_merge_a_rebuilt_segment(tmp_path):
    """Small segments are merged on commit, a rebuilt one included: its inlined postings of
    ID and KEYWORD fields (which have no values) must read back as Whoosh's merge expects."""
    docs = corpus(40)
    rebuild_index(tmp_path, docs, procs=1)
    with SearchIndex.open(tmp_path) as index:
        for n in range(12):  # enough commits for Whoosh's policy to merge the first segment
            index.apply([question(900 + n, f"公印の管理 その{n}", "公印規程の改正")], [], timeout=5)
        segments = index._index()._segments()
        assert len(segments) < 13
        assert index.search("公印").total == 12
        assert index.search(f"[{WORDS[0]}]").total == sum(WORDS[0] in doc.tags for doc in docs)
