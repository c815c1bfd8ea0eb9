"""In Chromium: a member of 川崎市 marks 「うちでも採用」 and the answer reads 「2団体が採用」 with the
organizations and their kinds; a member of 葉山町 narrows the answers and the search to 同規模の団体."""

import pytest
from playwright.sync_api import expect

from app.services import adoptions
from tests.browser import chromium, live_site, log_in, watched_page
from tests.factories import make_answer, make_question, make_user

pytestmark = pytest.mark.browser

TITLE = "ふるさと納税の返礼品の地場産品基準はどう確認していますか"


def _populate() -> None:
    asker = make_user(email="k-murakami@city.himeji.lg.jp", name="村上 修", org="282014")
    question = make_question(
        asker,
        title=TITLE,
        body="告示第5条の基準を満たすか、事業者の申告だけで判断してよいか迷っています。",
        tags="ふるさと納税",
    )
    from_yokohama = make_answer(
        make_user(name="山田 花子", org="141003"), question, "産地証明書を事業者から毎年出してもらっています。"
    )
    make_answer(make_user(name="寒川 ｼﾞﾛｳ", org="143219"), question, "町の審査会で年1回、全品目を確認しています📋")
    adoptions.adopt(make_user(name="大阪 ボブ", org="271004"), from_yokohama)
    make_user(email="a-kawasaki@city.kawasaki.lg.jp", name="川崎 あや", org="141305")
    make_user(email="t-hayama@town.hayama.lg.jp", name="葉山 太郎", org="143014")


@pytest.fixture
def live(app_factory):
    with live_site(app_factory, _populate) as (app, base_url):
        yield base_url


def test_adopt_then_filter_to_like_organizations(live):
    base_url = live
    with chromium() as browser:
        page, problems = watched_page(browser)
        log_in(page, base_url, "a-kawasaki@city.kawasaki.lg.jp")
        page.goto(f"{base_url}/search?q=返礼品")
        page.click(f"text={TITLE}")
        first = page.locator("article.answer").first
        expect(first).to_contain_text("1団体が採用")
        first.locator("button:has-text('うちでも採用')").click()
        page.wait_for_selector("text=神奈川県川崎市として「うちでも採用」を記録しました。")
        first = page.locator("article.answer").first
        first.locator("summary:has-text('2団体が採用')").click()
        adopters = first.locator(".adopters li")
        assert adopters.count() == 2
        assert "神奈川県川崎市" in adopters.nth(0).inner_text() and "政令指定都市" in adopters.nth(0).inner_text()
        assert "大阪府大阪市" in adopters.nth(1).inner_text()  # same kind: by code
        assert first.locator("button:has-text('うちでの採用を取り消す')").is_visible()
        page.click("text=ログアウト")

        log_in(page, base_url, "t-hayama@town.hayama.lg.jp")
        page.goto(f"{base_url}/search?q=返礼品")
        page.click("text=同規模の団体（町・人口1万〜5万人）に絞る")
        page.wait_for_selector("text=表示中")
        page.click(f"text={TITLE}")
        expect(page.locator("article.answer")).to_have_count(2)
        page.click("nav.answer-filter >> text=同規模の団体（町・人口1万〜5万人）")
        page.wait_for_selector("nav.answer-filter strong:has-text('同規模の団体')")
        answers = page.locator("article.answer")
        assert answers.count() == 1 and "町の審査会で" in answers.first.inner_text()
        assert problems == []
