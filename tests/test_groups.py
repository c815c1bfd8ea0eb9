"""Theme groups (issue 17.1): the service, the pages, the API contract."""

import pytest

from app.extensions import db
from app.models import GroupMembership, Notification
from app.services import groups, notifications
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.api_client import assert_error, bearer
from tests.factories import login, make_question, make_user


def _group(moderator, name="債権回収", slug="", policy="open", tags=""):
    return groups.create_group(moderator, groups.GroupInput(name=name, slug=slug, description="**滞納整理**の情報交換", tags=tags, join_policy=policy))


# ---------------------------------------------------------------- service


def test_moderators_create_groups_with_japanese_slugs_and_members_cannot(moderator, alice):
    make_question(alice, tags="住民税")
    group = _group(moderator, name="債権回収 ＷＧ", tags="住民税")
    assert group.slug == "債権回収-wg"
    assert "<strong>滞納整理</strong>" in group.description_html
    assert [tag.name for tag in group.tags] == ["住民税"]
    assert groups.is_organizer(moderator, group)
    with pytest.raises(PermissionDenied):
        _group(alice, name="財政")
    with pytest.raises(ValidationFailed) as failure:
        _group(moderator, name="別名", slug="債権回収-WG")  # full-width and case fold to the same slug
    assert "ほかのグループ" in str(failure.value.errors["slug"])
    with pytest.raises(ValidationFailed):
        _group(moderator, name="新規", slug="new")
    assert groups.get_group("債権回収-ＷＧ").id == group.id


def test_linked_tags_must_exist(moderator, alice):
    make_question(alice, tags="ワクチン接種")
    group = _group(moderator, name="ワクチン接種", tags="ﾜｸﾁﾝ接種")  # half-width kana folds
    assert [tag.name for tag in group.tags] == ["ワクチン接種"]
    with pytest.raises(ValidationFailed) as failure:
        _group(moderator, name="SDGs", tags="存在しないタグ")
    assert "存在しないタグ" in str(failure.value.errors["tags"])


def test_open_group_joins_at_once_and_leaving_removes_the_row(moderator, alice):
    group = _group(moderator)
    row = groups.join(alice, group)
    assert row.status == "active" and row.watching
    assert groups.join(alice, group).status == "active"  # again: unchanged
    groups.leave(alice, group)
    assert groups.membership(alice, group) is None


def test_approval_group_notifies_organizers_and_the_applicant(moderator, alice, bob):
    group = _group(moderator, policy="approval")
    assert groups.join(alice, group).status == "pending"
    [applied] = db.session.scalars(db.select(Notification).where(Notification.user_id == moderator.id)).all()
    assert applied.kind == "group_applied"
    assert "債権回収" in notifications.describe(applied) and "横浜 アリス" in notifications.describe(applied)
    assert notifications.link(applied, moderator).endswith("/groups/%E5%82%B5%E6%A8%A9%E5%9B%9E%E5%8F%8E")
    with pytest.raises(PermissionDenied):
        groups.decide(bob, group, alice.id, approve=True)
    groups.decide(moderator, group, alice.id, approve=True)
    assert groups.membership(alice, group).status == "active"
    groups.join(bob, group)
    groups.decide(moderator, group, bob.id, approve=False)
    assert groups.membership(bob, group) is None
    kinds = db.session.scalars(db.select(Notification.kind).where(Notification.user_id.in_([alice.id, bob.id])).order_by(Notification.id)).all()
    assert kinds == ["group_approved", "group_refused"]
    with pytest.raises(NotFound):
        groups.decide(moderator, group, bob.id, approve=True)  # nothing pending any more


def test_the_last_organizer_cannot_leave_others_behind(moderator, alice):
    group = _group(moderator)
    groups.join(alice, group)
    with pytest.raises(ValidationFailed):
        groups.leave(moderator, group)
    groups.set_role(moderator, group, alice.id, "organizer")
    groups.leave(moderator, group)
    assert groups.is_organizer(alice, group)


def test_organizers_edit_their_group_but_members_do_not(moderator, alice, bob):
    group = _group(moderator)
    groups.join(alice, group)
    groups.set_role(moderator, group, alice.id, "organizer")
    groups.update_group(alice, group, groups.GroupInput(name="債権回収 研究会", slug=group.slug, description="改訂🍀"))
    assert group.name == "債権回収 研究会"
    groups.join(bob, group)
    with pytest.raises(PermissionDenied):
        groups.update_group(bob, group, groups.GroupInput(name="乗っ取り", slug=group.slug))


def test_group_questions_are_its_tags_and_those_posted_in_it(moderator, alice, bob):
    tagged = make_question(alice, title="滞納処分の執行停止の判断基準は？", tags="債権回収")
    other = make_question(alice, title="ふるさと納税の返礼品の基準は？", tags="ふるさと納税")
    group = _group(moderator, tags="債権回収")
    groups.join(bob, group)
    from app.services import questions

    posted = questions.ask_question(
        bob, questions.QuestionInput("分納誓約の期間は何か月まで認めていますか", "分納の期間の上限を決めていますか。", "分納", group=group.slug)
    )
    ids = [q.id for q in groups.group_questions(alice, group, 1).items]
    assert set(ids) == {tagged.id, posted.id} and other.id not in ids


# ---------------------------------------------------------------- pages


def test_group_list_is_linked_from_the_navigation_and_has_an_empty_state(member_client):
    home = member_client.get("/").get_data(as_text=True)
    assert 'href="/groups"' in home
    page = member_client.get("/groups").get_data(as_text=True)
    assert "グループはまだありません。" in page
    assert "グループを作る" not in page


def test_moderator_creates_a_group_through_the_form(client, moderator):
    login(client, moderator)
    assert client.get("/groups/new").status_code == 200
    response = client.post("/groups/new", data={"name": "ワクチン接種", "slug": "", "description": "接種体制", "tags": "", "join_policy": "open"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "グループ「ワクチン接種」" in page and "接種体制" in page


def test_membership_form_needs_a_csrf_token(app_factory):
    from tests.test_flags import csrf_client

    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        group = _group(make_user(role="moderator"))
        member = make_user()
        client, token = csrf_client(app, member)
        assert client.post(f"/groups/{group.slug}/membership", data={"action": "join"}).status_code == 400
        assert groups.membership(member, group) is None
        assert client.post(f"/groups/{group.slug}/membership", data={"action": "join", "csrf_token": token}).status_code == 302
        assert groups.membership(member, group).status == "active"
        db.session.remove()


def test_member_joins_watches_and_leaves_through_the_page(member_client, moderator, carol):
    group = _group(moderator)
    page = member_client.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "参加する" in page and "このグループの質問はまだありません。" in page
    member_client.post(f"/groups/{group.slug}/membership", data={"action": "join"})
    page = member_client.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "ウォッチ中" in page and "北海道 キャロル" in page and "北海道" in page
    member_client.post(f"/groups/{group.slug}/membership", data={"action": "unwatch"})
    assert groups.membership(carol, group).watching is False
    member_client.post(f"/groups/{group.slug}/membership", data={"action": "leave"})
    assert groups.membership(carol, group) is None
    assert member_client.post(f"/groups/{group.slug}/membership", data={"action": "nonsense"}).status_code == 400


def test_non_organizers_get_403_on_edit_and_decisions(member_client, moderator, alice):
    group = _group(moderator, policy="approval")
    groups.join(alice, group)
    response = member_client.get(f"/groups/{group.slug}/edit")
    assert response.status_code == 403
    response = member_client.post(f"/groups/{group.slug}/applications/{alice.id}", data={"decision": "approve"})
    assert response.status_code == 403
    assert member_client.get("/groups/ない").status_code == 404


def test_organizer_approves_from_the_page(client, moderator, alice):
    group = _group(moderator, policy="approval")
    groups.join(alice, group)
    login(client, moderator)
    page = client.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert "参加の申し込み" in page and "横浜 アリス" in page
    client.post(f"/groups/{group.slug}/applications/{alice.id}", data={"decision": "approve"})
    assert groups.membership(alice, group).status == "active"


# ---------------------------------------------------------------- API contract


def test_api_lists_and_shows_groups(client, moderator, alice, alice_token):
    group = _group(moderator, name="財政")
    groups.join(alice, group)
    body = client.get("/api/v1/groups", headers=bearer(alice_token)).get_json()
    assert body["total"] == 1 and body["items"][0]["slug"] == "財政" and body["items"][0]["member_count"] == 2
    detail = client.get("/api/v1/groups/財政", headers=bearer(alice_token)).get_json()
    assert detail["membership"] == {"group": "財政", "status": "active", "role": "member", "watching": True}
    assert {m["display_name"] for m in detail["members"]} == {"モデレーター", "横浜 アリス"}
    assert detail["members"][0]["role"] == "organizer"
    assert_error(client.get("/api/v1/groups/ない", headers=bearer(alice_token)), 404)


def test_api_join_is_201_or_202_and_leave_is_204(client, moderator, alice, alice_token):
    _group(moderator, name="財政")
    _group(moderator, name="債権回収", policy="approval")
    response = client.post("/api/v1/groups/財政/membership", headers=bearer(alice_token))
    assert response.status_code == 201 and response.get_json()["status"] == "active"
    response = client.post("/api/v1/groups/債権回収/membership", headers=bearer(alice_token))
    assert response.status_code == 202 and response.get_json()["status"] == "pending"
    assert client.delete("/api/v1/groups/財政/membership", headers=bearer(alice_token)).status_code == 204
    assert db.session.scalar(db.select(db.func.count()).select_from(GroupMembership).where(GroupMembership.user_id == alice.id)) == 1
    assert client.post("/api/v1/groups/財政/membership").status_code == 401


def test_read_only_token_cannot_join(client, moderator, alice):
    from app.services import tokens

    _group(moderator, name="財政")
    secret = tokens.create_token(alice, "読み取り", "read").secret
    assert_error(client.post("/api/v1/groups/財政/membership", headers=bearer(secret)), 403)


def test_api_question_in_a_group_needs_membership(client, moderator, alice, alice_token):
    from tests.api_client import post_json

    _group(moderator, name="財政")
    payload = {"title": "起債の協議の時期は？", "body": "同意等基準の協議はいつ頃ですか。", "tags": ["財政"], "group": "財政", "visibility": "group"}
    assert_error(post_json(client, "/api/v1/questions", payload, alice_token), 400)
    assert_error(post_json(client, "/api/v1/questions", {**payload, "group": "ない"}, alice_token), 400)
    assert_error(post_json(client, "/api/v1/questions", {**payload, "group": ""}, alice_token), 400)
    client.post("/api/v1/groups/財政/membership", headers=bearer(alice_token))
    response = post_json(client, "/api/v1/questions", payload, alice_token)
    assert response.status_code == 201
    body = response.get_json()
    assert body["group"] == "財政" and body["visibility"] == "group"

