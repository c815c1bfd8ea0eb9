"""The audit log: every action writes its row in the action's own transaction; rows can never be
changed or deleted (ORM, raw SQL, any route or service); admins read it on /admin/audit and the
operator exports it with `flask audit export`. Also run on PostgreSQL (DATABASE_URL=postgresql…)."""

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.admin import labels
from app.extensions import db
from app.models import AuditLog, User
from app.services import admin, answers, audit, comments, feeds, questions, redaction, tokens
from app.services.errors import PermissionDenied, ValidationFailed
from tests.databases import is_postgres
from tests.factories import PASSWORD, login, make_answer, make_question, make_user

APP_DIR = Path(__file__).resolve().parent.parent / "app"


@pytest.fixture
def admin_user(app):
    return make_user(email="admin@soumu.go.jp", name="管理 太郎", role="admin")


def _rows(action: str | None = None) -> list[AuditLog]:
    query = sa.select(AuditLog).order_by(AuditLog.id)
    if action:
        query = query.where(AuditLog.action == action)
    return list(db.session.scalars(query))


def _entry(action: str, actor_id: int | None, when: datetime, target_type: str = "", target_id: int | None = None, **detail):
    """A row with a chosen time (the only way to date one: rows cannot be updated afterwards)."""
    db.session.add(AuditLog(actor_id=actor_id, action=action, target_type=target_type, target_id=target_id,
                            detail=json.dumps(detail, ensure_ascii=False) if detail else "", created_at=when))
    db.session.commit()


# ---------------------------------------------------------------- append-only


def _one_row(alice, moderator) -> AuditLog:
    questions.delete_question(moderator, make_question(alice), reason="spam")
    [entry] = _rows()
    return entry


def test_the_orm_cannot_update_or_delete_a_row(app, alice, moderator):
    entry = _one_row(alice, moderator)
    entry.action = "nothing_happened"
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditLog, entry.id))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert [(e.action, json.loads(e.detail)) for e in _rows()] == [("question_delete", {"reason": "spam"})]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET detail = '{}'",
        "UPDATE audit_log SET actor_id = NULL WHERE action = 'question_delete'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)",
    ],
)
def test_raw_sql_cannot_update_or_delete_a_row(app, alice, moderator, statement):
    entry = _one_row(alice, moderator)
    before = (entry.id, entry.actor_id, entry.action, entry.detail, entry.created_at)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(sa.text(statement))
    db.session.expire_all()
    [after] = _rows()
    assert (after.id, after.actor_id, after.action, after.detail, after.created_at) == before


@pytest.mark.skipif(not is_postgres(), reason="TRUNCATE exists on PostgreSQL only (SQLite has no such statement)")
def test_postgres_refuses_truncate(app, alice, moderator):
    _one_row(alice, moderator)
    db.session.rollback()  # TRUNCATE waits for every reader's transaction to end, ours included
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(sa.text("TRUNCATE audit_log"))
    assert len(_rows()) == 1


def test_only_audit_record_writes_rows_in_the_application_source():
    """No other module builds an AuditLog, or names the table or the model in a write."""
    allowed = {APP_DIR / "services" / "audit.py", APP_DIR / "models" / "ops.py"}
    writes = re.compile(
        r"AuditLog\(|(insert\s+into|update|delete\s+from|truncate)\s+(table\s+)?audit_log\b"
        r"|(update|delete|insert)\(\s*AuditLog|AuditLog\.__table__|session\.delete\(\s*entry",
        re.IGNORECASE,
    )
    offenders = [
        f"{path.relative_to(APP_DIR)}:{number}: {line.strip()}"
        for path in sorted(APP_DIR.rglob("*.py"))
        if path not in allowed
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if writes.search(line)
    ]
    assert offenders == []
    source = (APP_DIR / "services" / "audit.py").read_text(encoding="utf-8")
    assert source.count("AuditLog(") == 1  # in record(), and nothing there updates or deletes
    assert not re.search(r"sa\.(update|delete)\(|session\.delete\(|\.detail\s*=[^=]", source)


def test_no_route_or_command_offers_to_change_the_log(app, client, admin_user):
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule or rule.endpoint.startswith("admin.audit")]
    assert [rule.rule for rule in audit_rules] == ["/admin/audit"]
    assert audit_rules[0].methods - {"HEAD", "OPTIONS"} == {"GET"}
    assert {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")} == {
        "admin.audit_log", "admin.users", "admin.set_role", "admin.mail", "admin.mail_retry", "admin.mail_discard",
        "admin.set_org_admin", "admin.analytics_page", "admin.analytics_csv"}
    login(client, admin_user)
    questions.delete_question(admin_user, make_question(admin_user))
    html = client.get("/admin/audit").get_data(as_text=True)
    main = html.split("<main", 1)[1].split("</main>", 1)[0]  # the header's logout and footer's language forms aside
    assert 'id="audit-' in main and 'method="post"' not in main.lower() and "<button" not in main.split("</form>", 1)[1]
    assert set(app.cli.commands["audit"].commands) == {"export"}


# ---------------------------------------------------------------- every action writes a row


def test_deletions_and_restores_by_anyone_are_recorded_with_their_actor(app, alice, bob, carol, moderator):
    question = make_question(alice)
    answer = make_answer(bob, question)
    own_answer = make_answer(carol, question, "自分で取り下げる回答です。十分な長さ。")
    comment = comments.add_comment(carol, answer, "自分のコメントを消します")
    others_comment = comments.add_comment(bob, question, "モデレーターが消すコメント")
    answers.delete_answer(carol, own_answer)
    comments.delete_comment(carol, comment)
    comments.delete_comment(moderator, others_comment)
    answers.delete_answer(moderator, answer, reason="offensive", note="表現に配慮してください")
    answers.undelete_answer(moderator, answer)
    questions.delete_question(moderator, question, reason="duplicate")
    questions.undelete_question(moderator, question)
    got = [(e.actor_id, e.action, e.target_type, e.target_id, e.detail and json.loads(e.detail)) for e in _rows()]
    assert got == [
        (carol.id, "answer_delete", "post", own_answer.id, ""),
        (carol.id, "comment_delete", "comment", comment.id, {"post": answer.id}),
        (moderator.id, "comment_delete", "comment", others_comment.id, {"post": question.id}),
        (moderator.id, "answer_delete", "post", answer.id, {"reason": "offensive"}),
        (moderator.id, "answer_undelete", "post", answer.id, ""),
        (moderator.id, "question_delete", "post", question.id, {"reason": "duplicate"}),
        (moderator.id, "question_undelete", "post", question.id, ""),
    ]


def test_moderators_edits_and_acceptances_on_others_posts_are_recorded(app, alice, bob, moderator):
    question = make_question(alice)
    answer = make_answer(bob, question)
    questions.edit_question(alice, question, questions.QuestionInput("本人が直したタイトルです", question.body, "住民税"), base_revision=1)
    questions.edit_question(moderator, question, questions.QuestionInput("モデレーターが直したタイトル", question.body, "住民税"), base_revision=2)
    answers.edit_answer(moderator, answer, "モデレーターが整えた回答の本文です。", base_revision=1)
    answers.accept_answer(moderator, answer)
    assert [(e.action, e.target_id, json.loads(e.detail or "{}")) for e in _rows()] == [
        ("question_edit", question.id, {"revision": 3}),
        ("answer_edit", answer.id, {"revision": 2}),
        ("answer_accept", answer.id, {}),
    ]


def test_the_row_is_part_of_the_action_s_transaction(app, alice, moderator, monkeypatch):
    """If anything after the audit row fails, neither the action nor its row remain."""
    from app.services import notifications

    question = make_question(alice)

    def broken(*args, **kwargs):
        raise RuntimeError("mail queue down")

    monkeypatch.setattr(notifications, "notify", broken)
    with pytest.raises(RuntimeError):
        questions.delete_question(moderator, question, reason="spam")
    db.session.refresh(question)
    assert not question.is_deleted and _rows() == []


def test_a_login_lockout_is_recorded_once_per_window_without_the_password(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_FAILURE_LIMITS={"account_ip": (10, 60), "account": (3, 60), "ip": (4, 60)})
    with app.app_context():
        victim = make_user(email="victim@city.kawasaki.lg.jp")
        client = app.test_client()
        codes = [
            client.post("/login", data={"email": "Victim@City.Kawasaki.lg.jp", "password": f"ｐａｓｓ{n}-秘密"}).status_code
            for n in range(6)
        ]
        assert codes == [200, 200, 200, 200, 429, 429]
        # The 4th failure locked the account: one row, not one per refused attempt.
        assert [(e.actor_id, e.target_type, e.target_id, json.loads(e.detail)) for e in _rows("login_lockout")] == [
            (None, "user", victim.id, {"limit": "3 failures per 60 s", "by": "account"})]
        # Another account's failure from the same address: now the address ceiling breaks.
        other = make_user(email="other@city.kawasaki.lg.jp")
        assert client.post("/login", data={"email": other.email, "password": "ちがうパスワード"}).status_code == 200
        assert client.post("/login", data={"email": other.email, "password": "ちがうパスワード"}).status_code == 429
        rows = _rows("login_lockout")
        assert [(e.target_id, json.loads(e.detail)["by"]) for e in rows[1:]] == [(other.id, "ip")]
        assert all("秘密" not in e.detail and "パスワード" not in e.detail and "kawasaki" not in e.detail for e in rows)
        db.session.remove()


def test_a_lockout_on_an_unknown_address_names_no_target(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_FAILURE_LIMITS={"account_ip": (1, 60), "account": (1, 60), "ip": (1, 60)})
    with app.app_context():
        client = app.test_client()
        for _ in range(2):
            client.post("/login", data={"email": "nobody@city.yokohama.lg.jp", "password": "x" * 12})
        assert {(e.target_type, e.target_id) for e in _rows("login_lockout")} == {("", None)}
        db.session.remove()


# ---------------------------------------------------------------- roles


def test_an_admin_changes_roles_and_each_change_is_recorded(app, alice, admin_user):
    assert admin.set_role(admin_user, alice, "moderator") is True
    assert admin.set_role(admin_user, alice, "moderator") is False  # no change, no row
    [entry] = _rows("role_change")
    assert (entry.actor_id, entry.target_id, json.loads(entry.detail)) == (
        admin_user.id, alice.id, {"old_role": "member", "new_role": "moderator"})


def test_only_admins_change_roles_and_never_to_an_unknown_one(app, alice, bob, moderator, admin_user):
    with pytest.raises(PermissionDenied):
        admin.set_role(moderator, bob, "admin")
    with pytest.raises(PermissionDenied):
        admin.set_role(alice, alice, "admin")
    with pytest.raises(ValidationFailed):
        admin.set_role(admin_user, bob, "superuser")
    assert (bob.role, alice.role) == ("member", "member") and _rows() == []


def test_the_last_admin_cannot_be_demoted(app, alice, admin_user):
    with pytest.raises(ValidationFailed, match="最後の管理者"):
        admin.set_role(admin_user, admin_user, "member")
    with pytest.raises(ValidationFailed):
        admin.set_role(None, admin_user, "moderator")  # not from the console either
    admin.set_role(admin_user, alice, "admin")
    admin.set_role(admin_user, admin_user, "member")  # another admin remains: allowed
    assert (admin_user.role, alice.role) == ("member", "admin")
    assert [json.loads(e.detail)["new_role"] for e in _rows("role_change")] == ["admin", "member"]


def test_users_role_command(app, alice, admin_user):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "role", "ALICE@city.yokohama.lg.jp", "moderator"])
    assert result.exit_code == 0, result.output
    db.session.refresh(alice)
    assert alice.role == "moderator"
    [entry] = _rows("role_change")
    assert entry.actor_id is None and json.loads(entry.detail)["via"] == "cli"
    assert runner.invoke(args=["users", "role", "nobody@example.jp", "admin"]).exit_code == 1
    assert runner.invoke(args=["users", "role", alice.email, "owner"]).exit_code == 2
    refused = runner.invoke(args=["users", "role", admin_user.email, "member"])
    assert refused.exit_code == 1 and "最後の管理者" in refused.output


def test_the_users_page_lists_searches_and_changes_roles(app, client, alice, bob, admin_user, moderator):
    login(client, moderator)
    assert client.get("/admin/users").status_code == 403
    assert client.post(f"/admin/users/{bob.id}/role", data={"role": "admin"}).status_code == 403
    client = app.test_client()
    login(client, admin_user)
    found = client.get("/admin/users?q=ＡＬＩＣＥ").get_data(as_text=True)  # full-width typing finds alice
    assert "横浜 アリス" in found and "大阪 ボブ" not in found
    assert "大阪 ボブ" in client.get("/admin/users?q=大阪").get_data(as_text=True)
    response = client.post(f"/admin/users/{bob.id}/role", data={"role": "moderator", "q": "大阪"})
    assert response.status_code == 302 and "/admin/users?q=" in response.headers["Location"]
    db.session.refresh(bob)
    assert bob.role == "moderator"
    refused = client.post(f"/admin/users/{admin_user.id}/role", data={"role": "member"}, follow_redirects=True)
    assert "最後の管理者" in refused.get_data(as_text=True)


def test_the_users_page_needs_a_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        boss = make_user(email="boss@soumu.go.jp", role="admin")
        member = make_user(email="member@city.osaka.lg.jp")
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/login", data={"email": boss.email, "password": PASSWORD, "csrf_token": token})
        assert client.post(f"/admin/users/{member.id}/role", data={"role": "admin"}).status_code == 400
        form = client.get("/admin/users").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        assert client.post(f"/admin/users/{member.id}/role", data={"role": "moderator", "csrf_token": token}).status_code == 302
        assert db.session.get(User, member.id).role == "moderator"
        db.session.remove()


# ---------------------------------------------------------------- the admin page


def _admin_client(app, admin_user):
    client = app.test_client()
    login(client, admin_user)
    return client


def test_moderators_and_members_may_not_read_the_log(app, alice, moderator):
    for user in (alice, moderator):
        client = app.test_client()
        login(client, user)
        assert client.get("/admin/audit").status_code == 403
        assert "/admin/audit" not in client.get("/questions").get_data(as_text=True)
    with pytest.raises(PermissionDenied):
        audit.list_entries(moderator, {}, 1)


def test_the_page_shows_labels_links_and_readable_details(app, alice, bob, moderator, admin_user):
    question = make_question(alice, title="国民健康保険税の減免（ｶﾝﾒﾝ）について")
    answer = make_answer(bob, question)
    answers.delete_answer(moderator, answer, reason="personal_information", note="氏名が書かれていました")
    admin.set_role(admin_user, bob, "moderator")
    _entry("feed_token_rotated_somehow", alice.id, datetime(2026, 12, 1, 3, 0))  # a code with no label yet
    html = _admin_client(app, admin_user).get("/admin/audit").get_data(as_text=True)
    assert "管理" in html.split("</nav>")[0]  # the nav link admins see
    for text in ("回答の削除", "個人情報を含む", "権限の変更", "一般", "モデレーター", "feed_token_rotated_somehow",
                 f"#answer-{answer.id}", f"/users/{bob.id}", "2026/12/01 12:00:00", "モデレーター", "mod@soumu.go.jp"):
        assert text in html, text
    assert "氏名が書かれていました" not in html  # the note is not audit data


def test_every_action_the_services_record_has_a_label_and_a_readable_detail(app, alice, bob, moderator, admin_user):
    """Redactions, confirmations and tokens record nested details (a dict of revisions, booleans):
    each is recorded through its real service, then the page names every action in Japanese."""
    question = make_question(alice, body="滞納者: 川崎 一郎から分納の申出がありました。様式を教えてください。", confirmed=("person_name",))
    redaction.redact_passage(moderator, question, "川崎 一郎", "identity")
    redaction.redact_revision(alice, question, 1, "identity")
    tokens.revoke_token(alice, tokens.create_token(alice, "連携📱", "read").token.id)
    feeds.create_feed_key(alice)
    feeds.revoke_feed_key(alice)
    html = _admin_client(app, admin_user).get("/admin/audit").get_data(as_text=True)
    recorded = set(db.session.scalars(sa.select(AuditLog.action).distinct()))
    assert {"pii_confirm", "post_redact", "revision_redact", "api_token_create", "api_token_revoke",
            "feed_token_create", "feed_token_revoke"} <= recorded
    for code in recorded:
        assert str(labels.ACTIONS[code]) in html, code
    for text in ("氏名など個人を特定できる情報", f"{question.id}: 1", "置き換えた箇所", "はい"):
        assert text in html, text
    assert "川崎 一郎" not in html


def test_filters_by_who_what_when_and_target(app, alice, bob, moderator, admin_user):
    # JST 2026-12-01 00:00 is 2026-11-30 15:00 UTC.
    _entry("tag_edit", moderator.id, datetime(2026, 11, 30, 14, 59), "tag", 7)  # 11/30 23:59 JST
    _entry("tag_edit", moderator.id, datetime(2026, 11, 30, 15, 0), "tag", 8)  # 12/01 00:00 JST
    _entry("question_delete", admin_user.id, datetime(2026, 12, 31, 14, 59), "post", 42, reason="spam")  # 12/31 23:59 JST
    _entry("question_delete", moderator.id, datetime(2026, 12, 31, 15, 0), "post", 43, reason="other")  # 2027/01/01 JST
    client = _admin_client(app, admin_user)

    def ids(**params) -> list[str]:
        response = client.get("/admin/audit", query_string=params)
        assert response.status_code == 200
        return re.findall(r'<tr id="audit-(\d+)"', response.get_data(as_text=True))

    every = ids()
    assert len(every) == 4  # newest first
    assert ids(since="２０２６年１２月１日", until="2026/12/31") == every[1:3]
    assert ids(since="2026-12-01", until="2026-12-01") == [every[2]]
    assert ids(who="soumu.go.jp", action="question_delete") == every[:2]
    assert ids(who=str(admin_user.id)) == [every[1]]
    assert ids(who="mod@") == [every[0], every[2], every[3]]
    assert ids(target_type="post", target_id="４３") == [every[0]]
    assert ids(target_type="tag") == every[2:]
    empty = client.get("/admin/audit", query_string={"action": "role_change"}).get_data(as_text=True)
    assert "条件に合う記録はありません" in empty


def test_bad_filters_say_what_is_wrong_and_list_nothing(app, moderator, admin_user):
    _entry("tag_edit", moderator.id, datetime(2026, 12, 1))
    client = _admin_client(app, admin_user)
    for params, message in (
        ({"since": "12月1日"}, "日付は「2026-12-01」の形で入力してください。"),
        ({"since": "2026-02-30"}, "日付は「2026-12-01」の形で入力してください。"),
        ({"since": "2026-12-02", "until": "2026-12-01"}, "終了日は開始日以降にしてください。"),
        ({"target_id": "四十二"}, "対象の ID は数字で入力してください。"),
        ({"action": "x' OR 1=1"}, "英小文字"),
    ):
        html = client.get("/admin/audit", query_string=params).get_data(as_text=True)
        assert message in html and 'id="audit-' not in html, params


def test_an_empty_log_says_so_and_pages_are_newest_first(app, moderator, admin_user):
    client = _admin_client(app, admin_user)
    assert "まだ記録がありません。" in client.get("/admin/audit").get_data(as_text=True)
    for day in range(1, 61):
        _entry("tag_edit", moderator.id, datetime(2026, 10, 1 + day % 28, day % 24), "tag", day)
    first = client.get("/admin/audit").get_data(as_text=True)
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert first.count('<tr id="audit-') == audit.PER_PAGE and second.count('<tr id="audit-') == 10
    assert client.get("/admin/audit?page=3").status_code == 404
    times = re.findall(r'<time datetime="([^"]+)"', first + second)
    assert times == sorted(times, reverse=True)


# ---------------------------------------------------------------- the CLI export


def test_export_json_lines_to_stdout_and_csv_to_a_file(app, alice, moderator, tmp_path):
    _entry("question_delete", moderator.id, datetime(2026, 11, 30, 14, 0), "post", 1, reason="spam")  # 11/30 JST
    _entry("question_delete", moderator.id, datetime(2026, 12, 1, 2, 3, 4), "post", 2, reason="personal_information")
    _entry("login_lockout", None, datetime(2026, 12, 2, 0, 0), "user", alice.id, limit="10 per 1 minute", by="account")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "export", "--since", "2026-12-01"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines[0] == {
        "id": lines[0]["id"], "created_at": "2026-12-01T02:03:04Z", "actor_id": moderator.id, "actor_email": "mod@soumu.go.jp",
        "action": "question_delete", "target_type": "post", "target_id": 2, "detail": {"reason": "personal_information"},
    }
    assert (lines[1]["actor_id"], lines[1]["actor_email"], lines[1]["detail"]["by"]) == (None, None, "account")
    assert len(lines) == 2

    output = tmp_path / "監査ログ.csv"
    result = runner.invoke(args=["audit", "export", "--since", "２０２６年１１月１日", "--until", "2026/12/01", "--format", "csv", "--output", str(output)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert [row["target_id"] for row in rows] == ["1", "2"]
    assert list(rows[0]) == list(audit.EXPORT_FIELDS) and json.loads(rows[1]["detail"]) == {"reason": "personal_information"}


@pytest.mark.parametrize("args", [["--since", "2026-13-01"], ["--since", "昨日"], ["--since", "2026-12-02", "--until", "2026-12-01"], []])
def test_export_refuses_bad_dates_with_exit_code_2(app, args):
    result = app.test_cli_runner().invoke(args=["audit", "export", *args])
    assert result.exit_code == 2
    assert "--since" in result.output or "--until" in result.output
