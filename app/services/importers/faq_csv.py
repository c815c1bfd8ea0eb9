"""Import a municipal FAQ CSV (`flask --app wsgi import faq-csv FILE --org CODE [--tag TAG]`).

Municipal FAQ open data (自治体標準オープンデータセット「よくある質問」 and its local variants) comes
as CSV in UTF-8 (with or without a BOM) or Shift_JIS/CP932, sometimes with title lines above the
header. We look for the header among the first rows: a question column (問い, 質問, 質問内容, Q…)
and an answer column (回答, 答え, 回答内容, A…); 大分類/中分類/小分類 (or カテゴリ, 分類) become tags,
and an ID column (ID, 番号, No…) makes re-runs idempotent (without one, the question text does).

Each row becomes a question with one accepted answer, both posted by a placeholder account for
the organization (「横浜市 FAQ」), through the same services as the site.
"""

import csv
import hashlib
import io
from pathlib import Path

from app import indexing
from app.database import write_transaction
from app.extensions import db
from app.models import User, utcnow
from app.models.post import TITLE_MAX
from app.services.errors import ValidationFailed
from app.services.importers.common import (
    ImportReport,
    Progress,
    Registry,
    accept,
    add_answer,
    add_question,
    as_tag,
    forget_notifications,
    no_progress,
    patient_rendering,
    placeholder_user,
)
from app.services.organizations import get_organization
from app.services.posting import TITLE_MIN
from app.services.tags import MAX_TAGS
from app.text import clean_line, clean_text, normalize_key

BATCH_SIZE = 200
HEADER_SEARCH_ROWS = 10
QUESTION_NAMES = ("問い", "質問", "質問内容", "問", "q", "question", "faq質問", "よくある質問")
ANSWER_NAMES = ("回答", "答え", "回答内容", "答", "a", "answer", "faq回答")
CATEGORY_NAMES = ("大分類", "中分類", "小分類", "カテゴリ", "カテゴリー", "分類", "category")
ID_NAMES = ("id", "番号", "no", "no.", "項番", "faq番号", "faqid")


class FaqFormatError(ValueError):
    """The file is not a FAQ CSV we understand (no header row with a question and an answer column)."""


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not) first; Shift_JIS as Windows writes it (CP932) otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932", errors="replace")


def _key(header: str) -> str:
    return normalize_key(header).replace(" ", "")


def _find_column(header: list[str], names: tuple[str, ...]) -> int | None:
    keys = [_key(cell) for cell in header]
    for name in names:  # exact names first, in order of preference
        if name in keys:
            return keys.index(name)
    for index, key in enumerate(keys):  # then 「質問（Q）」-like variants
        if any(len(name) > 1 and key.startswith(name) for name in names):
            return index
    return None


def find_header(rows: list[list[str]]) -> tuple[int, dict[str, int | list[int] | None]]:
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        question = _find_column(row, QUESTION_NAMES)
        answer = _find_column(row, ANSWER_NAMES)
        if question is not None and answer is not None and question != answer:
            keys = [_key(cell) for cell in row]
            categories = [i for i, key in enumerate(keys) if any(key.startswith(name) for name in CATEGORY_NAMES)]
            return number, {"question": question, "answer": answer, "id": _find_column(row, ID_NAMES), "categories": categories}
    raise FaqFormatError("no header row with a question column (問い/質問) and an answer column (回答/答え)")


def category_tag(text: str) -> str | None:
    """「子育て（保育園）」 → 「子育て-保育園」: one category stays one tag; None when it cannot be one."""
    return as_tag(normalize_key(text))


def _title(question: str, categories: list[str]) -> str:
    title = clean_line(question)
    if len(title) < TITLE_MIN and categories:
        title = f"【{categories[-1]}】{title}"
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    return title


def import_faq_csv(path: str | Path, *, org: str, tag: str | None = None, progress: Progress = no_progress) -> ImportReport:
    path = Path(path)
    organization = get_organization(org)
    rows = list(csv.reader(io.StringIO(decode(path.read_bytes()), newline="")))
    header_row, columns = find_header(rows)
    data = rows[header_row + 1 :]
    report = ImportReport()
    registry = Registry(f"faq-csv:{organization.code}")
    extra_tag = category_tag(tag) if tag else None
    if tag and extra_tag is None:
        raise ValidationFailed({"tag": f"invalid tag {tag!r}"})
    source_line = f"（出典: {organization.full_name} よくある質問 {path.name}）"

    with indexing.deferred(), patient_rendering():
        with write_transaction():
            author = _organization_author(registry, organization, report)
        for start in range(0, len(data), BATCH_SIZE):
            question_ids: list[int] = []
            with write_transaction():
                for offset, row in enumerate(data[start : start + BATCH_SIZE]):
                    number = header_row + 2 + start + offset  # the line a spreadsheet shows
                    created = _row(row, columns, number, author, registry, report, extra_tag, source_line)
                    if created is not None:
                        question_ids.append(created)
                forget_notifications(question_ids)
            progress("faq", min(start + BATCH_SIZE, len(data)), len(data))
    applied = indexing.try_sync()
    report.notes.append(f"search index: {applied} changes applied" if applied is not None else "search index busy: run `flask search sync`")
    return report


def _organization_author(registry: Registry, organization, report: ImportReport) -> User:
    local_id = registry.get("user", "organization")
    if local_id is not None:
        return db.session.get(User, local_id)
    report.created["users"] += 1
    return placeholder_user(registry, "organization", f"{organization.name} FAQ", organization_code=organization.code)


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _row(row, columns, number, author, registry, report, extra_tag, source_line) -> int | None:
    question_text = clean_text(_cell(row, columns["question"])).strip()
    answer_text = clean_text(_cell(row, columns["answer"])).strip()
    if not question_text and not answer_text:
        return None  # blank line
    if not question_text or not answer_text:
        report.skipped["rows without a question or an answer"] += 1
        return None
    row_id = _cell(row, columns["id"])
    external_id = f"id:{row_id}" if row_id else "text:" + hashlib.sha256(question_text.encode()).hexdigest()[:32]
    if registry.get("question", external_id) is not None:
        report.skipped["rows imported before"] += 1
        return None
    categories = [clean_line(_cell(row, index)) for index in columns["categories"]]
    categories = [c for c in categories if c]
    tags = list(dict.fromkeys(t for t in [extra_tag, *(category_tag(c) for c in categories)] if t))[:MAX_TAGS] or ["faq"]
    path = " › ".join(categories)
    body = f"{question_text}\n\n{source_line}" + (f"\n分類: {path}" if path else "")
    answer_body = answer_text if len(answer_text) >= 10 else f"{answer_text}\n\n{source_line}"
    now = utcnow()
    try:
        with db.session.begin_nested():  # a row is all or nothing: never a question without its answer
            question = add_question(author, title=_title(question_text, categories), body=body, tags=tags, created_at=now)
            answer = add_answer(author, question, body=answer_body, created_at=now)
            accept(question, answer)
    except ValidationFailed as failure:
        report.skipped[f"rows refused by our rules ({', '.join(sorted(failure.errors))})"] += 1
        report.notes.append(f"line {number}: " + " ".join(str(m) for m in failure.errors.values()))
        return None
    registry.remember("question", external_id, question.id)
    report.created["questions"] += 1
    report.check_personal_information("posts", question.id, question.title, question.body)
    report.check_personal_information("posts", answer.id, answer.body)
    return question.id
