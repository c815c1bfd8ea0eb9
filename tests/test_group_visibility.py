"""The visibility matrix (issue 17.2): one group-private question, with an answer and a comment,
seen by a member, a non-member and a former member (who followed and bookmarked it, then left),
on every surface where a question can appear. A member sees it; the other two never do.

A public question in the same tag, with the same words, stands beside it on every surface, so a
list that shows nothing at all cannot pass for one that hides the private question.
"""

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, utcnow
from app.models.ops import QuestionRoute
from app.services import (
    answers,
    bookmarks,
    comments,
    digests,
    experts,
    export,
    feeds,
    following,
    groups,
    home,
    notifications,
    profiles,
    questions,
    search,
    tags,
    transfer,
    visibility,
    watching,
)
from app.services.errors import NotFound, ValidationFailed
from tests.api_client import bearer, post_json
from tests.factories import login, make_question, make_user
from tests.people_factories import add_post

TAG = "廃棄物"
WORD = "清掃工場"
PRIVATE_TITLE = "清掃工場の移転交渉で地元説明会をどう進めましたか"
PUBLIC_TITLE = "清掃工場の定期点検の委託先はどう選びましたか"
ANSWER_TEXT = "地元協議会とは非公開で三回協議しました。補償の考え方を先に示すのが要です。"
COMMENT_TEXT = "説明会の日程は内密にお願いします🙏"
VIEWERS = ("member", "non_member", "former")
SEES = {"member": True, "non_member": False, "former": False}


class World:
    """Who is who, the two questions, and a logged-in client and API token per viewer."""

    def __init__(self, app):
        self.app = app
        self.organizer = make_user(email="org@city.kawasaki.lg.jp", name="世話人 川崎", role="moderator")
        self.asker = make_user(email="asker@city.yokohama.lg.jp", name="横浜 質問者")
        self.member = make_user(email="member@city.osaka.lg.jp", name="大阪 メンバー", org="271004")
        self.non_member = make_user(email="outsider@pref.hokkaido.lg.jp", name="北海道 ｿﾄ", org="010006")
        self.former = make_user(email="former@city.sapporo.lg.jp", name="札幌 元メンバー", org="011002")
        # Experts of the tag: routing would pick them for a question in it.
        add_post(self.member, "環境局 施設課", org="271004", tags=TAG, started=60, ended=6)
        add_post(self.non_member, "環境生活部 循環型社会推進課", org="010006", tags=TAG, started=60, ended=6)
        self.public = make_question(self.asker, title=PUBLIC_TITLE, body="委託先の選び方と仕様書の作り方を知りたいです。", tags=TAG)
        self.group = groups.create_group(
            self.organizer, groups.GroupInput(name="清掃工場移転 ＷＧ", slug="", description="移転交渉の情報交換（非公開）")
        )
        for person in (self.asker, self.member, self.former):
            groups.join(person, self.group)
        self.private = questions.ask_question(
            self.asker,
            questions.QuestionInput(
                PRIVATE_TITLE, "近隣自治会との交渉で、説明会の回数と資料の出し方に悩んでいます。", TAG, group=self.group.slug, visibility="group"
            ),
        )
        following.set_following(self.former, self.private, True)
        bookmarks.set_saved(self.former, self.private, True)
        self.answer = answers.post_answer(self.member, self.private, ANSWER_TEXT)  # the former member is told, while a member
        self.comment = comments.add_comment(self.member, self.private, COMMENT_TEXT)
        for person in (self.member, self.non_member, self.former):
            watching.set_state(person, tags.get_tag(TAG), "watch")  # their home and digests carry the tag
            feeds.create_feed_key(person)
        groups.leave(self.former, self.group)  # ← access ends here, at once
        self.clients = {}
        self.tokens = {}
        from app.services import tokens

        for role in VIEWERS:
            client = app.test_client()
            login(client, self.user(role))
            self.clients[role] = client
            self.tokens[role] = tokens.create_token(self.user(role), "連携", "write").secret

    def user(self, role: str):
        return getattr(self, role)


@pytest.fixture
def world(app):
    return World(app)


def _shows(text: str) -> bool:
    """Whether a page shows the private question (its title or any of its words below it)."""
    return PRIVATE_TITLE in text or ANSWER_TEXT in text or COMMENT_TEXT in text


def _links(text: str, question) -> bool:
    """Whether a page links to the question (search pages mark words inside titles)."""
    return f"/questions/{question.id}/" in text


def _ids(items) -> set[int]:
    return {item.id for item in items}


# ---------------------------------------------------------------- the rule itself


def test_the_rule_in_python_and_in_sql_agree(world):
    for role in VIEWERS:
        person = world.user(role)
        listed = set(db.session.scalars(sa.select(questions.Question.id).where(visibility.readable_questions(person))))
        assert (world.private.id in listed) is SEES[role]
        assert world.public.id in listed
        assert visibility.can_read_question(person, world.private) is SEES[role]
        assert visibility.can_read_question(person, world.answer) is SEES[role]


def test_moderators_open_it_by_address_but_never_find_it_listed(world, client):
    moderator = make_user(email="mod@soumu.go.jp", name="総務 モデレーター", role="moderator")
    assert visibility.can_read_question(moderator, world.private)
    login(client, moderator)
    assert client.get(f"/questions/{world.private.id}", follow_redirects=True).status_code == 200  # flags and removals work on it
    assert PRIVATE_TITLE not in client.get("/questions").get_data(as_text=True)
    assert world.private.id not in _ids(questions.list_questions("newest", 1, 20, viewer=moderator).items)
    assert world.private.id not in [hit.question.id for hit in search.search_questions(WORD, viewer=moderator).hits]


# ---------------------------------------------------------------- HTML pages


@pytest.mark.parametrize("role", VIEWERS)
def test_question_page_answers_comments_and_history(world, role):
    client = world.clients[role]
    page = client.get(f"/questions/{world.private.id}", follow_redirects=True)
    if SEES[role]:
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and ANSWER_TEXT in text and COMMENT_TEXT in text
        assert "グループ「清掃工場移転 ＷＧ」のメンバーのみが読める質問です。" in text
    else:
        assert page.status_code == 404 and not _shows(page.get_data(as_text=True))
    status = 200 if SEES[role] else 404
    assert client.get(f"/posts/{world.private.id}/revisions").status_code == status
    assert client.get(f"/posts/{world.answer.id}/revisions").status_code == status
    # Writing to it is as closed as reading it.
    answered = client.post(f"/questions/{world.private.id}/answers", data={"body": "横から失礼します。うちでも同じ悩みがあります。"})
    assert (answered.status_code == 404) is not SEES[role]
    commented = client.post(f"/posts/{world.private.id}/comments", data={"body": "参考になります"})
    assert (commented.status_code == 404) is not SEES[role]
    assert (client.post(f"/posts/{world.answer.id}/vote", data={"value": "1"}).status_code == 404) is not SEES[role]


@pytest.mark.parametrize("role", VIEWERS)
def test_question_lists_and_their_counts(world, role):
    client, person = world.clients[role], world.user(role)
    expected = 2 if SEES[role] else 1
    for tab in questions.TABS:
        found = questions.list_questions(tab, 1, 20, viewer=person)
        assert (world.private.id in _ids(found.items)) is (SEES[role] and tab != "unanswered")  # it has an answer
        if tab != "unanswered":
            assert found.total == expected
    assert questions.list_questions("newest", 1, 20, viewer=person, tag=tags.get_tag(TAG)).total == expected
    for path in ("/questions", "/questions?tab=active", "/questions?tab=votes", "/", f"/tags/{quote(TAG)}"):
        assert _shows(client.get(path).get_data(as_text=True)) is SEES[role], path
    assert not _shows(client.get("/questions?tab=unanswered").get_data(as_text=True))


@pytest.mark.parametrize("role", VIEWERS)
def test_tag_pages_count_only_what_the_viewer_reads(world, role):
    client = world.clients[role]
    expected = 2 if SEES[role] else 1
    tag_page = client.get(f"/tags/{quote(TAG)}").get_data(as_text=True)
    assert f'<span class="count">{expected}件</span>' in tag_page
    assert f"×{expected}</span>" in client.get("/tags").get_data(as_text=True)
    assert f"×{expected}</span>" in client.get("/").get_data(as_text=True)  # popular tags on the home page
    suggested = client.get(f"/tags/suggest?q={quote('廃棄')}").get_json()["items"]
    assert suggested == [{"name": TAG, "count": expected}]  # the ask form's autocomplete


@pytest.mark.parametrize("role", VIEWERS)
def test_search_page_and_its_count(world, role):
    client, person = world.clients[role], world.user(role)
    found = search.search_questions(WORD, viewer=person)
    assert found.total == (2 if SEES[role] else 1)
    assert (world.private.id in [hit.question.id for hit in found.hits]) is SEES[role]
    # Words only in its answer and its comment's question find nothing for the others.
    answer_only = search.search_questions("地元協議会 補償", viewer=person)
    assert (world.private.id in [hit.question.id for hit in answer_only.hits]) is SEES[role]
    operators_only = search.search_questions(f"[{TAG}]", viewer=person)
    assert operators_only.total == (2 if SEES[role] else 1)
    page = client.get(f"/search?q={quote(WORD)}").get_data(as_text=True)
    assert _links(page, world.private) is SEES[role] and _links(page, world.public)
    assert ("2件" in page) is SEES[role]


@pytest.mark.parametrize("role", VIEWERS)
def test_search_fallback_without_an_index_keeps_the_rule(world, role, monkeypatch):
    from search import SearchUnavailable

    def unavailable():
        raise SearchUnavailable("test: no index")

    monkeypatch.setattr(search.indexing, "get_index", unavailable)
    found = search.search_questions(WORD, viewer=world.user(role))
    assert "簡易検索" in found.notice
    assert (world.private.id in [hit.question.id for hit in found.hits]) is SEES[role]
    assert found.total == (2 if SEES[role] else 1)


@pytest.mark.parametrize("role", VIEWERS)
def test_similar_and_related_questions(world, role):
    person = world.user(role)
    similar = search.similar_questions(PUBLIC_TITLE, viewer=person, exclude_id=world.public.id)
    assert (world.private.id in _ids(similar)) is SEES[role]
    page = world.clients[role].get(f"/questions/{world.public.id}", follow_redirects=True).get_data(as_text=True)  # its sidebar
    assert (PRIVATE_TITLE in page) is SEES[role]
    typed = world.clients[role].get(f"/questions/similar?title={quote('清掃工場の移転交渉')}").get_json()  # the ask page
    assert (world.private.id in {item["id"] for item in typed["items"]}) is SEES[role]


@pytest.mark.parametrize("role", VIEWERS)
def test_profiles_list_and_count_only_readable_posts(world, role):
    client, person = world.clients[role], world.user(role)
    asked = profiles.profile(person, world.asker)
    assert (world.private.id in _ids(asked.questions)) is SEES[role]
    assert asked.question_count == (2 if SEES[role] else 1)
    answered = profiles.profile(person, world.member)
    assert (world.answer.id in _ids(answered.answers)) is SEES[role]
    assert answered.answer_count == (1 if SEES[role] else 0)
    assert (TAG in [activity.tag.name for activity in answered.top_tags]) is SEES[role]
    assert _shows(client.get(f"/users/{world.asker.id}").get_data(as_text=True)) is SEES[role]
    assert _shows(client.get(f"/users/{world.member.id}").get_data(as_text=True)) is SEES[role]
    api = client.get(f"/api/v1/users/{world.member.id}", headers=bearer(world.tokens[role])).get_json()
    assert api["answer_count"] == (1 if SEES[role] else 0)


def test_the_group_page_lists_it_for_members_only(world):
    for role in VIEWERS:
        page = world.clients[role].get(f"/groups/{quote(world.group.slug)}").get_data(as_text=True)
        assert page.count(PRIVATE_TITLE) == (1 if SEES[role] else 0)
        assert PUBLIC_TITLE not in page  # the group links no tag: only what was posted in it
        listed = {item.group.slug: item.question_count for item in groups.list_groups(world.user(role))}
        assert listed[world.group.slug] == (1 if SEES[role] else 0)


# ---------------------------------------------------------------- the API


@pytest.mark.parametrize("role", VIEWERS)
def test_api_list_detail_search_and_writes(world, role):
    client, token = world.clients[role], world.tokens[role]
    detail = client.get(f"/api/v1/questions/{world.private.id}", headers=bearer(token))
    if SEES[role]:
        body = detail.get_json()
        assert detail.status_code == 200 and body["visibility"] == "group" and body["group"] == world.group.slug
        assert [answer["body"] for answer in body["answers"]] == [ANSWER_TEXT]
    else:
        assert detail.status_code == 404 and not _shows(detail.get_data(as_text=True))
    for query in ("", "?sort=active", "?sort=votes", f"?tag={quote(TAG)}"):
        listed = client.get(f"/api/v1/questions{query}", headers=bearer(token)).get_json()
        assert (world.private.id in {item["id"] for item in listed["items"]}) is SEES[role], query
    listed = client.get("/api/v1/questions", headers=bearer(token)).get_json()
    assert listed["total"] == (2 if SEES[role] else 1)
    found = client.get(f"/api/v1/search?q={quote(WORD)}", headers=bearer(token)).get_json()
    assert (world.private.id in {item["id"] for item in found["items"]}) is SEES[role]
    assert found["total"] == (2 if SEES[role] else 1)
    answer = post_json(client, f"/api/v1/questions/{world.private.id}/answers", {"body": "APIから回答します。参考までに。"}, token)
    assert (answer.status_code == 404) is not SEES[role]
    comment = post_json(client, f"/api/v1/posts/{world.answer.id}/comments", {"body": "APIからのコメントです"}, token)
    assert (comment.status_code == 404) is not SEES[role]
    vote = post_json(client, f"/api/v1/posts/{world.answer.id}/vote", {"value": 1}, token)
    assert (vote.status_code == 404) is not SEES[role]


def test_api_posting_members_only_needs_the_group(world):
    payload = {"title": "清掃工場の移転補償の相場は？", "body": "近隣への補償の考え方を教えてください。", "tags": [TAG], "group": world.group.slug, "visibility": "group"}
    for role in ("non_member", "former"):
        response = post_json(world.clients[role], "/api/v1/questions", payload, world.tokens[role])
        assert response.status_code == 400 and response.get_json()["error"]["fields"]["group"] == "参加しているグループにだけ投稿できます。"
    response = post_json(world.clients["member"], "/api/v1/questions", payload, world.tokens["member"])
    assert response.status_code == 201
    new_id = response.get_json()["id"]
    outsider = world.clients["non_member"].get(f"/api/v1/questions/{new_id}", headers=bearer(world.tokens["non_member"]))
    assert outsider.status_code == 404


# ---------------------------------------------------------------- feeds


@pytest.mark.parametrize("role", VIEWERS)
def test_feeds_read_with_a_personal_token(world, app, role):
    token = feeds.feed_token(world.user(role))
    reader = app.test_client()  # a feed reader: no session, only the token in the URL
    for path in ("/feeds/questions", f"/feeds/tags/{quote(TAG)}", f"/feeds/search?q={quote(WORD)}"):
        response = reader.get(f"{path}{'&' if '?' in path else '?'}token={token}")
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert PUBLIC_TITLE in text, path
        assert (PRIVATE_TITLE in text) is SEES[role], path


# ---------------------------------------------------------------- notifications and routing


def test_answers_and_comments_reach_members_only(world):
    def kinds(person):
        about = sa.select(Notification.kind).where(Notification.user_id == person.id, Notification.question_id == world.private.id)
        return db.session.scalars(about.order_by(Notification.id)).all()

    assert kinds(world.asker) == ["answer", "comment"]
    assert "answer" in kinds(world.former)  # told while still a member…
    [old] = db.session.scalars(sa.select(Notification).where(Notification.user_id == world.former.id, Notification.kind == "answer"))
    # …and the notification no longer shows the title nor links to it once they left.
    assert PRIVATE_TITLE not in notifications.describe(old, world.former)
    assert notifications.link(old, world.former) is None
    inbox = world.clients["former"].get("/notifications").get_data(as_text=True)
    assert not _shows(inbox) and "表示できなくなった投稿についての通知です。" in inbox
    before = len(kinds(world.former))
    notifications.notify_followers(world.private, world.answer.id, world.organizer)  # a new answer's routine
    assert len(kinds(world.former)) == before
    assert kinds(world.non_member) == []


def test_routing_and_directed_questions_stay_in_the_group(world):
    routed = set(db.session.scalars(sa.select(QuestionRoute.user_id).where(QuestionRoute.question_id == world.private.id)))
    assert world.non_member.id not in routed and world.former.id not in routed
    public_routes = set(db.session.scalars(sa.select(QuestionRoute.user_id).where(QuestionRoute.question_id == world.public.id)))
    assert world.non_member.id in public_routes  # she is an expert routing would otherwise pick
    with pytest.raises(ValidationFailed) as failure:
        questions.ask_question(
            world.asker,
            questions.QuestionInput(
                "清掃工場の移転の補償額はどう決めましたか", "補償額の算定の考え方を教えてください。", TAG,
                directed_to_id=world.non_member.id, group=world.group.slug, visibility="group",
            ),
        )
    assert "directed_to" in failure.value.errors


# ---------------------------------------------------------------- digests, home, bookmarks, onboarding


@pytest.mark.parametrize("role", VIEWERS)
def test_digests_and_the_home_areas(world, role):
    person = world.user(role)
    period = digests.period_containing("daily", utcnow() + timedelta(minutes=1))
    digest, _carried = digests.build(person, period)
    titles = {line.title for line in digest.new_questions + digest.unanswered + digest.new_answers}
    assert (PRIVATE_TITLE in titles) is SEES[role]
    if role != "member":
        composed = digests.compose(person, period, digest) if digest.item_count else ("", "", "")
        assert not any(_shows(part) for part in composed)
    areas = home.your_areas(person)
    assert (world.private.id in _ids(areas.questions)) is SEES[role]


def test_a_watched_group_brings_its_questions_without_a_watched_tag(world):
    organizer = world.organizer  # no watched tag, no career: only the group, watched by default
    assert _ids(home.your_areas(organizer).questions) == {world.private.id}
    period = digests.period_containing("daily", utcnow() + timedelta(minutes=1))
    assert [line.title for line in digests.build(organizer, period)[0].new_questions] == [PRIVATE_TITLE]
    groups.set_watching(organizer, world.group, False)
    assert home.your_areas(organizer).questions == []
    assert digests.build(organizer, period)[0].new_questions == []


def test_bookmarks_of_a_former_member_drop_it(world):
    assert world.private.id not in {saved.post.id for saved in bookmarks.list_saved(world.former, 1).items}
    assert PRIVATE_TITLE not in world.clients["former"].get("/bookmarks").get_data(as_text=True)
    bookmarks.set_saved(world.member, world.private, True)
    assert world.private.id in {saved.post.id for saved in bookmarks.list_saved(world.member, 1).items}


@pytest.mark.parametrize("role", VIEWERS)
def test_onboarding_lists(world, role):
    person = world.user(role)
    tag_ids = [tags.get_tag(TAG).id]
    assert (world.private.id in _ids(transfer.essential_questions(person, tag_ids))) is SEES[role]


def test_experts_count_no_answer_given_inside_a_group(world):
    scored = {person.id: person for person in experts.score_people([tags.get_tag(TAG).id])}
    assert world.member.id in scored and scored[world.member.id].answers == 0
    rows = experts.rank_experts(tags.get_tag(TAG), viewer=world.member).items
    assert all("回答" not in row.reason for row in rows)


def test_review_queue_shows_it_to_moderators_and_member_reviewers_only(world):
    from app.services import flags, review

    flags.flag(world.asker, world.answer, "spam")
    moderator = make_user(email="mod@soumu.go.jp", name="総務 モデレーター", role="moderator")
    queued = {role: [item.target.id for item in review.open_items(world.user(role))] for role in VIEWERS}
    assert queued == {"member": [world.answer.id], "non_member": [], "former": []}  # every member reviews (thresholds 0)
    assert [item.target.id for item in review.open_items(moderator)] == [world.answer.id]


def test_no_question_closes_as_a_duplicate_of_another_groups_private_question(world):
    from app.services import closing

    moderator = make_user(email="mod@soumu.go.jp", name="総務 モデレーター", role="moderator")
    with pytest.raises(ValidationFailed) as failure:
        closing.close(moderator, world.public, "duplicate", world.private.id)
    assert "同じグループ" in failure.value.errors["duplicate_of"]


# ---------------------------------------------------------------- export, leaving, joining again


def test_the_site_export_leaves_it_out(world, tmp_path):
    export.export_all(tmp_path)
    lines = {name: (tmp_path / f"{name}.jsonl").read_text(encoding="utf-8") for name in ("questions", "answers", "comments")}
    assert PUBLIC_TITLE in lines["questions"]
    assert not any(_shows(text) for text in lines.values())
    ids = [json.loads(line)["id"] for line in lines["questions"].splitlines()]
    assert world.private.id not in ids


def test_leaving_removes_access_at_once_and_joining_again_restores_it(world):
    client, token = world.clients["member"], world.tokens["member"]
    assert client.get(f"/questions/{world.private.id}", follow_redirects=True).status_code == 200
    assert client.delete(f"/api/v1/groups/{quote(world.group.slug)}/membership", headers=bearer(token)).status_code == 204
    assert client.get(f"/questions/{world.private.id}", follow_redirects=True).status_code == 404
    assert client.get(f"/api/v1/questions/{world.private.id}", headers=bearer(token)).status_code == 404
    assert world.private.id not in [hit.question.id for hit in search.search_questions(WORD, viewer=world.member).hits]
    with pytest.raises(NotFound):
        questions.get_question(world.member, world.private.id)
    assert client.post(f"/api/v1/groups/{quote(world.group.slug)}/membership", headers=bearer(token)).status_code == 201
    assert client.get(f"/questions/{world.private.id}", follow_redirects=True).status_code == 200


def test_a_pending_application_gives_no_access(world):
    world.group.join_policy = "approval"
    db.session.commit()
    applicant = make_user(name="申込中 ﾀﾛｳ")
    assert groups.join(applicant, world.group).status == "pending"
    assert not visibility.can_read_question(applicant, world.private)
    with pytest.raises(NotFound):
        questions.get_question(applicant, world.private.id)
