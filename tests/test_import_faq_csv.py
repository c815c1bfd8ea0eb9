"""Municipal FAQ CSVs: UTF-8 with a BOM and title lines, and Shift_JIS (CP932) with other column names."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from app.extensions import db
from app.models import Answer, Question, User
from app.services import search
from app.services.importers import faq_csv

FIXTURES = Path(__file__).parent / "fixtures" / "faq"


def _questions() -> list[Question]:
    return db.session.scalars(sa.select(Question).order_by(Question.id)).all()


def test_utf8_with_bom_and_title_rows(app):
    assert (FIXTURES / "faq_utf8.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    report = faq_csv.import_faq_csv(FIXTURES / "faq_utf8.csv", org="141003", tag="よくある質問")
    assert report.created["questions"] == 4
    assert report.skipped["rows without a question or an answer"] == 1
    first, second, third, fourth = _questions()
    assert first.title == "住民票の写しを郵送で請求するにはどうすればよいですか？"
    assert [t.name for t in first.tags] == sorted(["よくある質問", "くらし・手続き", "住民票", "写しの請求"])
    assert "横浜市 よくある質問" in first.body and "分類: くらし・手続き › 住民票 › 写しの請求" in first.body
    assert [t.name for t in third.tags] == sorted(["よくある質問", "税金-市民税", "特別徴収"])
    assert third.title.endswith("😀")
    assert fourth.title == "【保育園】転園"
    for question in (first, second, third, fourth):
        answer = db.session.get(Answer, question.accepted_answer_id)
        assert answer is not None and answer.author_id == question.author_id
    author = first.author
    assert author.is_placeholder and author.display_name == "横浜市 FAQ" and author.organization_code == "141003"
    assert author.reputation == 0  # accepting one's own answer earns nothing


def test_shift_jis_with_other_column_names(app):
    raw = (FIXTURES / "faq_sjis.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    report = faq_csv.import_faq_csv(FIXTURES / "faq_sjis.csv", org="131016")
    assert report.created["questions"] == 3
    titles = [q.title for q in _questions()]
    assert "就職して会社の健康保険に入りました。手続きは必要ですか？" in titles
    answers = db.session.scalars(sa.select(Answer.body)).all()
    assert any("①健康保険証の写し" in body for body in answers)
    tags = {t.name for q in _questions() for t in q.tags}
    assert tags == {"国民健康保険", "ゴミ・リサイクル"}  # half-width kana folded


def test_rerun_is_idempotent_and_orgs_are_separate_sources(app):
    faq_csv.import_faq_csv(FIXTURES / "faq_utf8.csv", org="141003")
    again = faq_csv.import_faq_csv(FIXTURES / "faq_utf8.csv", org="141003")
    assert not again.created["questions"] and again.skipped["rows imported before"] == 4
    assert len(_questions()) == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_placeholder)) == 1
    faq_csv.import_faq_csv(FIXTURES / "faq_utf8.csv", org="271004")
    assert len(_questions()) == 8


def test_imported_faq_is_searchable(app):
    faq_csv.import_faq_csv(FIXTURES / "faq_sjis.csv", org="131016")
    found = search.search_questions("ペットボトル キャップ")
    assert [hit.question.title for hit in found.hits] == ["ペットボトルのキャップはどう出せばよいですか？"]


def test_files_without_a_recognizable_header_are_refused(app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(faq_csv.FaqFormatError):
        faq_csv.import_faq_csv(path, org="141003")
    result = CliRunner().invoke(app.cli, ["import", "faq-csv", str(path), "--org", "141003"])
    assert result.exit_code != 0 and "header" in result.output


def test_cli_reports_and_refuses_unknown_organizations(app):
    result = CliRunner().invoke(app.cli, ["import", "faq-csv", str(FIXTURES / "faq_sjis.csv"), "--org", "999999"])
    assert result.exit_code != 0
    result = CliRunner().invoke(app.cli, ["import", "faq-csv", str(FIXTURES / "faq_sjis.csv"), "--org", "131016", "--tag", "FAQ"], catch_exceptions=False)
    assert result.exit_code == 0 and "created questions: 3" in result.output
    assert {t.name for t in _questions()[0].tags} == {"faq", "国民健康保険"}


@pytest.mark.parametrize("text, tag", [("税金（市民税）", "税金-市民税"), ("ｺﾞﾐ・ﾘｻｲｸﾙ", "ゴミ・リサイクル"), ("子育て 支援", "子育て-支援"), ("!!!", None), ("あ" * 40, None)])
def test_category_tags(text, tag):
    assert faq_csv.category_tag(text) == tag
