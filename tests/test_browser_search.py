"""In Chromium: a new member searches in her own words, takes the 「もしかして」, and narrows the
results with the filter panel instead of the query syntax."""

import pytest

from app.services import answers
from tests.browser import chromium, live_site, watched_page
from tests.factories import PASSWORD, make_answer, make_question, make_user

pytestmark = pytest.mark.browser


def _populate() -> None:
    asker = make_user(email="k-ito@city.yokohama.lg.jp", name="伊藤 京子", org="141003")
    helper = make_user(email="s-kato@city.sapporo.lg.jp", name="加藤 翔", org="011002")
    answered = make_question(asker, title="財産調査で預金を照会する手順", body="金融機関への照会文書の様式を教えてください。", tags="債権回収")
    answers.accept_answer(asker, make_answer(helper, answered, "照会文書は国税徴収法の様式に倣っています。"))
    make_question(helper, title="財産調査の範囲と回数の目安", body="財産調査をどこまで続けるか迷っています。", tags="債権回収")
    make_question(helper, title="財産調査票の保存年限", body="調査票の保存期間を知りたいです。", tags="文書管理")
    make_user(email="reader@city.yokohama.lg.jp", name="読者 一郎", org="141003")


@pytest.fixture
def live(app_factory):
    with live_site(app_factory, _populate) as (app, base_url):
        yield base_url


def test_search_by_reading_then_narrow_with_the_panel(live):
    base_url = live
    with chromium() as browser:
        page, problems = watched_page(browser)
        page.goto(f"{base_url}/login")
        page.fill("#email", "reader@city.yokohama.lg.jp")
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_selector(".flash-success")

        page.goto(f"{base_url}/search")
        page.fill("#q", "ざいさんちょうさ")
        page.click("form.search-page-form button[type=submit]")
        page.wait_for_selector(".did-you-mean")
        assert page.locator(".did-you-mean a").inner_text() == "財産調査"
        assert page.locator(".search-hit").count() == 3

        page.click(".did-you-mean a")
        page.wait_for_selector(".search-hit")
        assert page.input_value("#q") == "財産調査"

        # The panel, not the syntax: tag, organization by name, answered with an accepted answer.
        page.click(".search-filters summary")
        page.fill("#search-filters input[name=tag]", "債権回収")
        page.fill("#search-filters input[name=org]", "横浜市")
        page.select_option("#search-filters select[name=status]", "accepted")
        page.click("#search-filters button[type=submit]")
        page.wait_for_selector(".result-count")
        assert page.input_value("#q") == "財産調査 [債権回収] org:横浜市 accepted:yes"
        titles = page.locator(".search-hit h3 a").all_inner_texts()
        assert titles == ["財産調査で預金を照会する手順"]
        # The panel keeps its choices, open, for the next change.
        assert page.locator(".search-filters").get_attribute("open") is not None
        assert page.input_value("#search-filters input[name=org]") == "横浜市"

        page.select_option("#search-filters select[name=status]", "")
        page.fill("#search-filters input[name=org]", "")
        page.click("#search-filters button[type=submit]")
        page.wait_for_selector(".result-count")
        assert page.input_value("#q") == "財産調査 [債権回収]"
        assert page.locator(".search-hit").count() == 2
        assert problems == []
