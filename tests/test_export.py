"""Export → import into an empty database loses nothing (questions, answers, tags, acceptance, comments)."""

import json

import sqlalchemy as sa
from click.testing import CliRunner

from app.extensions import db
from app.models import Answer, Comment, Question, Tag, User
from app.services import answers, comments, counters, questions, reputation, search, votes
from app.services.export import export_all
from app.services.importers import zennin
from tests.factories import make_answer, make_question


def _content(directory) -> dict:
    result = {}
    for name in ("users", "tags", "questions", "answers", "comments"):
        lines = (directory / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        result[name] = [json.loads(line) for line in lines]
    return result


def _site(alice, bob, carol, moderator):
    first = make_question(alice, title="住民税の特別徴収の切替手続きについて😀", tags="住民税、Ｐｙｔｈｏｎ ｶﾞｲﾄﾞ")
    answer = make_answer(bob, first, "給与所得者異動届出書で処理します。\n\n```\na < b & c\n```")
    make_answer(carol, first, "当市では電話で確認しています。念のため。")
    answers.accept_answer(alice, answer)
    votes.cast_vote(carol, answer, 1)
    votes.cast_vote(bob, first, -1)
    comments.add_comment(carol, answer, "ありがとうございます、参考になりました。")
    comments.add_comment(bob, first, "年度はいつのことですか？")
    duplicate = make_question(carol, title="退職者の住民税の切替書類はどれですか", tags="住民税")
    duplicate.closed_at = duplicate.created_at
    duplicate.close_reason = "duplicate"
    duplicate.duplicate_of_id = first.id
    db.session.commit()
    gone = make_question(bob, title="削除される質問のタイトルです", tags="削除")
    questions.delete_question(bob, gone)
    deleted_answer = make_answer(alice, first, "この回答はあとで削除されます。")
    answers.delete_answer(alice, deleted_answer)


def test_round_trip_into_an_empty_database_loses_nothing(app, app_factory, tmp_path, alice, bob, carol, moderator):
    _site(alice, bob, carol, moderator)
    first_dir = tmp_path / "export1"
    counts = export_all(first_dir)
    assert counts == {"users": 4, "tags": 4, "questions": 2, "answers": 2, "comments": 2}
    exported = _content(first_dir)
    text = "".join((first_dir / f).read_text(encoding="utf-8") for f in ("users.jsonl", "questions.jsonl"))
    assert "@" not in text and "password" not in text and "削除される質問" not in text

    target = app_factory()
    with target.app_context():
        report = zennin.restore(first_dir)
        assert not report.skipped
        second_dir = tmp_path / "export2"
        export_all(second_dir)
        restored = db.session.get(Question, exported["questions"][0]["id"])
        assert restored.accepted_answer_id == exported["questions"][0]["accepted_answer_id"]
        assert "<pre><code>" in db.session.get(Answer, restored.accepted_answer_id).body_html
        for user in db.session.scalars(sa.select(User)):
            assert user.is_placeholder and user.password_hash is None
            assert user.reputation == reputation.recompute(user.id)
        assert db.session.scalar(sa.select(Tag.question_count).where(Tag.name == "住民税")) == 2
        assert restored.answer_count == 2
        assert counters.value(counters.VISIBLE_QUESTIONS) == counters.count_visible_questions() == 2
        assert restored.id in [hit.question.id for hit in search.search_questions("特別徴収").hits]
        # New rows after a restore get fresh ids.
        new = make_question(_member(), title="復元後に新しく投稿する質問", tags="テスト")
        assert new.id > max(q["id"] for q in exported["questions"])
        db.session.remove()
    again = _content(second_dir)
    # People come back as placeholders (no e-mail or password in an export); all else is identical.
    assert [u.pop("placeholder") for u in again["users"]] == [True] * 4
    assert [u.pop("placeholder") for u in exported["users"]] == [False] * 4
    assert again == exported


def _member():
    from tests.factories import make_user

    return make_user(email="after-restore@city.yokohama.lg.jp")


def test_restore_refuses_a_database_with_content(app, tmp_path, alice):
    make_question(alice)
    export_all(tmp_path / "out")
    result = CliRunner().invoke(app.cli, ["import", "zennin", str(tmp_path / "out")])
    assert result.exit_code != 0 and "already has" in result.output


def test_export_cli_writes_json_lines(app, tmp_path, alice, bob):
    question = make_question(alice)
    make_answer(bob, question)
    result = CliRunner().invoke(app.cli, ["export", str(tmp_path / "dump")], catch_exceptions=False)
    assert result.exit_code == 0 and "questions: 1" in result.output
    manifest = json.loads((tmp_path / "dump" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "zennin-export" and manifest["counts"]["answers"] == 1
    line = json.loads((tmp_path / "dump" / "questions.jsonl").read_text(encoding="utf-8"))
    assert line["title"] == question.title and line["tags"] == ["住民税"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
