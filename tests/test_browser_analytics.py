"""In Chromium: the admin reads this month's analytics for 横浜市 (chosen with the organization
picker) and downloads the CSV; 横浜市's own administrator reaches the same page from the header."""

import csv
import io
import os

import pytest

from app.extensions import db
from tests.browser import chromium, live_site, log_in, watched_page
from tests.factories import make_answer, make_question, make_user

pytestmark = pytest.mark.browser

TITLE = "住民税の特別徴収、切替の\"様式\"は？"


def _populate() -> None:
    make_user(email="admin@soumu.go.jp", name="管理 花子", org="130001", role="admin")
    boss = make_user(email="kanri@city.yokohama.lg.jp", name="横浜 団体管理者", org="141003")
    boss.is_org_admin = True
    db.session.commit()
    asker = make_user(email="h-yamada@city.yokohama.lg.jp", name="山田 花子", org="141003")
    answerer = make_user(email="k-murakami@city.himeji.lg.jp", name="村上 修", org="282014")
    question = make_question(asker, title=TITLE, tags="住民税")
    make_answer(answerer, question)
    make_question(asker, title="ｶﾝﾒﾝ申請の様式（２０２６年度）", tags="債権回収")


@pytest.fixture
def live(app_factory):
    with live_site(app_factory, _populate) as (app, base_url):
        yield base_url



def test_the_admin_reads_this_month_for_yokohama_and_downloads_the_csv(live, tmp_path):
    base_url = live
    with chromium() as browser:
        page, problems = watched_page(browser)
        log_in(page, base_url, "admin@soumu.go.jp")
        page.click("nav.main-nav >> text=管理")
        page.click("nav.admin-nav >> text=分析")
        page.select_option("#scope", "organization")
        page.fill("#organization", "よこはま")
        page.wait_for_selector("#organization-options option", state="attached")  # the picker's search
        page.fill("#organization", "神奈川県横浜市 (141003)")
        page.select_option("#preset", "this_month")
        page.click("form.analytics-filter button[type=submit]")

        page.wait_for_selector("h1:has-text('神奈川県横浜市')")
        summary = page.locator("table.analytics-summary").inner_text()
        assert "質問数\t2" in summary and "回答率\t50.0%" in summary
        assert page.locator("svg.chart circle").count() >= 3
        assert page.locator("svg.chart title").first.text_content().startswith("神奈川県横浜市の推移")
        if os.environ.get("SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["SCREENSHOTS"], "analytics.png"), full_page=True)

        with page.expect_download() as download:
            page.click("#summary-heading ~ p >> text=CSVでダウンロード")
        assert "神奈川県横浜市" in download.value.suggested_filename
        path = tmp_path / "summary.csv"
        download.value.save_as(path)
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        assert ["質問数", "2"] in list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert problems == []


def test_an_organization_administrator_finds_their_own_analytics(live):
    base_url = live
    with chromium() as browser:
        page, problems = watched_page(browser)
        log_in(page, base_url, "kanri@city.yokohama.lg.jp")
        page.click("nav.main-nav >> text=分析")
        page.wait_for_selector("h1:has-text('神奈川県横浜市')")
        assert page.locator("nav.admin-nav a").all_inner_texts() == ["分析"]
        assert page.locator("#scope").count() == 0  # no site-wide or tag scope to choose
        assert problems == []
