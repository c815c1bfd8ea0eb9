"""個人情報チェック: text that looks like personal information is not published until its author
removes it or confirms, per category, 「個人情報ではありません」.

The detector is the `pii` library (no Flask); this module turns its findings into the rule every
publishing service applies (`check`, before the write transaction), the audit row of a
confirmation (`record_confirmation`, inside it) and what a form or the preview shows
(`describe`). Each save checks the whole text again: a confirmation covers the categories found
in the text that was saved with it, so whoever saves an edit confirms again — the editor may be
someone else, and an edit can add a second number of a category confirmed before.

Operators' bulk loads (importers, the demo seed) pass `IMPORT`: nothing is held, nobody has
confirmed anything, and the importer reports what it found instead (`categories_in`).
"""

import enum
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models import User
from app.services import audit
from app.services.errors import PersonalInformationFound, ValidationFailed
from pii import CATEGORIES, Finding, scan

CONTEXT_CHARS = 20  # shown on each side of a finding

LABELS = {
    "my_number": _l("個人番号（マイナンバー）"),
    "phone": _l("電話番号"),
    "address": _l("住所"),
    "email": _l("メールアドレス"),
    "birth_date": _l("生年月日"),
    "bank_account": _l("口座番号"),
    "insurance_number": _l("保険の番号"),
    "pension_number": _l("年金の番号"),
    "case_number": _l("案件番号"),
    "person_name": _l("氏名"),
}

# One sentence why it matters, one what to do.
EXPLANATIONS = {
    "my_number": _l(
        "個人番号（マイナンバー）の可能性があります。番号法により、個人番号は法律で決められた事務のほかには提供も収集もできず、漏らすと罰則もあります。"
        "番号を削除してください。"
    ),
    "phone": _l(
        "電話番号の可能性があります。個人の電話番号は、本人に直接つながる個人情報です。"
        "削除してください。庁舎の代表番号など公開されている番号なら「個人情報ではありません」を選んでください。"
    ),
    "address": _l(
        "住所の可能性があります。番地まで書かれた住所は、そこに住む人を特定できる個人情報です。"
        "町名までにとどめてください。庁舎など公共施設の所在地なら「個人情報ではありません」を選んでください。"
    ),
    "email": _l(
        "メールアドレスの可能性があります。個人のメールアドレスは、本人に直接つながる個人情報です。"
        "削除してください。部署の公開アドレスなら「個人情報ではありません」を選んでください。"
    ),
    "birth_date": _l(
        "生年月日の可能性があります。生年月日はほかの情報と組み合わせると本人を特定できる個人情報です。"
        "「70代」のように年代に置き換えてください。"
    ),
    "bank_account": _l(
        "口座番号の可能性があります。口座番号は財産にかかわる個人情報で、漏れると悪用されるおそれがあります。"
        "番号を削除してください。"
    ),
    "insurance_number": _l(
        "被保険者番号など保険の番号の可能性があります。保険の番号は本人を特定でき、法律で取り扱いが制限されています。"
        "番号を削除してください。"
    ),
    "pension_number": _l(
        "基礎年金番号など年金の番号の可能性があります。年金の番号は本人を特定でき、年金の記録にもつながります。"
        "番号を削除してください。"
    ),
    "case_number": _l(
        "ケース番号などの案件番号の可能性があります。案件番号は庁内の記録と照らし合わせると本人を特定できます。"
        "「ケースA」のような仮の呼び名に置き換えてください。"
    ),
    "person_name": _l(
        "個人の氏名の可能性があります。相談者や滞納者の氏名がその事情と一緒に公開されると、その人の権利を大きく損ないます。"
        "「Aさん」のように名前を伏せてください。"
    ),
}

FIELD_LABELS = {"title": _l("タイトル"), "body": _l("本文"), "summary": _l("編集の概要")}


class Unchecked(enum.Enum):
    """`confirmed_categories` of an operator's bulk load (importers, the demo seed): nothing is
    held and no confirmation is recorded, because nobody confirmed anything; the importer
    reports the findings instead."""

    IMPORT = "import"


IMPORT = Unchecked.IMPORT


def unknown_category_error() -> ValidationFailed:
    return ValidationFailed(
        {"confirmed_findings": _("confirmed_findings には種類の名前（%(names)s）の配列を指定してください。", names=", ".join(CATEGORIES))}
    )


def check(texts: dict[str, str], confirmed: Collection[str] | Unchecked) -> frozenset[str]:
    """Raise PersonalInformationFound when a text holds a category not in `confirmed`; else the
    categories that were found (all confirmed), for `record_confirmation`. `texts`: field → the
    text as it will be stored (the offsets of the findings index it)."""
    if confirmed is IMPORT:
        return frozenset()
    if not all(isinstance(category, str) and category in CATEGORIES for category in confirmed):
        raise unknown_category_error()
    findings = {name: scan(text) for name, text in texts.items() if text}
    found = frozenset(finding.category for items in findings.values() for finding in items)
    if not found <= set(confirmed):
        raise PersonalInformationFound(findings, texts, found & frozenset(confirmed))
    return found


def record_confirmation(actor: User, categories: frozenset[str], target_type: str, target_id: int) -> None:
    """The audit row of an accepted confirmation: the categories and the target, never the text."""
    if categories:
        audit.record(actor, "pii_confirm", target_type, target_id, categories=sorted(categories))


def held_message(found: PersonalInformationFound) -> str:
    labels = _("、").join(str(LABELS[category]) for category in found.held_categories)
    return _(
        "個人情報の可能性がある箇所（%(labels)s）が見つかったため、まだ保存していません。"
        "該当箇所を削除するか、個人情報でない場合は種類ごとに「個人情報ではありません」と確認してから送信してください。",
        labels=labels,
    )


@dataclass(frozen=True)
class Passage:
    """A finding in its context, for display: before + text (the finding) + after."""

    field: str
    field_label: str
    start: int
    end: int
    before: str
    text: str
    after: str


@dataclass(frozen=True)
class Notice:
    category: str
    label: str
    explanation: str
    passages: list[Passage]
    confirmed: bool


def _passage(field: str, text: str, finding: Finding) -> Passage:
    start, end = finding.start, finding.end
    left = max(0, start - CONTEXT_CHARS)
    right = min(len(text), end + CONTEXT_CHARS)
    return Passage(
        field=field,
        field_label=str(FIELD_LABELS.get(field, field)),
        start=start,
        end=end,
        before=("…" if left else "") + text[left:start],
        text=text[start:end],
        after=text[end:right] + ("…" if right < len(text) else ""),
    )


def describe(texts: dict[str, str], findings: dict[str, list[Finding]], confirmed: Collection[str] = ()) -> list[Notice]:
    """What a held form and the preview show: one notice per category found (in CATEGORIES order),
    each with its passages and why it matters."""
    passages: dict[str, list[Passage]] = {}
    for field, items in findings.items():
        for finding in items:
            passages.setdefault(finding.category, []).append(_passage(field, texts[field], finding))
    return [
        Notice(category, str(LABELS[category]), str(EXPLANATIONS[category]), passages[category], category in confirmed)
        for category in CATEGORIES
        if category in passages
    ]


def describe_held(found: PersonalInformationFound) -> list[Notice]:
    return describe(found.texts, found.findings, found.confirmed)


def preview(text: str) -> list[Notice]:
    return describe({"body": text}, {"body": scan(text)})


def categories_in(*texts: str) -> Counter:
    """Findings per category in `texts`: what an importer reports."""
    return Counter(finding.category for text in texts if text for finding in scan(text))
