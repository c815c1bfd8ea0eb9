"""Reputation history: every change is an event with its cause; the events add up to the running
total, which equals recompute(), through votes, acceptances, withdrawals, deletions and claims."""

import pytest
import sqlalchemy as sa

from app.database import write_transaction
from app.extensions import db
from app.models import ReputationEvent, User
from app.services import answers, questions, reputation, suggested_edits, votes
from app.services.importers.placeholders import claim_placeholder
from tests.factories import login, make_answer, make_question, make_user

# Tag creation stays open: the fixtures' askers (0 points) create the tags these tests use.
pytestmark = pytest.mark.privileges(create_tags=0)


def events(user: User) -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(ReputationEvent.delta, ReputationEvent.cause).where(ReputationEvent.user_id == user.id).order_by(ReputationEvent.id)
    )
    return [tuple(row) for row in rows]


def assert_consistent(*users: User) -> None:
    for user in users:
        db.session.refresh(user)
        total = sum(delta for delta, _cause in events(user))
        assert user.reputation == reputation.recompute(user.id) == total, user.email


def test_votes_and_their_withdrawal_are_events(app, alice, bob, carol):
    question = make_question(alice)
    with write_transaction():
        reputation.add(carol.id, 50, "imported")  # enough to vote down
    votes.cast_vote(bob, question, 1)
    votes.cast_vote(carol, question, -1)
    votes.cast_vote(carol, question, 1)  # a changed vote: the down-vote withdrawn, an up-vote cast
    votes.cast_vote(bob, question, 0)
    assert events(alice) == [(10, "upvote"), (-2, "downvote"), (2, "downvote_withdrawn"), (10, "upvote"), (-10, "upvote_withdrawn")]
    post_ids = set(db.session.scalars(sa.select(ReputationEvent.post_id).where(ReputationEvent.user_id == alice.id)))
    assert post_ids == {question.id}
    assert_consistent(alice, bob, carol)
    assert alice.reputation == 10


def test_acceptance_its_withdrawal_and_deleting_the_accepted_answer(app, alice, bob, carol, moderator):
    question = make_question(alice)
    first, second = make_answer(bob, question), make_answer(carol, question, body="別の窓口で受け付けています。")
    answers.accept_answer(alice, first)
    answers.accept_answer(alice, second)  # moves the acceptance
    answers.unaccept_answer(alice, question)
    answers.accept_answer(alice, first)
    votes.cast_vote(carol, first, 1)
    answers.delete_answer(moderator, first, reason="spam")  # takes the acceptance back, keeps the vote
    assert events(bob) == [(15, "accepted"), (-15, "accepted_withdrawn"), (15, "accepted"), (10, "upvote"), (-15, "accepted_withdrawn")]
    assert [cause for _delta, cause in events(alice)] == ["accepter", "accepter_withdrawn", "accepter", "accepter_withdrawn", "accepter", "accepter_withdrawn"]
    assert_consistent(alice, bob, carol)
    assert bob.reputation == 10


def test_deleting_a_voted_question_keeps_its_reputation(app, alice, bob, moderator):
    question = make_question(alice)
    votes.cast_vote(bob, question, 1)
    questions.delete_question(moderator, question, reason="spam")
    assert_consistent(alice)
    assert alice.reputation == 10


def test_an_approved_suggested_edit_is_an_event(app, alice, bob, moderator):
    question = make_question(alice)
    data = questions.QuestionInput(question.title, "本文を分かりやすく書き直しました。", "住民税")
    suggestion = questions.edit_question(bob, question, data, base_revision=1)
    suggested_edits.approve(moderator, suggestion.id)
    assert events(bob) == [(reputation.SUGGESTED_EDIT, "suggested_edit")]
    assert_consistent(bob)


def test_claiming_a_placeholder_moves_posts_and_imported_reputation(app, alice, bob):
    placeholder = make_user(email="imported1@city.kobe.lg.jp", name="ﾕｰｻﾞｰ1")
    with write_transaction():
        placeholder.is_placeholder = True
        reputation.add(placeholder.id, 120, "imported")  # brought from the old site
    question = make_question(placeholder)
    answer = make_answer(alice, question)
    votes.cast_vote(bob, question, 1)
    votes.cast_vote(alice, question, 1)  # alice voted on the post she is about to claim
    answers.accept_answer(placeholder, answer)
    assert_consistent(placeholder, alice)
    claim_placeholder(placeholder.id, alice.email)
    db.session.expire_all()
    # The claim: the imported 120 move; the up-vote she cast on her own post is gone (−10 of 20);
    # her +15 for the accepted answer stays, the asker's +2 is not earned by accepting one's own.
    assert placeholder.reputation == 0
    assert alice.reputation == 120 + 10
    assert ("imported", 120) in [(cause, delta) for delta, cause in events(alice)]
    assert {cause for _delta, cause in events(alice)} >= {"imported", "claim"}
    assert_consistent(placeholder, alice, bob)


def test_profile_shows_the_history_newest_first_with_causes_and_links(app, client, alice, bob, carol):
    question = make_question(alice, title="ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞの交付事務について（２０２５）😀")
    votes.cast_vote(bob, question, 1)
    votes.cast_vote(bob, question, 0)
    login(client, carol)
    page = client.get(f"/users/{alice.id}").get_data(as_text=True)
    assert "評価ポイントの履歴" in page
    withdrawn, received = page.index("高評価が取り消されました"), page.index("高評価を受けました")
    assert withdrawn < received  # newest first
    assert f'href="/questions/{question.id}/' in page and "ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ" in page
    assert ">+10<" in page and ">-10<" in page


def test_history_is_paginated_and_hides_removed_posts(app, client, alice, carol, moderator):
    question = make_question(alice, title="削除される質問のタイトルです")
    voters = [make_user() for _ in range(21)]
    for voter in voters:
        votes.cast_vote(voter, question, 1)
    questions.delete_question(moderator, question, reason="spam")
    login(client, carol)
    first = client.get(f"/users/{alice.id}").get_data(as_text=True)
    assert first.count("高評価を受けました") == 20 and 'rel="next"' in first
    assert "削除される質問のタイトルです" not in first and "表示できない投稿" in first
    second = client.get(f"/users/{alice.id}?page=2").get_data(as_text=True)
    assert second.count("高評価を受けました") == 1


def test_every_cause_has_a_japanese_label(app):
    for cause in reputation.CAUSES:
        assert reputation.cause_label(cause) != cause
