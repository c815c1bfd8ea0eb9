"""Answers, acceptance, votes and reputation: the invariants that must never drift."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User, Vote
from app.services import answers, comments, reputation, votes
from app.services.errors import PermissionDenied
from app.services.notifications import unread_count
from tests.factories import make_answer, make_question, make_user


def test_answer_counts_and_notifies_the_asker(app, alice, bob):
    question = make_question(alice)
    answer = make_answer(bob, question)
    db.session.refresh(question)
    assert question.answer_count == 1
    assert unread_count(alice) == 1 and unread_count(bob) == 0
    answers.delete_answer(bob, answer)
    db.session.refresh(question)
    assert question.answer_count == 0


def test_only_the_asker_or_a_moderator_accepts(app, alice, bob, carol, moderator):
    question = make_question(alice)
    answer = make_answer(bob, question)
    with pytest.raises(PermissionDenied):
        answers.accept_answer(carol, answer)
    with pytest.raises(PermissionDenied):
        answers.accept_answer(bob, answer)
    answers.accept_answer(alice, answer)
    assert question.accepted_answer_id == answer.id
    answers.unaccept_answer(moderator, question)
    assert question.accepted_answer_id is None


def test_one_accepted_answer_and_reputation_follows_it(app, alice, bob, carol):
    question = make_question(alice)
    first = make_answer(bob, question, "一つ目の回答です。よろしくお願いします。")
    second = make_answer(carol, question, "二つ目の回答です。よろしくお願いします。")
    answers.accept_answer(alice, first)
    answers.accept_answer(alice, second)
    db.session.refresh(question)
    assert question.accepted_answer_id == second.id
    assert not first.is_accepted and second.is_accepted
    for user in (alice, bob, carol):
        db.session.refresh(user)
        assert user.reputation == reputation.recompute(user.id)
    assert (bob.reputation, carol.reputation, alice.reputation) == (0, 15, 2)


def test_the_database_refuses_accepting_an_answer_of_another_question(app, alice, bob):
    question = make_question(alice, title="一つ目の質問です")
    other = make_question(alice, title="二つ目の質問です")
    answer = make_answer(bob, other)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Post).where(Post.id == question.id).values(accepted_answer_id=answer.id))
        db.session.flush()
    db.session.rollback()


def test_votes_change_score_and_reputation_and_can_be_withdrawn(app, alice, bob, carol):
    question = make_question(alice)
    assert votes.cast_vote(bob, question, 1) == 1
    assert votes.cast_vote(carol, question, -1) == 0
    assert votes.cast_vote(bob, question, 1) == 0  # the same vote again changes nothing
    assert votes.cast_vote(bob, question, -1) == -2
    assert votes.cast_vote(bob, question, 0) == -1
    db.session.refresh(alice)
    assert alice.reputation == reputation.recompute(alice.id) == -2
    total = db.session.scalar(sa.select(sa.func.sum(Vote.value)).where(Vote.post_id == question.id))
    assert question.score == total == -1


def test_no_vote_on_own_post(app, alice):
    question = make_question(alice)
    with pytest.raises(PermissionDenied):
        votes.cast_vote(alice, question, 1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0


def test_one_vote_row_per_user_and_post_is_enforced_by_the_database(app, alice, bob):
    question = make_question(alice)
    votes.cast_vote(bob, question, 1)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.add(Vote(post_id=question.id, user_id=bob.id, value=1))
        db.session.flush()
    db.session.rollback()


def test_comments_are_plain_text_and_soft_deleted(app, alice, bob):
    question = make_question(alice)
    comment = comments.add_comment(bob, question, "<b>参考になりました</b>")
    assert comment.body == "<b>参考になりました</b>"  # escaped on output, never rendered
    with pytest.raises(PermissionDenied):
        comments.delete_comment(alice, comment)
    comments.delete_comment(bob, comment)
    assert comment.deleted_at is not None


def test_concurrent_votes_from_processes_are_all_counted(app, alice):
    """SQLITE-02/03: many processes voting at once on a file database lose nothing."""
    import multiprocessing

    question = make_question(alice)
    voters = [make_user().id for _ in range(8)]
    database_uri = app.config["SQLALCHEMY_DATABASE_URI"]
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        results = pool.starmap(_vote_in_subprocess, [(database_uri, uid, question.id) for uid in voters])
    assert all(results)
    db.session.rollback()  # end this session's read snapshot; the writers were other processes
    assert db.session.get(Post, question.id).score == 8
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 8
    db.session.refresh(alice)
    assert alice.reputation == reputation.recompute(alice.id) == 80


def _vote_in_subprocess(database_uri: str, user_id: int, question_id: int) -> bool:
    from app import create_app
    from config import TestingConfig

    config = type("SubprocessConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_uri})
    app = create_app(config)
    with app.app_context():
        voter = db.session.get(User, user_id)
        post = db.session.get(Post, question_id)
        votes.cast_vote(voter, post, 1)
    return True
