"""In Chromium: a 戸籍課 member moves to 横浜市 財政局 債権回収課, meets the predecessors and the
Q&As to read first, and asks the latest predecessor directly; she sees it in her inbox."""

import pytest
from playwright.sync_api import expect

from app.services import answers
from tests.browser import chromium, live_site, log_in, watched_page
from tests.factories import make_answer, make_question, make_user
from tests.people_factories import add_post

pytestmark = pytest.mark.browser

ESSENTIAL = "督促状を納期限後20日以内に出せなかった場合、督促は無効になりますか"


def _populate() -> None:
    yamada = make_user(email="h-yamada@city.yokohama.lg.jp", name="山田 花子", org="141003")
    add_post(yamada, "財政局 債権回収課 徴収係", started=50)
    suzuki = make_user(email="d-suzuki@city.yokohama.lg.jp", name="鈴木 大輔", org="141003")
    add_post(suzuki, "財政局 債権回収課 徴収係", started=86, ended=51)
    add_post(suzuki, "財政局 財政部 財政課 予算係", tags="財政", started=50)
    asker = make_user(email="k-murakami@city.himeji.lg.jp", name="村上 修", org="282014")
    question = make_question(
        asker, title=ESSENTIAL, body="事務の遅れで督促が遅れました。時効への影響を知りたいです。", tags="債権回収"
    )
    answers.accept_answer(
        asker, make_answer(yamada, question, "督促は無効になりませんが、時効の更新時期に注意します。")
    )
    tanaka = make_user(email="t-tanaka@city.yokohama.lg.jp", name="田中 翼", org="141003")
    add_post(tanaka, "港北区役所 戸籍課 戸籍係", tags="戸籍", started=30)


@pytest.fixture
def live(app_factory):
    with live_site(app_factory, _populate) as (app, base_url):
        yield base_url


def test_transfer_meet_the_predecessors_and_ask_one(live):
    base_url = live
    with chromium() as browser:
        page, problems = watched_page(browser)

        log_in(page, base_url, "t-tanaka@city.yokohama.lg.jp")
        page.click("nav.main-nav >> text=異動")
        expect(page.get_by_text("港北区役所 戸籍課 戸籍係")).to_be_visible()  # the post being left
        page.fill("#organization", "よこはま")
        page.wait_for_selector("#organization-options option", state="attached")  # the picker's search
        page.fill("#organization", "神奈川県横浜市 (141003)")
        page.fill("#department", "財政局 債権回収課")
        page.click("form.stack button[type=submit]")

        page.wait_for_selector("h1:has-text('財政局 債権回収課 へようこそ')")
        predecessors = page.locator("#predecessors .holder-row")
        assert predecessors.count() == 2
        assert "山田 花子" in predecessors.nth(0).inner_text() and "現在も担当" in predecessors.nth(0).inner_text()
        assert "鈴木 大輔" in predecessors.nth(1).inner_text()
        assert page.locator("#essential").get_by_text(ESSENTIAL).is_visible()

        predecessors.nth(0).locator("text=この人に聞く").click()
        page.wait_for_selector("h1:has-text('山田 花子 さんに質問する')")
        assert page.input_value("#tags") == "債権回収"
        page.fill("#title", "着任しました。差押えの優先順位はどう判断していますか？")
        page.fill("#body", "今月から債権回収課です。預貯金と給与、どちらから差し押さえるかの目安を教えてください。")
        page.click("form.stack button[type=submit]")
        page.wait_for_selector("text=山田 花子 さんに質問を送りました。")
        assert page.is_visible("h1:has-text('差押えの優先順位')")

        page.click("text=ログアウト")
        page.wait_for_selector("text=ログアウトしました")
        log_in(page, base_url, "h-yamada@city.yokohama.lg.jp")
        page.click(".inbox")
        page.click("text=田中 翼 さんがあなたに質問しました")
        page.wait_for_selector("h1:has-text('差押えの優先順位')")
        assert problems == []
