"""Asking, tags, editing with revisions and conflicts, deleting, listing."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Question, Revision, SuggestedEdit, Tag, TagSynonym, utcnow
from app.services import questions
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.pagination import parse_page
from app.services.tags import parse_tag_input
from tests.factories import make_answer, make_question


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("債権回収,住民税", ["債権回収", "住民税"]),
        ("債権回収、住民税", ["債権回収", "住民税"]),
        ("債権回収　住民税 ワクチン接種", ["債権回収", "住民税", "ワクチン接種"]),
        ("債権回収，住民税", ["債権回収", "住民税"]),
        ("Ｐｙｔｈｏｎ python PYTHON", ["python"]),
        ("ｶﾞｲﾄﾞﾗｲﾝ", ["ガイドライン"]),
        ("２０２５年度", ["2025年度"]),
        ("", []),
    ],
)
def test_tag_input_is_split_and_normalized(typed, expected):
    assert parse_tag_input(typed) == expected


def test_ask_question_with_japanese_tags(app, alice):
    question = make_question(alice, title="ワクチン接種の予約システム😀について", tags="ワクチン接種、ＤＸ")
    assert [tag.name for tag in question.tags] == ["dx", "ワクチン接種"]
    assert question.answer_count == 0 and question.view_count == 0
    assert db.session.scalar(sa.select(Tag.question_count).where(Tag.name == "dx")) == 1
    [revision] = db.session.scalars(sa.select(Revision).where(Revision.post_id == question.id)).all()
    assert (revision.number, revision.tags) == (1, "dx ワクチン接種")


def test_tag_synonym_resolves_to_its_tag(app, alice):
    tag = Tag(name="債権回収", synonyms=[TagSynonym(name="滞納整理", approved_at=utcnow())])
    db.session.add(tag)
    db.session.commit()
    question = make_question(alice, tags="滞納整理")
    assert [t.name for t in question.tags] == ["債権回収"]


@pytest.mark.parametrize(
    "title, body, tags, field",
    [
        ("短い", "本文は十分な長さがあります。", "財政", "title"),
        ("十分な長さのタイトルです", "短い", "財政", "body"),
        ("十分な長さのタイトルです", "本文は十分な長さがあります。", "", "tags"),
        ("十分な長さのタイトルです", "本文は十分な長さがあります。", "a b c d e f", "tags"),
        ("十分な長さのタイトルです", "本文は十分な長さがあります。", "財政/予算", "tags"),
        ("あ" * 151, "本文は十分な長さがあります。", "財政", "title"),
        ("十分な長さのタイトルです", "あ" * 30001, "財政", "body"),
    ],
)
def test_invalid_questions_are_refused_and_nothing_is_written(app, alice, title, body, tags, field):
    with pytest.raises(ValidationFailed) as failure:
        questions.ask_question(alice, questions.QuestionInput(title, body, tags))
    assert field in failure.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Tag)) == 0


def test_unsafe_characters_are_removed(app, alice):
    question = make_question(alice, title="予算\u202e編成\x00の手順\u200b", body="本文\x00です。\r\n二行目\u2066です")
    assert question.title == "予算編成の手順"
    assert question.body == "本文です。\n二行目です"


def test_edit_keeps_every_revision_and_moves_tag_counts(app, alice):
    question = make_question(alice, tags="住民税")
    questions.edit_question(
        alice,
        question,
        questions.QuestionInput("住民税の特別徴収を普通徴収に切り替える時期", question.body + "\n追記します。", "住民税 特別徴収"),
        base_revision=1,
        summary="タグを追加",
    )
    assert question.revision_count == 2 and question.edited_at is not None
    numbers = db.session.scalars(sa.select(Revision.number).where(Revision.post_id == question.id)).all()
    assert sorted(numbers) == [1, 2]
    counts = dict(db.session.execute(sa.select(Tag.name, Tag.question_count)).all())
    assert counts == {"住民税": 1, "特別徴収": 1}


def test_second_editor_gets_a_conflict_and_nothing_is_overwritten(app, alice, moderator):
    question = make_question(alice)
    first = questions.QuestionInput(question.title, question.body + "（Aの追記）", "住民税")
    second = questions.QuestionInput(question.title, question.body + "（Bの追記）", "住民税")
    questions.edit_question(alice, question, first, base_revision=1)
    with pytest.raises(Conflict):
        questions.edit_question(moderator, question, second, base_revision=1)
    db.session.refresh(question)
    assert question.body.endswith("（Aの追記）") and question.revision_count == 2


@pytest.mark.privileges(create_tags=0)  # the asker (0 points) creates the tag
def test_below_the_edit_privilege_an_edit_of_someone_elses_question_is_a_suggestion(app, alice, bob):
    question = make_question(alice)
    data = questions.QuestionInput("別のタイトルにします", "本文を書き換えます。", "財政")
    suggestion = questions.edit_question(bob, question, data, base_revision=1)
    db.session.refresh(question)
    assert isinstance(suggestion, SuggestedEdit) and suggestion.status == "pending"
    assert question.revision_count == 1 and question.title != "別のタイトルにします"


def test_asker_cannot_delete_an_answered_question_but_a_moderator_can(app, alice, bob, moderator):
    question = make_question(alice)
    make_answer(bob, question)
    with pytest.raises(PermissionDenied):
        questions.delete_question(alice, question)
    questions.delete_question(moderator, question, reason="duplicate")
    assert question.is_deleted
    assert db.session.scalar(sa.select(Tag.question_count).where(Tag.name == "住民税")) == 0
    with pytest.raises(NotFound):
        questions.get_question(alice, question.id)
    assert questions.get_question(moderator, question.id) is question
    questions.undelete_question(moderator, question)
    assert db.session.scalar(sa.select(Tag.question_count).where(Tag.name == "住民税")) == 1


def test_list_tabs(app, alice, bob):
    answered = make_question(alice, title="回答のある質問です")
    unanswered = make_question(alice, title="回答のない質問です")
    make_answer(bob, answered)
    assert [q.id for q in questions.list_questions("unanswered", 1, 20, viewer=None).items] == [unanswered.id]
    assert [q.id for q in questions.list_questions("active", 1, 20, viewer=None).items] == [answered.id, unanswered.id]
    assert questions.list_questions("newest", 1, 20, viewer=None).items[0].id == unanswered.id
    assert questions.list_questions("nonsense", 1, 20, viewer=None).total == 2


@pytest.mark.parametrize("raw, page", [(None, 1), ("abc", 1), ("0", 1), ("3", 3), ("-1", 1), ("１", 1), ("2.5", 1)])
def test_page_numbers_survive_bad_input(raw, page):
    assert parse_page(raw) == page


@pytest.mark.parametrize("raw", ["99999999999999999999", "100001"])
def test_absurd_page_numbers_are_not_found(raw):
    with pytest.raises(NotFound):
        parse_page(raw)


def test_page_past_the_end_is_not_found(app, alice):
    make_question(alice)
    with pytest.raises(NotFound):
        questions.list_questions("newest", 2, 20, viewer=None)
    assert questions.list_questions("newest", 1, 20, viewer=None).total == 1
