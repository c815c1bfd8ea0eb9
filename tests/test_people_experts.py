"""Experts by tag: the ranking a colleague would give, its reasons, filters, privacy, cost, pages."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.services import accounts, answers, careers, experts, profiles, questions, tags, votes
from app.services.errors import ValidationFailed
from tests.factories import login, make_answer, make_question, make_user
from tests.people_factories import add_post, month


def _debt_question(asker, title="督促状の発送時期と延滞金の起算日はどう考えますか"):
    return make_question(asker, title=title, body="滞納整理の初動について教えてください。", tags="債権回収")


def _accepted_answer(asker, author, title):
    question = _debt_question(asker, title)
    answer = make_answer(author, question, "督促状は納期限後20日以内に発します（地方税法）。")
    answers.accept_answer(asker, answer)
    return answer


def _names(rows):
    return [row.user.display_name for row in rows]


@pytest.fixture
def debt_tag(app, alice):
    _debt_question(alice, "タグを作るための最初の質問です")
    return tags.get_tag("債権回収")


def test_a_three_year_former_holder_outranks_a_newcomer_with_one_upvote(app, alice, debt_tag):
    veteran = make_user(name="前任 三年", org="141003")
    add_post(veteran, "財政局 債権回収課", started=60, ended=25)  # three years, left two years ago
    add_post(veteran, "総務局 人事課", tags="人事", started=24)
    _accepted_answer(alice, veteran, "分納誓約の不履行が続く場合の対応は")
    _accepted_answer(alice, veteran, "預貯金調査の照会先はどこまで広げますか")

    newcomer = make_user(name="新任 一年目", org="141003")
    add_post(newcomer, "財政局 債権回収課", started=1)
    first_answer = make_answer(newcomer, _debt_question(alice, "差押禁止財産の範囲を教えてください"), "国税徴収法75条を見ます。")
    votes.cast_vote(alice, first_answer, 1)

    rows = experts.rank_experts(debt_tag, viewer=alice).items
    assert _names(rows)[:2] == ["前任 三年", "新任 一年目"]
    veteran_row, newcomer_row = rows[0], rows[1]
    assert veteran_row.score > 2 * newcomer_row.score
    assert veteran_row.reason.startswith(f"{veteran_row.posts[0].start_on.year}–{veteran_row.posts[0].end_on.year} 横浜市 財政局 債権回収課")
    assert veteran_row.reason.endswith("回答 2件（採用 2）")
    assert "人事課" not in veteran_row.reason  # only posts carrying the tag explain it
    assert "–現在 横浜市 財政局 債権回収課 · 回答 1件" in newcomer_row.reason
    assert newcomer_row.is_current_holder and not veteran_row.is_current_holder


def test_the_score_follows_the_documented_formula(app, alice, debt_tag):
    holder = make_user(name="現任 一年")
    add_post(holder, started=11)  # 12 months including this one: 10 points, +5 as current holder
    answer = make_answer(holder, _debt_question(alice, "時効の援用の確認方法は"), "援用の意思表示が到達したかを確認します。")
    answers.accept_answer(alice, answer)  # 1 + 5
    for voter in (alice, make_user(), make_user()):
        votes.cast_vote(voter, answer, 1)  # +3
    old_hand = make_user(name="五年前に退任")
    add_post(old_hand, started=71, ended=60)  # one year, ended five years ago: 10 × ½

    scores = {row.user.display_name: row.score for row in experts.rank_experts(debt_tag, viewer=alice).items}
    assert scores == {"現任 一年": 10 + 5 + 1 + 5 + 3, "五年前に退任": 5.0}


def test_deleted_posts_do_not_count(app, alice, bob, debt_tag):
    question = _debt_question(alice, "公売の見積価額の決め方は")
    answer = make_answer(bob, question, "不動産鑑定士の評価を参考にします。")
    assert _names(experts.rank_experts(debt_tag, viewer=alice).items) == ["大阪 ボブ"]
    answers.delete_answer(bob, answer)
    assert experts.rank_experts(debt_tag, viewer=alice).items == []


def test_filters_by_place_and_by_holding(app, alice, debt_tag):
    yokohama_now = make_user(name="横浜 現任", org="141003")
    add_post(yokohama_now, started=20)
    kawasaki_before = make_user(name="川崎 前任", org="141305")
    add_post(kawasaki_before, "財政局 収納対策課", org="141305", started=50, ended=21)
    osaka_now = make_user(name="大阪 現任", org="271004")
    add_post(osaka_now, "財政局 税務部 収税課", org="271004", started=30)
    moved_to_ministry = make_user(name="総務省へ出向", org="900141")
    add_post(moved_to_ministry, "財政局 債権回収課", org="141003", started=70, ended=40)

    def names(**filters):
        return set(_names(experts.rank_experts(debt_tag, viewer=alice, **filters).items))

    everyone = {"横浜 現任", "川崎 前任", "大阪 現任", "総務省へ出向"}
    assert names() == everyone
    assert names(scope="prefecture") == {"横浜 現任", "川崎 前任", "総務省へ出向"}  # held a post in 神奈川県
    assert names(scope="organization") == {"横浜 現任", "総務省へ出向"}
    assert names(holders="current") == {"横浜 現任", "大阪 現任"}
    assert names(holders="former") == {"川崎 前任", "総務省へ出向"}
    assert names(scope="organization", holders="current") == {"横浜 現任"}
    assert [key for key, _label in experts.available_scopes(alice)] == ["nationwide", "prefecture", "organization"]
    assert dict(experts.available_scopes(alice))["prefecture"] == "神奈川県内"

    no_place = make_user(org=None)
    assert experts.available_scopes(no_place) == [("nationwide", "全国")]
    with pytest.raises(ValidationFailed):
        experts.rank_experts(debt_tag, viewer=no_place, scope="organization")


def test_hidden_careers_rank_but_never_show(app, alice, bob, debt_tag):
    secret = make_user(name="非公開 さん", org="141003")
    add_post(secret, "財政局 債権回収課 特別整理係", started=60, ended=24)
    colleague_only = make_user(name="庁内公開 さん", org="271004")
    add_post(colleague_only, "財政局 税務部 収税課", org="271004", started=40, ended=20)
    admin = make_user(role="admin", org="900141")
    secret.career_visibility = "ranking_only"
    colleague_only.career_visibility = "organization"
    db.session.commit()

    def row(viewer, name, **filters):
        return next((row for row in experts.rank_experts(debt_tag, viewer=viewer, **filters).items if row.user.display_name == name), None)

    assert row(alice, "非公開 さん").reason == "このタグの職歴あり（非公開）"
    assert row(alice, "非公開 さん").posts == []
    assert row(alice, "非公開 さん", holders="former") is None  # a filter would reveal the hidden post
    assert "特別整理係" in row(secret, "非公開 さん").reason
    assert "特別整理係" in row(admin, "非公開 さん", holders="former").reason

    assert "収税課" not in row(alice, "庁内公開 さん").reason
    assert "収税課" in row(bob, "庁内公開 さん").reason  # bob works in 大阪市 too
    assert row(None, "庁内公開 さん").reason == "このタグの職歴あり（非公開）"


def test_ranking_costs_the_same_few_queries_for_many_people(app, alice, debt_tag):
    def count_queries() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            db.session.expire_all()
            experts.rank_experts(debt_tag, viewer=alice)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    for n in range(3):
        add_post(make_user(), started=12 + n)
    few = count_queries()
    for n in range(12):
        person = make_user()
        add_post(person, started=30 + n, ended=n)
        make_answer(person, _debt_question(alice, f"照会文書の様式について その{n + 1}"), "当市の様式を共有します。")
    # Posts, answers, people; the shown people and their posts (+ the viewer reloaded).
    assert count_queries() == few <= 8


def test_experts_page_filters_and_asking(client, alice, bob, debt_tag):
    add_post(bob, "財政局 税務部 収税課", org="271004", started=40, ended=10)
    login(client, alice)
    page = client.get("/tags/債権回収/experts").get_data(as_text=True)
    assert "「債権回収」に詳しい人" in page and "大阪 ボブ" in page
    assert "大阪市 財政局 税務部 収税課" in page
    assert f"/users/{bob.id}/ask?tags=%E5%82%B5%E6%A8%A9%E5%9B%9E%E5%8F%8E" in page  # この人に聞く, pre-tagged
    assert "神奈川県内" in page and "過去の担当" in page

    page = client.get("/tags/債権回収/experts?scope=organization").get_data(as_text=True)
    assert "大阪 ボブ" not in page and "この条件に当てはまる人はまだいません" in page
    assert client.get("/tags/債権回収/experts?scope=galaxy&holders=whatever").status_code == 200

    tag_page = client.get("/tags/債権回収").get_data(as_text=True)
    sidebar = tag_page[tag_page.index('class="tag-experts"') :]
    assert "この分野に詳しい人" in sidebar and "大阪 ボブ" in sidebar and "この人に聞く" in sidebar

    assert client.get("/tags/存在しないタグ/experts").status_code == 404
    assert client.get("/tags/債権回収/experts?page=5").status_code == 404


def test_a_synonym_redirects_to_the_experts_page_of_its_tag(member_client, moderator, debt_tag):
    tags.edit_tag(moderator, debt_tag, tags.TagEdit("", "policy", "徴収"))
    response = member_client.get("/tags/徴収/experts?holders=current")
    assert response.status_code == 301
    assert "/tags/%E5%82%B5%E6%A8%A9%E5%9B%9E%E5%8F%8E/experts?holders=current" in response.headers["Location"]


@pytest.mark.public_read
def test_anonymous_visitors_see_experts_without_the_ask_button_or_careers(client, bob, debt_tag):
    """On a site open to reading: the ranking, but no career (「会員全員」 means signed-in members)."""
    add_post(bob, "財政局 税務部 収税課", org="271004", started=40)
    page = client.get("/tags/債権回収/experts").get_data(as_text=True)
    assert "大阪 ボブ" in page and "この人に聞く" not in page
    assert "収税課" not in page and "このタグの職歴あり（非公開）" in page
    assert questions.list_questions("newest", 1, 20, viewer=None, tag=debt_tag).total == 1


def test_every_change_shows_in_the_next_ranking_in_the_same_app(app, client, alice, bob, carol, moderator, debt_tag):
    """Rankings are never served stale: each kind of change is read back at once, through
    score_people and through the experts page, in the same process."""
    tag_ids = [debt_tag.id]

    def person(user):
        return next((p for p in experts.score_people(tag_ids) if p.id == user.id), None)

    def page() -> str:
        return client.get("/tags/債権回収/experts").get_data(as_text=True)

    login(client, carol)
    assert person(bob) is None and "大阪 ボブ" not in page()

    question = _debt_question(alice, "滞納処分の執行停止はどの段階で判断しますか")
    answer = make_answer(bob, question, "財産調査を尽くしてから判断します。")
    assert (person(bob).answers, person(bob).score) == (1, 1.0)
    assert "大阪 ボブ" in page()

    votes.cast_vote(carol, answer, 1)
    assert (person(bob).upvotes, person(bob).score) == (1, 2.0)

    answers.accept_answer(alice, answer)
    assert (person(bob).accepted, person(bob).score) == (1, 7.0)

    answers.delete_answer(bob, answer)
    assert person(bob) is None and "大阪 ボブ" not in page()
    answers.undelete_answer(moderator, answer)
    assert (person(bob).accepted, person(bob).score) == (0, 2.0)  # deleting it withdrew the acceptance

    questions.delete_question(moderator, question, reason="outdated")
    assert person(bob) is None

    entry = add_post(bob, "財政局 税務部 収税課", org="271004", started=24)
    assert any(post.is_current for post in person(bob).posts) and person(bob).score > 7
    assert "収税課" in page()

    careers.end_entry(bob, entry.id, month(1))
    assert person(bob).posts and not any(post.is_current for post in person(bob).posts)
    accounts.update_profile(bob, accounts.ProfileUpdate(bob.display_name, bob.department, "", "ranking_only"))
    assert person(bob).career_visibility == "ranking_only" and "収税課" not in page()

    profiles.update_settings(
        bob, accounts.ProfileUpdate(bob.display_name, bob.department, "", "ranking_only"), routing_opt_in=False
    )
    assert person(bob).routing_opt_in is False

    careers.delete_entry(bob, entry.id)
    assert person(bob) is None and "大阪 ボブ" not in page()
