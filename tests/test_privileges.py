"""Privileges by reputation with the real thresholds: what a new member may and may not do, the
403 that says why (page and API), the buttons, and the help page read from configuration."""

import pytest
import sqlalchemy as sa

from app.database import write_transaction
from app.extensions import db
from app.models import Comment, User, Vote
from app.services import comments, privileges, reputation, votes
from app.services.privileges import PrivilegeRequired
from config import Config
from tests.api_client import bearer
from tests.factories import login, make_question, make_user

# Tag creation stays open: the fixtures' askers (0 points) create the tags these tests use.
pytestmark = pytest.mark.privileges(create_tags=0)


def grant(user: User, points: int) -> None:
    """Reputation earned elsewhere (recorded as imported, so recompute() still agrees)."""
    with write_transaction():
        reputation.add(user.id, points, "imported")
    db.session.refresh(user)


def test_the_marker_builds_the_app_with_the_real_thresholds(app):
    assert app.config["PRIVILEGE_THRESHOLDS"] == {**Config.PRIVILEGE_THRESHOLDS, "create_tags": 0}
    assert app.config["PRIVILEGE_THRESHOLDS"]["vote_down"] == 50


def test_a_new_member_votes_up_and_comments_but_cannot_vote_down(app, alice, bob):
    question = make_question(alice)
    assert votes.cast_vote(bob, question, 1) == 1
    comments.add_comment(bob, question, "ありがとうございます、参考になりました")
    with pytest.raises(PrivilegeRequired) as refused:
        votes.cast_vote(bob, question, -1)
    assert (refused.value.privilege, refused.value.threshold) == ("vote_down", 50)
    assert "低評価を付ける" in refused.value.message and "50" in refused.value.message
    assert db.session.scalar(sa.select(Vote.value).where(Vote.user_id == bob.id)) == 1  # the up-vote stays


def test_reaching_the_threshold_unlocks_the_privilege_and_withdrawing_is_always_allowed(app, alice, bob):
    question = make_question(alice)
    grant(bob, 50)
    assert votes.cast_vote(bob, question, -1) == -1
    with write_transaction():
        reputation.add(bob.id, -10, "imported")  # fell below the threshold again
    db.session.refresh(bob)
    assert not privileges.has(bob, "vote_down")
    assert votes.cast_vote(bob, question, 0) == 0  # taking the vote back needs no privilege


def test_moderators_hold_every_privilege(app, alice, moderator):
    assert moderator.reputation == 0
    assert all(privileges.has(moderator, name) for name in privileges.NAMES)
    assert votes.cast_vote(moderator, make_question(alice), -1) == -1


def test_a_scaled_down_site_lets_a_new_member_vote_down(app_factory):
    thresholds = {**Config.PRIVILEGE_THRESHOLDS, "vote_down": 0, "create_tags": 0}
    app = app_factory(PRIVILEGE_THRESHOLDS=thresholds)
    with app.app_context():
        asker, voter = make_user(), make_user()
        assert votes.cast_vote(voter, make_question(asker), -1) == -1
        db.session.remove()


def test_comment_privilege_is_enforced_when_configured(app, alice, bob):
    app.config["PRIVILEGE_THRESHOLDS"] = {**Config.PRIVILEGE_THRESHOLDS, "comment": 5, "create_tags": 0}
    question = make_question(alice)
    with pytest.raises(PrivilegeRequired):
        comments.add_comment(bob, question, "ｺﾒﾝﾄを書いてみます😀")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    client = app.test_client()
    login(client, bob)
    page = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert "コメントは評価ポイント5から書けます。" in page and 'name="body" rows="2"' not in page


def test_html_vote_down_is_a_403_page_that_names_the_privilege_and_links_the_help(client, alice, bob):
    question = make_question(alice)
    login(client, bob)
    response = client.post(f"/posts/{question.id}/vote", data={"value": "-1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "「低評価を付ける」には評価ポイント50以上が必要です" in page
    assert 'href="/help/privileges"' in page
    assert client.post(f"/posts/{question.id}/vote", data={"value": "1"}).status_code == 302


def test_api_vote_down_is_a_403_privilege_required(client, alice, bob, bob_token):
    question = make_question(alice)
    response = client.post(f"/api/v1/posts/{question.id}/vote", json={"value": -1}, headers=bearer(bob_token))
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "privilege_required"
    assert (error["privilege"], error["threshold"]) == ("vote_down", 50)
    assert "低評価を付ける" in error["message"]
    up = client.post(f"/api/v1/posts/{question.id}/vote", json={"value": 1}, headers=bearer(bob_token))
    assert up.status_code == 200


def test_the_down_button_is_disabled_with_the_threshold_in_its_title(client, alice, bob):
    question = make_question(alice)
    login(client, bob)
    page = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert 'title="低評価は評価ポイント50から" disabled' in page
    assert 'title="役に立つ">' in page  # the up button stays enabled
    grant(bob, 50)
    page = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert "低評価は評価ポイント50から" not in page


def test_help_page_lists_every_privilege_with_the_configured_threshold(app, member_client, carol):
    page = member_client.get("/help/privileges").get_data(as_text=True)
    for name, label in privileges.NAMES.items():
        assert f'id="privilege-{name}"' in page and str(label) in page
    assert '<td class="threshold">1,000</td>' in page  # review
    assert "あなたの評価ポイント: 0" in page
    assert "あと50ポイントで「低評価を付ける」ができるようになります。" in page
    for _label, delta in reputation.rules():
        assert f"<strong>{delta:+d}</strong>" in page
    assert "モデレーターは、評価ポイントにかかわらず、すべての操作ができます。" in page

    app.config["PRIVILEGE_THRESHOLDS"] = {**Config.PRIVILEGE_THRESHOLDS, "vote_down": 15, "review": 2000}
    page = member_client.get("/help/privileges").get_data(as_text=True)
    assert '<td class="threshold">2,000</td>' in page and '<td class="threshold">1,000</td>' not in page
    assert "あと15ポイントで「低評価を付ける」" in page


def test_help_page_needs_login_and_is_linked_from_the_footer_and_the_profile(client, carol):
    assert client.get("/help/privileges").status_code == 302
    login(client, carol)
    assert 'href="/help/privileges"' in client.get("/").get_data(as_text=True)
    assert 'href="/help/privileges"' in client.get(f"/users/{carol.id}").get_data(as_text=True)
