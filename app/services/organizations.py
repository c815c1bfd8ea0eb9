"""The organization list: loading it, finding one by code, name or kana."""

import csv
import re
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.database import write_transaction
from app.extensions import db
from app.models import Organization
from app.models.organization import NATIONAL_KINDS
from app.services.errors import ValidationFailed
from app.text import clean_line, normalize_key, to_hiragana

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "organizations.csv"
POPULATION_FILE = DATA_FILE.with_name("population.csv")
_CODE_IN_TEXT = re.compile(r"(?:^|[(（\s])(\d{6})[)）]?\s*$")
# Larger bodies first when several match: a search for 「府中」 shows both 府中市 before wards.
KIND_ORDER = {"prefecture": 0, "designated_city": 1, "ministry": 1, "city": 2, "special_ward": 2,
              "agency": 3, "commission": 3, "town": 4, "village": 5, "ward": 6, "regional_office": 7}  # fmt: skip


_COLUMNS = ("code", "name", "kana", "kind", "prefecture_code", "parent_code")


def load_organizations(path: Path = DATA_FILE, population: Path = POPULATION_FILE) -> int:
    """Insert or update every organization from the CSV, then their populations
    (`load_population`). Idempotent; returns the row count.

    Plain table statements, not ORM objects: a prefecture refers to itself (its prefecture_code
    is its own code), which the ORM's unit of work reports as a dependency cycle on a reload.
    """
    with path.open(encoding="utf-8") as handle:
        rows = [{column: row[column] or None for column in _COLUMNS} for row in csv.DictReader(handle)]
    for row in rows:
        row["kana"] = row["kana"] or ""
    table = Organization.__table__
    with write_transaction():
        current = {row["code"]: dict(row) for row in db.session.execute(sa.select(table)).mappings()}
        new = [row for row in rows if row["code"] not in current]
        if new:  # references set below, once every row they may point at exists
            db.session.execute(table.insert(), [{**row, "prefecture_code": None, "parent_code": None} for row in new])
        changed = [row for row in rows if current.get(row["code"]) != row]
        if changed:
            db.session.execute(
                table.update()
                .where(table.c.code == sa.bindparam("row_code"))
                .values({column: sa.bindparam(column) for column in _COLUMNS if column != "code"}),
                [{"row_code": row["code"], **{k: v for k, v in row.items() if k != "code"}} for row in changed],
            )
    load_population(population)
    return len(rows)


def load_population(path: Path = POPULATION_FILE) -> int:
    """Set Organization.population from the 2020 census file (`code,population`); idempotent.
    Codes not in the organization list are skipped; returns how many organizations have a figure."""
    with path.open(encoding="utf-8") as handle:
        figures = {row["code"]: int(row["population"]) for row in csv.DictReader(handle)}
    table = Organization.__table__
    with write_transaction():
        current = dict(db.session.execute(sa.select(table.c.code, table.c.population)).all())
        changed = [{"row_code": code, "population": n} for code, n in figures.items() if code in current and current[code] != n]
        if changed:
            db.session.execute(
                table.update().where(table.c.code == sa.bindparam("row_code")).values(population=sa.bindparam("population")),
                changed,
            )
    return sum(code in current for code in figures)


# Organization.kind codes as people say them. 中核市 and 施行時特例市 are not told apart from
# other cities: no sourced, openly licensed list of them exists in our data (app/data/README.md).
KIND_LABELS = {
    "prefecture": _l("都道府県"),
    "designated_city": _l("政令指定都市"),
    "special_ward": _l("特別区"),
    "city": _l("市"),
    "town": _l("町"),
    "village": _l("村"),
    "ward": _l("区（行政区）"),
    "ministry": _l("府省庁"),
    "agency": _l("庁"),
    "commission": _l("委員会"),
    "regional_office": _l("地方支分部局"),
}

# Population bands for 「同規模の団体」 (2020 census): lower bounds, in persons.
POPULATION_BANDS = (0, 10_000, 50_000, 200_000, 500_000)


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def population_band(population: int | None) -> int | None:
    """Index into POPULATION_BANDS (0: under 1万 … 4: 50万 or more); None without a figure."""
    if population is None:
        return None
    return sum(population >= bound for bound in POPULATION_BANDS) - 1


def band_label(band: int) -> str:
    low = POPULATION_BANDS[band]
    if band + 1 == len(POPULATION_BANDS):
        return _("人口%(low)d万人以上", low=low // 10_000)
    high = POPULATION_BANDS[band + 1] // 10_000
    return _("人口%(high)d万人未満", high=high) if low == 0 else _("人口%(low)d万〜%(high)d万人", low=low // 10_000, high=high)


def _band_of(org: Organization) -> int | None:
    """The population band that counts for `org`: none for prefectures and national bodies."""
    return None if org.kind == "prefecture" or org.kind in NATIONAL_KINDS else population_band(org.population)


def peer_class(org: Organization | None) -> str | None:
    """The key organizations like `org` share: kind and population band for municipalities
    and their wards (「town/1」), the kind alone for prefectures and national bodies."""
    if org is None:
        return None
    band = _band_of(org)
    return org.kind if band is None else f"{org.kind}/{band}"


def peer_label(org: Organization) -> str:
    """「町・人口1万〜5万人」, in the words of the page."""
    band = _band_of(org)
    return kind_label(org.kind) + ("" if band is None else f"・{band_label(band)}")


def similar_organizations(org: Organization) -> sa.Select:
    """Codes of organizations like `org` (itself included): same kind and population band;
    prefectures with prefectures, national bodies by kind. A select, to use in `IN (...)`."""
    return organizations_of_class(peer_class(org))


def organizations_of_class(key: str) -> sa.Select:
    """Codes of the organizations whose `peer_class` (or kind) is `key` (「town/1」, 「town」)."""
    kind, _sep, band = key.partition("/")
    query = sa.select(Organization.code).where(Organization.kind == kind)
    if band.isdigit() and int(band) < len(POPULATION_BANDS):
        query = query.where(Organization.population >= POPULATION_BANDS[int(band)])
        if int(band) + 1 < len(POPULATION_BANDS):
            query = query.where(Organization.population < POPULATION_BANDS[int(band) + 1])
    return query


# What people type after orgkind: besides the labels (町, 政令指定都市) and the codes (town).
_KIND_ALIASES = {"政令市": "designated_city", "指定都市": "designated_city", "区": "special_ward", "行政区": "ward",
                 "府省": "ministry", "省": "ministry", "県": "prefecture", "府": "prefecture", "都": "prefecture",
                 "道": "prefecture"}  # fmt: skip


def kind_named(text: str) -> str | None:
    """The kind code for 「町」, 「政令市」, 「town」 (typed queries are Japanese whatever the
    reader's language); None for anything else."""
    text = normalize_key(text)
    if text in KIND_LABELS:
        return text
    with force_locale("ja"):
        labels = {normalize_key(str(label)): kind for kind, label in KIND_LABELS.items()}
    return labels.get(text) or _KIND_ALIASES.get(text)


def get_organization(code: str | None) -> Organization:
    """The organization for a code, for 「神奈川県横浜市 (141003)」, or for an unambiguous name
    (「横浜市」, 「神奈川県横浜市」); else a form error that lists the candidates."""
    text = normalize_key(code or "")
    match = _CODE_IN_TEXT.search(text)
    org = db.session.get(Organization, match.group(1)) if match else None
    if org is not None:
        return org
    exact = [o for o in search_organizations(text, limit=50) if text in (normalize_key(o.name), normalize_key(o.full_name))] if text else []
    if len(exact) == 1:
        return exact[0]
    if exact:
        raise ValidationFailed(
            {"organization": _("同じ名前の団体が複数あります。都道府県名を付けるか、団体コードで選んでください: %(names)s",
                               names="、".join(f"{o.full_name} ({o.code})" for o in exact[:5]))}
        )
    raise ValidationFailed({"organization": _("所属団体を一覧から選んでください（名前・よみ・団体コードで検索できます）。")})


def search_organizations(query: str, limit: int = 20) -> list[Organization]:
    """Match by code, name (横浜), or reading in any kana width (よこはま, ヨコハマ, ﾖｺﾊﾏ)."""
    text = normalize_key(clean_line(query))
    if not text:
        return []
    prefecture_code = None
    prefix = _prefecture_prefix(text)
    if prefix is not None:  # 「神奈川県横浜市」: search 横浜市 within 神奈川県
        prefecture_code, text = prefix
    if text.isdigit():
        condition = Organization.code.startswith(text)
    else:
        kana = to_hiragana(text).replace(" ", "")
        condition = sa.or_(
            Organization.name.contains(text, autoescape=True),
            Organization.kana.startswith(kana, autoescape=True),
        )
    query = sa.select(Organization).where(condition)
    if prefecture_code is not None:
        query = query.where(Organization.prefecture_code == prefecture_code)
    candidates = db.session.scalars(query.limit(400)).all()

    def rank(org: Organization) -> tuple:
        exact = text in (org.name, org.full_name) or to_hiragana(text) == org.kana
        return (not exact, not org.name.startswith(text), KIND_ORDER.get(org.kind, 9), org.kana, org.code)

    return sorted(candidates, key=rank)[:limit]


def _prefecture_prefix(text: str) -> tuple[str, str] | None:
    """(prefecture code, rest) when `text` starts with a prefecture's name and goes on."""
    for code, name in db.session.execute(
        sa.select(Organization.code, Organization.name).where(Organization.kind == "prefecture")
    ):
        if text.startswith(name) and len(text) > len(name):
            return code, text[len(name) :].strip()
    return None
