"""Keeping up (issue 15, parts 1 and 4): watched and ignored tags, followed questions, bookmarks
(保存), and the members' home page with 「あなたの分野」."""

import re

import pytest
import sqlalchemy as sa

from app.database import write_transaction
from app.extensions import db
from app.models import Bookmark, QuestionFollow, Tag, TagWatch, utcnow
from app.services import answers, bookmarks, following, home, questions, tag_admin, tags, watching
from tests.factories import login, make_answer, make_question
from tests.people_factories import add_post


def follow_row(user, question) -> QuestionFollow | None:
    db.session.expire_all()
    return db.session.get(QuestionFollow, (user.id, question.id))


def hide(post) -> None:
    """As a flag would: hidden from all but its author and moderators."""
    with write_transaction():
        post.hidden_at = utcnow()


def section(html: str, element_id: str) -> str:
    """The HTML of the <section id=…> (sections do not nest in these pages)."""
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', html, re.S)
    assert match, element_id
    return match.group(0)


# ---------------------------------------------------------------- following


def test_asking_and_answering_follow_the_question_and_an_unfollow_is_remembered(alice, bob, carol):
    question = make_question(alice, title="🎉 ワクチン接種の予約枠、どう配分していますか？", tags="ワクチン")
    assert follow_row(alice, question).active
    assert follow_row(bob, question) is None

    make_answer(bob, question, "65歳以上を先に、残りを週ごとに開放しています。")
    assert follow_row(bob, question).active

    following.set_following(bob, question, False)
    make_answer(bob, question, "追記: キャンセル待ちは電話のみで受けています。")
    assert follow_row(bob, question).active is False  # answering again does not undo the unfollow
    following.set_following(carol, question, True)
    assert set(db.session.scalars(following.follower_ids(question.id))) == {alice.id, carol.id}


def test_the_question_page_follows_and_unfollows(client, alice, carol):
    question = make_question(alice, title="住民税の特別徴収の切替 📮", tags="住民税")
    path = f"/questions/{question.id}"
    assert client.post(f"{path}/follow", data={"follow": "1"}).status_code == 302  # visitors: to the login page
    assert follow_row(carol, question) is None

    login(client, carol)
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert "フォローする" in page and "フォロー中" not in page
    response = client.post(f"{path}/follow", data={"follow": "1"}, follow_redirects=True)
    assert "この質問をフォローしました" in response.get_data(as_text=True)
    assert follow_row(carol, question).active
    assert "フォロー中" in client.get(path, follow_redirects=True).get_data(as_text=True)

    client.post(f"{path}/follow", data={"follow": "0"})
    assert follow_row(carol, question).active is False
    assert client.post(f"{path}/follow", data={"follow": "yes"}).status_code == 400
    assert client.post("/questions/999999/follow", data={"follow": "1"}).status_code == 404


def test_a_hidden_question_cannot_be_followed_by_others(client, alice, carol):
    question = make_question(alice, tags="住民税")
    hide(question)
    login(client, carol)
    assert client.post(f"/questions/{question.id}/follow", data={"follow": "1"}).status_code == 404
    assert follow_row(carol, question) is None


# ---------------------------------------------------------------- watched and ignored tags


@pytest.fixture
def vaccine(alice):
    make_question(alice, title="ワクチン接種の会場運営", tags="ワクチン")
    return tags.get_tag("ワクチン")


def tag_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Tag))


def test_the_tag_page_watches_ignores_and_stops(client, carol, vaccine):
    login(client, carol)
    page = client.get("/tags/ワクチン").get_data(as_text=True)
    assert "ウォッチする" in page and "無視する" in page

    response = client.post("/tags/ﾜｸﾁﾝ/watch", data={"state": "watch"}, follow_redirects=True)  # half-width kana
    assert "タグ「ワクチン」をウォッチします" in response.get_data(as_text=True)
    assert watching.state_of(carol, vaccine) == "watch"
    assert "ウォッチ中" in client.get("/tags/ワクチン").get_data(as_text=True)

    client.post("/tags/ワクチン/watch", data={"state": "ignore"})
    assert watching.state_of(carol, vaccine) == "ignore"  # one state per tag
    assert "無視をやめる" in client.get("/tags/ワクチン").get_data(as_text=True)

    client.post("/tags/ワクチン/watch", data={"state": "none"})
    assert watching.state_of(carol, vaccine) is None
    assert client.post("/tags/ワクチン/watch", data={"state": "follow"}).status_code == 400

    before = tag_count()
    assert client.post("/tags/まだないタグ/watch", data={"state": "watch"}).status_code == 404
    assert tag_count() == before  # watching never creates a tag


def test_the_tag_form_comes_back_only_to_a_safe_next(client, carol, vaccine):
    login(client, carol)
    response = client.post("/tags/ワクチン/watch", data={"state": "watch", "next": "https://evil.invalid/"})
    assert response.headers["Location"].endswith("/tags/%E3%83%AF%E3%82%AF%E3%83%81%E3%83%B3")
    response = client.post("/tags/ワクチン/watch", data={"state": "none", "next": "/settings#watched-tags"})
    assert response.headers["Location"].endswith("/settings#watched-tags")


def test_settings_list_watched_and_ignored_tags(client, alice, carol, vaccine):
    make_question(alice, title="戸籍の附票", tags="戸籍")
    watching.set_state(carol, vaccine, "watch")
    watching.set_state(carol, tags.get_tag("戸籍"), "ignore")
    login(client, carol)
    part = section(client.get("/settings").get_data(as_text=True), "watched-tags")
    watched, ignored = part.split("無視しているタグ</h2>")
    assert "ワクチン" in watched and "戸籍" not in watched
    assert "戸籍" in ignored and "ワクチン" not in ignored


def test_watch_states_are_per_member_and_listed_by_name(alice, bob, carol, vaccine):
    make_question(alice, title="住民税の減免", tags="住民税 DX")
    for name in ("住民税", "dx", "ワクチン"):
        watching.set_state(carol, tags.get_tag(name), "watch")
    watching.set_state(carol, tags.get_tag("住民税"), "watch")  # twice: still one row
    assert [t.name for t in watching.tags_of(carol, "watch")] == ["dx", "ワクチン", "住民税"]
    assert watching.tags_of(bob, "watch") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TagWatch)) == 3


# ---------------------------------------------------------------- bookmarks


def test_saving_from_the_question_page_and_the_bookmarks_page(client, alice, bob, carol):
    question = make_question(alice, title="督促状の発送時期 📨", tags="債権回収")
    answer = make_answer(bob, question, "納期限後20日以内に発送します。")
    login(client, carol)
    path = f"/questions/{question.id}"
    assert client.get(path, follow_redirects=True).get_data(as_text=True).count(">保存</button>") == 2

    client.post(f"/posts/{question.id}/bookmark", data={"saved": "1"})
    response = client.post(f"/posts/{answer.id}/bookmark", data={"saved": "1"})
    assert response.headers["Location"].endswith(f"#answer-{answer.id}")
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert page.count(">保存済み</button>") == 2
    assert client.post(f"/posts/{answer.id}/bookmark", data={"saved": "on"}).status_code == 400

    listing = client.get("/bookmarks").get_data(as_text=True)
    assert listing.count("督促状の発送時期 📨") == 2 and f"#answer-{answer.id}" in listing
    assert listing.index('class="kind">回答<') < listing.index('class="kind">質問<')  # newest saved first
    response = client.post(f"/posts/{answer.id}/bookmark", data={"saved": "0", "next": "/bookmarks"})
    assert response.headers["Location"].endswith("/bookmarks")
    assert bookmarks.saved_ids(carol, [question.id, answer.id]) == {question.id}
    assert "保存済み" in client.get("/").get_data(as_text=True)  # the user menu links the page


def test_the_bookmarks_page_leaves_out_what_the_member_may_not_see(client, alice, bob, carol, moderator):
    removed = make_question(alice, title="削除される質問", tags="住民税")
    hidden = make_question(alice, title="報告で隐される質問", tags="住民税")
    behind_hidden = make_answer(bob, hidden, "隠された質問への回答です。")
    answered = make_question(alice, title="残る住民税の質問", tags="住民税")
    own_hidden = make_answer(carol, answered, "キャロル自身の回答（報告で隠される）。")
    for post in (removed, hidden, behind_hidden, answered, own_hidden):
        bookmarks.set_saved(carol, post, True)
    questions.delete_question(alice, removed)
    hide(hidden)
    hide(own_hidden)

    page = bookmarks.list_saved(carol, 1)
    assert [item.post.id for item in page.items] == [own_hidden.id, answered.id]  # her own hidden post stays hers
    assert page.total == 2
    assert [item.post.id for item in bookmarks.list_saved(moderator, 1).items] == []
    for post in (removed, hidden, own_hidden):
        bookmarks.set_saved(moderator, post, True)
    assert {item.post.id for item in bookmarks.list_saved(moderator, 1).items} == {hidden.id, own_hidden.id}

    login(client, carol)
    listing = client.get("/bookmarks").get_data(as_text=True)
    assert "削除される質問" not in listing and "報告で隐される質問" not in listing and "残る住民税の質問" in listing
    assert client.get("/bookmarks?page=2").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bookmark).where(Bookmark.user_id == carol.id)) == 5


def test_an_empty_bookmarks_page_says_how_to_save(client, carol):
    login(client, carol)
    assert "保存した質問・回答はまだありません" in client.get("/bookmarks").get_data(as_text=True)
    client.post("/logout")
    assert client.get("/bookmarks").status_code == 302  # to the login page


# ---------------------------------------------------------------- home for members


def test_your_areas_are_watched_and_career_tags_newest_activity_first(client, alice, bob, carol):
    first = make_question(alice, title="住民税の減免申請 🏠", tags="住民税")
    collection = make_question(alice, title="差押えの優先順位", tags="債権回収")
    unrelated = make_question(alice, title="戸籍の附票の写し", tags="戸籍")
    own = make_question(carol, title="キャロルの住民税の質問", tags="住民税")
    answered = make_question(alice, title="回答済みの住民税の質問", tags="住民税 普通徴収")
    make_answer(bob, answered, "普通徴収に切り替えます。")
    make_answer(bob, first, "申請書で減免します。")  # the newest activity: first goes to the top
    watching.set_state(carol, tags.get_tag("住民税"), "watch")
    add_post(carol, "財政局 債権回収課", tags="債権回収", started=40, ended=20)  # a former post counts too

    areas = home.your_areas(carol)
    assert [t.name for t in areas.tags] == ["住民税", "債権回収"]
    assert [q.id for q in areas.questions] == [first.id, answered.id, own.id, collection.id]
    assert areas.answerable == {collection.id}  # unanswered, open, someone else's

    login(client, carol)
    page = client.get("/").get_data(as_text=True)
    mine = section(page, "your-areas")
    assert "あなたの分野" in mine and "住民税の減免申請 🏠" in mine and unrelated.title not in mine
    assert mine.index("住民税の減免申請 🏠") < mine.index("差押えの優先順位")
    assert mine.count("回答募集中") == 1
    assert "前任者の知恵を、次の担当者へ。" not in page  # the banner is for visitors


def test_hidden_removed_and_ignored_questions_stay_out_of_your_areas(alice, carol):
    kept = make_question(alice, title="残る住民税の質問", tags="住民税")
    hidden = make_question(alice, title="隠される住民税の質問", tags="住民税")
    removed = make_question(alice, title="削除される質問", tags="住民税")
    ignored = make_question(alice, title="無視するタグも付いた質問", tags="住民税 戸籍")
    hide(hidden)
    questions.delete_question(alice, removed)
    watching.set_state(carol, tags.get_tag("住民税"), "watch")
    assert len(home.your_areas(carol).questions) == 2
    watching.set_state(carol, tags.get_tag("戸籍"), "ignore")
    assert [q.id for q in home.your_areas(carol).questions] == [kept.id]
    assert ignored.id not in {q.id for q in home.your_areas(carol).questions}

    watching.set_state(carol, tags.get_tag("住民税"), "ignore")  # an ignored area is no area
    assert home.your_areas(carol).tags == []


def test_an_empty_your_areas_says_how_to_add_areas(client, carol):
    login(client, carol)
    mine = section(client.get("/").get_data(as_text=True), "your-areas")
    assert "タグを選んでウォッチする" in mine and "職歴を登録する" in mine
    assert 'href="/tags"' in mine and 'href="/settings/career"' in mine


def test_ignored_tags_leave_the_home_lists_but_not_the_questions_page(client, alice, carol, app):
    app.config["QUESTIONS_PER_PAGE"] = 2
    for n in range(3):
        make_question(alice, title=f"戸籍の質問{n}", tags="戸籍")
    make_question(alice, title="住民税の普通徴収の質問", tags="住民税")
    make_question(alice, title="両方のタグの質問", tags="住民税 戸籍")
    watching.set_state(carol, tags.get_tag("戸籍"), "ignore")

    page = questions.list_questions("active", 1, 2, viewer=carol, ignored_tags=watching.tag_ids(carol, "ignore"))
    assert [q.title for q in page.items] == ["住民税の普通徴収の質問"] and page.total == 1 and page.pages == 1
    assert questions.list_questions("unanswered", 1, 2, viewer=carol, ignored_tags=watching.tag_ids(carol, "ignore")).total == 1

    login(client, carol)
    for tab in ("active", "newest", "unanswered", "votes"):
        listing = client.get(f"/?tab={tab}").get_data(as_text=True)
        assert "住民税の普通徴収の質問" in listing and "戸籍の質問" not in listing and "両方のタグ" not in listing, tab
    assert client.get("/?page=2").status_code == 404
    assert "両方のタグの質問" in client.get("/questions").get_data(as_text=True)


def test_hidden_questions_of_a_member_are_still_counted_like_other_lists(alice, carol):
    make_question(alice, title="戸籍の附票の質問", tags="戸籍")
    removed = make_question(alice, title="削除された戸籍の質問", tags="戸籍")
    questions.delete_question(alice, removed)
    make_question(alice, title="住民税の普通徴収の質問", tags="住民税")
    watching.set_state(carol, tags.get_tag("戸籍"), "ignore")
    # visible_questions counts 2; one of them carries the ignored tag (the removed one is not counted twice).
    assert questions.list_questions("newest", 1, 20, viewer=carol, ignored_tags=watching.tag_ids(carol, "ignore")).total == 1


@pytest.mark.public_read
def test_visitors_see_the_banner_members_do_not(client, alice, carol):
    make_question(alice, tags="住民税")
    page = client.get("/").get_data(as_text=True)
    assert "前任者の知恵を、次の担当者へ。" in page and "あなたの分野" not in page
    login(client, carol)
    page = client.get("/").get_data(as_text=True)
    assert "前任者の知恵を、次の担当者へ。" not in page and "あなたの分野" in page


def test_accepting_keeps_the_asker_following(alice, bob):
    question = make_question(alice, tags="住民税")
    answers.accept_answer(alice, make_answer(bob, question))
    assert follow_row(alice, question).active and follow_row(bob, question).active


def test_merging_a_tag_carries_its_watchers_over(alice, bob, carol, moderator):
    make_question(alice, title="滞納整理の進め方について", tags="滞納整理")
    make_question(alice, title="債権回収の優先順位について", tags="債権回収")
    watching.set_state(carol, tags.get_tag("滞納整理"), "watch")
    watching.set_state(bob, tags.get_tag("滞納整理"), "watch")
    watching.set_state(bob, tags.get_tag("債権回収"), "ignore")  # bob already chose for the target
    tag_admin.merge_tags(moderator, tags.get_tag("滞納整理"), "債権回収")
    target = tags.get_tag("債権回収")
    assert watching.state_of(carol, target) == "watch"
    assert watching.state_of(bob, target) == "ignore"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TagWatch)) == 2
