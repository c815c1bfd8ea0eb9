"""In Chromium: a member finds 債権回収 under 「グループ」, joins it, asks a question for its members
only; another member who is not in the group cannot find it by search nor open it."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from app.services import groups
from tests.browser import chromium, live_site, log_in, watched_page
from tests.factories import make_question, make_user

pytestmark = pytest.mark.browser

TITLE = "分納誓約の不履行が続くときの差押えの判断基準"


def _populate() -> None:
    organizer = make_user(email="s-kimura@pref.kanagawa.lg.jp", name="木村 聡", org="140007", role="moderator")
    make_user(email="h-yamada@city.yokohama.lg.jp", name="山田 花子", org="141003")
    make_user(email="k-murakami@city.himeji.lg.jp", name="村上 修", org="282014")
    make_question(organizer, title="滞納整理の年間スケジュールの立て方", tags="債権回収")
    groups.create_group(
        organizer,
        groups.GroupInput(name="債権回収", slug="", description="滞納整理の**情報交換**の場です。", tags="債権回収"),
    )


@pytest.fixture
def live(app_factory):
    with live_site(app_factory, _populate) as (app, base_url):
        yield base_url


def test_a_member_joins_and_asks_for_members_only(live):
    base_url = live
    with chromium() as browser:
        page, problems = watched_page(browser)
        log_in(page, base_url, "h-yamada@city.yokohama.lg.jp")
        page.click("nav.main-nav a:has-text('グループ')")
        page.click("text=債権回収")
        expect(page.locator("main")).to_contain_text("滞納整理の年間スケジュールの立て方")  # its tag's Q&A
        page.click("button:has-text('参加する')")
        page.wait_for_selector("text=グループ「債権回収」に参加しました。")
        assert "山田 花子" in page.inner_text("#members") and "横浜市" in page.inner_text("#members")

        page.click("text=このグループに質問する")
        page.fill("#title", TITLE)
        page.fill("#body", "３回目の不履行です。財産調査の前に催告を挟むべきか、各市の運用を知りたいです。")
        page.fill("#tags", "債権回収")
        assert page.input_value("#group") == "債権回収"
        page.check("input[name=visibility][value=group]")
        page.click("button:has-text('質問を投稿する')")
        page.wait_for_selector("text=グループ「債権回収」のメンバーのみが読める質問です。")
        address = page.url
        assert problems == []

        outsider, outsider_problems = watched_page(browser)
        log_in(outsider, base_url, "k-murakami@city.himeji.lg.jp")
        outsider.goto(f"{base_url}/search?q={quote('分納誓約 差押え')}")
        assert TITLE not in outsider.inner_text("main")
        question_id = re.search(r"/questions/(\d+)", address).group(1)
        response = outsider.goto(f"{base_url}/questions/{question_id}")  # by number: the title is not in the address
        assert response.status == 404 and TITLE not in outsider.content()
        outsider.goto(f"{base_url}/groups/{quote('債権回収')}")
        assert TITLE not in outsider.inner_text("main")
        assert outsider_problems == [] or all("404" in problem for problem in outsider_problems)
