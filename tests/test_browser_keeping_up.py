"""In Chromium: a member with no areas yet watches two tags from their pages and finds their
questions under 「あなたの分野」 on the home page, an unanswered one marked as awaiting an answer."""

import pytest

from tests.browser import chromium, live_site, watched_page
from tests.factories import PASSWORD, make_answer, make_question, make_user

pytestmark = pytest.mark.browser


def _populate() -> None:
    asker = make_user(email="k-murakami@city.himeji.lg.jp", name="村上 修", org="282014")
    answerer = make_user(email="h-yamada@city.yokohama.lg.jp", name="山田 花子", org="141003")
    make_user(email="t-tanaka@city.yokohama.lg.jp", name="田中 翼", org="141003")
    answered = make_question(asker, title="ワクチン接種の予約枠の配分 💉", tags="ワクチン")
    make_answer(answerer, answered, "65歳以上を先に、残りは週ごとに開放しています。")
    make_question(asker, title="督促状を出せなかった場合の時効", tags="債権回収")
    make_question(asker, title="戸籍の附票の写しの交付", tags="戸籍")


@pytest.fixture
def live(app_factory):
    with live_site(app_factory, _populate) as (app, base_url):
        yield base_url


def test_a_member_watches_two_tags_and_sees_them_at_home(live):
    base_url = live
    with chromium() as browser:
        page, problems = watched_page(browser)
        page.goto(f"{base_url}/login")
        page.fill("#email", "t-tanaka@city.yokohama.lg.jp")
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_selector(".flash-success")

        areas = page.locator("#your-areas")
        assert "タグを選んでウォッチする" in areas.inner_text()  # no areas yet: how to add them
        assert not page.is_visible("text=前任者の知恵を、次の担当者へ。")  # the banner is for visitors

        for name in ("ワクチン", "債権回収"):
            page.goto(f"{base_url}/tags/{name}")
            page.click("form.tag-watch button:has-text('ウォッチする')")
            page.wait_for_selector(f"text=タグ「{name}」をウォッチします")
            assert page.locator("form.tag-watch button[aria-pressed=true]").inner_text() == "ウォッチ中"

        page.click("a.brand")
        areas = page.locator("#your-areas")
        areas.locator(".area-tags").wait_for()
        assert areas.locator(".area-tags .tag").all_inner_texts() == ["ワクチン", "債権回収"]
        titles = areas.locator(".question-summary h3").all_inner_texts()
        assert set(titles) == {"ワクチン接種の予約枠の配分 💉", "督促状を出せなかった場合の時効"}
        awaiting = areas.locator(".area-question.answerable")
        assert awaiting.count() == 1 and "督促状を出せなかった場合の時効" in awaiting.inner_text()
        assert "戸籍の附票の写しの交付" not in areas.inner_text()
        assert problems == []
