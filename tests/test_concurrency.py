"""Real processes at once (SECURITY.md CONC-*, SQLITE-*, IDX-*): three gunicorn workers serve
many members voting, answering and accepting concurrently; nothing is lost or doubled."""

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app import indexing
from app.extensions import db
from app.models import Answer, Post, Question, Vote
from tests import live_server
from tests.factories import PASSWORD, make_question, make_user

pytestmark = pytest.mark.slow


@pytest.fixture
def server(app, tmp_path):
    with live_server.gunicorn(app, tmp_path, "--workers", "3", "--timeout", "60") as base:
        yield base


class Member:
    """One browser-like client with its own cookies."""

    def __init__(self, base: str, email: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.post("/login", email=email, password=PASSWORD)

    def post(self, path: str, **data) -> int:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=180) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def test_three_workers_lose_nothing(app, server):
    asker = make_user(email="asker@city.yokohama.lg.jp")
    members = [make_user() for _ in range(9)]
    question = make_question(asker, title="同時に回答と投票が集まる質問", body="負荷試験のための質問です。よろしくお願いします。")
    emails = [m.email for m in members]
    question_id = question.id
    db.session.commit()

    clients = [Member(server, email) for email in emails]
    words = [f"合言葉{chr(0x30A2 + i)}{i:03d}x" for i in range(len(clients))]

    def answer_then_vote(index: int) -> list[int]:
        client = clients[index]
        statuses = [client.post(f"/questions/{question_id}/answers", body=f"私の回答です。{words[index]} を確認してください。")]
        statuses.append(client.post(f"/posts/{question_id}/vote", value="1"))
        return statuses

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        results = list(pool.map(answer_then_vote, range(len(clients))))
    assert all(status in (200, 302) for statuses in results for status in statuses), results

    db.session.rollback()
    answer_ids = db.session.scalars(sa.select(Answer.id).where(Answer.question_id == question_id)).all()
    assert len(answer_ids) == len(clients)

    # Everyone votes on every answer but their own, all at once; the asker accepts several at once.
    asker_client = Member(server, "asker@city.yokohama.lg.jp")
    authors = dict(db.session.execute(sa.select(Answer.id, Answer.author_id).where(Answer.id.in_(answer_ids))).all())
    member_ids = [member.id for member in members]

    def vote_all(index: int) -> None:
        me = member_ids[index]
        for answer_id in answer_ids:
            if authors[answer_id] != me:
                clients[index].post(f"/posts/{answer_id}/vote", value="1")

    with ThreadPoolExecutor(max_workers=len(clients) + 4) as pool:
        jobs = [pool.submit(vote_all, i) for i in range(len(clients))]
        jobs += [pool.submit(asker_client.post, f"/answers/{answer_id}/accept") for answer_id in answer_ids[:4]]
        for job in jobs:
            job.result()

    db.session.rollback()
    # One vote row per member and post, and every score equals the sum of its votes.
    duplicates = db.session.execute(
        sa.select(Vote.post_id, Vote.user_id).group_by(Vote.post_id, Vote.user_id).having(sa.func.count() > 1)
    ).all()
    assert duplicates == []
    for post_id, score in db.session.execute(sa.select(Post.id, Post.score).where(Post.id.in_([question_id, *answer_ids]))):
        total = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Vote.value), 0)).where(Vote.post_id == post_id))
        assert score == total
    assert db.session.scalar(sa.select(Post.score).where(Post.id == question_id)) == len(clients)
    for answer_id in answer_ids:
        assert db.session.scalar(sa.select(Post.score).where(Post.id == answer_id)) == len(clients) - 1
    # Exactly one accepted answer, and it is one of those the asker clicked.
    accepted = db.session.scalar(sa.select(Question.accepted_answer_id).where(Question.id == question_id))
    assert accepted in answer_ids[:4]
    assert db.session.scalar(sa.select(Question.answer_count).where(Question.id == question_id)) == len(clients)

    # Every answer reached the index, at the latest after `search sync`.
    indexing.forget_index()
    assert app.test_cli_runner().invoke(args=["search", "sync"]).exit_code == 0
    index = indexing.get_index()
    for word in words:
        assert [hit.question_id for hit in index.search(word).hits] == [question_id], word
