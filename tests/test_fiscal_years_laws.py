"""年度 and 根拠法令: the services (app/services/fiscal_years.py, app/services/laws.py)."""

from datetime import UTC, datetime

import pytest

from app.services import fiscal_years, laws
from app.services.errors import ValidationFailed


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 3, 31, 14, 59), 2025),  # 2026-03-31 23:59 JST
        (datetime(2026, 3, 31, 15, 0), 2026),  # 2026-04-01 00:00 JST
        (datetime(2026, 4, 1, 3, 0, tzinfo=UTC), 2026),
        (datetime(2027, 1, 5), 2026),
        (datetime(2026, 12, 31, 16, 0), 2026),
    ],
)
def test_current_fiscal_year_in_japan_time(utc, expected):
    assert fiscal_years.current(utc) == expected


@pytest.mark.parametrize(
    ("year", "label"),
    [(2026, "令和8年度"), (2019, "令和元年度"), (2020, "令和2年度"), (2018, "平成30年度"), (1989, "平成元年度")],
)
def test_labels(app, year, label):
    assert fiscal_years.label(year) == label


def test_html_has_the_western_year_on_hover(app):
    assert str(fiscal_years.html(2026)) == '<span class="fiscal-year" title="2026年度">令和8年度</span>'
    assert str(fiscal_years.html(None)) == ""


@pytest.mark.parametrize(
    ("typed", "year"),
    [
        ("2026", 2026),
        ("２０２６", 2026),
        ("2026年度", 2026),
        ("令和8", 2026),
        ("令和８年度", 2026),
        ("R8", 2026),
        ("ｒ８", 2026),
        ("R 8 年度", 2026),
        ("令和元年度", 2019),
        ("平成30年度", 2018),
        ("H30", 2018),
        ("平成31年度", 2019),
        ("  2025 ", 2025),
        ("", None),
    ],
)
def test_parse_typed_fiscal_years(app, typed, year):
    assert fiscal_years.parse(typed) == year


@pytest.mark.parametrize("typed", ["来年", "令和0年度", "平成32年度", "1850", "20261", "R8.4", "🗓️2026"])
def test_parse_refuses_with_a_japanese_message(app, typed):
    with pytest.raises(ValidationFailed) as error:
        fiscal_years.parse(typed)
    assert "年度" in error.value.errors["fiscal_year"]


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("地方税法第15条の7", "地方税法第15条の7"),
        ("地方税法 15条の7第1項", "地方税法第15条の7"),
        ("地方税法第１５条の７第１項第２号", "地方税法第15条の7"),
        ("地方税法第十五条の七", "地方税法第15条の7"),
        ("「地方税法」第15条の7", "地方税法第15条の7"),
        ("地方税法（第15条の7）", "地方税法第15条の7"),
        ("地税法15条の7", "地方税法第15条の7"),
        ("国税徴収法", "国税徴収法"),
        ("徴収法第47条", "国税徴収法第47条"),
        ("国税徴収法第百四十一条", "国税徴収法第141条"),
        ("地方自治法第二百三十一条の三第三項", "地方自治法第231条の3"),
        ("自治法231条の3", "地方自治法第231条の3"),
        ("自治令第167条の2第1項第1号", "地方自治法施行令第167条の2"),
        ("地公法第３８条", "地方公務員法第38条"),
        ("予防接種法施行令第1条の3", "予防接種法施行令第1条の3"),
        ("民法第166条第1項ただし書", "民法第166条"),
        ("薬機法", "医薬品、医療機器等の品質、有効性及び安全性の確保等に関する法律"),
        ("番号法第19条第8号", "行政手続における特定の個人を識別するための番号の利用等に関する法律第19条"),
        ("金融商品取引法施行令", "金融商品取引法施行令"),
        ("横浜市市税条例第5条", "横浜市市税条例第5条"),
        ("定額減税の実施に関する事務連絡通知", "定額減税の実施に関する事務連絡通知"),
        ("平成30年3月30日付け総税市第18号総務省自治税務局長通知", "平成30年3月30日付け総税市第18号総務省自治税務局長通知"),
        ("滞納処分の停止に関する通達", "滞納処分の停止に関する通達"),
        ("地方税法施行規則第2条の2", "地方税法施行規則第2条の2"),
        ("地方自治法第２３１条の３第１項", "地方自治法第231条の3"),
        ("国税通則法第46条", "国税通則法第46条"),
        ("通則法46条", "国税通則法第46条"),
        ("個人情報保護法第69条第2項第3号", "個人情報の保護に関する法律第69条"),
        ("住民基本台帳法施行令第30条の26", "住民基本台帳法施行令第30条の26"),
        ("住基法第12条の3", "住民基本台帳法第12条の3"),
        ("学教法施行令", "学校教育法施行令"),
        ("行手法５条", "行政手続法第5条"),
        ("地方公営企業法施行令第26条の2", "地方公営企業法施行令第26条の2"),
        ("地方自治法施行令 第百六十七条の二 第一項 第二号", "地方自治法施行令第167条の2"),
        ("生活保護法第63条", "生活保護法第63条"),
        ("生保法７８条", "生活保護法第78条"),
        ("民法第百四十五条本文", "民法第145条"),
        ("『予防接種法』", "予防接種法"),
        ("【地方税法】第321条の4", "地方税法第321条の4"),
        ("令和6年3月29日付け総税企第23号通知", "令和6年3月29日付け総税企第23号通知"),
        ("定期接種実施要領", "定期接種実施要領"),
        ("厚生労働省健康局長通知（健発0330第1号）", "厚生労働省健康局長通知(健発0330第1号)"),
        ("空家等対策の推進に関する特別措置法第22条", "空家等対策の推進に関する特別措置法第22条"),
        ("川崎市債権管理条例施行規則第3条", "川崎市債権管理条例施行規則第3条"),
        ("ｺｺﾛﾝ市税条例第１０条", "ココロン市税条例第10条"),
        ("地方税法第15条の7🏛️", "地方税法第15条の7"),
        ("📘国税徴収法", "国税徴収法"),
    ],
)
def test_citations_are_normalized(app, typed, normalized):
    (citation,) = laws.parse(typed)
    assert str(citation) == normalized
    assert citation.text == typed.strip()


def test_several_citations_split_on_japanese_and_western_separators(app):
    text = "地方税法第15条の7、徴収法第153条\n地方自治法第231条の3, 〇〇市債権管理条例；第16条"
    assert [str(c) for c in laws.parse(text)] == [
        "地方税法第15条の7",
        "国税徴収法第153条",
        "地方自治法第231条の3",
        "〇〇市債権管理条例",
        "〇〇市債権管理条例第16条",
    ]


def test_a_full_name_with_its_own_comma_is_not_split(app):
    text = "医薬品、医療機器等の品質、有効性及び安全性の確保等に関する法律第66条、借地借家法"
    assert [c.law for c in laws.parse(text)] == [
        "医薬品、医療機器等の品質、有効性及び安全性の確保等に関する法律",
        "借地借家法",
    ]


def test_same_law_and_bare_articles_refer_to_the_previous_citation(app):
    assert [str(c) for c in laws.parse(["国税徴収法第153条", "同法第154条", "第155条"])] == [
        "国税徴収法第153条",
        "国税徴収法第154条",
        "国税徴収法第155条",
    ]


def test_duplicates_dropped_and_limits(app):
    assert [str(c) for c in laws.parse("地方税法、地税法、地方税法")] == ["地方税法"]
    assert laws.parse("") == [] and laws.parse(None) == [] and laws.parse(" 、\n") == []
    with pytest.raises(ValidationFailed) as error:
        laws.parse("第15条")
    assert "法令名" in error.value.errors["laws"]
    with pytest.raises(ValidationFailed):
        laws.parse("、".join(f"地方税法第{n}条" for n in range(1, 13)))
    with pytest.raises(ValidationFailed):
        laws.parse("通知" * 101)
    with pytest.raises(ValidationFailed):
        laws.parse([15])


def test_kanji_numbers():
    assert [laws.kanji_number(v) for v in ("十五", "二百三十一", "一〇五", "千二百", "十", "7")] == [15, 231, 105, 1200, 10, 7]


def test_known_laws_cover_the_lawqa_list_and_abbreviations(app):
    known = laws.known_laws()
    assert known["金融商品取引法"] == "金融商品取引法" and known["金商法"] == "金融商品取引法"
    assert known["地税法"] == "地方税法" and known["徴収法"] == "国税徴収法"
