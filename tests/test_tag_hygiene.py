"""Tag hygiene: the tag-creation privilege, case-preserving tags, merge, rename, delete, synonym proposals.

Every test here runs with the real privilege thresholds (create_tags 100, propose_synonyms 250):
the members below them are what the rules are about.
"""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLog, CareerEntry, Notification, Question, Tag, TagSynonym, question_tags
from app.services import questions, search, tag_admin, tags, tokens
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.privileges import PrivilegeRequired
from tests.api_client import assert_error, post_json
from tests.factories import login, make_question
from tests.people_factories import add_post

pytestmark = pytest.mark.privileges


@pytest.fixture
def seeded(moderator):
    """Tags a moderator made: 債権回収 (synonym 滞納整理, approved) and ＤＸ, shown as DX."""
    make_question(moderator, title="債権回収の分納誓約の取り方について", tags="債権回収")
    make_question(moderator, title="自治体のＤＸ推進計画の作り方について", tags="ＤＸ")
    tags.edit_tag(moderator, tags.get_tag("債権回収"), tags.TagEdit("", "department", "滞納整理"))


def with_reputation(user, points: int):
    user.reputation = points
    db.session.commit()
    return user


def tag_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Tag))


def audit_actions(action: str) -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)))


def carriers(tag: Tag) -> list[int]:
    return sorted(db.session.scalars(sa.select(question_tags.c.question_id).where(question_tags.c.tag_id == tag.id)))


def seeded_id() -> int:
    return db.session.scalar(sa.select(Question.id).where(Question.title == "債権回収の分納誓約の取り方について"))


# ---------------------------------------------------------------- the tag-creation privilege (contract)


def test_api_refuses_a_new_tag_below_the_privilege_and_creates_nothing(client, alice, seeded):
    secret = tokens.create_token(alice, "アリスの連携", "write").secret
    before = tag_count()
    response = post_json(
        client,
        "/api/v1/questions",
        {"title": "存在しないタグで質問してみます", "body": "新しいタグを作れるか確かめます。", "tags": ["債権回収", "存在しないタグ"]},
        secret,
    )
    error = assert_error(response, 422, "validation_failed")
    assert "「新しいタグを作る」" in error["fields"]["tags"] and "100" in error["fields"]["tags"]
    assert "存在しないタグ" in error["fields"]["tags"]
    assert tag_count() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question).where(Question.author_id == alice.id)) == 0


def test_existing_tags_and_approved_synonyms_always_work(client, alice, seeded):
    secret = tokens.create_token(alice, "アリスの連携", "write").secret
    response = post_json(
        client,
        "/api/v1/questions",
        {"title": "滞納整理とＤＸのタグで質問します", "body": "既存のタグと同義語だけを使います。", "tags": "滞納整理、ｄｘ"},
        secret,
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert sorted(response.get_json()["tags"]) == ["DX", "債権回収"]


def test_the_web_form_names_the_privilege_and_keeps_what_was_typed(client, alice, seeded):
    login(client, alice)
    before = tag_count()
    response = client.post(
        "/questions/ask",
        data={"title": "ﾜｸﾁﾝ接種の予約枠について質問です", "body": "予約枠の配分をどう決めていますか。", "tags": "債権回収 ﾜｸﾁﾝ接種"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "まだないタグです: ワクチン接種" in page and "「新しいタグを作る」には評価ポイント100以上が必要です" in page
    assert "ﾜｸﾁﾝ接種の予約枠について質問です" in page and "予約枠の配分をどう決めていますか。" in page
    assert tag_count() == before


def test_a_member_with_the_privilege_creates_tags(alice, seeded):
    with_reputation(alice, 100)
    question = make_question(alice, title="ワクチン接種の予約枠について", tags="ﾜｸﾁﾝ接種 SDGs")
    assert sorted(tag.label for tag in question.tags) == ["SDGs", "ワクチン接種"]
    assert tags.get_tag("sdgs").display_name == "SDGs"
    assert tags.get_tag("ワクチン接種").display_name is None  # nothing to keep: the key says it


def test_editing_a_question_to_a_new_tag_is_refused_too(alice, seeded):
    question = make_question(alice, title="債権回収の時効の数え方について", tags="債権回収")
    with pytest.raises(ValidationFailed) as refused:
        questions.edit_question(
            alice, question, questions.QuestionInput(question.title, question.body, "債権回収 新設タグ"), base_revision=1
        )
    assert "新しいタグを作る" in refused.value.errors["tags"]
    assert [t.name for t in db.session.get(Question, question.id).tags] == ["債権回収"]


def test_career_entries_follow_the_same_rule(alice, seeded):
    before = tag_count()
    with pytest.raises(ValidationFailed) as refused:
        add_post(alice, tags="債権回収 架空の業務")
    assert "新しいタグを作る" in refused.value.errors["tags"]
    assert tag_count() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CareerEntry)) == 0
    entry = add_post(alice, tags="滞納整理 ＤＸ")
    assert sorted(tag.label for tag in entry.tags) == ["DX", "債権回収"]


# ---------------------------------------------------------------- case-preserving tags


@pytest.mark.parametrize("typed", ["dx", "Dx", "ＤＸ", "DX"])
def test_latin_tags_match_case_insensitively_and_show_as_written(client, alice, seeded, typed):
    question = make_question(alice, title="ＤＸ推進の庁内体制について", tags=typed)
    assert [(t.name, t.label) for t in question.tags] == [("dx", "DX")]
    login(client, alice)
    page = client.get("/tags/dx").get_data(as_text=True)
    assert "タグ「DX」" in page
    assert client.get(f"/tags/{typed}").status_code in (200, 301)


def test_pages_api_and_feeds_show_the_label(client, alice, seeded):
    secret = tokens.create_token(alice, "アリスの連携", "read").secret
    login(client, alice)
    assert '>DX</a>' in client.get("/questions").get_data(as_text=True)
    assert "DX" in [tag for item in client.get("/api/v1/questions", headers={"Authorization": f"Bearer {secret}"}).get_json()["items"] for tag in item["tags"]]
    assert client.get("/tags/suggest?q=d").get_json()["items"][0]["name"] == "DX"


def test_moderators_change_the_display_form(moderator, seeded):
    tag = tags.get_tag("dx")
    tag_admin.rename_tag(moderator, tag, "Dx")
    assert (tag.name, tag.label) == ("dx", "Dx")
    tag_admin.rename_tag(moderator, tag, "dx")
    assert (tag.name, tag.display_name, tag.label) == ("dx", None, "dx")
    assert not db.session.scalars(sa.select(TagSynonym).where(TagSynonym.name == "dx")).all()


# ---------------------------------------------------------------- merge


def test_merge_moves_questions_careers_and_synonyms(client, moderator, alice, seeded):
    debt = tags.get_tag("債権回収")
    only_old = make_question(moderator, title="徴収の順序について質問します", tags="徴収")
    both = make_question(moderator, title="徴収と債権回収の違いについて", tags="徴収 債権回収")
    removed = make_question(moderator, title="削除される徴収の質問です", tags="徴収")
    questions.delete_question(moderator, removed)
    old = tags.get_tag("徴収")
    tags.edit_tag(moderator, old, tags.TagEdit("", "topic", "取立て"))
    entry = add_post(alice, tags="徴収 債権回収")
    lone_entry = add_post(alice, department="財政局 収納課", tags="徴収", started=30, ended=13)
    old_id, debt_count = old.id, debt.question_count
    assert (old.question_count, debt_count) == (2, 2)

    login(client, moderator)
    response = client.post("/tags/徴収/merge", data={"target": "債権回収"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/tags/%E5%82%B5%E6%A8%A9%E5%9B%9E%E5%8F%8E")

    db.session.expire_all()
    assert db.session.get(Tag, old_id) is None
    debt = tags.get_tag("債権回収")
    assert carriers(debt) == sorted([seeded_id(), only_old.id, both.id, removed.id])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(question_tags).where(question_tags.c.question_id == both.id)) == 1
    assert debt.question_count == debt_count + 1  # only_old; `both` was counted already, `removed` is not visible
    assert [t.name for t in db.session.get(CareerEntry, entry.id).tags] == ["債権回収"]
    assert [t.name for t in db.session.get(CareerEntry, lone_entry.id).tags] == ["債権回収"]
    assert tags.get_tag("徴収").id == debt.id and tags.get_tag("取立て").id == debt.id
    assert {s.name for s in debt.approved_synonyms} == {"滞納整理", "取立て", "徴収"}
    assert only_old.id in [hit.question.id for hit in search.search_questions("[債権回収]").hits]
    [row] = audit_actions("tag_merge")
    assert row.actor_id == moderator.id and row.target_id == debt.id
    assert '"questions": 3' in row.detail and '"careers": 2' in row.detail and '"synonyms": 1' in row.detail


def test_merge_into_itself_or_an_unknown_tag_is_a_form_error(client, moderator, seeded):
    login(client, moderator)
    assert "同じタグには統合できません" in client.post("/tags/債権回収/merge", data={"target": "滞納整理"}).get_data(as_text=True)
    response = client.post("/tags/債権回収/merge", data={"target": "存在しないタグ"})
    assert response.status_code == 422 and "統合先のタグが見つかりません" in response.get_data(as_text=True)
    assert tags.get_tag("債権回収")


# ---------------------------------------------------------------- rename and delete


def test_rename_keeps_the_old_name_as_a_synonym(client, moderator, alice, seeded):
    make_question(moderator, title="滞納処分の執行停止について", tags="滞納処分")
    login(client, moderator)
    manage = client.get("/tags/滞納処分/manage")
    assert manage.status_code == 200 and "別のタグに統合する" in manage.get_data(as_text=True)
    assert client.post("/tags/滞納処分/rename", data={"name": "滞納処分・執行停止"}).status_code == 302
    tag = tags.get_tag("滞納処分")
    assert tag.name == "滞納処分・執行停止"
    # A member below create_tags types the old name: it resolves, nothing is created.
    question = make_question(alice, title="執行停止の判断基準について", tags="滞納処分")
    assert [t.name for t in question.tags] == ["滞納処分・執行停止"]
    assert search.search_questions("[滞納処分・執行停止]").total == 2
    assert audit_actions("tag_rename")[0].target_id == tag.id


def test_rename_onto_an_existing_tag_suggests_a_merge(client, moderator, seeded):
    login(client, moderator)
    response = client.post("/tags/dx/rename", data={"name": "債権回収"})
    assert response.status_code == 422 and "統合" in response.get_data(as_text=True)
    assert tags.get_tag("dx").name == "dx"


def test_only_empty_tags_are_deleted(client, moderator, seeded):
    typo = make_question(moderator, title="存在しないタグの付いた質問です", tags="存在しないタグ")
    questions.edit_question(
        moderator, typo, questions.QuestionInput(typo.title, typo.body, "債権回収"), base_revision=1
    )
    login(client, moderator)
    cleanup = client.get("/moderation/tags").get_data(as_text=True)
    assert "存在しないタグ" in cleanup and "債権回収</a>" not in cleanup
    response = client.post("/tags/存在しないタグ/delete")
    assert response.status_code == 302
    with pytest.raises(NotFound):
        tags.get_tag("存在しないタグ")
    assert audit_actions("tag_delete")[0].actor_id == moderator.id

    refused = client.post("/tags/債権回収/delete")
    assert refused.status_code == 422 and "統合してください" in refused.get_data(as_text=True)
    assert tags.get_tag("債権回収")


def test_a_tag_only_removed_questions_carry_is_not_deleted(moderator, seeded):
    question = make_question(moderator, title="あとで削除する質問です", tags="一時的なタグ")
    questions.delete_question(moderator, question)
    tag = tags.get_tag("一時的なタグ")
    assert tag in tag_admin.empty_tags()
    with pytest.raises(ValidationFailed):
        tag_admin.delete_tag(moderator, tag)


def test_members_cannot_merge_rename_delete_or_see_the_cleanup(client, alice, seeded):
    with_reputation(alice, 5000)  # reputation is not a moderator's role
    login(client, alice)
    assert client.get("/moderation/tags").status_code == 403
    assert client.get("/tags/dx/manage").status_code == 403
    assert client.post("/tags/dx/merge", data={"target": "債権回収"}).status_code == 403
    assert client.post("/tags/dx/rename", data={"name": "デジタル"}).status_code == 403
    assert client.post("/tags/dx/delete").status_code == 403
    assert tags.get_tag("dx").label == "DX"


# ---------------------------------------------------------------- synonym proposals


def test_a_proposal_resolves_only_once_approved(client, alice, bob, moderator, seeded):
    with_reputation(bob, 250)
    login(client, bob)
    assert "同義語を提案" in client.get("/tags/債権回収").get_data(as_text=True)
    response = client.post("/tags/債権回収/synonyms", data={"name": "徴収"}, follow_redirects=True)
    assert "モデレーターの承認を待っています" in response.get_data(as_text=True)
    synonym = db.session.scalar(sa.select(TagSynonym).where(TagSynonym.name == "徴収"))
    assert synonym.proposed_by_id == bob.id and synonym.approved_at is None

    # Pending: typing it is a new tag (refused below the privilege); the tag page does not list it.
    with pytest.raises(NotFound):
        tags.get_tag("徴収")
    with pytest.raises(ValidationFailed):
        make_question(alice, title="徴収のタグで質問します", tags="徴収")
    assert tags.suggest_tags("徴収") == []
    assert "徴収" not in client.get("/tags/債権回収").get_data(as_text=True).split("同義語:")[-1].split("</p>")[0]

    client.post("/logout")
    login(client, moderator)
    assert "徴収" in client.get("/moderation/tags").get_data(as_text=True)
    assert client.post(f"/moderation/tags/synonyms/{synonym.id}", data={"decision": "approve"}).status_code == 302
    question = make_question(alice, title="徴収のタグで質問します", tags="徴収")
    assert [t.name for t in question.tags] == ["債権回収"]
    assert [n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == bob.id))] == ["synonym_approved"]
    assert [row.actor_id for row in audit_actions("tag_synonym_propose")] == [bob.id]
    assert [row.actor_id for row in audit_actions("tag_synonym_approve")] == [moderator.id]
    client.post("/logout")
    login(client, bob)
    assert "承認されました" in client.get("/notifications").get_data(as_text=True)


def test_a_rejected_proposal_is_gone_and_the_proposer_told(moderator, bob, seeded):
    with_reputation(bob, 250)
    synonym = tag_admin.propose_synonym(bob, tags.get_tag("dx"), "デジタル変革")
    tag_admin.reject_synonym(moderator, synonym.id)
    assert db.session.scalar(sa.select(TagSynonym).where(TagSynonym.name == "デジタル変革")) is None
    with pytest.raises(NotFound):
        tags.get_tag("デジタル変革")
    assert [n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == bob.id))] == ["synonym_rejected"]
    assert audit_actions("tag_synonym_reject")[0].actor_id == moderator.id
    with pytest.raises(NotFound):  # decided once
        tag_admin.approve_synonym(moderator, synonym.id)


def test_proposals_need_the_privilege_and_a_free_name(client, alice, bob, moderator, seeded):
    login(client, alice)
    assert "同義語を提案" not in client.get("/tags/債権回収").get_data(as_text=True)
    assert client.post("/tags/債権回収/synonyms", data={"name": "徴収"}).status_code == 403
    with pytest.raises(PrivilegeRequired):
        tag_admin.propose_synonym(alice, tags.get_tag("債権回収"), "徴収")
    with_reputation(bob, 250)
    for taken in ("ＤＸ", "滞納整理", "債権回収"):
        with pytest.raises(ValidationFailed):
            tag_admin.propose_synonym(bob, tags.get_tag("債権回収"), taken)
    with pytest.raises(PermissionDenied):
        tag_admin.approve_synonym(bob, 1)


def test_a_moderators_synonyms_are_approved_at_once(moderator, seeded):
    synonym = tag_admin.propose_synonym(moderator, tags.get_tag("dx"), "ﾃﾞｼﾞﾀﾙ変革")
    assert synonym.name == "デジタル変革" and synonym.approved_at is not None
    assert tags.get_tag("デジタル変革").label == "DX"
    assert tag_admin.pending_synonyms() == []


def test_the_edit_form_keeps_pending_proposals(moderator, bob, seeded):
    with_reputation(bob, 250)
    tag_admin.propose_synonym(bob, tags.get_tag("債権回収"), "徴収")
    tags.edit_tag(moderator, tags.get_tag("債権回収"), tags.TagEdit("説明です。", "department", "滞納整理 回収"))
    [(pending, proposer)] = tag_admin.pending_synonyms()
    assert (pending.name, proposer.id) == ("徴収", bob.id)
    assert {s.name for s in tags.get_tag("債権回収").approved_synonyms} == {"滞納整理", "回収"}
