"""In Chromium: the HPV answer shows that its deadline has passed; an expert of the tag finds the
review page from her notifications, confirms another answer for this 年度, and its notice goes away."""

import pytest
from playwright.sync_api import expect

from app.database import write_transaction
from app.extensions import db
from app.models import Post
from app.services import confirmations, fiscal_years
from tests.browser import chromium, live_site, log_in, watched_page
from tests.factories import make_answer, make_question, make_user
from tests.people_factories import add_post

pytestmark = pytest.mark.browser

THIS_YEAR = fiscal_years.current()
HPV = "HPVワクチンのキャッチアップ接種は無料ですか"
ROTA = "ロタウイルスワクチンの定期接種の案内時期"


def _set(post, **values):
    with write_transaction():
        for name, value in values.items():
            setattr(db.session.get(Post, post.id), name, value)


def _populate() -> None:
    asker = make_user(email="k-murakami@city.himeji.lg.jp", name="村上 修", org="282014")
    nurse = make_user(email="m-sato@city.yokohama.lg.jp", name="佐藤 美咲", org="141003")
    add_post(nurse, "健康福祉局 健康安全課 予防接種係", tags="予防接種", started=60, ended=3)
    answerer = make_user(email="r-ito@city.sapporo.lg.jp", name="伊藤 亮", org="011002")
    hpv = make_question(
        asker, title=HPV, body="対象者から問い合わせがありました。いつまで無料ですか？", tags="予防接種"
    )
    _set(make_answer(answerer, hpv, "キャッチアップ接種は令和7年3月31日まで無料です。"), fiscal_year=2024)
    rota = make_question(asker, title=ROTA, body="生後何週から案内を送っていますか？", tags="予防接種")
    _set(make_answer(answerer, rota, "生後6週を目安に予診票を送っています。"), fiscal_year=THIS_YEAR - 2)
    _set(rota, view_count=120)
    confirmations.remind_experts()


@pytest.fixture
def live(app_factory):
    with live_site(app_factory, _populate) as (app, base_url):
        yield base_url


def test_an_expert_reviews_the_outdated_answers_of_her_tag(live):
    base_url = live
    with chromium() as browser:
        page, problems = watched_page(browser)
        log_in(page, base_url, "m-sato@city.yokohama.lg.jp")

        page.goto(f"{base_url}/notifications")
        page.click("text=古くなっているかもしれない回答が2件あります")
        page.wait_for_selector("h1:has-text('「予防接種」の回答の確認')")
        items = page.locator(".review-item")
        assert items.count() == 2
        assert ROTA in items.nth(0).inner_text()  # the most read first
        assert "期限切れ" in items.nth(1).inner_text()
        assert "この回答の期限（令和7年3月31日）は過ぎています。" in items.nth(1).inner_text()

        items.nth(0).locator("summary").click()
        items.nth(0).locator("textarea[name=note]").fill("今年度の実施要領でも変更なし✅")
        items.nth(0).locator("button[value=current]").click()
        page.wait_for_selector(".flash-success:has-text('今も有効と確認しました。')")
        assert page.locator(".review-item").count() == 1

        page.click("text=タグのページへ")
        page.click(f"text={ROTA}")
        answer = page.locator("article.answer").first
        expect(answer).to_contain_text("今年度の実施要領でも変更なし✅")
        assert f"{fiscal_years.label(THIS_YEAR)}も有効と確認（佐藤 美咲, " in answer.inner_text()
        assert answer.locator(".outdated-note").count() == 0
        assert problems == []
