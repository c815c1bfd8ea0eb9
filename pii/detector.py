"""scan(): every rule over one text, overlaps resolved, offsets into the text as given."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from pii import names, rules
from pii.fold import Folded

CATEGORIES = (
    "my_number",
    "phone",
    "address",
    "email",
    "birth_date",
    "bank_account",
    "insurance_number",
    "pension_number",
    "case_number",
    "person_name",
)

# When two findings overlap, the more specific rule wins: a number after its own label before a
# number read from its shape alone, and those before names.
_PRECEDENCE = {
    category: rank
    for rank, group in enumerate(
        (
            ("my_number", "insurance_number", "pension_number", "case_number", "bank_account"),
            ("email",),
            ("birth_date",),
            ("phone",),
            ("address",),
            ("person_name",),
        )
    )
    for category in group
}

_FOLDED_RULES = (
    rules.my_numbers,
    rules.labelled_numbers,
    rules.bank_accounts,
    rules.emails,
    rules.birth_dates,
    rules.phones,
    rules.addresses,
)


@dataclass(frozen=True)
class Finding:
    """A span of personal information: ``text[start:end]`` of the text given to ``scan``."""

    category: str
    start: int
    end: int


def scan(text: str) -> list[Finding]:
    """The personal information in ``text``, sorted by start, never overlapping."""
    if not text:
        return []
    folded = Folded(text)
    candidates = [
        Finding(category, *folded.span(start, end))
        for rule in _FOLDED_RULES
        for category, start, end in rule(folded.text)
    ]
    candidates += [Finding("person_name", start, end) for start, end in names.person_names(folded)]
    candidates.sort(key=lambda f: (_PRECEDENCE[f.category], f.start - f.end, f.start))
    kept: list[Finding] = []  # sorted by start, never overlapping
    starts: list[int] = []
    for f in candidates:
        i = bisect_left(starts, f.start)
        if (i == 0 or kept[i - 1].end <= f.start) and (i == len(kept) or f.end <= kept[i].start):
            kept.insert(i, f)
            starts.insert(i, f.start)
    return kept
