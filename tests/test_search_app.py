"""Search as people use it: Japanese queries through the site, the outbox that keeps the index
in step with the database, the database fallback, synonyms, similar questions."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import whoosh.index

import search.index as search_index
from app import indexing
from app.extensions import db
from app.models import SearchOutbox
from app.services import answers, questions, search
from tests.factories import login, make_answer, make_question


@pytest.fixture
def corpus(app, alice, bob):
    vaccine = make_question(
        alice,
        title="ワクチン接種の予約システムで電話予約と併用するには",
        body="高齢者はＷｅｂ予約が難しいため、コールセンターでの代行入力を検討しています。",
        tags="ワクチン接種",
    )
    make_answer(bob, vaccine, "当市では基礎疾患のある方の優先接種枠をコールセンター専用に確保しました。")
    debt = make_question(
        alice,
        title="時効の援用があった滞納債権の不納欠損処理",
        body="援用の通知を受けた後、どの年度で不納欠損とするのが通例でしょうか。",
        tags="債権回収",
    )
    return {"vaccine": vaccine, "debt": debt}


def _ids(results) -> list[int]:
    return [hit.question.id for hit in results.hits]


def test_japanese_queries_find_questions_and_answers(corpus):
    assert _ids(search.search_questions("時効の援用")) == [corpus["debt"].id]
    # Full-width and half-width forms fold together.
    assert corpus["vaccine"].id in _ids(search.search_questions("web予約"))
    found = search.search_questions("優先接種 コールセンター")
    assert _ids(found)[0] == corpus["vaccine"].id
    [hit] = [h for h in found.hits if h.question.id == corpus["vaccine"].id]
    assert "<mark>" in hit.snippet_html
    assert found.notice is None  # answered by the index, not the fallback


def test_snippet_from_an_answer_links_to_it(member_client, corpus):
    page = member_client.get("/search?q=基礎疾患").get_data(as_text=True)
    assert re.search(r'href="/questions/\d+/[^"#]+#answer-\d+">回答より', page)
    assert "<mark>基礎疾患</mark>" in page


def test_tag_filter_and_operators(corpus, bob):
    assert _ids(search.search_questions("[債権回収]")) == [corpus["debt"].id]
    assert _ids(search.search_questions("[ワクチン接種] answers:1")) == [corpus["vaccine"].id]
    assert _ids(search.search_questions("answers:0")) == [corpus["debt"].id]
    assert _ids(search.search_questions(f"user:{bob.id} is:answer 優先接種")) == [corpus["vaccine"].id]


@pytest.mark.parametrize("query", ["deleted:true", "author_email:*", "?*", "*", "body:[a TO z]", "title^100", '"閉じない引用', "((( 債権", "[]", "user:abc", "score:-99999999999999999999"])
def test_hostile_or_broken_queries_never_fail(member_client, corpus, query):
    response = member_client.get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_edits_and_deletes_reach_the_index(app, corpus, alice, moderator):
    debt = corpus["debt"]
    questions.edit_question(
        alice, debt, questions.QuestionInput("督促状の発送時期と延滞金の起算日", debt.body, "債権回収"), base_revision=1
    )
    assert _ids(search.search_questions("督促状")) == [debt.id]
    questions.delete_question(moderator, debt, reason="outdated")
    assert _ids(search.search_questions("督促状")) == []


def test_deleted_question_is_rechecked_even_if_the_index_is_stale(app, corpus, moderator):
    with indexing.deferred():
        questions.delete_question(moderator, corpus["debt"], reason="outdated")
    # The index still has the document, but the database says deleted: never shown.
    assert corpus["debt"].id in [h.question_id for h in indexing.get_index().search("時効の援用").hits]
    assert _ids(search.search_questions("時効の援用")) == []


def test_a_locked_index_loses_nothing_and_sync_catches_up(app_factory):
    app = app_factory(SEARCH_WRITE_TIMEOUT=0.2)
    with app.app_context():
        from tests.factories import make_user

        author = make_user()
        indexing.get_index()  # create it
        current = Path(app.config["SEARCH_INDEX_DIR"]) / "current"
        writer = whoosh.index.open_dir(str(current.resolve())).writer()  # another process's writer
        try:
            question = make_question(author, title="住民税の特別徴収税額通知の電子化について")
            answers.post_answer(author, question, "eLTAXで送付できます。副本は紙でも送っています。")
            pending = db.session.scalar(sa.select(sa.func.count()).select_from(SearchOutbox).where(SearchOutbox.id > indexing.get_index().position))
            assert pending >= 2  # committed in the database, waiting in the outbox
        finally:
            writer.cancel()
        result = app.test_cli_runner().invoke(args=["search", "sync"])
        assert result.exit_code == 0 and "applied" in result.output
        assert _ids(search.search_questions("特別徴収税額通知")) == [question.id]


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_search_falls_back_to_the_database_with_a_notice(app, member_client, corpus, damage):
    root = Path(app.config["SEARCH_INDEX_DIR"])
    indexing.forget_index()
    generation = (root / "current").resolve()
    if damage == "missing":
        import shutil

        shutil.rmtree(root)
        root.write_text("not a directory")  # cannot even be re-created
    else:
        for path in generation.iterdir():
            if path.suffix in (".seg", ".toc") or path.name.endswith(".json"):
                path.write_bytes(b"\x00garbage")
    response = member_client.get("/search?q=時効の援用")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "簡易検索" in text and "<mark>時効の援用</mark>があった滞納債権の不納欠損処理" in text
    # The rest of the site does not depend on the index.
    assert member_client.get(f"/questions/{corpus['debt'].id}", follow_redirects=True).status_code == 200


def test_rebuild_restores_a_deleted_index(app, corpus):
    import shutil

    indexing.forget_index()
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    result = app.test_cli_runner().invoke(args=["search", "rebuild", "--procs", "1"])
    assert result.exit_code == 0, result.output
    assert "indexed 2 questions" in result.output
    assert _ids(search.search_questions("時効の援用")) == [corpus["debt"].id]


def test_synonyms_edited_by_a_moderator_apply_at_query_time(app, client, alice, moderator):
    question = make_question(alice, title="国民健康保険税の減免基準", body="災害時の減免基準の作り方を教えてください。", tags="国民健康保険")
    login(client, alice)
    assert client.post("/search/synonyms", data={"synonyms": "国保、国民健康保険"}).status_code == 403
    client.post("/logout")
    login(client, moderator)
    client.post("/search/synonyms", data={"synonyms": "滞納整理,債権回収"})  # the starter list's 国保 removed
    assert _ids(search.search_questions("国保")) == []
    response = client.post("/search/synonyms", data={"synonyms": "国保、国民健康保険\n滞納整理,債権回収"})
    assert response.status_code == 302
    assert _ids(search.search_questions("国保")) == [question.id]
    bad = client.post("/search/synonyms", data={"synonyms": "ひとつだけ"})
    assert "1行目" in bad.get_data(as_text=True)
    assert search.synonyms_as_text() == "国保、国民健康保険\n滞納整理、債権回収"


def test_similar_questions_while_typing_a_title(member_client, corpus):
    items = member_client.get("/questions/similar", query_string={"title": "ワクチンの予約方法"}).get_json()["items"]
    assert items and items[0]["id"] == corpus["vaccine"].id
    assert member_client.get("/questions/similar?title=").get_json() == {"items": []}


def test_question_page_shows_related_questions(member_client, corpus, bob):
    related = make_question(bob, title="ワクチン接種券の再発行とコールセンターの体制", tags="ワクチン接種")
    page = member_client.get(f"/questions/{corpus['vaccine'].id}", follow_redirects=True).get_data(as_text=True)
    sidebar = page[page.index('<aside class="sidebar">') :]
    assert "関連する質問" in sidebar and related.title in sidebar
    assert corpus["debt"].title not in sidebar


def test_a_phrase_checked_in_part_says_so(member_client, corpus, monkeypatch):
    monkeypatch.setattr(search_index, "PHRASE_CHECK_LIMIT", 0)
    page = member_client.get('/search?q="時効の援用"').get_data(as_text=True)
    assert "上位0件で確かめた結果です" in page
    monkeypatch.setattr(search_index, "PHRASE_CHECK_LIMIT", 10)
    found = search.search_questions('"時効の援用"')
    assert (_ids(found), found.notice) == ([corpus["debt"].id], None)
