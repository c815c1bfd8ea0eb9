"""In Chromium: a member answers with a 年度 and a legal basis typed her own way, sees them as
chips (令和8年度 with the Western year on hover), follows the law chip to every Q&A citing it,
and a moderator records that the law was amended."""

import pytest
from playwright.sync_api import expect

from app.services import fiscal_years, questions
from tests.browser import chromium, live_site, log_in, watched_page
from tests.factories import make_user

pytestmark = pytest.mark.browser


def _populate() -> None:
    asker = make_user(email="k-ito@city.yokohama.lg.jp", name="伊藤 京子", org="141003")
    make_user(email="s-kato@city.kawasaki.lg.jp", name="加藤 翔", org="141305")
    make_user(email="mod@soumu.go.jp", name="モデレーター", role="moderator")
    questions.ask_question(
        asker,
        questions.QuestionInput(
            "滞納処分の停止をした後の即時消滅の判断",
            "執行停止の後、すぐに納税義務を消滅させる判断基準を教えてください。",
            "債権回収",
            fiscal_year=2025,
            laws="地方税法第15条の7",
        ),
    )
    questions.ask_question(
        asker,
        questions.QuestionInput(
            "督促状の発付時期について", "督促状は納期限後いつまでに出すべきですか。", "債権回収", laws="自治法231条の3"
        ),
    )


@pytest.fixture
def live(app_factory):
    with live_site(app_factory, _populate) as (app, base_url):
        yield base_url


def test_answer_with_fiscal_year_and_laws_then_follow_the_chip(live):
    base_url = live
    with chromium() as browser:
        page, problems = watched_page(browser)
        log_in(page, base_url, "s-kato@city.kawasaki.lg.jp")
        page.goto(f"{base_url}/search?q=即時消滅")
        page.click(".search-hit h3 a")
        question_chip = page.locator(".post-layout .fiscal-year").first
        assert question_chip.inner_text() == "令和7年度" and question_chip.get_attribute("title") == "2025年度"

        page.fill(
            "#your-answer textarea[name=body]",
            "川崎市では財産調査の結果、差し押さえる財産がないことが明らかな場合に即時消滅させています。",
        )
        assert page.input_value("#your-answer input[name=fiscal_year]") == fiscal_years.label(fiscal_years.current())
        page.fill("#your-answer input[name=fiscal_year]", "Ｒ７")
        page.fill("#your-answer textarea[name=laws]", "地税法１５条の７第４項、徴収法第153条")
        page.click("#your-answer button[type=submit]")
        page.wait_for_selector(".flash-success")
        chips = page.locator(".answer .law-chip, [id^=answer-] .law-chip").all_inner_texts()
        assert chips == ["地方税法第15条の7", "国税徴収法第153条"]

        page.locator("[id^=answer-] .law-chip", has_text="地方税法第15条の7").click()
        page.wait_for_selector("h1:has-text('地方税法')")
        assert page.locator(".question-summary h3 a").all_inner_texts() == ["滞納処分の停止をした後の即時消滅の判断"]
        page.click("text=すべて")
        expect(page.locator(".question-summary")).to_have_count(1)
        page.goto(f"{base_url}/laws")
        assert "地方自治法" in page.locator(".law-list").inner_text()  # 自治法 was typed

        page.goto(f"{base_url}/search?q=法令:地方税法 年度:2025")
        assert page.locator(".search-hit").count() == 1
        assert problems == []

        # A moderator records the amendment; it is listed on the law's page.
        moderator, _ = watched_page(browser)
        log_in(moderator, base_url, "mod@soumu.go.jp")
        moderator.goto(f"{base_url}/laws/地方税法")
        moderator.click("text=改正を記録する")
        moderator.fill("#amendment-article", "第15条の7")
        moderator.fill("#amendment-amended_on", "２０２６年４月１日")
        moderator.fill("#amendment-note", "即時消滅の要件を明確化")
        moderator.click("form.stack button[type=submit]")
        moderator.wait_for_selector(".flash-success")
        moderator.goto(f"{base_url}/laws/地方税法")
        assert "2026-04-01 第15条の7: 即時消滅の要件を明確化" in moderator.locator("aside").inner_text()
