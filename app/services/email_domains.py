"""The organization an official e-mail address belongs to, from its domain.

The organization list carries no domains, so they are derived from the standard LGJP patterns
and each body's reading: 川崎市 (かわさきし) → city.kawasaki.lg.jp, 葉山町 → town.hayama.lg.jp,
北海道 → pref.hokkaido.lg.jp, with an optional prefecture label for names that repeat across
prefectures (town.kawasaki.miyagi.lg.jp) and the older city.kawasaki.jp form. A domain that fits
more than one body gives no answer: the guess only pre-fills a form, so silence beats a wrong one.
Coverage over the list: `python -m app.services.email_domains`.
"""

import csv
from collections import defaultdict
from functools import cache
from itertools import product

from app.extensions import db
from app.models import Organization
from app.services.organizations import DATA_FILE

# The first label of the domain, by kind of body.
_PREFIXES = {"prefecture": ("pref", "metro"), "designated_city": ("city",), "city": ("city",),
             "special_ward": ("city",), "town": ("town",), "village": ("vill", "village")}  # fmt: skip
# The reading of the kind word, dropped from the name (かわさきし → かわさき). 北海道 keeps its どう.
_SUFFIXES = {"prefecture": ("けん", "ふ", "と"), "designated_city": ("し",), "city": ("し",),
             "special_ward": ("く",), "town": ("ちょう", "まち"), "village": ("むら", "そん")}  # fmt: skip

_KANA = dict(
    zip(
        "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわゐゑをん"
        "がぎぐげござじずぜぞだぢづでどばびぶべぼぱぴぷぺぽゔ",
        "a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho "
        "ma mi mu me mo ya yu yo ra ri ru re ro wa i e o n ga gi gu ge go za ji zu ze zo da ji zu de do "
        "ba bi bu be bo pa pi pu pe po vu".split(),
        strict=True,
    )
)
_SMALL_Y = {"ゃ": "a", "ゅ": "u", "ょ": "o"}


def _hepburn(kana: str) -> str:
    """Plain Hepburn without long-vowel marks: とうきょう → toukyou (see `_spellings`)."""
    out: list[str] = []
    double_next = False
    for char in kana:
        if char == "っ":
            double_next = True
            continue
        if char in _SMALL_Y and out:
            stem = out.pop()[:-1]  # きゃ → kya, しゃ → sha, っちゃ → tcha
            syllable = (stem if stem.endswith(("sh", "ch", "j")) else stem + "y") + _SMALL_Y[char]
        else:
            syllable = _KANA.get(char, "")
        if double_next and syllable:
            syllable = ("t" if syllable.startswith("ch") else syllable[0]) + syllable
            double_next = False
        out.append(syllable)
    return "".join(out)


def _spellings(kana: str) -> set[str]:
    """The ways a domain may spell the reading: long vowels written or not (とうきょう → tokyo,
    そうむ → soumu; おおさか → osaka), ん before b/m/p as n or m (さんむ → sanmu, sammu)."""
    raw, short = _hepburn(kana), _short(kana)
    spellings = set()
    for word, (before, after) in product((raw, short), (("", ""), ("nb", "mb"), ("nm", "mm"), ("np", "mp"))):
        spellings.add(word.replace(before, after) if before else word)
    return spellings


def _short(kana: str) -> str:
    return _hepburn(kana).replace("ou", "o").replace("oo", "o").replace("uu", "u")


def _stem(kind: str, kana: str) -> str:
    for suffix in _SUFFIXES.get(kind, ()):
        if kana.endswith(suffix) and len(kana) > len(suffix):
            return kana[: -len(suffix)]
    return kana


@cache
def _index() -> dict[tuple[str, str], list[tuple[str, frozenset[str]]]]:
    """(prefix, name label) → [(code, the prefecture's spellings)], from the organization list."""
    with DATA_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    prefectures = {row["code"]: frozenset(_spellings(_stem("prefecture", row["kana"]))) for row in rows if row["kind"] == "prefecture"}
    index: dict[tuple[str, str], list[tuple[str, frozenset[str]]]] = defaultdict(list)
    for row in rows:
        for prefix in _PREFIXES.get(row["kind"], ()):
            for label in _spellings(_stem(row["kind"], row["kana"])):
                index[prefix, label].append((row["code"], prefectures.get(row["prefecture_code"], frozenset())))
    return dict(index)


def organization_code_for_domain(domain: str) -> str | None:
    """The code of the one body the domain fits, else None."""
    labels = domain.lower().strip(".").split(".")
    if labels[-2:] == ["lg", "jp"]:
        labels = labels[:-2]
    elif labels[-1:] == ["jp"]:
        labels = labels[:-1]
    else:
        return None
    # Mail servers and divisions sit in front (mail.city.kawasaki.lg.jp): find the kind label.
    for position, label in enumerate(labels[:-1]):
        candidates = _index().get((label, labels[position + 1]))
        if candidates:
            rest = labels[position + 2 :]
            if len(rest) > 1:
                return None
            if rest:  # a prefecture label: city.fuchu.tokyo.lg.jp
                candidates = [candidate for candidate in candidates if rest[0] in candidate[1]]
            codes = {code for code, _ in candidates}
            return codes.pop() if len(codes) == 1 else None
    return None


def organization_for_email(email: str) -> Organization | None:
    """The body an address belongs to, checked against the organization table."""
    domain = email.rpartition("@")[2]
    code = organization_code_for_domain(domain) if domain else None
    return db.session.get(Organization, code) if code else None


def coverage() -> tuple[int, int, int]:
    """(local governments, found by city.X.lg.jp alone, found with the prefecture label too)."""
    with DATA_FILE.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["kind"] in _PREFIXES]
    prefecture_label = {row["code"]: _short(_stem("prefecture", row["kana"])) for row in rows if row["kind"] == "prefecture"}
    short = qualified = 0
    for row in rows:
        prefix = _PREFIXES[row["kind"]][0]
        label = _short(_stem(row["kind"], row["kana"]))
        short += organization_code_for_domain(f"{prefix}.{label}.lg.jp") == row["code"]
        qualified += (
            organization_code_for_domain(f"{prefix}.{label}.lg.jp") == row["code"]
            or organization_code_for_domain(f"{prefix}.{label}.{prefecture_label[row['prefecture_code']]}.lg.jp") == row["code"]
        )
    return len(rows), short, qualified


if __name__ == "__main__":
    total, short, qualified = coverage()
    print(f"local governments: {total}")
    print(f"resolved from <kind>.<name>.lg.jp alone: {short} ({short / total:.1%})")
    print(f"resolved with the prefecture label where needed: {qualified} ({qualified / total:.1%})")
