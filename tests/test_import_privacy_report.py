"""Importers report personal information instead of holding it: counts per category and the ids
of the imported posts and comments to review in the summary, never the text."""

import sqlalchemy as sa
from click.testing import CliRunner

from app.extensions import db
from app.models import Answer, AuditLog, Comment, Question
from app.services import answers, comments
from app.services.export import export_all
from app.services.importers import faq_csv, stackexchange, zennin
from tests.factories import make_question

MY_NUMBER_BODY = "<p>申請書に個人番号: 123456789018 と書かれていた場合の扱いを教えてください。</p>"
MOBILE = "090-1234-5678"


def _assert_no_text(lines: list[str], *fragments: str) -> None:
    for line in lines:
        for fragment in fragments:
            assert fragment not in line


def test_faq_csv_rows_with_personal_information_are_imported_and_reported(app, tmp_path):
    csv = tmp_path / "faq.csv"
    csv.write_text(
        "ID,質問,回答,大分類\n"
        f"1,粗大ごみの出し方を教えてください,担当の携帯 {MOBILE} またはsodai.tanto@gmail.com へ連絡してください。,くらし\n"
        "2,住民票の写しを郵送で請求するには？,請求書と本人確認書類の写しを市民課へ郵送してください😀,くらし\n",
        encoding="utf-8",
    )
    report = faq_csv.import_faq_csv(csv, org="141003")
    assert report.created["questions"] == 2  # reported, not blocked
    assert report.personal_information == {"phone": 1, "email": 1}
    first = db.session.scalar(sa.select(Question).where(Question.title.startswith("粗大ごみ")))
    assert report.to_review == {"posts": [first.accepted_answer_id]}
    lines = report.lines()
    assert "possible personal information, email: 1" in lines and "possible personal information, phone: 1" in lines
    assert f"posts to review for personal information: {first.accepted_answer_id}" in lines
    _assert_no_text(lines, MOBILE, "gmail")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0  # nobody confirmed anything


def test_stack_exchange_posts_are_reported_by_id(app, tmp_path):
    (tmp_path / "Posts.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
        f'  <row Id="1" PostTypeId="1" CreationDate="2020-04-01T09:00:00.000" Title="申請書に書かれた個人番号の扱い" Body="{MY_NUMBER_BODY.replace("<", "&lt;").replace(">", "&gt;")}" Tags="|住民税|" />\n'
        '  <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2020-04-02T09:00:00.000" Body="&lt;p&gt;番号法で決められた事務以外では収集できません。&lt;/p&gt;" />\n'
        "</posts>\n",
        encoding="utf-8",
    )
    report = stackexchange.import_dump(tmp_path)
    assert report.created["questions"] == 1 and report.created["answers"] == 1
    question = db.session.scalar(sa.select(Question))
    assert report.personal_information == {"my_number": 1}
    assert report.to_review == {"posts": [question.id]}
    _assert_no_text(report.lines(), "123456789018")


def test_a_restore_reports_posts_and_comments(app, app_factory, tmp_path, alice, bob):
    question = make_question(alice)
    answer = answers.post_answer(bob, question, f"担当者の携帯 {MOBILE} で確認しました。", confirmed_categories=["phone"])
    comment = comments.add_comment(alice, answer, f"{MOBILE} ですね、ありがとうございます。", confirmed_categories=["phone"])
    export_all(tmp_path / "export")

    target = app_factory()
    with target.app_context():
        report = zennin.restore(tmp_path / "export")
        assert report.personal_information == {"phone": 2}
        assert report.to_review == {"comments": [comment.id], "posts": [answer.id]}
        assert db.session.get(Answer, answer.id) is not None and db.session.get(Comment, comment.id) is not None
        lines = report.lines()
        assert f"comments to review for personal information: {comment.id}" in lines
        _assert_no_text(lines, MOBILE)


def test_the_import_command_prints_the_report(app, tmp_path):
    csv = tmp_path / "faq.csv"
    csv.write_text(f"質問,回答\n保育園の申込み期限はいつですか,担当の携帯 {MOBILE} に連絡してください。\n", encoding="utf-8")
    result = CliRunner().invoke(app.cli, ["import", "faq-csv", str(csv), "--org", "141003"], catch_exceptions=False)
    assert "possible personal information, phone: 1" in result.output
    assert "posts to review for personal information:" in result.output and MOBILE not in result.output
