"""前任者 of a post, and the 異動 flow: declaring the new post, the onboarding page, the handover."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post
from app.services import answers, careers, transfer, votes
from app.services.errors import ValidationFailed
from tests.factories import login, make_answer, make_question, make_user
from tests.people_factories import add_post, month


@pytest.fixture
def chain(app):
    """Three people who held 横浜市 財政局 債権回収課 in turn, each typing it their own way."""
    first = make_user(name="初代 佐藤", org="141003")
    add_post(first, "財政局 債権回収課 徴収係", started=120, ended=85)
    add_post(first, "総務局 人事課", tags="人事", started=84)
    second = make_user(name="二代目 鈴木", org="141003")
    add_post(second, "財政局　債権回収課", started=84, ended=49)
    add_post(second, "財政局 財政課", tags="財政", started=48)
    third = make_user(name="三代目 山田", org="141003")
    add_post(third, "財政局債権回収課徴収係", started=48)
    elsewhere = make_user(name="大阪の 中村", org="271004")
    add_post(elsewhere, "財政局 債権回収課", org="271004", started=60, ended=12)  # same words, another city
    return first, second, third, elsewhere


def _names(entries):
    return [entry.user.display_name for entry in entries]


def test_predecessors_of_a_post_most_recent_first(app, chain, alice):
    first, second, third, _ = chain
    holders = careers.post_holders(alice, "141003", "財政局 債権回収課")
    assert _names(holders) == ["三代目 山田", "二代目 鈴木", "初代 佐藤"]
    assert [entry.is_current for entry in holders] == [True, False, False]
    before_third = careers.post_holders(alice, "141003", "財政局 債権回収課", before=holders[0].start_on, exclude_user=third)
    assert _names(before_third) == ["二代目 鈴木", "初代 佐藤"]

    second.career_visibility = "ranking_only"
    db.session.commit()
    assert _names(careers.post_holders(alice, "141003", "財政局 債権回収課")) == ["三代目 山田", "初代 佐藤"]
    assert _names(careers.post_holders(second, "141003", "財政局 債権回収課")) == ["三代目 山田", "二代目 鈴木", "初代 佐藤"]


def test_the_profile_of_the_current_holder_lists_who_held_the_post_before(member_client, chain):
    _, _, third, _ = chain
    page = member_client.get(f"/users/{third.id}").get_data(as_text=True)
    section = page[page.index('id="predecessors"') :]
    assert section.index("二代目 鈴木") < section.index("初代 佐藤")
    assert "大阪の 中村" not in section and "三代目 山田" not in section
    assert "現在: 神奈川県横浜市 財政局 財政課" in section  # where to find the predecessor now


def test_declaring_a_transfer_ends_the_current_post_and_moves_the_profile(app, chain, alice):
    old_post = add_post(alice, "港北区役所 戸籍課", tags="戸籍", started=30)
    new_post = transfer.declare_transfer(alice, transfer.TransferInput("神奈川県横浜市 (141003)", "財政局 債権回収課", "", month(0)))

    db.session.refresh(old_post)
    assert old_post.end_on == careers.month_end(careers.add_months(careers.this_month(), -1))
    assert new_post.is_current and careers.current_entries(alice) == [new_post]
    assert [tag.name for tag in new_post.tags] == ["債権回収"]  # from the post's previous holders
    db.session.refresh(alice)
    assert (alice.organization_code, alice.department) == ("141003", "財政局 債権回収課")


def test_a_transfer_starts_after_the_current_post(app, alice):
    add_post(alice, "港北区役所 戸籍課", tags="戸籍", started=2)
    with pytest.raises(ValidationFailed) as failure:
        transfer.declare_transfer(alice, transfer.TransferInput("141003", "財政局 債権回収課", "債権回収", month(2)))
    assert "港北区役所 戸籍課" in failure.value.errors["start"]
    assert len(careers.current_entries(alice)) == 1


def test_the_form_proposes_a_start_month_the_transfer_accepts(app, alice):
    this_month = careers.this_month()
    assert transfer.suggested_start(alice) == this_month  # no current post
    add_post(alice, "港北区役所 戸籍課", tags="戸籍", started=14)
    assert transfer.suggested_start(alice) == this_month
    registered_this_month = make_user(email="shinjin@city.kawasaki.lg.jp", name="川崎 新人", org="141305")
    add_post(registered_this_month, "市民文化局 戸籍住民サービス課", tags="戸籍", started=0)
    proposed = transfer.suggested_start(registered_this_month)
    assert proposed == careers.add_months(this_month, 1)  # 内示: the month after
    transfer.declare_transfer(
        registered_this_month, transfer.TransferInput("141003", "財政局 債権回収課", "債権回収", proposed.strftime("%Y-%m"))
    )
    assert [entry.department for entry in careers.current_entries(registered_this_month)] == ["財政局 債権回収課"]


def test_the_onboarding_page_gathers_what_the_new_post_needs(app, chain, alice, bob, carol):
    first, second, third, elsewhere = chain
    newcomer = make_user(name="異動者 田中", org="141003")
    add_post(newcomer, "港北区役所 戸籍課", tags="戸籍", started=40)
    # Q&As in the new area (債権回収): accepted first, then votes, then views; one left unanswered.
    voted = make_question(alice, title="差押えの順序に決まりはありますか", tags="債権回収")
    votes.cast_vote(bob, voted, 1)
    votes.cast_vote(carol, voted, 1)
    make_answer(second, voted, "法令上の順序はありませんが、換価しやすい財産からが通例です。")
    accepted = make_question(alice, title="分納誓約の期間は何か月までにしていますか", tags="債権回収")
    answers.accept_answer(alice, make_answer(third, accepted, "原則12か月、最長24か月です。"))
    popular = make_question(alice, title="催告書の文面で気をつけることは", tags="債権回収")
    make_answer(first, popular, "支払期限と連絡先を目立たせます。")
    db.session.execute(sa.update(Post).where(Post.id == popular.id).values(view_count=500))
    unanswered = make_question(bob, title="相続人不存在の滞納者の財産はどうしますか", tags="債権回収")
    # The newcomer's former area (戸籍): one open question they can answer, one settled, one of their own.
    open_question = make_question(carol, title="転籍届の受理で迷うケース", tags="戸籍")
    settled = make_question(carol, title="届書の記載事項証明の請求者は", tags="戸籍")
    answers.accept_answer(carol, make_answer(bob, settled, "利害関係人に限られます。"))
    make_question(newcomer, title="自分で聞いた戸籍の質問です", tags="戸籍")
    own_answer = make_answer(newcomer, make_question(bob, title="戸籍の附票の写しの交付範囲は", tags="戸籍"), "住所地の確認に使う場合は…")
    db.session.commit()

    transfer.declare_transfer(newcomer, transfer.TransferInput("141003", "財政局 債権回収課 徴収係", "債権回収", month(0)))
    guide = transfer.onboarding(newcomer)

    assert guide.post.department == "財政局 債権回収課 徴収係"
    assert [q.id for q in guide.essential] == [accepted.id, voted.id, popular.id]
    assert [q.id for q in guide.unanswered] == [unanswered.id]
    assert _names(guide.predecessors) == ["三代目 山田", "二代目 鈴木", "初代 佐藤"]
    nationwide = [row.user.display_name for row in guide.experts]
    assert nationwide == ["大阪の 中村"]  # predecessors and the newcomer are not repeated
    assert "大阪市 財政局 債権回収課" in guide.experts[0].reason
    assert [tag.name for tag in guide.former_tags] == ["戸籍"]
    assert open_question.id in [q.id for q in guide.answerable]
    assert settled.id not in [q.id for q in guide.answerable] and own_answer.question_id not in [q.id for q in guide.answerable]
    assert all(q.author_id != newcomer.id for q in guide.answerable)
    assert guide.handover.post.department == "港北区役所 戸籍課"
    assert [answer.id for answer in guide.handover.answers] == [own_answer.id]


def test_the_transfer_pages(client, chain, alice):
    add_post(alice, "港北区役所 戸籍課", tags="戸籍、住民基本台帳", started=30)
    login(client, alice)
    page = client.get("/transfer").get_data(as_text=True)
    assert "今の職:" in page and "港北区役所 戸籍課" in page
    assert f'value="{month(0)}"' in page  # starts this month unless changed

    response = client.post("/transfer", data={"organization": "141003", "department": "", "start": "来月"})
    page = response.get_data(as_text=True)
    assert "部署名を入力してください" in page and "2019-04" in page and len(careers.current_entries(alice)) == 1

    response = client.post(
        "/transfer", data={"organization": "神奈川県横浜市 (141003)", "department": "財政局　債権回収課", "tags": "", "start": month(0)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/transfer/onboarding")
    page = client.get("/transfer/onboarding").get_data(as_text=True)
    assert "神奈川県横浜市 財政局 債権回収課 へようこそ" in page
    predecessors = re.search(r'id="predecessors".*?</section>', page, re.S).group(0)
    assert predecessors.index("三代目 山田") < predecessors.index("二代目 鈴木") < predecessors.index("初代 佐藤")
    assert "この人に聞く" in predecessors and "現在も担当" in predecessors
    assert "この分野の回答済みの質問はまだありません" in page  # empty states in Japanese
    assert "この分野に未回答の質問はありません" in page
    assert "前の職の分野での回答はまだありません" in page
    assert "港北区役所 戸籍課" in page  # the handover names the post left


def test_the_onboarding_page_without_a_current_post(client, alice):
    login(client, alice)
    page = client.get("/transfer/onboarding").get_data(as_text=True)
    assert "今の職が職歴に登録されていません" in page and "/transfer" in page
    assert transfer.onboarding(alice) is None
    assert client.get("/transfer").status_code == 200
    client.post("/logout")
    assert client.get("/transfer").status_code == 302  # members only
