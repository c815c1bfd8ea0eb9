"""Backup while people keep writing, restore into a fresh database, same content and search."""

import threading

import pytest
import sqlalchemy as sa

from app import indexing
from app.extensions import db
from app.models import Answer, Question
from app.services import backup, search
from tests.factories import make_answer, make_question, make_user


def test_backup_during_writes_then_restore_and_rebuild(app, app_factory, tmp_path):
    author = make_user()
    question = make_question(author, title="予防接種台帳の保存年限について", tags="ワクチン接種")
    for n in range(3):
        make_answer(author, question, f"保存年限は5年としています。{n}件目の回答です。")

    stop = threading.Event()

    def keep_writing():
        with app.app_context():
            writer = db.session.get(type(author), author.id)
            target = db.session.get(Question, question.id)
            while not stop.is_set():
                make_answer(writer, target, "同時に書き込まれる回答です。バックアップ中も止まりません。")

    thread = threading.Thread(target=keep_writing)
    thread.start()
    path = tmp_path / "zennin.backup"
    try:
        result = app.test_cli_runner().invoke(args=["backup", str(path)])
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0

    fresh = app_factory()
    with fresh.app_context():
        result = fresh.test_cli_runner().invoke(args=["restore", str(path)])
        assert result.exit_code == 0, result.output
        answers = db.session.scalar(sa.select(sa.func.count()).select_from(Answer))
        restored = db.session.get(Question, question.id)
        assert restored.title == "予防接種台帳の保存年限について"
        assert answers >= 3 and restored.answer_count == answers  # a consistent snapshot
        result = fresh.test_cli_runner().invoke(args=["search", "rebuild", "--procs", "1"])
        assert result.exit_code == 0, result.output
        assert [hit.question.id for hit in search.search_questions("保存年限").hits] == [question.id]
        indexing.forget_index()


def test_restore_refuses_a_database_with_data(app, tmp_path):
    make_user()
    path = backup.backup(tmp_path / "copy.backup")
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(path)
