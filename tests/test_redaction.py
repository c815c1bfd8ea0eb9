"""Redaction really removes: a planted string is first found in every place it can be kept, then
redacted, then found nowhere: not in a dump or the raw files of the database, not in the search
index's files, not on any page, feed, API response or export. Run on both database lanes."""

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import indexing
from app.extensions import db
from app.models import AuditLog, Comment, MailMessage, Post, Revision
from app.services import comments, questions, redaction
from app.services.errors import PermissionDenied, ValidationFailed
from pii import CATEGORIES
from tests.api_client import bearer
from tests.databases import is_postgres
from tests.factories import login, make_answer, make_question
from tests.forensics import readable_bytes

SECRET = "滞納者ZQX川崎七郎4471"
WIDE = "滞納者ＺＱＸ川崎七郎４４７１"  # as an answer quotes it, in full-width letters and digits
SPACED = "滞納者 ZQX 川崎七郎 4471"  # as a comment quotes it
NUMBER = "834729105561"  # a 12-digit number, edited away in revision 2
PLACEHOLDER = redaction.PLACEHOLDER
# What must be gone afterwards, in every form that was planted or that the index derives.
GONE = [SECRET, WIDE, SPACED, NUMBER, "ZQX", "ＺＱＸ", "川崎七郎", "崎七"]


def _dump(app) -> bytes:
    """The whole database as an operator's tools see it: SQLite's dump plus the raw bytes of
    the database file and its WAL; PostgreSQL's `pg_dump`."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database)
        try:
            dump = "\n".join(connection.iterdump()).encode()
        finally:
            connection.close()
        files = [Path(url.database), Path(f"{url.database}-wal")]
        return b"\n".join([dump, *(path.read_bytes() for path in files if path.exists())])
    pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    libpq_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run([pg_dump, "--format=plain", libpq_url], check=True, capture_output=True).stdout


def _feed(client) -> bytes:
    """The newest-questions feed (read as feed readers will: swap in the personal feed URL here)."""
    response = client.get("/feeds/questions")
    assert response.status_code == 200
    return response.data


def _places(app, client, question, token, export_dir: Path) -> dict[str, bytes]:
    db.session.rollback()  # read what is committed now
    api = client.get(f"/api/v1/questions/{question.id}", headers=bearer(token))
    assert api.status_code == 200
    result = app.test_cli_runner().invoke(args=["export", str(export_dir)])
    assert result.exit_code == 0, result.output
    pages = {
        path: client.get(path, follow_redirects=True)
        for path in (f"/questions/{question.id}", f"/posts/{question.id}/revisions")
    }
    assert all(response.status_code == 200 for response in pages.values())
    return {
        "database": _dump(app),
        "index files": readable_bytes(Path(app.config["SEARCH_INDEX_DIR"])),
        "question page": pages[f"/questions/{question.id}"].data,
        "revisions page": pages[f"/posts/{question.id}/revisions"].data,
        "feed": _feed(client),
        "api": json.dumps(api.get_json(), ensure_ascii=False).encode(),
        "export": b"".join(path.read_bytes() for path in sorted(export_dir.iterdir())),
    }


def _share_a_segment(author) -> None:
    """Rebuild the index with neighbours, so the question's document shares a large segment, as
    on a real site: an update then only flags it deleted there (a small segment holding just
    the old document would vanish at the next commit on its own, proving nothing)."""
    make_question(author, title="公用車の運行記録の保存期間", body="運行記録は何年保存していますか。", tags="総務")
    make_question(author, title="会計年度任用職員の休暇", body="夏季休暇の付与日数を教えてください。", tags="人事")
    indexing.rebuild(procs=1)


def _found(query: str) -> list[int]:
    return [hit.question_id for hit in indexing.get_index().search(query).hits]


def test_a_redacted_passage_is_nowhere_afterwards(app, client, alice, bob, carol, moderator, alice_token, tmp_path):
    # Mail cannot be delivered (the outbox folder is a file): notifications stay queued.
    blocked = tmp_path / "outbox-is-a-file"
    blocked.write_text("")
    app.config["MAIL_OUTBOX_DIR"] = str(blocked)
    question = make_question(
        alice,
        title=f"{SECRET}の分納相談について",
        body=f"{SECRET}（個人番号 {NUMBER}）から分納の申出がありました。分納誓約書の様式はどうしていますか。",
        tags="債権回収",
        confirmed=CATEGORIES,
    )
    answer = make_answer(bob, question, f"{WIDE}さんの件は、分納誓約書を交わして納付計画を立てます。", confirmed=CATEGORIES)
    questions.edit_question(
        alice,
        question,
        questions.QuestionInput(
            "滞納者の分納相談について",
            f"{SECRET}から分納の申出がありました。分納誓約書の様式はどうしていますか。",
            "債権回収",
        ),
        base_revision=1,
        summary=f"{SECRET}の個人番号を削除",
        confirmed_categories=CATEGORIES,
    )
    comment = comments.add_comment(carol, answer, f"「{SPACED}」の件、うちでも同様の扱いです。", confirmed_categories=CATEGORIES)
    mail = db.session.scalar(sa.select(MailMessage).where(MailMessage.recipient == alice.email))
    assert mail.sent_at is None and SECRET in mail.subject and SECRET in mail.body
    _share_a_segment(carol)
    login(client, alice)

    before = _places(app, client, question, alice_token, tmp_path / "export-before")
    planted = {
        "database": [SECRET, WIDE, SPACED, NUMBER],
        "index files": [SECRET, WIDE, "zqx", "崎七"],
        "question page": [SECRET, WIDE, SPACED],
        "revisions page": [SECRET, NUMBER],
        "feed": [SECRET],
        "api": [SECRET, WIDE],
        "export": [SECRET, WIDE, SPACED],
    }
    for place, texts in planted.items():
        for text in texts:
            assert text.encode() in before[place], (place, text)
    assert _found("ZQX") == [question.id] and _found("川崎七郎") == [question.id]

    # The asker removes the name (her post holds it; quotes elsewhere go with it), a
    # moderator the number (typed in full-width digits) that survives only in revision 1.
    response = client.post(
        f"/posts/{question.id}/redact", data={"passage": SECRET, "reason": "identity", "confirm": "y"}
    )
    assert response.status_code == 302
    client.post("/logout")
    login(client, moderator)
    response = client.post(
        f"/posts/{question.id}/redact",
        data={"passage": "８３４７２９１０５５６１", "reason": "my_number", "confirm": "y"},
    )
    assert response.status_code == 302

    after = _places(app, client, question, alice_token, tmp_path / "export-after")
    for place, content in after.items():
        for text in GONE:
            assert text.encode() not in content, (place, text)
    assert b"zqx" not in after["index files"]
    for place in ("question page", "revisions page", "feed", "api", "export"):
        assert PLACEHOLDER.encode() in after[place], place
    assert "一部削除済み".encode() in after["revisions page"]
    assert _found("ZQX") == [] and _found("川崎七郎") == [] and _found("分納誓約書") == [question.id]
    if not is_postgres():
        wal = Path(f"{db.engine.url.database}-wal")
        assert not wal.exists() or wal.stat().st_size == 0  # nothing old left in the log

    # The audit trail: who, why, where and how often; never the text.
    rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "post_redact").order_by(AuditLog.id)).all()
    assert [(row.actor_id, row.target_type, row.target_id) for row in rows] == [
        (alice.id, "post", question.id),
        (moderator.id, "post", question.id),
    ]
    first, second = (json.loads(row.detail) for row in rows)
    assert first == {
        "question_id": question.id,
        "reason": "identity",
        # question: title and body of 1, body and summary of 2, the current body; the answer
        # and its revision; the comment; the queued mail's subject and body
        "occurrences": 10,
        "revisions": {str(question.id): [1, 2], str(answer.id): [1]},
        "comments": [comment.id],
        "mails": [mail.id],
    }
    assert second["occurrences"] == 1 and second["revisions"] == {str(question.id): [1]}
    for row in rows:
        for text in [*GONE, "834729105561", "８３４７２９１０５５６１"]:
            assert text not in row.detail
    numbers = db.session.scalars(
        sa.select(Revision.number).where(Revision.redacted_at.is_not(None)).order_by(Revision.post_id, Revision.number)
    ).all()
    assert numbers == [1, 2, 1]


@pytest.fixture
def asked(alice):
    return make_question(
        alice,
        title="生活保護の相談記録の書き方",
        body="相談者ﾔﾏﾀﾞ花子さん（電話 ０９０-１２３４-５６７８）😀から相談がありました。記録の書き方を教えてください。",
        tags="生活保護",
        confirmed=CATEGORIES,
    )


@pytest.mark.parametrize(
    "passage, removed",
    [
        ("ﾔﾏﾀﾞ花子", "ﾔﾏﾀﾞ花子"),  # half-width kana, as stored
        ("ヤマダ花子", "ﾔﾏﾀﾞ花子"),  # full-width kana matches the half-width original
        ("090-1234-5678", "０９０-１２３４-５６７８"),  # ASCII digits match full-width ones
        ("ﾔﾏﾀﾞ 花子さん\n（電話", "ﾔﾏﾀﾞ花子さん（電話"),  # whitespace differences are ignored
        ("花子さん（電話 ０９０-１２３４-５６７８）😀", "花子さん（電話 ０９０-１２３４-５６７８）😀"),  # emoji
    ],
)
def test_passages_match_across_widths_kana_and_spacing(asked, alice, passage, removed):
    redaction.redact_passage(alice, asked, passage, "identity")
    db.session.refresh(asked)
    assert removed not in asked.body and PLACEHOLDER in asked.body
    assert removed not in asked.body_html and PLACEHOLDER in asked.body_html
    assert asked.body.startswith("相談者") and asked.body.endswith("記録の書き方を教えてください。")


def _state() -> list:
    db.session.rollback()
    rows = [
        *db.session.execute(sa.select(Post.id, Post.title, Post.body, Post.body_html)),
        *db.session.execute(sa.select(Revision.id, Revision.body, Revision.summary, Revision.redacted_at)),
        *db.session.execute(sa.select(Comment.id, Comment.body)),
        *db.session.execute(sa.select(AuditLog.id)),
    ]
    return sorted(map(tuple, rows), key=repr)


@pytest.mark.parametrize("passage", ["花", "  花\n ", "山田太郎", PLACEHOLDER[1:5]])
def test_a_passage_too_short_or_not_found_is_a_form_error_and_changes_nothing(client, asked, alice, passage):
    login(client, alice)
    before = _state()
    response = client.post(f"/posts/{asked.id}/redact", data={"passage": passage, "reason": "identity", "confirm": "y"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "見つかりませんでした" in page or "2文字以上" in page
    assert _state() == before


def test_another_member_cannot_redact_and_the_author_only_what_her_post_holds(client, app, asked, alice, bob, carol):
    answer = make_answer(bob, asked, "ボブの回答です。世帯の状況を聞き取って記録します。")
    login(client, carol)
    assert "個人情報を削除" not in client.get(f"/questions/{asked.id}", follow_redirects=True).get_data(as_text=True)
    before = _state()
    response = client.post(f"/posts/{asked.id}/redact", data={"passage": "花子", "reason": "identity", "confirm": "y"})
    assert response.status_code == 403
    assert client.get(f"/posts/{asked.id}/revisions/1/redact").status_code == 403
    assert "個人情報を削除" not in client.get(f"/posts/{asked.id}/revisions").get_data(as_text=True)
    with pytest.raises(PermissionDenied):
        redaction.redact_revision(carol, asked, 1, "other")
    # bob's post does not hold the asker's text: not his to remove.
    with pytest.raises(ValidationFailed):
        redaction.redact_passage(bob, answer, "ﾔﾏﾀﾞ花子", "identity")
    assert _state() == before


def test_the_form_needs_a_reason_code_and_the_confirmation(client, asked, alice):
    login(client, alice)
    question_page = client.get(f"/questions/{asked.id}", follow_redirects=True).get_data(as_text=True)
    assert f'href="/posts/{asked.id}/revisions#redact">個人情報を削除' in question_page
    page = client.get(f"/posts/{asked.id}/revisions").get_data(as_text=True)
    assert "個人情報を削除" in page and "元に戻すことはできません" in page and "この版を削除" in page
    before = _state()
    assert client.post(f"/posts/{asked.id}/redact", data={"passage": "花子", "reason": "identity"}).status_code == 422
    assert (
        client.post(
            f"/posts/{asked.id}/redact", data={"passage": "花子", "reason": "自由記述", "confirm": "y"}
        ).status_code
        == 422
    )
    assert _state() == before


def test_redacting_the_current_revision_replaces_the_post_too(client, asked, alice, moderator):
    login(client, moderator)
    page = client.get(f"/posts/{asked.id}/revisions/1/redact").get_data(as_text=True)
    assert "現在の版です" in page and "元に戻すことはできません" in page
    response = client.post(f"/posts/{asked.id}/revisions/1/redact", data={"reason": "sensitive", "confirm": "y"})
    assert response.status_code == 302
    db.session.refresh(asked)
    revision = db.session.scalar(sa.select(Revision).where(Revision.post_id == asked.id))
    assert (asked.title, asked.body, revision.title, revision.body) == (PLACEHOLDER,) * 4
    assert revision.redacted_at is not None and "ﾔﾏﾀﾞ" not in asked.body_html
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "revision_redact"))
    assert (row.actor_id, row.target_id) == (moderator.id, asked.id)
    assert json.loads(row.detail) == {
        "question_id": asked.id,
        "reason": "sensitive",
        "revisions": {str(asked.id): [1]},
        "current": True,
    }
    assert client.get(f"/posts/{asked.id}/revisions/9/redact").status_code == 404


def test_an_old_revision_alone_keeps_the_current_text(asked, alice):
    questions.edit_question(
        alice,
        asked,
        questions.QuestionInput(asked.title, "相談者から相談がありました。記録の書き方を教えてください。", "生活保護"),
        base_revision=1,
    )
    redaction.redact_revision(alice, asked, 1, "identity")
    db.session.refresh(asked)
    assert asked.body == "相談者から相談がありました。記録の書き方を教えてください。"
    bodies = db.session.scalars(sa.select(Revision.body).where(Revision.post_id == asked.id).order_by(Revision.number))
    assert list(bodies) == [PLACEHOLDER, asked.body]


def test_a_locked_index_is_purged_by_the_next_search_sync(app, asked, alice, carol):
    _share_a_segment(carol)
    index = indexing.get_index()
    assert _found("ﾔﾏﾀﾞ") == [asked.id]
    folder = Path(app.config["SEARCH_INDEX_DIR"])
    writer = index._index().writer()  # another process's writer holds the lock
    try:
        redaction.redact_passage(alice, asked, "ﾔﾏﾀﾞ花子", "identity")
    finally:
        writer.cancel()
    assert index.purged_through == 0  # the audit row past the mark is what is still to do
    # The stored text, and a bigram term of the folded name (やまだ花子).
    traces = ["ﾔﾏﾀﾞ花子".encode(), "だ花".encode()]
    assert all(trace in readable_bytes(folder) for trace in traces)
    result = app.test_cli_runner().invoke(args=["search", "sync"])
    assert result.exit_code == 0, result.output
    assert "purged" in result.output
    assert not any(trace in readable_bytes(folder) for trace in traces)
    assert _found("ﾔﾏﾀﾞ") == [] and index.purged_through > 0
    result = app.test_cli_runner().invoke(args=["search", "sync"])
    assert "purged" not in result.output  # done once
