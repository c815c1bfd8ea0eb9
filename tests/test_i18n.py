"""The English catalog: complete for every msgid in the code, placeholders intact, served on request.

Japanese is the source language (the msgids), so only ``en`` has a catalog. When the first test
here fails, run ``.venv/bin/python scripts/i18n.py extract`` and translate the listed entries in
app/translations/en/LC_MESSAGES/messages.po.
"""

import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parent.parent


def _load_helper():
    spec = importlib.util.spec_from_file_location("zennin_i18n_script", REPO / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


i18n = _load_helper()
FIX = "Run `.venv/bin/python scripts/i18n.py extract`, translate these in app/translations/en/LC_MESSAGES/messages.po"


def _read(path: Path, locale: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


@pytest.fixture(scope="module")
def en_catalog():
    return _read(i18n.po_path("en"), "en")


@pytest.fixture(scope="module")
def fresh_pot(tmp_path_factory):
    """The msgids in the code right now, extracted with the same babel.cfg and keywords as the script."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    i18n.extract_to(pot)
    return _read(pot)


@pytest.fixture(scope="module")
def compiled_catalog():
    """What `make translations` does, only when the .mo is missing or older than the .po."""
    i18n.compile_catalogs(only_if_stale=True)
    return i18n.mo_path("en")


def test_extraction_finds_the_ui_strings(fresh_pot):
    msgids = {message.id for message in fresh_pot if message.id}
    # one from each extractor and keyword: a template, gettext in Python, lazy_gettext in a form
    assert {"ログイン", "ページが見つかりません", "メールアドレス"} <= msgids
    assert len(msgids) > 200


def test_every_msgid_in_the_code_has_an_english_translation(fresh_pot, en_catalog):
    problems = i18n.untranslated(fresh_pot, en_catalog)
    assert not problems, f"{len(problems)} msgid(s) without an English translation. {FIX}:\n" + "\n".join(problems)


def test_no_fuzzy_or_empty_entries_left_in_the_catalog(en_catalog):
    leftovers = [m.id for m in en_catalog if m.id and (m.fuzzy or not m.string)]
    assert not leftovers, f"Fuzzy or empty entries in the en catalog. {FIX}:\n" + "\n".join(map(repr, leftovers))


def test_translations_keep_the_placeholders(en_catalog):
    problems = i18n.placeholder_mismatches(en_catalog)
    assert not problems, "Placeholders differ between msgid and translation:\n" + "\n".join(problems)


def test_placeholder_check_catches_mistakes():
    assert i18n.placeholders("%(n)d分前") == i18n.placeholders("%(n)dm ago")
    assert i18n.placeholders("%(n)d件") != i18n.placeholders("%(count)d items")
    assert i18n.placeholders("%(n)d件") != i18n.placeholders("%(n)s items")
    assert i18n.placeholders("100%% done") == i18n.placeholders("done")


def test_translations_keep_line_structure_of_emails(en_catalog):
    for message in en_catalog:
        if message.id and "\n\n" in message.id:
            assert message.string.count("\n\n") == message.id.count("\n\n"), message.id


def test_japanese_is_the_default(client, compiled_catalog):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="ja">' in html
    assert "ログイン" in html
    assert "Log in" not in html


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ["Your predecessors' know-how", "Sign up", "Language"]),  # the front door (members-only)
        ("/login", ["Log in", "Email address", "Password", "Keep me logged in", "Forgot your password?"]),
    ],
)
def test_english_with_the_language_cookie(client, compiled_catalog, path, expected):
    client.set_cookie("zennin_lang", "en")
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en">' in html
    for text in expected:
        assert text in html, f"{text!r} not on {path} in English"
    # the page chrome is no longer Japanese (user content and the brand may still be)
    for japanese in ("ログイン", "新規登録", "表示言語", "検索"):
        assert japanese not in html, f"{japanese!r} left untranslated on {path}"


def test_an_unknown_language_cookie_falls_back_to_japanese(client, compiled_catalog):
    client.set_cookie("zennin_lang", "fr")
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert "ログイン" in html


def test_compiled_catalog_is_fresh(compiled_catalog):
    assert compiled_catalog.exists()
    assert compiled_catalog.stat().st_mtime >= i18n.po_path("en").stat().st_mtime


def test_no_japanese_left_in_english_translations_except_examples(en_catalog):
    """Translations may quote Japanese examples and names, but a fully Japanese msgstr is a slip."""
    kana = re.compile(r"[\u3040-\u30ff]")
    latin = re.compile(r"[A-Za-z]")
    def text(value) -> str:  # a plural's msgid and msgstr are tuples
        return " ".join(value) if isinstance(value, tuple) else value

    suspicious = [text(m.id) for m in en_catalog if m.id and kana.search(text(m.string)) and not latin.search(text(m.string))]
    assert not suspicious, "Translations with no English in them:\n" + "\n".join(suspicious)
