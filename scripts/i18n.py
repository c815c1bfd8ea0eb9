"""Keep the English catalog in step with the Japanese msgids in the code.

Run from anywhere (paths are resolved from the repository root)::

    .venv/bin/python scripts/i18n.py extract   # code -> app/translations/messages.pot -> update en/messages.po
    .venv/bin/python scripts/i18n.py check     # exit 1 listing msgids with no (or a fuzzy) English translation
    .venv/bin/python scripts/i18n.py compile   # .po -> .mo, as `make translations` does

Japanese is the source language: the msgids are the Japanese UI text, so only ``en`` has a
catalog. After ``extract``, translate the new or changed entries in
``app/translations/en/LC_MESSAGES/messages.po`` (changed strings come back marked ``#, fuzzy``
with the old translation as a suggestion: fix it and delete the ``fuzzy`` flag), then ``check``.
``tests/test_i18n.py`` runs the same check against a fresh extraction.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parent.parent
MAPPING = REPO / "babel.cfg"
TRANSLATIONS = REPO / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("en",)
# pybabel's spelling: a bare `ngettext` would override the default `ngettext:1,2` and lose the plural.
KEYWORDS = ("_", "gettext", "lazy_gettext", "_l", "ngettext:1,2")

# printf-style conversions as Python's % operator reads them (and Jinja's newstyle gettext,
# which applies % to every translated template string, even one without variables).
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def mo_path(locale: str) -> Path:
    return po_path(locale).with_suffix(".mo")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", *args], cwd=REPO, check=True)


def extract_to(pot: Path) -> None:
    """Extract every msgid under app/ (per babel.cfg) into ``pot``."""
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    header = ["--project", "Zennin", "--copyright-holder", "Zennin developers"]
    pot.parent.mkdir(parents=True, exist_ok=True)
    _pybabel("extract", "-F", str(MAPPING), *keywords, *header, "--add-comments", "TRANSLATORS:", "-o", str(pot), ".")


def extract() -> None:
    extract_to(POT)
    for locale in LOCALES:
        _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale, "--init-missing", "--ignore-obsolete")


def compile_catalogs(only_if_stale: bool = False) -> list[Path]:
    """Write each locale's .mo next to its .po (atomically: parallel test workers may read it)."""
    written = []
    for locale in LOCALES:
        po, mo = po_path(locale), mo_path(locale)
        if only_if_stale and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
        try:
            with os.fdopen(fd, "wb") as f:
                write_mo(f, catalog, use_fuzzy=True)  # as `make translations` (--use-fuzzy)
            os.replace(tmp, mo)
        except BaseException:
            os.unlink(tmp)
            raise
        written.append(mo)
    return written


def _load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _texts(value: str | tuple | list | None) -> list[str]:
    if value is None:
        return [""]
    return list(value) if isinstance(value, tuple | list) else [value]


def untranslated(pot: Catalog, catalog: Catalog) -> list[str]:
    """msgids of ``pot`` whose translation in ``catalog`` is missing, empty or fuzzy."""
    problems = []
    for message in pot:
        if not message.id:
            continue
        translated: Message | None = catalog.get(message.id, message.context)
        if translated is None:
            problems.append(f"{_label(message)}  (not in the catalog)")
        elif translated.fuzzy:
            problems.append(f"{_label(message)}  (fuzzy)")
        elif not all(text.strip() for text in _texts(translated.string)):
            problems.append(f"{_label(message)}  (empty)")
    return problems


def placeholders(text: str) -> Counter:
    return Counter(match.group(0) for match in PLACEHOLDER.finditer(text) if match.group("type") != "%")


def placeholder_mismatches(catalog: Catalog) -> list[str]:
    """Translations whose %(name)s placeholders differ from the msgid's, or with a stray %."""
    problems = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        source = placeholders(_texts(message.id)[0])
        if isinstance(message.id, tuple | list):  # plural: the plural msgid may add %(num)d
            source |= placeholders(message.id[1])
        for text in _texts(message.string):
            found = placeholders(text)
            stray = PLACEHOLDER.sub("", text)
            if found != source and not (isinstance(message.id, tuple | list) and set(found) <= set(source)):
                expected, got = sorted(source.elements()), sorted(found.elements())
                problems.append(f"{_label(message)}: expects {expected}, got {got}")
            elif "%" in stray:
                problems.append(f"{_label(message)}: stray % in {text!r} (write %% for a literal percent sign)")
    return problems


def _label(message: Message) -> str:
    msgid = _texts(message.id)[0]
    where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
    return f"{msgid!r}" + (f" [{where}]" if where else "")


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        pot_file = Path(tmp) / "messages.pot"
        extract_to(pot_file)
        pot = _load(pot_file)
    status = 0
    for locale in LOCALES:
        catalog = _load(po_path(locale), locale)
        problems = untranslated(pot, catalog) + placeholder_mismatches(catalog)
        if problems:
            status = 1
            print(f"{po_path(locale).relative_to(REPO)}: {len(problems)} problem(s)", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
    if status:
        hint = "Run `.venv/bin/python scripts/i18n.py extract`, translate the entries above, then check again."
        print(hint, file=sys.stderr)
    else:
        print(f"{len([m for m in pot if m.id])} messages, all translated ({', '.join(LOCALES)}).")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("extract", "check", "compile"))
    command = parser.parse_args(argv).command
    if command == "extract":
        extract()
        print(f"Updated {POT.relative_to(REPO)} and the {', '.join(LOCALES)} catalog. Translate, then run `check`.")
        return 0
    if command == "compile":
        for mo in compile_catalogs():
            print(f"Wrote {mo.relative_to(REPO)}")
        return 0
    return check()


if __name__ == "__main__":
    sys.exit(main())
