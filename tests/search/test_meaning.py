"""search.meaning: ginza's chiVe vectors read without spaCy (needs ``ja-ginza`` installed --no-deps)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from search import meaning


@pytest.fixture
def without_ginza(monkeypatch):
    """search.meaning as in a process where ja-ginza is not installed."""
    monkeypatch.setattr(meaning, "PACKAGE", "ja_ginza_not_installed")
    meaning._table.cache_clear()
    meaning.row_for.cache_clear()
    yield
    monkeypatch.undo()
    meaning._table.cache_clear()
    meaning.row_for.cache_clear()


def test_hash_matches_the_keys_of_the_strings_spacy_stored():
    strings = json.loads((meaning.vocab_dir() / "strings.json").read_text(encoding="utf-8"))
    sample = [s for s in strings if s in {"押印", "税", "生活保護", "AI", "滑走路", "地方債", "する"}]
    assert len(sample) == 7
    keys = meaning._table().keys
    for text in sample:
        key = np.uint64(meaning.string_key(text))
        assert keys[np.searchsorted(keys, key)] == key, text
    # Over a spread of the store (1-byte to 4-byte characters, all tail lengths), most strings
    # are vector keys: a wrong hash would find none.
    spread = strings[::500]
    found = np.isin(np.array([meaning.string_key(s) for s in spread], dtype=np.uint64), keys)
    assert found.mean() > 0.7
    assert {len(s.encode()) % 8 for s, hit in zip(spread, found, strict=True) if hit} == set(range(8))


def test_parse_key2row_reads_every_msgpack_uint_width():
    # map16 of 3 entries: fixint key/fixint row, uint16 key/uint8 row, uint64 key/uint16 row
    data = bytes.fromhex("de00030507cd0102cc90cf" + "ff" * 8 + "cd4e1f")
    keys, rows = meaning.parse_key2row(data)
    assert keys.tolist() == [5, 0x0102, 2**64 - 1]
    assert rows.tolist() == [7, 0x90, 0x4E1F]
    with pytest.raises(ValueError):
        meaning.parse_key2row(data + b"\x00")


def test_table_is_the_whole_map_and_rows_index_the_vectors():
    table = meaning._table()
    assert len(table.keys) == 480_443
    assert np.all(np.diff(table.keys) > 0)
    assert table.rows.min() == 0 and table.rows.max() == len(table.vectors) - 1
    assert isinstance(table.vectors, np.memmap)


def test_vectors_are_unit_length_and_related_words_are_closer():
    vector = meaning.vector_for("滑走路")
    assert vector.shape == (300,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5
    assert meaning.similarity("滑走路", "空港") > meaning.similarity("税", "猫") + 0.3
    assert meaning.similarity("押印", "捺印") > 0.9
    assert meaning.similarity("住民税", "固定資産税") > meaning.similarity("住民税", "猫")


def test_index_terms_are_found_in_their_other_spellings():
    assert meaning.row_for("ai") == meaning.row_for("AI") is not None  # lower-cased in the index
    assert meaning.row_for("通じる") == meaning._row("通ずる") is not None
    assert meaning.row_for("向ける") == meaning._row("向け") is not None


def test_text_vector_is_the_normalized_weighted_mean():
    one = meaning.text_vector(["空港"])
    assert np.allclose(one, meaning.vector_for("空港"))
    both = meaning.text_vector(["空港", "猫", "ぬるぽがっ"], [3.0, 1.0, 5.0])
    expected = 3 * meaning.vector_for("空港") + meaning.vector_for("猫")
    assert np.allclose(both, expected / np.linalg.norm(expected), atol=1e-6)
    assert meaning.text_vector(["空港", "猫"]) @ meaning.vector_for("空港") > 0.5


def test_unknown_words_have_no_vector():
    assert meaning.vector_for("ぬるぽがっ") is None
    assert meaning.vector_for("") is None
    assert meaning.text_vector(["ぬるぽがっ", "zzqxzzqx"], [1.0, 2.0]) is None
    assert meaning.text_vector([]) is None
    with pytest.raises(ValueError):
        meaning.text_vector(["税"], [1.0, 2.0])


def test_without_the_package_everything_is_unavailable(without_ginza):
    assert meaning.vocab_dir() is None
    assert not meaning.available()
    assert meaning.vector_for("税") is None
    assert meaning.text_vector(["税", "猫"]) is None
    assert meaning.similarity("税", "猫") is None


def test_rarity_weighs_the_rare_words_of_a_document_up():
    collection = [[("住民税の申告", 1.0)], [("住民税の納付", 1.0)], [("住民税と空港の騒音", 1.0)]]
    rarity = meaning.Rarity.of_texts(collection)
    assert rarity("空港") > rarity("住民税")
    assert rarity("みたことのない語") == rarity("空港")  # unseen: as rare as a word of one document
    parts = [("住民税と空港", 1.0)]
    plain = meaning.decode([meaning.document_vector(parts, None)])[0]
    weighted = meaning.decode([meaning.document_vector(parts, rarity)])[0]
    airport = meaning.vector_for("空港")
    assert weighted @ airport > plain @ airport
    assert meaning.document_vector([("", 1.0)], rarity) == meaning.NO_VECTOR
