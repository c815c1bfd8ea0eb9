"""In Chromium: the predecessor who left 横浜市 財政局 債権回収課 writes its 引継書 from the prompt on
her onboarding page; the successor moves in, reads it at the top of his, follows its Q&A link,
and saves the tag's collection (まとめ), which he finds again from his saved items."""

import pytest
from playwright.sync_api import expect

from app.services import curation
from tests.browser import chromium, live_site, log_in, watched_page
from tests.factories import make_question, make_user
from tests.people_factories import add_post

pytestmark = pytest.mark.browser

LINKED = "分納誓約を何度も破る滞納者、次の分納を認めるべきでしょうか"
created: dict[str, int] = {}  # ids as the database gave them


def _populate() -> None:
    suzuki = make_user(email="d-suzuki@city.yokohama.lg.jp", name="鈴木 大輔", org="141003")
    add_post(suzuki, "財政局 債権回収課 徴収係", started=50, ended=1)
    add_post(suzuki, "財政局 財政部 財政課 予算係", tags="財政", started=0)
    question = make_question(
        suzuki, title=LINKED, body="分納を4回破った方から、また分納の相談がありました。", tags="債権回収"
    )
    collection = curation.create_collection(
        suzuki, curation.CollectionInput("債権回収 はじめの10問", "着任したらこの順に読んでください。", "債権回収")
    )
    curation.add_item(suzuki, collection, str(question.id), "窓口で一番多い相談です")
    created["question"] = question.id
    tanaka = make_user(email="t-tanaka@city.yokohama.lg.jp", name="田中 翼", org="141003")
    add_post(tanaka, "港北区役所 戸籍課 戸籍係", tags="戸籍", started=30)


@pytest.fixture
def live(app_factory):
    with live_site(app_factory, _populate) as (app, base_url):
        yield base_url


def test_the_predecessor_hands_over_and_the_successor_reads_it(live):
    base_url = live
    with chromium() as browser:
        page, problems = watched_page(browser)

        log_in(page, base_url, "d-suzuki@city.yokohama.lg.jp")
        page.goto(f"{base_url}/transfer/onboarding")
        page.click("#handover-prompt >> text=前の職の引継書を書く")
        page.wait_for_selector("h1:has-text('引継書を書く')")
        body = f"## 年間の流れ\n４月に催告書を発送します。\n\n分納の相談は [こちら](/questions/{created['question']}) を先に読んでください😊"
        page.fill("#body", body)
        page.click("form.stack button[type=submit]")
        page.wait_for_selector("text=引継書を保存しました。")
        assert page.locator("#linked").get_by_text(LINKED).is_visible()
        page.click("text=ログアウト")
        page.wait_for_selector("text=ログアウトしました")

        log_in(page, base_url, "t-tanaka@city.yokohama.lg.jp")
        page.click("nav.main-nav >> text=異動")
        page.fill("#organization", "神奈川県横浜市 (141003)")
        page.fill("#department", "財政局 債権回収課")
        page.click("form.stack button[type=submit]")
        page.wait_for_selector("h1:has-text('財政局 債権回収課 へようこそ')")
        note = page.locator("#handover-note")
        assert "４月に催告書を発送します。" in note.inner_text() and "鈴木 大輔" in note.inner_text()
        note.locator("text=こちら").click()
        page.wait_for_selector(f"h1:has-text('{LINKED}')")

        page.goto(f"{base_url}/transfer/onboarding")
        page.click("#collections >> text=債権回収 はじめの10問")
        page.wait_for_selector("text=窓口で一番多い相談です")
        page.click("button:has-text('保存')")
        page.wait_for_selector("text=まとめを保存しました。")
        page.goto(f"{base_url}/bookmarks")
        page.click("text=保存したまとめ")
        expect(page.locator(".collection-list").get_by_text("債権回収 はじめの10問")).to_be_visible()
        assert problems == []
