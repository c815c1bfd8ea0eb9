"""Career history (職歴): typing months and departments, CRUD with its rules, privacy, the pages."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import CareerEntry
from app.services import careers
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.factories import login, make_user
from tests.people_factories import add_post, month


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2019-04", date(2019, 4, 1)),
        ("２０１９－０４", date(2019, 4, 1)),
        ("2019/4", date(2019, 4, 1)),
        ("2019年4月", date(2019, 4, 1)),
        ("令和元年5月", date(2019, 5, 1)),
        ("R5.4", date(2023, 4, 1)),
        ("平成２８年４月", date(2016, 4, 1)),
    ],
)
def test_months_are_read_as_people_type_them(app, typed, expected):
    assert careers.parse_month(typed, "start") == expected


@pytest.mark.parametrize("typed", ["", "2019-13", "四月", "19-04", "2019-04-01", "1900-04"])
def test_other_text_is_not_a_month(app, typed):
    with pytest.raises(ValidationFailed) as failure:
        careers.parse_month(typed, "start")
    assert "2019-04" in failure.value.errors["start"]


def test_department_spellings_of_one_post_share_a_key():
    assert (
        careers.department_key("財政局　債権回収課")
        == careers.department_key("財政局債権回収課")
        == careers.department_key(" 財政局 債権回収課（兼務） ")
    )
    assert careers.department_key("ｻｲｹﾝ管理課") == careers.department_key("サイケン管理課")
    assert careers.department_key("感染症・予防接種係") == careers.department_key("感染症予防接種係")
    assert careers.department_key("霞ヶ関分室") == careers.department_key("霞ケ関分室")
    assert careers.department_key("財政課") != careers.department_key("債権回収課")


def test_add_edit_end_and_delete_posts(app, alice):
    past = add_post(alice, "港北区役所 戸籍課", tags="戸籍、住民基本台帳", started=40, ended=13)
    current = add_post(alice, "財政局　債権回収課 徴収係", tags="債権回収", started=12)

    assert [entry.id for entry in careers.list_entries(alice, alice)] == [current.id, past.id]
    assert past.end_on == careers.month_end(careers.parse_month(month(13), "end"))  # the month's last day
    assert current.department == "財政局 債権回収課 徴収係"  # shown as typed (spaces tidied)
    assert current.department_key == "財政局債権回収課徴収係"
    assert {tag.name for tag in past.tags} == {"戸籍", "住民基本台帳"}
    db.session.refresh(alice)
    assert (alice.organization_code, alice.department) == ("141003", "財政局 債権回収課 徴収係")

    careers.update_entry(
        alice, past.id, careers.CareerInput("大阪市 (271004)", "市民局 住民情報担当", "住民基本台帳", month(40), month(13))
    )
    assert (past.organization_code, past.department, [tag.name for tag in past.tags]) == ("271004", "市民局 住民情報担当", ["住民基本台帳"])

    careers.end_entry(alice, current.id, month(0))
    assert current.end_on is not None and careers.current_entries(alice) == []

    careers.delete_entry(alice, past.id)
    assert db.session.get(CareerEntry, past.id) is None
    assert [entry.id for entry in careers.list_entries(alice, alice)] == [current.id]


def test_every_rule_is_reported_at_once(app, alice):
    with pytest.raises(ValidationFailed) as failure:
        careers.add_entry(alice, careers.CareerInput("どこでもない市", "", "a b c d e f", month(-2)))
    assert set(failure.value.errors) == {"organization", "department", "tags", "start"}
    assert "来月まで" in failure.value.errors["start"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(5, 6, "開始月と同じか、それより後"), (5, -1, "未来の月")],
)
def test_end_month_rules(app, alice, start, end, message):
    with pytest.raises(ValidationFailed) as failure:
        add_post(alice, started=start, ended=end)
    assert message in failure.value.errors["end"]


def test_next_month_may_be_declared_after_the_announcement(app, alice):
    entry = add_post(alice, started=-1)  # 内示: the post starts next month
    assert entry.is_current


def test_one_current_post_unless_it_is_concurrent(app, alice):
    add_post(alice, "総務局 人事課", tags="人事", started=24)
    with pytest.raises(ValidationFailed) as failure:
        add_post(alice, started=3)
    assert "人事課" in failure.value.errors["end"] and "兼務" in failure.value.errors["end"]
    add_post(alice, started=3, concurrent=True)
    assert len(careers.current_entries(alice)) == 2


def test_only_the_owner_changes_an_entry(app, alice, bob):
    entry = add_post(alice)
    with pytest.raises(PermissionDenied):
        careers.update_entry(bob, entry.id, careers.CareerInput("141003", "財政局", "", month(3)))
    with pytest.raises(PermissionDenied):
        careers.delete_entry(bob, entry.id)
    with pytest.raises(NotFound):
        careers.end_entry(alice, 987654, month(0))
    assert db.session.get(CareerEntry, entry.id) is not None


def test_the_career_shows_as_the_person_chose(app, alice, bob, carol):
    admin = make_user(role="admin", org="900141")
    add_post(carol, org="010006", department="総務部 財政課", tags="財政")
    colleague = make_user(org="010006")
    for visibility, seen_by in [
        ("members", {alice, bob, carol, colleague, admin}),
        ("organization", {carol, colleague, admin}),
        ("ranking_only", {carol, admin}),
    ]:
        carol.career_visibility = visibility
        db.session.commit()
        for viewer in (alice, bob, carol, colleague, admin):
            entries = careers.list_entries(viewer, carol)
            assert (entries is not None) == (viewer in seen_by), (visibility, viewer.display_name)
    assert careers.list_entries(None, carol) is None  # anonymous visitor, private career


def test_career_pages_add_edit_end_delete(client, alice, bob):
    login(client, alice)
    page = client.get("/settings/career").get_data(as_text=True)
    assert "まだ職歴がありません" in page and 'class="org-picker"' in page

    response = client.post(
        "/settings/career",
        data={"organization": "神奈川県横浜市 (141003)", "department": "財政局 債権回収課", "tags": "債権回収、滞納整理", "start": "令和4年4月"},
    )
    assert response.status_code == 302
    entry = db.session.scalar(sa.select(CareerEntry).where(CareerEntry.user_id == alice.id))
    assert entry.start_on == date(2022, 4, 1) and entry.is_current

    response = client.post("/settings/career", data={"organization": "141003", "department": "", "start": "2030-04", "end": "2019-03"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "部署名を入力してください" in page and "来月までにしてください" in page

    page = client.get(f"/settings/career/{entry.id}/edit").get_data(as_text=True)
    assert 'value="神奈川県横浜市 (141003)"' in page and 'value="2022-04"' in page
    client.post(
        f"/settings/career/{entry.id}/edit",
        data={"organization": "神奈川県横浜市 (141003)", "department": "財政局 債権回収課 徴収係", "tags": "債権回収", "start": "2022-04"},
    )
    assert entry.department == "財政局 債権回収課 徴収係"

    response = client.post(f"/settings/career/{entry.id}/end", data={"end": "2099-03"}, follow_redirects=True)
    assert "未来の月" in response.get_data(as_text=True)
    client.post(f"/settings/career/{entry.id}/end", data={"end": month(0)})
    assert entry.end_on is not None

    assert client.get(f"/settings/career/{entry.id}/delete").status_code == 405
    client.post("/logout")
    login(client, bob)
    assert client.get(f"/settings/career/{entry.id}/edit").status_code == 403
    assert client.post(f"/settings/career/{entry.id}/delete").status_code == 403
    client.post("/logout")
    login(client, alice)
    client.post(f"/settings/career/{entry.id}/delete")
    assert db.session.get(CareerEntry, entry.id) is None


def test_the_profile_timeline_respects_privacy(client, alice, bob):
    add_post(bob, "市民局 住民情報担当", org="271004", tags="住民基本台帳", started=50, ended=20)
    add_post(bob, "財政局 税務部 収税課", org="271004", tags="債権回収", started=19)
    bob.career_visibility = "ranking_only"
    db.session.commit()

    login(client, alice)
    page = client.get(f"/users/{bob.id}").get_data(as_text=True)
    assert "職歴は公開されていません" in page and "住民情報担当" not in page
    client.post("/logout")

    login(client, bob)
    page = client.get(f"/users/{bob.id}").get_data(as_text=True)
    timeline = re.search(r'<ol class="timeline">.*?</ol>', page, re.S).group(0)
    assert timeline.index("収税課") < timeline.index("住民情報担当")  # newest first
    assert "職歴を編集" in page and "この人に聞く" not in page  # owner controls, no asking oneself
