"""Analytics for administrators (issue 17.4): the figures per scope and period, daily reads, the SVG
charts, the CSV tables, and who may read them (admins; an organization's administrator for their
own organization only; nobody else)."""

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from app.charts import chart, nice_ticks
from app.extensions import db
from app.models import AuditLog, Comment, Post, Tag, User
from app.models.community import Group, Meeting, MeetingRegistration, QuestionView, group_tags
from app.services import admin, analytics, answers, comments, questions
from app.services.analytics import JST, Period, Scope
from app.services.errors import PermissionDenied, ValidationFailed
from app.text import slugify
from tests.databases import is_postgres
from tests.factories import PASSWORD, login, make_answer, make_question, make_user

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
YOKOHAMA, OSAKA = "141003", "271004"


@pytest.fixture
def admin_user(app):
    return make_user(email="admin@soumu.go.jp", name="管理 花子", org="130001", role="admin")


@pytest.fixture
def org_admin(app):
    """横浜市's own administrator."""
    user = make_user(email="kanri@city.yokohama.lg.jp", name="横浜 団体管理者", org=YOKOHAMA)
    user.is_org_admin = True
    db.session.commit()
    return user


def _jst(text: str) -> datetime:
    """「2026-11-03 10:00」 JST as the naive UTC the columns store."""
    return datetime.fromisoformat(text).replace(tzinfo=JST).astimezone(UTC).replace(tzinfo=None)


def _date(row, when: str, model=Post) -> None:
    db.session.execute(sa.update(model).where(model.id == row.id).values(created_at=_jst(when)))
    db.session.commit()


def _tag(name: str) -> Tag:
    return db.session.scalar(sa.select(Tag).where(Tag.name == name))


@pytest.fixture
def november(app, alice, bob, carol):
    """November 2026: alice (横浜市) asks three questions, bob (大阪市) one; answers after 2 h, 10 h
    and 4 days; one accepted; a removed question; a comment by carol; one old unanswered question."""
    quick = make_question(alice, title="住民税の特別徴収「切替」, 手続きの\"様式\"", tags="住民税")
    slow = make_question(alice, title="債権回収の時効の援用について", tags="債権回収")
    lonely = make_question(alice, title="ｶﾝﾒﾝ申請の様式（２０２６年度）", tags="債権回収")
    osaka = make_question(bob, title="大阪の滞納整理😀", tags="債権回収")
    removed = make_question(alice, title="削除される質問", tags="住民税")
    old = make_question(bob, title="十月の未回答の質問", tags="住民税")
    for question, when in ((quick, "2026-11-02 09:00"), (slow, "2026-11-10 09:00"), (lonely, "2026-11-20 09:00"),
                           (osaka, "2026-11-25 09:00"), (removed, "2026-11-03 09:00"), (old, "2026-10-01 09:00")):
        _date(question, when)
    first = make_answer(bob, quick)
    _date(first, "2026-11-02 11:00")  # 2 hours
    later = make_answer(carol, quick)
    _date(later, "2026-11-05 11:00")  # not the first: does not count for the median
    _date(make_answer(bob, slow), "2026-11-10 19:00")  # 10 hours
    _date(make_answer(alice, osaka), "2026-11-29 09:00")  # 4 days
    answers.accept_answer(alice, first)
    questions.delete_question(alice, removed)
    _date(comments.add_comment(carol, slow, "うちも同じ運用です。"), "2026-11-11 08:00", model=Comment)
    return {"quick": quick, "slow": slow, "lonely": lonely, "osaka": osaka, "removed": removed, "old": old}


# ---------------------------------------------------------------- periods and scopes


def test_presets_are_jst_months_90_days_and_the_fiscal_year():
    today = date(2026, 12, 6)
    assert analytics.preset_period("this_month", today) == Period(date(2026, 12, 1), date(2026, 12, 31), "this_month")
    assert analytics.preset_period("last_month", today) == Period(date(2026, 11, 1), date(2026, 11, 30), "last_month")
    assert analytics.preset_period("last_month", date(2027, 1, 15)).start == date(2026, 12, 1)
    assert analytics.preset_period("last_90_days", today) == Period(date(2026, 9, 8), today, "last_90_days")
    assert analytics.preset_period("this_fiscal_year", today) == Period(date(2026, 4, 1), date(2027, 3, 31), "this_fiscal_year")
    assert analytics.preset_period("this_fiscal_year", date(2027, 3, 31)).start == date(2026, 4, 1)  # 3月 is still 令和8年度
    assert analytics.preset_period("this_fiscal_year", date(2027, 4, 1)).start == date(2027, 4, 1)
    # JST midnight is 15:00 UTC the day before; the end bound is exclusive.
    assert NOVEMBER.start_utc == datetime(2026, 10, 31, 15, 0) and NOVEMBER.end_utc == datetime(2026, 11, 30, 15, 0)


def test_typed_dates_win_and_bad_ones_say_what_is_wrong(app):
    assert analytics.parse_period("this_month", "２０２６年１１月１日", "2026/11/30") == NOVEMBER
    with pytest.raises(ValidationFailed) as reversed_:
        analytics.parse_period(None, "2026-12-31", "2026-12-01")
    assert "終了日が開始日より前" in reversed_.value.errors["end"]
    with pytest.raises(ValidationFailed) as too_long:
        analytics.parse_period(None, "2020-04-01", "2026-03-31")
    assert "3年以内" in too_long.value.errors["end"]
    with pytest.raises(ValidationFailed) as half:
        analytics.parse_period(None, "2026-12-01", "")
    assert "両方" in half.value.errors["end"]
    with pytest.raises(ValidationFailed) as garbage:
        analytics.parse_period(None, "きのう", "2026-12-01")
    assert "2026-12-01" in garbage.value.errors["start"]
    with pytest.raises(ValidationFailed):
        analytics.parse_period("next_century", "", "")


def test_who_may_read_which_scope(app, alice, moderator, admin_user, org_admin):
    assert analytics.resolve_scope(admin_user, None, "", "").kind == "site"
    assert analytics.resolve_scope(admin_user, "organization", "横浜市", "").organization.code == YOKOHAMA
    with pytest.raises(ValidationFailed) as unknown:
        analytics.resolve_scope(admin_user, "organization", "存在しない市", "")
    assert "一覧から選んで" in unknown.value.errors["organization"]
    with pytest.raises(ValidationFailed) as no_tag:
        analytics.resolve_scope(admin_user, "tag", "", "ﾀｸﾞなし")
    assert "見つかりません" in no_tag.value.errors["tag"]
    # The organization's administrator: own organization by default and by name; nothing else.
    assert analytics.resolve_scope(org_admin, None, "", "").organization.code == YOKOHAMA
    assert analytics.resolve_scope(org_admin, "organization", f"神奈川県横浜市 ({YOKOHAMA})", "").organization.code == YOKOHAMA
    for kind, org in (("organization", "大阪市"), ("site", ""), ("tag", "")):
        with pytest.raises(PermissionDenied):
            analytics.resolve_scope(org_admin, kind, org, "住民税")
    for user in (alice, moderator, None):  # moderators are not administrators
        with pytest.raises(PermissionDenied):
            analytics.resolve_scope(user, "site", "", "")


# ---------------------------------------------------------------- figures


def test_site_figures_for_a_month(november):
    result = analytics.report(Scope("site"), NOVEMBER)
    assert result.questions == 4  # the removed one and October's are not counted
    assert (result.answered, result.accepted) == (3, 1)
    assert result.answer_rate == 0.75 and result.accepted_share == 0.25
    assert result.median_first_answer == timedelta(hours=10)  # of 2 h, 10 h and 4 days
    assert result.active_members == 3  # alice, bob, carol
    # At November's end: October's question (old) and lonely (11/20, no answer) are over 7 days;
    # osaka (11/25) is only 5 days old.
    assert result.unanswered_over_7_days == 2
    assert result.trend.unit == "week"
    assert sum(result.trend.questions) == 4 and sum(result.trend.answers) == 4
    assert result.trend.starts[0] == date(2026, 11, 1) and result.trend.starts[1] == date(2026, 11, 2)  # then Mondays
    week = result.trend.starts.index(date(2026, 11, 9))
    assert result.trend.questions[week] == 1 and result.trend.active_members[week] == 3  # alice asked, bob answered, carol commented
    assert not result.is_empty


def test_an_organization_is_its_members_activity(november):
    yokohama = analytics.resolve_scope(make_user(role="admin"), "organization", "横浜市", "")
    result = analytics.report(yokohama, NOVEMBER)
    assert result.questions == 3 and result.answered == 2  # answers by anyone count for the rate
    assert result.active_members == 1  # alice only: her answer to osaka is her activity
    assert sum(result.trend.answers) == 1
    assert result.unanswered_over_7_days == 1  # lonely; October's is bob's


def test_a_tag_is_its_questions_answers_and_comments(november, carol):
    result = analytics.report(Scope("tag", tag=_tag("債権回収")), NOVEMBER)
    assert result.questions == 3  # slow, lonely, osaka
    assert result.active_members == 3  # alice asked, bob and alice answered, carol commented
    assert result.median_first_answer == timedelta(hours=10 + (96 - 10) / 2)  # median of 10 h and 96 h


def test_an_empty_period_is_empty(app, admin_user):
    result = analytics.report(Scope("site"), Period(date(2025, 1, 1), date(2025, 6, 30)))
    assert result.is_empty and result.answer_rate is None and result.median_first_answer is None
    assert result.trend.unit == "month" and len(result.trend.starts) == 6 and result.trend.questions == [0] * 6


def test_most_read_counts_the_period_s_reads_and_hides_group_private_titles(november, alice, admin_user):
    group = Group(slug="saiken", name="債権回収", created_by_id=alice.id)
    db.session.add(group)
    db.session.flush()
    private = november["lonely"]
    db.session.execute(sa.update(Post).where(Post.id == private.id).values(group_id=group.id, visibility="group"))
    for question, day, views in ((november["quick"], date(2026, 11, 3), 5), (november["slow"], date(2026, 11, 30), 7),
                                 (november["slow"], date(2026, 12, 1), 100), (private, date(2026, 11, 4), 50),
                                 (november["removed"], date(2026, 11, 4), 80), (november["osaka"], date(2026, 11, 26), 6)):
        db.session.add(QuestionView(question_id=question.id, day=day, views=views))
    db.session.commit()
    rows = analytics.most_read(Scope("site"), NOVEMBER, admin_user)
    assert [(row.title, row.views) for row in rows] == [("債権回収の時効の援用について", 7), ("大阪の滞納整理😀", 6), (november["quick"].title, 5)]
    yokohama = analytics.resolve_scope(admin_user, "organization", "横浜市", "")  # questions its members asked
    assert [row.views for row in analytics.most_read(yokohama, NOVEMBER, admin_user)] == [7, 5]
    assert [row.views for row in analytics.most_read(Scope("tag", tag=_tag("債権回収")), NOVEMBER, admin_user)] == [7, 6]
    assert analytics.report(Scope("site"), NOVEMBER).questions == 4  # still counted in the totals


def test_meeting_attendance_per_scope(november, alice, bob, carol):
    group = Group(slug="saiken", name="債権回収", created_by_id=alice.id)
    db.session.add(group)
    db.session.flush()
    db.session.execute(group_tags.insert().values(group_id=group.id, tag_id=_tag("債権回収").id))
    held = Meeting(group_id=group.id, title="第3回 情報交換会", starts_at=_jst("2026-11-12 19:00"),
                   ends_at=_jst("2026-11-12 20:00"), created_by_id=alice.id)
    cancelled = Meeting(group_id=group.id, title="中止の回", starts_at=_jst("2026-11-19 19:00"),
                        ends_at=_jst("2026-11-19 20:00"), created_by_id=alice.id, cancelled_at=_jst("2026-11-18 09:00"))
    db.session.add_all([held, cancelled])
    db.session.flush()
    for user, status in ((alice, "attended"), (bob, "registered"), (carol, "cancelled")):
        db.session.add(MeetingRegistration(meeting_id=held.id, user_id=user.id, status=status))
    db.session.commit()
    [site] = analytics.meetings(Scope("site"), NOVEMBER)
    assert (site.title, site.registered, site.attended) == ("第3回 情報交換会", 2, 1)
    [yokohama] = analytics.meetings(analytics.resolve_scope(make_user(role="admin"), "organization", "横浜市", ""), NOVEMBER)
    assert (yokohama.registered, yokohama.attended) == (1, 1)
    assert analytics.meetings(Scope("tag", tag=_tag("債権回収")), NOVEMBER) == [site]
    assert analytics.meetings(Scope("tag", tag=_tag("住民税")), NOVEMBER) == []
    assert analytics.meetings(analytics.resolve_scope(make_user(role="admin"), "organization", "北海道", ""), NOVEMBER) == []


def test_a_question_page_view_counts_today_in_jst(app, alice, bob):
    question = make_question(alice, title="ふるさと納税の返礼品🎁")
    path = f"/questions/{question.id}/{slugify(question.title)}"
    for user in (alice, bob):  # one read per session: two people, two reads
        client = app.test_client()
        login(client, user)
        assert client.get(path).status_code == 200
        client.get(path)
    today = datetime.now(JST).date()
    assert db.session.scalar(sa.select(QuestionView.views).where(QuestionView.question_id == question.id, QuestionView.day == today)) == 2
    assert db.session.get(Post, question.id).view_count == 2


# ---------------------------------------------------------------- charts and CSV


def test_the_chart_is_well_formed_svg_with_every_point():
    svg = chart("c1", "横浜市の推移 <週ごと>", "質問 & 回答", ["11月1日〜", "11月2日〜", "11月9日〜"],
                [("質問", [1, 0, 12]), ("回答", [3, 4, 0])])
    root = ET.fromstring(str(svg))
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find("s:title", ns).text == "横浜市の推移 <週ごと>" and root.find("s:desc", ns).text == "質問 & 回答"
    points = root.findall(".//s:circle", ns)
    assert [p.get("data-value") for p in points] == ["1", "0", "12", "3", "4", "0"]
    assert points[2].find("s:title", ns).text == "質問 11月9日〜: 12"
    axis = [t.text for t in root.findall("s:text", ns)]
    assert "11月2日〜" in axis and "15" in axis and "0" in axis  # the y axis reaches past the top value
    bars = ET.fromstring(str(chart("c2", "参加", "", ["第1回"], [("参加登録", [3])], kind="bar", unit="人")))
    assert bars.find(".//s:rect[@data-value='3']/s:title", ns).text == "参加登録 第1回: 3人"
    assert nice_ticks(0) == [0, 1] and nice_ticks(7) == [0, 2, 4, 6, 8] and nice_ticks(1234)[-1] >= 1234


def test_csv_has_a_bom_quotes_and_japanese(november, admin_user):
    db.session.add(QuestionView(question_id=november["quick"].id, day=date(2026, 11, 3), views=3))
    db.session.commit()
    result = analytics.report(Scope("site"), NOVEMBER, admin_user)
    data = analytics.to_csv(*analytics.table(result, "most_read"))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["質問ID", "タイトル", "閲覧数"], [str(november["quick"].id), '住民税の特別徴収「切替」, 手続きの"様式"', "3"]]
    assert '"住民税の特別徴収「切替」, 手続きの""様式"""' in data.decode("utf-8-sig")
    summary = dict(csv.reader(io.StringIO(analytics.to_csv(*analytics.table(result, "summary")).decode("utf-8-sig"))))
    assert summary["回答率"] == "75.0%" and summary["最初の回答までの時間（中央値）"] == "10時間0分"
    trend = list(csv.reader(io.StringIO(analytics.to_csv(*analytics.table(result, "trend")).decode("utf-8-sig"))))
    assert trend[0] == ["期間", "質問", "回答", "アクティブなメンバー"] and trend[1][0] == "11月1日〜"


# ---------------------------------------------------------------- pages


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_an_admin_reads_an_organization_s_month_and_downloads_csv(app, november, admin_user):
    client = _client(app, admin_user)
    assert "/admin/analytics" in client.get("/admin/audit").get_data(as_text=True)  # linked from the admin nav
    query = "scope=organization&organization=横浜市&organization_code=&start=2026-11-01&end=2026-11-30"
    page = client.get(f"/admin/analytics?{query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in ("神奈川県横浜市", "2026-11-01 〜 2026-11-30", "66.7%", "<svg", "推移（週ごと）", "CSVでダウンロード"):
        assert text in html, text
    assert "<script" not in html.split("<svg")[1].split("</svg>")[0]
    response = client.get(f"/admin/analytics/summary.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert f'filename="zennin-analytics-{YOKOHAMA}-20261101-20261130-summary.csv"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "zennin-analytics-神奈川県横浜市-20261101-20261130-summary.csv"
    assert response.data.startswith(b"\xef\xbb\xbf") and "質問数,3" in response.data.decode("utf-8-sig")
    assert client.get(f"/admin/analytics/everything.csv?{query}").status_code == 404
    odd = client.get(f"/admin/analytics?{query}&name=x&page=2").get_data(as_text=True)  # unknown keys stay out of links
    links = re.findall(r'href="(/admin/analytics/\w+\.csv[^"]*)"', odd)
    assert len(links) == 2 and all("start=2026-11-01" in link and "name=" not in link and "page=" not in link for link in links)


def test_bad_input_and_empty_periods_read_in_japanese(app, admin_user):
    client = _client(app, admin_user)
    reversed_ = client.get("/admin/analytics?start=2026-12-31&end=2026-12-01")
    assert reversed_.status_code == 400 and "終了日が開始日より前" in reversed_.get_data(as_text=True)
    unknown = client.get("/admin/analytics?scope=organization&organization=ﾖｺﾊﾏ帝国")
    assert unknown.status_code == 400 and "一覧から選んで" in unknown.get_data(as_text=True)
    long_ = client.get("/admin/analytics/summary.csv?start=2020-01-01&end=2026-01-01")
    assert long_.status_code == 400 and "3年以内" in long_.get_data(as_text=True)
    empty = client.get("/admin/analytics?start=２０２５-０１-０１&end=2025-01-31").get_data(as_text=True)
    assert "この期間、この対象には" in empty


def test_an_organization_administrator_sees_only_their_organization(app, november, org_admin):
    client = _client(app, org_admin)
    home = client.get("/questions").get_data(as_text=True)
    assert "/admin/analytics" in home and "/admin/audit" not in home
    own = client.get("/admin/analytics?preset=last_month")
    assert own.status_code == 200 and "神奈川県横浜市" in own.get_data(as_text=True)
    assert "/admin/audit" not in own.get_data(as_text=True)  # the admin nav shows analytics only
    other = client.get("/admin/analytics?scope=organization&organization=大阪市")
    assert other.status_code == 403 and "自分の団体の分析だけ" in other.get_data(as_text=True)
    assert client.get("/admin/analytics?scope=site").status_code == 403
    assert client.get("/admin/analytics/summary.csv?scope=organization&organization=271004").status_code == 403
    for path in ("/admin/audit", "/admin/users", "/admin/mail"):
        assert client.get(path).status_code == 403, path


def test_members_and_moderators_have_no_analytics(app, alice, moderator):
    for user in (alice, moderator):
        client = _client(app, user)
        denied = client.get("/admin/analytics")
        assert denied.status_code == 403 and "管理者と団体管理者だけ" in denied.get_data(as_text=True)
        assert "/admin/analytics" not in client.get("/questions").get_data(as_text=True)
    assert app.test_client().get("/admin/analytics").status_code == 302  # to the login page


# ---------------------------------------------------------------- organization administrators


def test_an_admin_sets_and_unsets_an_organization_administrator(app, alice, carol, admin_user):
    assert admin.set_org_admin(admin_user, alice, True) is True
    assert admin.set_org_admin(admin_user, alice, True) is False  # already
    assert admin.set_org_admin(admin_user, alice, False) is True
    entries = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "org_admin_change").order_by(AuditLog.id)).all()
    assert [e.detail for e in entries] == [
        f'{{"organization": "{YOKOHAMA}", "before": false, "after": true}}',
        f'{{"organization": "{YOKOHAMA}", "before": true, "after": false}}',
    ]
    with pytest.raises(PermissionDenied):
        admin.set_org_admin(carol, alice, True)
    orphan = make_user(email="nobody@example.com", org=None)
    with pytest.raises(ValidationFailed):
        admin.set_org_admin(admin_user, orphan, True)


def test_the_users_page_toggles_it_with_a_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        boss = make_user(email="boss@soumu.go.jp", role="admin")
        member = make_user(email="member@city.yokohama.lg.jp", name="ﾖｺﾊﾏ 職員")
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"email": boss.email, "password": PASSWORD, "csrf_token": token})
        assert client.post(f"/admin/users/{member.id}/org-admin", data={"org_admin": "1"}).status_code == 400
        page = client.get("/admin/users?q=member").get_data(as_text=True)
        assert "神奈川県横浜市の団体管理者にする" in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(f"/admin/users/{member.id}/org-admin", data={"org_admin": "1", "csrf_token": token}, follow_redirects=True)
        assert "ﾖｺﾊﾏ 職員 さんを団体管理者にしました" in response.get_data(as_text=True)
        assert db.session.get(User, member.id).is_org_admin is True
        audit_page = client.get("/admin/audit").get_data(as_text=True)
        assert "団体管理者の変更" in audit_page
        db.session.remove()


def test_unanswered_now_reads_the_kept_count_and_agrees_with_the_past_form(november):
    now = analytics.unanswered_over_7_days(Scope("site"))
    assert now == analytics.unanswered_over_7_days(Scope("site"), datetime.now(UTC).replace(tzinfo=None)) == 2  # old, lonely
    this_month = analytics.report(Scope("site"), analytics.preset_period("this_month"))
    assert this_month.unanswered_over_7_days == 2
    assert this_month.trend.starts[-1] <= datetime.now(JST).date()  # no weeks still to come


@pytest.mark.skipif(is_postgres(), reason="EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans with statistics")
def test_every_query_walks_an_index_not_the_posts_table(november, admin_user):
    """SQLite runs without statistics: each query of a report must find its rows through an
    index (a period, an author, a tag, a question), never by reading every post, read or meeting.
    The site scope reads every comment (comments have no created_at index; see the module);
    `activity` and `totals` are the report's own subqueries."""
    scopes = [Scope("site"), analytics.resolve_scope(admin_user, "organization", "横浜市", ""),
              Scope("tag", tag=_tag("債権回収"))]
    statements = []

    def listener(_conn, _cursor, statement, parameters, *_args) -> None:
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for scope in scopes:
            analytics.report(scope, NOVEMBER, admin_user)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 3 * 8  # a fixed number of queries per report
    connection = db.session.connection()
    for statement, parameters in statements:
        plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
        walks = [step for step in plan if step.startswith("SCAN ") and not step.startswith(("SCAN activity", "SCAN comments", "SCAN totals"))]
        walks += [step for step in plan if step.endswith("(kind=? AND deleted_at=?)")]  # every question
        correlated = [plan[i + 1] for i, step in enumerate(plan) if step.startswith("CORRELATED")]
        walks += [s for s in correlated if s.startswith("SEARCH posts") and "question_id=?" not in s]  # answers by question
        walks += [step for step in plan if step.startswith("REUSE LIST")]  # an IN list walked again per row
        assert walks == [], (statement, plan)


def test_a_one_day_period_is_one_bucket(november):
    result = analytics.report(Scope("site"), Period(date(2026, 11, 10), date(2026, 11, 10)))
    assert result.trend.starts == [date(2026, 11, 10)] and result.trend.questions == [1] and result.trend.answers == [1]
    assert result.active_members == 2 and result.trend.active_members == [2]  # alice asked, bob answered
