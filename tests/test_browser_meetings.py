"""In Chromium: a member finds next week's 債権回収 meeting from the menu, registers, sees the
online link and downloads the .ics; the organizer of a past meeting publishes notes with two
questions raised, posts one as a question from the prefilled form, and the site search finds
the notes under 「情報交換会」."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.database import write_transaction
from app.services import meetings
from tests.browser import chromium, live_site, log_in, watched_page
from tests.factories import make_user
from tests.test_meetings import URL, jst_input, make_group, next_week_at

pytestmark = pytest.mark.browser


def _populate() -> None:
    organizer = make_user(email="m-kobayashi@city.sapporo.lg.jp", name="小林 誠", org="011002")
    make_user(email="t-tanaka@city.yokohama.lg.jp", name="田中 翼", org="141003")
    group = make_group(organizer)
    meetings.create_meeting(organizer, group, jst_input(next_week_at(19), title="債権回収 情報交換会（滞納整理のDX）"))
    past = meetings.create_meeting(
        organizer, group, jst_input(next_week_at(18), title="債権回収 情報交換会（分納誓約）", online_url="")
    )
    with write_transaction():
        past.starts_at -= timedelta(days=21)
        past.ends_at -= timedelta(days=21)


@pytest.fixture
def live(app_factory):
    with live_site(app_factory, _populate) as (app, base_url):
        yield base_url


def test_register_download_publish_notes_and_find_them(live):
    base_url = live
    with chromium() as browser:
        page, problems = watched_page(browser)
        log_in(page, base_url, "t-tanaka@city.yokohama.lg.jp")
        page.click("nav.main-nav a:has-text('情報交換会')")
        page.click("text=債権回収 情報交換会（滞納整理のDX）")
        expect(page.locator("body")).to_contain_text("参加登録した人に表示されます")
        page.click("button:has-text('参加登録する')")
        page.wait_for_selector("text=参加登録しました")
        assert page.locator("a.online-link").get_attribute("href") == URL
        with page.expect_download() as download:
            page.click("a:has-text('カレンダーに追加')")
        text = Path(download.value.path()).read_text(encoding="utf-8")
        assert "DTSTART;TZID=Asia/Tokyo:" in text and "T190000" in text
        page.context.clear_cookies()

        log_in(page, base_url, "m-kobayashi@city.sapporo.lg.jp")
        page.goto(f"{base_url}/groups/saiken/meetings")
        page.click("text=債権回収 情報交換会（分納誓約）")
        page.click("a:has-text('議事メモを公開')")
        page.fill("#notes", "分納誓約の期間は原則1年とする団体が多数でした📝")
        page.fill("#raised", "分納の不履行は何回で滞納処分に移りますか\n少額の私債権の放棄基準はいくらですか")
        page.click("button:has-text('公開する')")
        page.wait_for_selector("text=議事メモを公開しました")
        page.click("ul.raised-questions li:nth-child(2) a:has-text('質問として投稿する')")
        assert page.input_value("#title") == "少額の私債権の放棄基準はいくらですか"
        assert "で挙がった質問です" in page.input_value("#body") and page.input_value("#tags") == "債権回収"
        page.click("button:has-text('質問を投稿する')")
        page.wait_for_selector("text=質問を投稿しました")
        page.go_back()
        page.go_back()
        page.reload()
        assert page.locator("ul.raised-questions li:nth-child(2) a:has-text('Q&Aを読む')").count() == 1

        page.fill("#site-search", "分納誓約 原則1年")
        page.press("#site-search", "Enter")
        block = page.locator("section.search-meetings")
        block.wait_for()
        assert "情報交換会" in block.inner_text() and "債権回収 情報交換会（分納誓約）" in block.inner_text()
        assert problems == []
