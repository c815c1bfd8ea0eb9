"""Importing the Stack Exchange dump in tests/fixtures/stackexchange (Japanese content, every file)."""

import shutil
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from app.extensions import db
from app.models import Answer, ImportRecord, Notification, Question, Tag, User, Vote
from app.services import reputation, search, votes
from app.services.importers import stackexchange
from app.services.importers.placeholders import claim_placeholder
from tests.factories import make_user

FIXTURE = Path(__file__).parent / "fixtures" / "stackexchange"


def _question(title_start: str) -> Question:
    return db.session.scalar(sa.select(Question).where(Question.title.startswith(title_start)))


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (User, Question, Answer, Tag, ImportRecord)
    )


def test_the_dump_becomes_questions_answers_tags_and_placeholders(app):
    report = stackexchange.import_dump(FIXTURE)
    assert report.created["questions"] == 4 and report.created["answers"] == 3
    assert report.created["accepted answers"] == 1 and report.created["questions closed as duplicates"] == 1
    assert report.skipped["answers whose question was not imported"] == 1  # ParentId 999
    assert report.skipped["questions refused by our rules (body, title)"] == 1  # 「短い」

    question = _question("特別徴収から普通徴収")
    assert [tag.name for tag in question.tags] == ["住民税", "特別徴収"]
    assert question.created_at.isoformat() == "2016-04-01T09:00:00" and question.view_count == 250
    # Bodies: the dump's HTML is the Markdown source; our sanitizer still runs on it.
    assert "<strong>特別徴収</strong>" in question.body_html and "<li>異動届出書</li>" in question.body_html
    assert "<script" not in question.body_html and "javascript:" not in question.body_html
    accepted = db.session.get(Answer, question.accepted_answer_id)
    assert "異動届出書" in accepted.body and "<pre><code>if (退職月 " in accepted.body_html and "普通徴収へ切替();" in accepted.body_html
    assert accepted.author.display_name == "ｼｽﾃﾑ担当 😀" and accepted.author.is_placeholder
    assert question.answer_count == 2


def test_tags_are_normalized_mapped_or_dropped(app):
    report = stackexchange.import_dump(FIXTURE)
    question = _question("催告書をC#で")
    assert [tag.name for tag in question.tags] == ["a-b", "c-sharp", "エクセル", "債権回収"]
    assert report.skipped["tag names that do not fit our rules"] == 1  # 「####」
    assert db.session.scalar(sa.select(Tag).where(Tag.name == "住民税")).description.startswith("個人住民税")
    # The SE account was deleted: the post keeps the name it was shown with.
    assert question.author.display_name == "退職した職員" and question.author.is_placeholder


def test_votes_become_imported_scores_and_the_score_invariant_holds(app):
    stackexchange.import_dump(FIXTURE)
    question = _question("特別徴収から普通徴収")
    accepted = db.session.get(Answer, question.accepted_answer_id)
    assert (question.score, question.imported_score) == (4, 4)  # 4 up-votes; the favorite (type 5) is no vote
    assert accepted.score == 6
    assert _question("催告書をC#で").answers[0].score == -1
    voter = make_user()
    votes.cast_vote(voter, accepted, 1)
    db.session.refresh(accepted)
    assert accepted.score == 7
    for post in db.session.scalars(sa.select(Question)).all() + db.session.scalars(sa.select(Answer)).all():
        cast = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Vote.value), 0)).where(Vote.post_id == post.id))
        assert post.score == post.imported_score + cast
    # Imported votes earn no reputation; the acceptance does, as on the site.
    for user in db.session.scalars(sa.select(User)):
        assert user.reputation == reputation.recompute(user.id)
    assert accepted.author.reputation == reputation.ACCEPTED + reputation.VOTE_VALUE[1]


def test_placeholders_cannot_log_in_and_get_no_notifications(app, client):
    stackexchange.import_dump(FIXTURE)
    placeholders = db.session.scalars(sa.select(User).where(User.is_placeholder)).all()
    assert len(placeholders) == 5
    for user in placeholders:
        assert user.password_hash is None and not user.is_verified and user.email.endswith("@placeholder.invalid")
    response = client.post("/login", data={"email": placeholders[0].email, "password": ""})
    assert response.status_code != 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_duplicates_are_closed_with_a_notice_linking_the_original(app, member_client):
    stackexchange.import_dump(FIXTURE)
    duplicate = _question("退職者の住民税の普通徴収切替")
    original = _question("特別徴収から普通徴収")
    assert duplicate.duplicate_of_id == original.id and duplicate.close_reason == "duplicate"
    assert duplicate.closed_at.isoformat() == "2017-05-11T00:00:00"
    page = member_client.get(f"/questions/{duplicate.id}", follow_redirects=True).get_data(as_text=True)
    assert "この質問は重複として閉じられました。元の質問:" in page and f'href="/questions/{original.id}/' in page
    assert _question("分納誓約").closed_at is None  # LinkTypeId 1 is only "related"


def test_a_rerun_changes_nothing_and_limit_continues_later(app):
    report = stackexchange.import_dump(FIXTURE, limit=1)
    assert report.created["questions"] == 1 and report.created["answers"] == 2
    assert report.skipped["questions over --limit"] == 4
    stackexchange.import_dump(FIXTURE)
    before = _counts()
    again = stackexchange.import_dump(FIXTURE)
    assert not again.created
    assert _counts() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 4


def test_the_same_dump_under_another_site_name_is_a_new_source(app, tmp_path):
    copy = tmp_path / "ja.stackoverflow.com"
    shutil.copytree(FIXTURE, copy)
    stackexchange.import_dump(FIXTURE)
    stackexchange.import_dump(copy)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 8


def test_imported_posts_are_searchable(app):
    stackexchange.import_dump(FIXTURE)
    found = search.search_questions("分納誓約 時効")
    assert [hit.question.title for hit in found.hits] == ["分納誓約が破られたときの時効の更新について"]
    assert found.notice is None


def test_a_dump_without_votes_uses_the_post_scores(app, tmp_path):
    folder = tmp_path / "novotes"
    shutil.copytree(FIXTURE, folder)
    (folder / "Votes.xml").unlink()
    (folder / "Users.xml").unlink()
    stackexchange.import_dump(folder)
    assert _question("分納誓約").score == 3
    assert _question("特別徴収から普通徴収").author.display_name == "ユーザー11"


def test_claiming_a_placeholder_moves_the_posts_to_the_real_person(app):
    stackexchange.import_dump(FIXTURE)
    accepted_author = db.session.scalar(sa.select(User).where(User.display_name == "ｼｽﾃﾑ担当 😀"))
    question = _question("特別徴収から普通徴収")
    answer = db.session.get(Answer, question.accepted_answer_id)
    person = make_user(email="tanaka@city.minato.lg.jp", name="港区 田中")
    votes.cast_vote(person, answer, 1)  # voted on it before claiming: the vote must go
    claim_placeholder(accepted_author.id, "TANAKA@city.minato.lg.jp")
    db.session.expire_all()
    assert answer.author_id == person.id and _question("分納誓約").author_id == person.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.user_id == person.id)) == 0
    assert answer.score == answer.imported_score == 6
    assert person.reputation == reputation.recompute(person.id) == reputation.ACCEPTED
    assert accepted_author.disabled_at is not None


def test_the_cli_shows_progress_and_a_summary(app):
    result = CliRunner().invoke(app.cli, ["import", "stackexchange", str(FIXTURE), "--limit", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "posts" in result.output and "created questions: 2" in result.output and "posts/s" in result.output
