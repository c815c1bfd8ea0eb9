"""Text hygiene for everything people type (SECURITY.md UNI-*): one place, used by services."""

import re
import unicodedata

# C0/C1 controls except tab and newline, lone surrogates, bidi overrides/isolates (Trojan Source),
# and invisible characters that make equal-looking strings differ. ZWJ (U+200D) stays: emoji need it.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\u2060\ufeff]"
)
_SPACES = re.compile(r"[ \t\u3000]+")


def clean_text(value: str) -> str:
    """Remove characters that are never legitimate in a post; unify newlines."""
    return _UNSAFE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def clean_line(value: str) -> str:
    """A single-line field (title, name, department): cleaned, newlines folded, trimmed."""
    return " ".join(clean_text(value).split())


def normalize_key(value: str) -> str:
    """Matching key: NFKC (full-width → half-width, half-width kana → full-width), lower-case,
    single spaces. Ｐｙｔｈｏｎ → python, ｶﾞｲﾄﾞ → ガイド, ２０２４ → 2024."""
    folded = unicodedata.normalize("NFKC", clean_text(value)).lower()
    return _SPACES.sub(" ", folded).strip()


def to_hiragana(value: str) -> str:
    """Katakana → hiragana, so よこはま, ヨコハマ and ﾖｺﾊﾏ match the same kana."""
    folded = unicodedata.normalize("NFKC", value)
    return "".join(chr(ord(ch) - 0x60) if "\u30a1" <= ch <= "\u30f6" else ch for ch in folded)


def slugify(title: str, max_length: int = 60) -> str:
    """URL slug that keeps Japanese: 「住民税の特別徴収（２０２５年度）」 → 住民税の特別徴収-2025年度."""
    folded = unicodedata.normalize("NFKC", clean_text(title)).lower()
    words = re.findall(r"[\w\u3005\u30fc]+", folded)
    slug = "-".join(words)[:max_length].strip("-")
    return slug or "question"
