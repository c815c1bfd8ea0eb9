"""N+1 guard rails: the main pages run a fixed number of SQL queries, whatever their size.

Each page is read once with little data and again with much more (answers, comments, tags,
voters, people, career posts, questions): the count must be the same, and under a bound. A
count that grows with the data is an N+1 query (a lazy load per row in a template or a
service). Speed itself is measured by `make bench`, never here.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Question
from app.services import answers, bookmarks, comments, curation, tags, votes, watching
from app.text import slugify
from tests.factories import login, make_answer, make_question, make_user
from tests.people_factories import add_post

PER_PAGE = 3  # small pages, so that a few questions make deep pages

# Upper bounds: what each page costs today (logged in), with a little room. Raise one only with
# a reason; a count that differs between small and large data is a bug, whatever the bound.
# profile: +4 for the reputation history (count, page, its posts, their questions).
# question: +2 for the reader's follow and 保存 states (issue 15). home: the list, 「あなたの分野」
# (areas, questions, their tags and authors) and the ignored-tags count; bookmarks: count, page,
# authors, questions, their tags.
# tag: 15, + the collections block (1 query, +2 for their tags and items when there are any) and whether the
# viewer may curate the tag (the tag's expert ranking, 3 queries; none for moderators).
# tag: +1 with the 年度 and outdated marks of issue 16 (constant whatever the tag's size).
# question: 18 since 年度/根拠法令 (the answers' cited laws, one query for all), +2 for outdated warnings
# (the latest confirmations and the cited laws of every post on the page at once; amendments only when
# a post cites a law).
# question: +1 for the adopters of the answers (「N団体が採用」, one query for all).
# list, tag and home: one count of the group-private questions the viewer may not read (visibility.py).
# question: +1 for the viewer's group memberships (may they read a group-private question).
BOUNDS = {"question": 22, "list": 8, "tag": 22, "experts": 10, "profile": 20, "home": 15, "bookmarks": 10}


@contextmanager
def counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def listener(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


@pytest.fixture
def count_queries(client):
    """The number of SQL statements one GET of `path` runs, after a warm-up GET of the same
    path (first-view bookkeeping, caches filled once per process), with the session's identity
    map emptied so nothing is served from an earlier request's objects."""

    def count(path: str) -> int:
        assert client.get(path).status_code == 200, path
        db.session.expire_all()
        with counting() as statements:
            response = client.get(path)
        assert response.status_code == 200, path
        return len(statements)

    return count


@pytest.fixture
def viewer(client, carol):
    login(client, carol)
    return carol


def _question_path(question: Question) -> str:
    return f"/questions/{question.id}/{slugify(question.title)}"


def _ask(author, n: int, tag_names: str, answered_by=(), comment_by=()) -> Question:
    question = make_question(author, title=f"住民税の特別徴収の切替手続きについて（事例{n}）", tags=tag_names)
    for m, person in enumerate(answered_by):
        answer = make_answer(person, question, f"給与支払報告書の異動届出書で処理します（{n}-{m}）。")
        for k, commenter in enumerate(comment_by):
            comments.add_comment(commenter, answer, f"当市でも同じ扱いです（{n}-{m}-{k}）。")
    for k, commenter in enumerate(comment_by):
        comments.add_comment(commenter, question, f"補足をお願いします（{n}-{k}）。")
    return question


def test_question_page_costs_the_same_with_30_answers(app, viewer, count_queries, alice, bob):
    small = _ask(alice, 1, "住民税", answered_by=[bob], comment_by=[bob])
    answers.accept_answer(alice, small.answers[0])

    people = [make_user() for _ in range(10)]
    big = _ask(alice, 2, "住民税 特別徴収 普通徴収 給与 異動届", answered_by=people * 3, comment_by=people[:2])
    accepted = big.answers[7]
    answers.accept_answer(alice, accepted)
    for voter in people[:6]:
        for answer in big.answers[:10]:
            if answer.author_id != voter.id:
                votes.cast_vote(voter, answer, 1)
        votes.cast_vote(voter, big, 1)
    votes.cast_vote(viewer, big.answers[0], 1)  # the viewer's own votes are shown too
    assert len(big.answers) == 30 and len(big.tags) == 5

    few, many = count_queries(_question_path(small)), count_queries(_question_path(big))
    assert few == many <= BOUNDS["question"]


def test_questions_list_costs_the_same_on_every_tab_and_page(app, viewer, count_queries, alice, bob):
    app.config["QUESTIONS_PER_PAGE"] = PER_PAGE
    tabs = ("newest", "active", "unanswered", "votes")
    # Small: one full page on every tab (three answered, three unanswered), one author, one tag.
    for n in range(3):
        _ask(alice, n, "住民税", answered_by=[bob])
        _ask(alice, 10 + n, "住民税")
    small = {tab: count_queries(f"/questions?tab={tab}&page=1") for tab in tabs}

    # Large: more questions, by more people, with more tags, answers, comments and votes.
    people = [make_user() for _ in range(6)]
    for n, author in enumerate(people * 2):
        question = _ask(author, 100 + n, f"住民税 特別徴収 分野{n} 給与", answered_by=people[:3], comment_by=people[3:5])
        votes.cast_vote(people[(n + 1) % 6], question, 1)
    for n, author in enumerate(people):
        _ask(author, 200 + n, f"普通徴収 分野{n} 住民税")
    large = {}
    for tab in tabs:
        large[tab] = count_queries(f"/questions?tab={tab}&page=1")
        large[f"{tab} deep"] = count_queries(f"/questions?tab={tab}&page=3")
    assert set(large.values()) == set(small.values()) == {small["newest"]}, (small, large)
    assert small["newest"] <= BOUNDS["list"]


def test_tag_page_costs_the_same_for_a_large_tag(app, viewer, count_queries, alice, bob):
    app.config["QUESTIONS_PER_PAGE"] = PER_PAGE
    for n in range(3):
        _ask(alice, n, "小さなタグ", answered_by=[bob])
    add_post(bob, "財政局 債権回収課", org="271004", tags="小さなタグ")  # the sidebar lists one expert
    people = [make_user() for _ in range(6)]
    for n, author in enumerate(people * 2):
        _ask(author, 100 + n, f"大きなタグ 分野{n} 住民税", answered_by=people[:3], comment_by=people[3:4])
    for person in people:
        add_post(person, "市民税課", tags="大きなタグ")
    for name, curator in (("小さなタグ", bob), ("大きなタグ", people[0])):  # one collection each, whatever its size
        collection = curation.create_collection(curator, curation.CollectionInput(f"{name}のまとめ", "順に読む", name))
        for question_id in db.session.scalars(sa.select(Question.id).where(Question.tags.any(name=name)).limit(5)):
            curation.add_item(curator, collection, str(question_id))

    few = count_queries("/tags/小さなタグ")
    many = count_queries("/tags/大きなタグ")
    deep = count_queries("/tags/大きなタグ?page=4")
    assert few == many == deep <= BOUNDS["tag"]


def test_experts_page_costs_the_same_for_many_people(app, viewer, count_queries, alice, bob):
    _ask(alice, 1, "小さなタグ", answered_by=[bob])
    add_post(bob, "財政局 債権回収課", org="271004", tags="小さなタグ")

    people = [make_user() for _ in range(15)]
    question = _ask(alice, 2, "大きなタグ", answered_by=people)
    answers.accept_answer(alice, question.answers[0])
    for n, person in enumerate(people):
        add_post(person, "財政局 債権回収課", tags="大きなタグ 住民税", started=60 + n, ended=30)
        if n % 2:  # the others are former holders only
            add_post(person, "市民局 市民税課", tags="大きなタグ", started=24)

    few = count_queries("/tags/小さなタグ/experts")
    many = count_queries("/tags/大きなタグ/experts")
    assert few == many <= BOUNDS["experts"]
    for holders in ("current", "former"):
        assert count_queries(f"/tags/大きなタグ/experts?holders={holders}") == many


def test_profile_page_costs_the_same_for_a_long_history(app, viewer, count_queries, alice, bob):
    newcomer = make_user()
    add_post(newcomer, "市民局 市民税課", tags="住民税")
    _ask(newcomer, 1, "住民税", answered_by=[bob])
    make_answer(newcomer, _ask(alice, 2, "住民税"))

    veteran = make_user()
    for n, (department, tag_names) in enumerate(
        [("財政局 債権回収課", "債権回収"), ("市民局 市民税課", "住民税 特別徴収"), ("総務局 人事課", "人事 給与")]
    ):
        add_post(veteran, department, tags=tag_names, started=90 - 30 * n, ended=61 - 30 * n)
    add_post(veteran, "財政局 財政課", tags="財政 予算")
    add_post(make_user(), "財政局 財政課", tags="財政", started=48, ended=13)  # both have a predecessor
    for n in range(8):
        _ask(veteran, 100 + n, f"分野{n} 住民税 財政", answered_by=[bob], comment_by=[alice])
    for n in range(12):
        question = _ask(alice, 200 + n, f"分野{n % 6} 予算 給与")
        answer = make_answer(veteran, question)
        if n % 3 == 0:
            answers.accept_answer(alice, answer)
        votes.cast_vote(bob, answer, 1)
    assert len(tags.popular_tags(100)) > 10

    few = count_queries(f"/users/{newcomer.id}")
    many = count_queries(f"/users/{veteran.id}")
    assert few == many <= BOUNDS["profile"]


def test_home_page_costs_the_same_for_many_areas_and_questions(app, viewer, count_queries, alice, bob):
    app.config["QUESTIONS_PER_PAGE"] = PER_PAGE
    _ask(alice, 1, "住民税", answered_by=[bob])
    watching.set_state(viewer, tags.get_tag("住民税"), "watch")
    _ask(alice, 2, "戸籍")
    watching.set_state(viewer, tags.get_tag("戸籍"), "ignore")
    few = count_queries("/")

    people = [make_user() for _ in range(6)]
    for n, author in enumerate(people * 2):
        _ask(author, 100 + n, f"住民税 特別徴収 分野{n} 給与", answered_by=people[:2], comment_by=people[2:3])
    for name in ("特別徴収", "給与", "分野1"):
        watching.set_state(viewer, tags.get_tag(name), "watch")
    add_post(viewer, "市民局 市民税課", tags="普通徴収 分野2", started=30, ended=10)
    add_post(viewer, "財政局 債権回収課", tags="債権回収 分野3")
    watching.set_state(viewer, tags.get_tag("分野4"), "ignore")
    many = count_queries("/")
    assert few == many <= BOUNDS["home"]
    assert count_queries("/?tab=unanswered") <= BOUNDS["home"]


def test_bookmarks_page_costs_the_same_for_many_saved_posts(app, viewer, count_queries, alice, bob):
    question = _ask(alice, 1, "住民税", answered_by=[bob])
    bookmarks.set_saved(viewer, question, True)
    few = count_queries("/bookmarks")

    people = [make_user() for _ in range(5)]
    for n, author in enumerate(people * 2):
        saved = _ask(author, 100 + n, f"住民税 分野{n} 給与", answered_by=people[:2])
        bookmarks.set_saved(viewer, saved, True)
        bookmarks.set_saved(viewer, saved.answers[n % 2], True)
    many = count_queries("/bookmarks")
    assert few == many <= BOUNDS["bookmarks"]
