"""The date-in-text parser (app/services/deadlines.py) over real ways of writing dates in
Japanese administrative text: eras, abbreviations, full-width digits, 年度-relative words."""

from datetime import date

import pytest

from app.services.deadlines import deadlines, find_dates, passed_deadlines

FY2024 = 2024  # 令和6年度: April 2024 to March 2025
FY2025 = 2025

# (text, the post's 年度, the day read, the words it was read from)
DEADLINES = [
    ("HPVキャッチアップ接種は令和7年3月31日まで無料です。", FY2024, date(2025, 3, 31), "令和7年3月31日"),
    ("接種期限：令和７年３月３１日", FY2024, date(2025, 3, 31), "令和７年３月３１日"),
    ("経過措置はR7.3.31までです", FY2024, date(2025, 3, 31), "R7.3.31"),
    ("R7/3/31までに提出", FY2024, date(2025, 3, 31), "R7/3/31"),
    ("Ｒ７．３．３１までに提出", FY2024, date(2025, 3, 31), "Ｒ７．３．３１"),
    ("r07-03-31 まで", FY2024, date(2025, 3, 31), "r07-03-31"),
    ("申請は2025年3月末まで受け付けています", FY2024, date(2025, 3, 31), "2025年3月末"),
    ("2025年3月末で受付終了", FY2024, date(2025, 3, 31), "2025年3月末"),
    ("特例は2025年3月末。", FY2024, date(2025, 3, 31), "2025年3月末"),
    ("2025/3/31までに報告してください", FY2024, date(2025, 3, 31), "2025/3/31"),
    ("締切: 2025-03-31", FY2024, date(2025, 3, 31), "2025-03-31"),
    ("提出期限は2025.3.31です", FY2024, date(2025, 3, 31), "2025.3.31"),
    ("２０２５年３月３１日（月）まで", FY2024, date(2025, 3, 31), "２０２５年３月３１日"),
    ("平成31年4月30日をもって廃止", FY2024, date(2019, 4, 30), "平成31年4月30日"),
    ("H31.4.30限り", FY2024, date(2019, 4, 30), "H31.4.30"),
    ("令和元年12月27日まで", FY2024, date(2019, 12, 27), "令和元年12月27日"),
    ("令和元年度末までの経過措置", FY2024, date(2020, 3, 31), "令和元年度末"),
    ("令和7（2025）年3月31日まで", FY2024, date(2025, 3, 31), "令和7（2025）年3月31日"),
    ("令和七年三月三十一日限り効力を失う", FY2024, date(2025, 3, 31), "令和七年三月三十一日"),
    ("令和6年度末で終了", FY2024, date(2025, 3, 31), "令和6年度末"),
    ("R6年度中に申請すること", FY2024, date(2025, 3, 31), "R6年度中"),
    ("2024年度内に完了", FY2024, date(2025, 3, 31), "2024年度内"),
    ("2025年末まで延長されました", FY2024, date(2025, 12, 31), "2025年末"),
    ("3月31日まで受け付けます", FY2024, date(2025, 3, 31), "3月31日"),
    ("３月３１日（金）17時まで", FY2024, date(2025, 3, 31), "３月３１日"),
    ("12月28日までに提出", FY2024, date(2024, 12, 28), "12月28日"),
    ("5月31日が期限です", FY2024, date(2024, 5, 31), "5月31日"),
    ("10月末までに", FY2024, date(2024, 10, 31), "10月末"),
    ("1月下旬までに通知が届きます", FY2024, date(2025, 1, 31), "1月下旬"),
    ("2月上旬まで", FY2024, date(2025, 2, 10), "2月上旬"),
    ("3/31まで", FY2024, date(2025, 3, 31), "3/31"),
    ("今年度末まで延長されています", FY2024, date(2025, 3, 31), "今年度末"),
    ("本年度中に手続きを", FY2024, date(2025, 3, 31), "本年度中"),
    ("当年度末で終了予定", FY2024, date(2025, 3, 31), "当年度末"),
    ("来年度末までの時限措置", FY2024, date(2026, 3, 31), "来年度末"),
    ("年度内に支出してください", FY2024, date(2025, 3, 31), "年度内"),
    ("年度末までに精算", FY2024, date(2025, 3, 31), "年度末"),
    ("今年度まで実施", FY2024, date(2025, 3, 31), "今年度"),
    ("有効期間：令和6年4月1日～令和7年3月31日", FY2024, date(2025, 3, 31), "令和7年3月31日"),
    ("2024/4/1-2025/3/31の期間", FY2024, date(2025, 3, 31), "2025/3/31"),
    ("4月1日から9月30日まで", FY2024, date(2024, 9, 30), "9月30日"),
    ("令和7年3月31日付けで満了", FY2024, date(2025, 3, 31), "令和7年3月31日"),
    ("2025年3月31日で失効します", FY2024, date(2025, 3, 31), "2025年3月31日"),
    ("令和7年3月31日をもって終了しました", FY2024, date(2025, 3, 31), "令和7年3月31日"),
    ("受付は令和7年3月末日で締め切ります", FY2024, date(2025, 3, 31), "令和7年3月末日"),
    ("令和8年1月中に届出🙏", FY2024, date(2026, 1, 31), "令和8年1月中"),
    ("昭和64年1月7日まで", FY2024, date(1989, 1, 7), "昭和64年1月7日"),
    # From municipal bulletins (the demo data's sources): year-less dates read against the 年度.
    ("市HPにある申請書を直接または郵送で、6月30日(必着)までに危機管理課へ", FY2024, date(2024, 6, 30), "6月30日"),
    ("> 有効期限：2025年7月31日\n> 郵送期間：7月12日から", FY2024, date(2025, 7, 31), "2025年7月31日"),
    ("> 実施期間：7月1日(月)～令和7年3月31日(月)", FY2024, date(2025, 3, 31), "令和7年3月31日"),
    ("> 申込締切：1月24日(金)17時", FY2024, date(2025, 1, 24), "1月24日"),
    ("> 閲覧・募集期限：8月26日(月)(消印有効)", FY2024, date(2024, 8, 26), "8月26日"),
    ("> 閲覧・募集期限：12月24日(火)必着", FY2024, date(2024, 12, 24), "12月24日"),
    ("**HPVワクチンキャッチアップ接種(無料接種)期間は令和7年3月31日まで!**", FY2024, date(2025, 3, 31), "令和7年3月31日"),
    ("> 日時：令和8年3月31日(火)まで", FY2025, date(2026, 3, 31), "令和8年3月31日"),
    ("- 原則は **2025年度末までの移行** が目標です", FY2024, date(2026, 3, 31), "2025年度末"),
]


@pytest.mark.parametrize(("text", "fiscal_year", "on", "written"), DEADLINES, ids=[case[0] for case in DEADLINES])
def test_reads_a_deadline(text, fiscal_year, on, written):
    found = deadlines(text, fiscal_year)
    assert [(item.on, item.text) for item in found] == [(on, written)]
    assert text[found[0].start : found[0].end] == written


# Dates mentioned, not deadlines: a law's enactment, a start, an event, recurring dates, a period's start.
NOT_DEADLINES = [
    ("2019年に制定された条例です", FY2024),
    ("令和元年10月1日から施行", FY2024),
    ("平成31年4月30日に公布", FY2024),
    ("2025年3月末に改正されました", FY2024),
    ("令和6年4月1日から開始", FY2024),
    ("2025-04-01以降に申請", FY2024),
    ("R7.4.1より適用", FY2024),
    ("毎年3月31日までに報告します", FY2024),
    ("例年3月末まで受付", FY2024),
    ("各年度末に精算します", FY2024),
    ("今年度は予算が少ない", FY2024),
    ("来年度から新制度", FY2024),
    ("全体の3/4が対象", FY2024),
    ("3/31に会議があった", FY2024),
    ("令和7年3月31日に通知が出ました", FY2024),
    ("詳しくは https://example.invalid/2025/03/31/news まで", FY2024),
    ("平成の大合併", FY2024),
    ("第3条第1項", FY2024),
    ("3か月以内に", FY2024),
    ("2025年2月30日まで", FY2024),  # no such day
    ("ﾃﾞｰﾀは3月31日まで保存", None),  # no 年度 to read a month and day against
    ("年度内に支出", None),
    # From the demo answers: rules, careers, generic seasons, statutes, facts, birth cut-offs.
    ("6月末退職なら7月10日までに納入します", FY2024),
    ("7月まで総務省の自治財政局にいました", FY2024),
    ("9月までの駆け込みで寄附が集中します", FY2024),
    ("経費率は年度末に締めて初めて超えていたと分かります", FY2024),
    ("年度末の工事だと調査に時間がかかります", FY2024),
    ("繁忙期（3〜4月）と閑散期の両方で測ります", FY2024),
    ("- 6月期は前年度の在職期間が基準です", FY2024),
    ("令和５年度末に普及率が81％を超えました", FY2024),
    ("当事者が期間の満了の一年前から六月前までの間に通知をしなかったとき", FY2024),
    ("その通知がされた日から六月を経過することによって終了する", FY2024),
    ("18歳到達後最初の3月31日までの児童を対象に支給します", FY2024),
    ("投票できる人：平成19年1月27日までに生まれた日本国民", FY2024),
    ("8月下旬、対象の方へ確認書類を送ります", FY2024),
]


@pytest.mark.parametrize(("text", "fiscal_year"), NOT_DEADLINES, ids=[case[0] for case in NOT_DEADLINES])
def test_not_a_deadline(text, fiscal_year):
    assert deadlines(text, fiscal_year) == []


def test_mentions_are_found_with_their_span():
    text = "2019年に制定、令和7年3月31日まで有効"
    found = find_dates(text, FY2024)
    assert [(item.text, item.on, item.deadline) for item in found] == [
        ("2019年", date(2019, 12, 31), False),
        ("令和7年3月31日", date(2025, 3, 31), True),
    ]


def test_several_deadlines_in_order():
    text = "申請は令和6年12月27日まで、実績報告は令和7年4月10日までです。"
    assert [item.on for item in deadlines(text, FY2024)] == [date(2024, 12, 27), date(2025, 4, 10)]


def test_month_and_day_read_against_the_posts_fiscal_year():
    assert deadlines("3月31日まで", 2025)[0].on == date(2026, 3, 31)
    assert deadlines("4月30日まで", 2025)[0].on == date(2025, 4, 30)


def test_passed_only_counts_days_before_today():
    text = "令和7年3月31日まで。令和9年3月31日まで。"
    assert [item.on for item in passed_deadlines(text, FY2024, date(2026, 5, 1))] == [date(2025, 3, 31)]
    assert passed_deadlines(text, FY2024, date(2025, 3, 31)) == []  # the last day itself is not passed
