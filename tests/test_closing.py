"""Close and reopen votes, duplicates pointing at their original, merging answers, search showing
the original, the ask page's near-duplicate warning, and the API contract."""

import json
from urllib.parse import quote

import pytest
import sqlalchemy as sa

import config
from app.extensions import db
from app.models import Answer, AuditLog, Notification, Question, User
from app.models.moderation import CLOSE_REASONS, CloseVote
from app.services import answers, closing, notifications, questions, reputation, search, tokens
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.privileges import PrivilegeRequired
from app.text import slugify
from tests.api_client import assert_error, bearer, post_json
from tests.factories import login, make_answer, make_question, make_user

ORIGINAL_TITLE = "令和６年度の住民税特別徴収の切替時期について"
DUPLICATE_TITLE = "退職者の特別徴収から普通徴収への切替はいつ？"


@pytest.fixture
def real_thresholds(app):
    """The production thresholds (TestingConfig sets them all to 0): closing needs 250 points. Tag
    creation stays open: the fixtures' askers create the tags, and tags are not tested here."""
    app.config["PRIVILEGE_THRESHOLDS"] = {**config.Config.PRIVILEGE_THRESHOLDS, "create_tags": 0}


def _member(reputation_points: int, name: str) -> User:
    user = make_user(name=name)
    user.reputation = reputation_points
    db.session.commit()
    return user


@pytest.fixture
def voters(app, real_thresholds) -> list[User]:
    return [_member(250, f"投票者{n}") for n in "１２３"]


@pytest.fixture
def pair(app, alice, bob) -> tuple[Question, Question]:
    """(original, duplicate), asked by alice and bob."""
    original = make_question(alice, ORIGINAL_TITLE, "年度途中で退職した職員の特別徴収をどう切り替えるか教えてください。", "住民税")
    duplicate = make_question(bob, DUPLICATE_TITLE, "退職した職員の住民税を普通徴収に切り替える時期を知りたいです。", "住民税")
    return original, duplicate


def question_url(question: Question) -> str:
    return f"/questions/{question.id}/{quote(slugify(question.title))}"


def _client_of(app, user: User):
    client = app.test_client()
    login(client, user)
    return client


def _page(client, question: Question) -> str:
    return client.get(question_url(question)).get_data(as_text=True)


def _audit(action: str) -> list[dict]:
    rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
    return [{"actor": row.actor_id, "target": row.target_id, **json.loads(row.detail)} for row in rows]


def _inbox(user: User) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)))


# ---------------------------------------------------------------- closing by votes


def test_three_members_close_a_duplicate_and_its_page_points_to_the_original(app, voters, pair, alice, bob):
    original, duplicate = pair
    below = _member(249, "あと一歩")
    refused = _client_of(app, below).post(f"/questions/{duplicate.id}/close", data={"reason": "duplicate", "duplicate_of": str(original.id)})
    assert refused.status_code == 403
    assert "質問を閉じる・再開する投票" in refused.get_data(as_text=True) and "250" in refused.get_data(as_text=True)

    # The original named three ways: its URL, its number in full-width digits, its number.
    full_width = str(original.id).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    named = [f"http://localhost{question_url(original)}", full_width, str(original.id)]
    clients = [_client_of(app, voter) for voter in voters]
    for client, original_ref in list(zip(clients, named, strict=True))[:2]:
        response = client.post(f"/questions/{duplicate.id}/close", data={"reason": "duplicate", "duplicate_of": original_ref})
        assert response.status_code == 302
    db.session.expire_all()
    assert not duplicate.is_closed
    assert "閉じる投票 2/3" in _page(clients[2], duplicate)
    assert "閉じる投票" not in _page(_client_of(app, below), duplicate)  # the count is for those who may vote

    clients[2].post(f"/questions/{duplicate.id}/close", data={"reason": "duplicate", "duplicate_of": named[2]})
    db.session.expire_all()
    assert duplicate.is_closed and duplicate.close_reason == "duplicate" and duplicate.duplicate_of_id == original.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CloseVote)) == 0  # the round is over
    [entry] = _audit("question_close")
    assert entry == {"actor": voters[2].id, "target": duplicate.id, "reason": "duplicate", "duplicate_of": original.id, "votes": [v.id for v in voters]}
    assert _inbox(bob) == ["closed"]

    page = _page(clients[0], duplicate)
    assert "この質問は重複として閉じられました。元の質問:" in page
    assert f'<a href="{question_url(original)}">{ORIGINAL_TITLE}</a>' in page
    assert "回答を投稿する" not in page and "再開の投票 0/3" in page


def test_a_closed_question_refuses_answers(app, moderator, pair, carol):
    original, duplicate = pair
    closing.close(moderator, duplicate, "duplicate", original.id)
    with pytest.raises(ValidationFailed):
        answers.post_answer(carol, duplicate, "普通徴収への切替は異動届出書の提出月で判断します。")
    client = _client_of(app, carol)
    response = client.post(f"/questions/{duplicate.id}/answers", data={"body": "普通徴収への切替は異動届出書の提出月で判断します。"})
    assert response.status_code == 422 and "閉じられた質問には回答できません。" in response.get_data(as_text=True)
    assert duplicate.answer_count == 0


def test_one_vote_per_member_per_round_and_the_asker_may_vote(app, voters, pair, real_thresholds):
    original, duplicate = pair
    asker = db.session.get(User, duplicate.author_id)
    asker.reputation = 250
    db.session.commit()
    outcome = closing.close(asker, duplicate, "unclear")
    assert not outcome.decided and outcome.round == closing.Round("close", 1, 3, True)
    with pytest.raises(ValidationFailed, match="すでに投票"):
        closing.close(asker, duplicate, "off_topic")
    closing.close(voters[0], duplicate, "unclear")
    assert closing.close(voters[1], duplicate, "off_topic").decided
    db.session.expire_all()
    assert duplicate.close_reason == "unclear"
    assert _audit("question_close")[0]["votes"] == [asker.id, voters[0].id, voters[1].id]
    assert _inbox(asker) == ["closed"]
    # The next round starts empty: the same members may now vote to reopen.
    assert not closing.reopen(asker, duplicate).decided
    with pytest.raises(ValidationFailed, match="すでに投票"):
        closing.reopen(asker, duplicate)


def test_the_reason_and_the_original_most_votes_named_ties_to_the_earliest(app, voters, alice, pair):
    original, duplicate = pair
    other = make_question(alice, "住民税の特別徴収税額通知の送付時期", "特別徴収税額の決定通知書はいつ頃事業所へ送付していますか。", "住民税")
    closing.close(voters[0], duplicate, "duplicate", other.id)
    closing.close(voters[1], duplicate, "off_topic")
    closing.close(voters[2], duplicate, "duplicate", original.id)
    db.session.expire_all()
    assert duplicate.close_reason == "duplicate" and duplicate.duplicate_of_id == other.id  # 1–1: the earliest

    third = make_question(alice, "固定資産税の課税標準の特例の適用漏れ", "住宅用地特例の適用漏れが判明した場合の遡及期間を教えてください。", "固定資産税")
    closing.close(voters[0], third, "resolved_case")
    closing.close(voters[1], third, "unclear")
    closing.close(voters[2], third, "unclear")
    db.session.expire_all()
    assert third.close_reason == "unclear"


def test_moderators_close_and_reopen_at_once(app, moderator, pair, bob):
    original, duplicate = pair
    client = _client_of(app, moderator)
    assert "この質問を閉じる" in _page(client, duplicate)
    client.post(f"/questions/{duplicate.id}/close", data={"reason": "off_topic"})
    db.session.expire_all()
    assert duplicate.is_closed and duplicate.close_reason == "off_topic" and duplicate.duplicate_of_id is None
    assert "この質問は閉じられました（理由: 範囲外）。" in _page(client, duplicate)
    assert "再開する" in _page(client, duplicate)

    client.post(f"/questions/{duplicate.id}/reopen")
    db.session.expire_all()
    assert not duplicate.is_closed and duplicate.close_reason is None
    assert [e["reason"] for e in _audit("question_close")] == ["off_topic"]
    assert _audit("question_reopen") == [{"actor": moderator.id, "target": duplicate.id, "reason": "off_topic", "duplicate_of": None, "votes": []}]
    assert _inbox(bob) == ["closed", "reopened"]
    [closed_note, _reopened] = notifications.list_notifications(bob, 1).items[::-1]
    assert "理由" not in notifications.describe(closed_note)  # reopened since: the reason no longer holds


def test_three_members_reopen_a_closed_question(app, voters, moderator, pair):
    original, duplicate = pair
    closing.close(moderator, duplicate, "duplicate", original.id)
    with pytest.raises(ValidationFailed, match="すでに閉じられて"):
        closing.close(voters[0], duplicate, "unclear")
    assert [closing.reopen(voter, duplicate).decided for voter in voters] == [False, False, True]
    db.session.expire_all()
    assert not duplicate.is_closed and duplicate.duplicate_of_id is None
    assert _audit("question_reopen")[0]["votes"] == [v.id for v in voters]
    with pytest.raises(ValidationFailed, match="閉じられていません"):
        closing.reopen(voters[0], duplicate)


def test_self_duplicates_cycles_and_chains_are_refused(app, moderator, pair, alice, bob):
    original, duplicate = pair
    third = make_question(alice, "住民税の特別徴収の納期の特例の申請", "納期の特例の承認を受けるための申請時期を教えてください。", "住民税")
    answer = make_answer(bob, original)

    def refused(question, original_ref) -> str:
        with pytest.raises(ValidationFailed) as failure:
            closing.close(moderator, question, "duplicate", original_ref)
        return failure.value.errors["duplicate_of"]

    assert "自分自身" in refused(duplicate, duplicate.id)
    assert "見つかりません" in refused(duplicate, answer.id)
    assert "見つかりません" in refused(duplicate, 999999)
    assert "番号か URL" in refused(duplicate, "住民税")
    assert "番号か URL" in refused(duplicate, None)
    closing.close(moderator, duplicate, "duplicate", original.id)
    assert "循環" in refused(original, duplicate.id)
    assert "その元の質問を指定" in refused(third, duplicate.id)
    questions.delete_question(moderator, third, reason="other")
    assert "見つかりません" in refused(original, third.id)


def test_below_the_privilege_is_refused_with_its_name(app, pair, real_thresholds):
    original, duplicate = pair
    newcomer = _member(10, "新人")
    with pytest.raises(PrivilegeRequired) as refused:
        closing.close(newcomer, duplicate, "duplicate", original.id)
    assert refused.value.privilege == "close_vote" and refused.value.threshold == 250
    with pytest.raises(PrivilegeRequired):
        closing.reopen(newcomer, duplicate)
    assert closing.status(newcomer, duplicate).round is None


# ---------------------------------------------------------------- merging answers


def test_moderator_merges_a_duplicates_answers_into_the_original(app, moderator, pair, alice, bob, carol):
    original, duplicate = pair
    kept = make_answer(carol, original, "当市では異動届出書の受付月の翌月から普通徴収に切り替えています。")
    moved = make_answer(carol, duplicate, "給与支払報告に係る給与所得者異動届出書で処理し、ﾀﾞﾌﾞﾙﾁｪｯｸします。")
    accepted = make_answer(alice, duplicate, "退職月の翌月分から普通徴収に切り替え、一括徴収の申出があれば残額を差し引きます。")
    removed = make_answer(alice, duplicate, "削除される予定の回答の本文です。十分な長さがあります。")
    answers.delete_answer(alice, removed)
    answers.accept_answer(bob, accepted)
    before = {user.id: user.reputation for user in (alice, bob)}
    with pytest.raises(ValidationFailed, match="重複として閉じられた質問だけ"):
        closing.merge_answers(moderator, duplicate)
    closing.close(moderator, duplicate, "duplicate", original.id)
    with pytest.raises(PermissionDenied):
        closing.merge_answers(carol, duplicate)

    page = _page(_client_of(app, moderator), duplicate)
    assert "回答を元の質問へ統合" in page
    response = _client_of(app, moderator).post(f"/questions/{duplicate.id}/merge-answers")
    assert response.status_code == 302 and response.headers["Location"].endswith(question_url(original))

    db.session.expire_all()
    assert {a.id for a in db.session.scalars(sa.select(Answer).where(Answer.question_id == original.id))} == {kept.id, moved.id, accepted.id}
    assert db.session.get(Answer, removed.id).question_id == duplicate.id  # removed answers stay where they were
    assert (original.answer_count, duplicate.answer_count) == (3, 0)
    assert duplicate.accepted_answer_id is None and original.accepted_answer_id is None
    for user in (alice, bob):
        db.session.refresh(user)
        assert user.reputation == reputation.recompute(user.id)
    assert alice.reputation == before[alice.id] - reputation.ACCEPTED
    assert bob.reputation == before[bob.id] - reputation.ACCEPTER
    [entry] = _audit("answers_merge")
    assert entry == {"actor": moderator.id, "target": duplicate.id, "duplicate_of": original.id, "answers": [moved.id, accepted.id], "unaccepted": accepted.id}
    assert _inbox(alice)[-1] == "merged" and _inbox(bob)[-1] == "merged"
    # The index follows: the moved answer's words find the original.
    assert [hit.question.id for hit in search.search_questions("ダブルチェック").hits] == [original.id]
    page = _page(_client_of(app, carol), original)
    assert "ﾀﾞﾌﾞﾙﾁｪｯｸ" in page or "ダブルチェック" in page


# ---------------------------------------------------------------- search and the ask page


def test_search_shows_the_original_in_place_of_the_duplicate(app, moderator, pair, carol):
    original, duplicate = pair
    hits = [hit.question.id for hit in search.search_questions("退職").hits]
    assert set(hits) == {original.id, duplicate.id}
    only_in_duplicate = [hit.question.id for hit in search.search_questions("知りたい").hits]
    assert only_in_duplicate == [duplicate.id]

    closing.close(moderator, duplicate, "duplicate", original.id)
    assert [hit.question.id for hit in search.search_questions("退職").hits] == [original.id]
    [hit] = search.search_questions("知りたい").hits
    assert hit.question.id == original.id and ORIGINAL_TITLE in str(hit.title_html)
    assert duplicate.id not in [q.id for q in search.similar_questions(DUPLICATE_TITLE)]
    assert original.id in [q.id for q in search.similar_questions(DUPLICATE_TITLE)]

    client = _client_of(app, carol)
    page = client.get("/search?q=知りたい").get_data(as_text=True)
    assert question_url(original) in page and question_url(duplicate) not in page
    carol_token = tokens.create_token(carol, "検索", "read").secret
    found = client.get("/api/v1/search?q=知りたい", headers=bearer(carol_token)).get_json()
    assert [item["id"] for item in found["items"]] == [original.id]

    # With its original removed, the duplicate is the best answer left.
    questions.delete_question(moderator, original, reason="other")
    assert [hit.question.id for hit in search.search_questions("知りたい").hits] == [duplicate.id]


def test_the_ask_page_warns_before_a_near_duplicate(app, pair, carol):
    original, _duplicate = pair
    client = _client_of(app, carol)
    typed = "令和6年度の住民税特別徴収の切替時期について？"  # half-width digit, a question mark more
    items = client.get("/questions/similar", query_string={"title": typed}).get_json()["items"]
    assert items[0]["id"] == original.id and items[0]["near_duplicate"] is True
    items = client.get("/questions/similar", query_string={"title": "住民税の特別徴収について"}).get_json()["items"]
    assert not any(item["near_duplicate"] for item in items)
    assert "よく似た質問がすでにあります" in client.get("/questions/ask").get_data(as_text=True)  # for the script, hidden

    form = {"title": typed, "body": "年度の途中で切り替える場合の手順を教えてください 🙏", "tags": "住民税"}
    held = client.post("/questions/ask", data=form)
    page = held.get_data(as_text=True)
    assert held.status_code == 422
    assert "よく似た質問がすでにあります。重複していないか確認してください" in page
    assert question_url(original) in page and "重複ではないことを確認しました" in page
    assert "年度の途中で切り替える場合の手順を教えてください 🙏" in page  # nothing typed is lost
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 2

    posted = client.post("/questions/ask", data={**form, "not_duplicate": "y"})
    assert posted.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 3


def test_near_duplicate_rule():
    assert closing.is_near_duplicate("令和６年度の住民税特別徴収について", "令和6年度の 住民税特別徴収について？")
    assert closing.is_near_duplicate("住民税の特別徴収の切替手続きについて", "住民税の特別徴収の切替手続きについて教えてください")
    assert not closing.is_near_duplicate("住民税の特別徴収の切替手続きについて", "住民税の特別徴収税額通知の送付時期")
    assert not closing.is_near_duplicate("？？", "！！")
    assert set(closing.REASONS) == set(CLOSE_REASONS)


# ---------------------------------------------------------------- the API


def test_api_contract_moderator_closes_a_duplicate(app, moderator, pair, carol):
    original, duplicate = pair
    secret = tokens.create_token(moderator, "モデレーター", "write").secret
    response = post_json(app.test_client(), f"/api/v1/questions/{duplicate.id}/close", {"reason": "duplicate", "duplicate_of": original.id}, secret)
    assert response.status_code == 200
    body = response.get_json()
    assert body["closed"] == {"reason": "duplicate", "duplicate_of": original.id}
    assert body["close_votes"] == {"kind": "reopen", "count": 0, "needed": 3, "voted": False}
    got = app.test_client().get(f"/api/v1/questions/{duplicate.id}", headers=bearer(secret)).get_json()
    assert got["closed"] == {"reason": "duplicate", "duplicate_of": original.id}
    assert app.test_client().get(f"/api/v1/questions/{original.id}", headers=bearer(secret)).get_json()["closed"] is None

    reopened = post_json(app.test_client(), f"/api/v1/questions/{duplicate.id}/reopen", {}, secret)
    assert reopened.status_code == 200 and reopened.get_json()["closed"] is None


def test_api_votes_and_refusals(app, voters, pair):
    original, duplicate = pair
    secret = tokens.create_token(voters[0], "投票", "write").secret
    client = app.test_client()
    voted = post_json(client, f"/api/v1/questions/{duplicate.id}/close", {"reason": "duplicate", "duplicate_of": question_url(original)}, secret)
    assert voted.status_code == 200
    assert voted.get_json()["closed"] is None
    assert voted.get_json()["close_votes"] == {"kind": "close", "count": 1, "needed": 3, "voted": True}
    assert_error(post_json(client, f"/api/v1/questions/{duplicate.id}/close", {"reason": "unclear"}, secret), 422)
    assert_error(post_json(client, f"/api/v1/questions/{original.id}/close", {"reason": ["duplicate"]}, secret), 422)
    assert_error(post_json(client, f"/api/v1/questions/{original.id}/close", {"reason": "duplicate", "duplicate_of": original.id}, secret), 422)
    assert_error(post_json(client, f"/api/v1/questions/{original.id}/reopen", {}, secret), 422)

    newcomer = _member(0, "新人")
    weak = tokens.create_token(newcomer, "新人", "write").secret
    error = assert_error(post_json(client, f"/api/v1/questions/{original.id}/close", {"reason": "unclear"}, weak), 403, "privilege_required")
    assert "250" in error["message"]


def test_audit_page_names_closing(app, moderator, pair):
    original, duplicate = pair
    closing.close(moderator, duplicate, "duplicate", original.id)
    admin = make_user(role="admin")
    page = _client_of(app, admin).get("/admin/audit").get_data(as_text=True)
    assert "質問を閉じる" in page and "元の質問" in page and "重複" in page
