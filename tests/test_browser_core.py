"""End to end in Chromium: register, verify through the outbox, ask in Japanese, answer, accept."""

from pathlib import Path

import pytest

from tests.browser import chromium, latest_link, live_site, watched_page
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def _populate() -> None:
    make_user(email="kasai@city.osaka.lg.jp", name="大阪 河西", org="271004")


@pytest.fixture
def live(app_factory):
    with live_site(app_factory, _populate) as (app, base_url):
        yield app, base_url


def _log_in(page, base_url, email, password):
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_selector(".flash-success")


def _log_out(page):
    page.click("text=ログアウト")
    page.wait_for_selector("text=ログアウトしました")


def test_register_verify_ask_answer_accept(live):
    app, base_url = live
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    with chromium() as browser:
        page, problems = watched_page(browser)

        page.goto(f"{base_url}/register")
        page.fill("#email", "hanako.yamada@city.yokohama.lg.jp")
        page.fill("#display_name", "山田 花子")
        page.fill("#organization", "よこはま")
        page.wait_for_selector("#organization-options option", state="attached")
        page.fill("#organization", "神奈川県横浜市 (141003)")
        page.fill("#department", "財政局 債権回収課")
        page.fill("#password", PASSWORD)
        page.fill("#password_confirm", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_selector("text=確認メールを送信しました")

        page.goto(latest_link(outbox, base_url))
        page.wait_for_selector("text=メールアドレスを確認しました")

        page.click("text=質問する")
        page.fill("#title", "時効の援用があった滞納債権の不納欠損処理はいつ行う？")
        page.fill("#body", "異動してきたばかりです。\n**援用の通知**を受けた後の処理を教えてください。")
        page.wait_for_selector(".md-preview-body strong")  # live preview, rendered by the server
        page.fill("#tags", "債権回収、不納欠損")
        page.click("form.stack button[type=submit]")
        page.wait_for_selector("h1:has-text('時効の援用があった')")
        question_url = page.url
        _log_out(page)

        _log_in(page, base_url, "kasai@city.osaka.lg.jp", PASSWORD)
        page.goto(question_url)
        page.fill("#body", "援用の意思表示が到達した時点で債権は消滅するので、その年度で不納欠損処理をします。")
        page.click("#your-answer button[type=submit]")
        page.wait_for_selector("article.answer")
        _log_out(page)

        _log_in(page, base_url, "hanako.yamada@city.yokohama.lg.jp", PASSWORD)
        page.goto(question_url)
        page.click("text=この回答を採用")
        accepted = page.wait_for_selector("article.answer.accepted")
        assert accepted.get_attribute("id").startswith("answer-")
        assert page.is_visible("article.answer.accepted .accepted-mark")

        page.goto(f"{base_url}/tags/債権回収")
        assert page.is_visible("text=時効の援用があった滞納債権の不納欠損処理はいつ行う？")
        page.goto(f"{base_url}/questions")
        assert page.locator(".question-summary .stat.accepted").count() == 1
        assert problems == []
