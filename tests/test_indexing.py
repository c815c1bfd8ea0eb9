"""The outbox between the database and the index (SECURITY.md IDX-01..04, TX-01)."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import indexing
from app.database import write_transaction
from app.extensions import db
from app.models import Question, SearchOutbox
from app.services import answers, questions
from tests.factories import make_answer, make_question, make_user

ROOT = Path(__file__).resolve().parent.parent


def test_every_change_writes_an_outbox_row_in_its_transaction(app, alice):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(SearchOutbox))
    question = make_question(alice)
    rows = db.session.scalars(sa.select(SearchOutbox.question_id).where(SearchOutbox.id > 0)).all()
    assert rows[before:] == [question.id]
    assert indexing.get_index().position == db.session.scalar(sa.select(sa.func.max(SearchOutbox.id)))


def test_documents_carry_the_visible_question_and_answers(app, alice, bob):
    """What the index gets from the database: plain text, tags by name, visible answers only."""
    question = make_question(alice, title="ｶﾞｲﾄﾞﾗｲﾝ改定の周知方法 📣", body="**全庁**に周知する方法は？", tags="財政、住民税")
    kept = make_answer(bob, question, "庁内掲示板と*メール*で周知しました。")
    removed = make_answer(alice, question, "この回答は削除されます。")
    answers.accept_answer(alice, kept)
    answers.delete_answer(alice, removed)
    deleted = make_question(bob, title="削除される質問のタイトル")
    questions.delete_question(bob, deleted)

    upserts, deletes = indexing.build_documents(db.session, {question.id, deleted.id, 999_999})
    assert deletes == [deleted.id, 999_999]
    [doc] = upserts
    assert (doc.id, doc.title, doc.body) == (question.id, "ｶﾞｲﾄﾞﾗｲﾝ改定の周知方法 📣", "全庁に周知する方法は？")
    assert doc.tags == ("住民税", "財政")  # by name, as the question page lists them
    assert (doc.author_id, doc.org_code, doc.created_at) == (alice.id, alice.organization_code, question.created_at)
    assert (doc.answer_count, doc.has_accepted) == (1, True)
    [answer] = doc.answers
    assert (answer.id, answer.body, answer.author_id, answer.accepted) == (kept.id, "庁内掲示板とメールで周知しました。", bob.id, True)
    # A rebuild reads the same documents, batch after batch in id order.
    newer = make_question(bob, title="二つ目に表示される質問")
    assert list(indexing.iter_documents(db.session, batch_size=1)) == [doc, *indexing.build_documents(db.session, [newer.id])[0]]


def test_a_rolled_back_change_reaches_neither_the_outbox_nor_the_index(app, alice):
    """IDX-04: the index is written only after the database commit."""
    documents = indexing.get_index().doc_count()
    with pytest.raises(RuntimeError), write_transaction():
        questions.ask_question(alice, questions.QuestionInput("取り消される質問のタイトル", "ロールバックされる本文です。", "財政"))
        raise RuntimeError("the request failed after the question was flushed")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchOutbox)) == 0
    assert indexing.get_index().doc_count() == documents


def test_rows_sent_by_an_autoflush_are_still_indexed(app, alice):
    """An autoflush before commit must not hide a change from the outbox (STYLE.md 2.5)."""
    with write_transaction():
        first = questions.ask_question(alice, questions.QuestionInput("自動フラッシュ前の質問", "一つ目の質問の本文です。", "財政"))
        db.session.scalar(sa.select(sa.func.count()).select_from(Question))  # triggers an autoflush
        second = questions.ask_question(alice, questions.QuestionInput("自動フラッシュ後の質問", "二つ目の質問の本文です。", "財政"))
    found = {hit.question_id for hit in indexing.get_index().search("自動フラッシュ").hits}
    assert found == {first.id, second.id}


def test_a_sync_killed_mid_way_is_completed_by_the_next_one(app):
    """IDX-03: nothing is lost when the process applying the outbox dies (SIGKILL)."""
    author = make_user()
    with indexing.deferred():
        ids = [make_question(author, title=f"一括登録した質問その{n}", body=f"番号{n}の質問の本文をここに書きます。").id for n in range(120)]
    environment = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
        "MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
        "ZENNIN_INSTANCE_DIR": app.config["INSTANCE_DIR"],
    }
    newest = db.session.scalar(sa.select(sa.func.max(SearchOutbox.id)))
    index = indexing.get_index()  # created here, before the other process opens it
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "tests.live_app:app", "search", "sync", "--batch-size", "1"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while index.position == 0 and time.monotonic() < deadline:  # wait until it is half-way
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < index.position < newest, "the sync was not interrupted mid-way"

    indexing.forget_index()
    assert app.test_cli_runner().invoke(args=["search", "sync"]).exit_code == 0
    index = indexing.get_index()
    assert index.doc_count() == len(ids)
    assert index.position == db.session.scalar(sa.select(sa.func.max(SearchOutbox.id)))


def test_changes_made_outside_a_write_transaction_are_refused_not_lost(app, alice):
    """An auto-flushed change followed by a service call used to be rolled back silently."""
    alice.bio = "書き換えた自己紹介"
    db.session.flush()
    with pytest.raises(RuntimeError, match="outside write_transaction"):
        make_question(alice)
    db.session.rollback()


def _retitle(question: Question, title: str) -> None:
    with indexing.deferred(), write_transaction():
        question.title = title


def _indexed_title(question: Question) -> str | None:
    hits = indexing.get_index().search(f"user:{question.author_id}").hits
    return next((hit.title_html for hit in hits if hit.question_id == question.id), None)


def test_a_slow_sync_never_applies_an_older_state_over_a_newer_one(app, alice, monkeypatch):
    """IDX-02: a process that read a question before another process changed and synced it
    must not overwrite the newer document: batches are read and built under the index lock."""
    question = make_question(alice, title="予算編成の手順（初版）")
    _retitle(question, "予算編成の手順（第二版）")
    built, resume = threading.Event(), threading.Event()
    real_build = indexing.build_documents

    def build_then_stall(session, question_ids):
        documents = real_build(session, question_ids)
        if threading.current_thread().name == "slow-sync":
            built.set()
            resume.wait(10)
        return documents

    monkeypatch.setattr(indexing, "build_documents", build_then_stall)

    def sync_in_thread():
        with app.app_context():
            indexing.sync_index(timeout=10)

    slow = threading.Thread(target=sync_in_thread, name="slow-sync")
    slow.start()
    assert built.wait(10), "the slow sync never read the outbox"
    _retitle(question, "予算編成の手順（最新版）")
    fast = threading.Thread(target=sync_in_thread, name="fast-sync")
    fast.start()
    fast.join(0.3)  # it waits for the lock that the slow sync holds
    resume.set()
    slow.join(15)
    fast.join(15)
    assert "最新版" in _indexed_title(question)
    assert indexing.get_index().position == db.session.scalar(sa.select(sa.func.max(SearchOutbox.id)))


def test_search_sync_replays_rows_that_committed_behind_the_position(app, alice):
    """On PostgreSQL a row can commit after a higher id was applied; `search sync` re-applies
    the recent window, an after-commit sync does not need to."""
    question = make_question(alice, title="公金収納の手順（旧）")
    _retitle(question, "公金収納の手順（新）")
    row = db.session.scalar(sa.select(sa.func.max(SearchOutbox.id)))
    indexing.get_index().apply([], [], position=row + 5)  # as if rows row+1..row+5 were applied first
    indexing.sync_index()
    assert "（旧）" in _indexed_title(question)
    assert app.test_cli_runner().invoke(args=["search", "sync"]).exit_code == 0
    assert "（新）" in _indexed_title(question)
