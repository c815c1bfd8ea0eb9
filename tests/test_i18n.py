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

from app.services import accounts
from tests import factories
from tests.factories import make_answer, make_question

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


@pytest.mark.parametrize(
    ("header", "lang"),
    [("en", "en"), ("en-US,en;q=0.9", "en"), ("ja,en;q=0.8", "ja"), ("fr-FR,fr;q=0.9", "ja"), (None, "ja")],
)
def test_a_first_visit_follows_accept_language(client, compiled_catalog, header, lang):
    headers = {"Accept-Language": header} if header else {}
    html = client.get("/login", headers=headers).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert ("Log in" if lang == "en" else "ログイン") in html


def test_a_chosen_language_wins_over_accept_language(client, compiled_catalog, carol):
    client.set_cookie("zennin_lang", "ja")
    assert '<html lang="ja">' in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    client.delete_cookie("zennin_lang")
    accounts.set_locale(carol, "ja")
    factories.login(client, carol)
    assert '<html lang="ja">' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_compiled_catalog_is_fresh(compiled_catalog):
    assert compiled_catalog.exists()
    assert compiled_catalog.stat().st_mtime >= i18n.po_path("en").stat().st_mtime


def test_no_japanese_left_in_english_translations_except_examples(en_catalog):
    """Translations may quote Japanese examples and names, but a fully Japanese msgstr is a slip."""
    kana = re.compile(r"[\u3040-\u30ff]")
    latin = re.compile(r"[A-Za-z]")
    suspicious = [
        str(m.id) for m in en_catalog for text in i18n._texts(m.string) if m.id and kana.search(text) and not latin.search(text)
    ]
    assert not suspicious, "Translations with no English in them:\n" + "\n".join(suspicious)


def test_english_counts_use_plural_forms(member_client, compiled_catalog, alice, bob):
    one = make_question(alice, title="特別徴収の切替について（回答ひとつ）")
    make_answer(bob, one, "普通徴収への切替は異動届出書で行います。")
    two = make_question(alice, title="督促状の発送時期について（回答ふたつ）")
    make_answer(bob, two, "納期限後20日以内に発します。")
    make_answer(alice, two, "地方税法に定めがあります。")
    member_client.set_cookie("zennin_lang", "en")
    listing = member_client.get("/questions?tab=newest").get_data(as_text=True)
    assert "<strong>1</strong> answer<" in listing and "<strong>2</strong> answers<" in listing
    assert "<strong>0</strong> votes<" in listing and "<strong>1</strong> votes<" not in listing
    assert "2 questions" in listing
    assert "1 Answer<" in member_client.get(f"/questions/{one.id}", follow_redirects=True).get_data(as_text=True)
    assert "2 Answers<" in member_client.get(f"/questions/{two.id}", follow_redirects=True).get_data(as_text=True)


def test_japanese_counts_are_unchanged(member_client, alice):
    make_question(alice)
    listing = member_client.get("/questions").get_data(as_text=True)
    assert "<strong>0</strong> 回答" in listing and "<strong>0</strong> 票" in listing and "1件" in listing
