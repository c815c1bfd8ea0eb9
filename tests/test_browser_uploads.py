"""In Chromium: the editor's character counter and its image button (upload, Markdown at the
cursor, the image shown in the preview under our CSP; a refused file explained in Japanese)."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser import chromium, live_site, watched_page
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def _populate() -> None:
    make_user(email="tanaka@city.kobe.lg.jp", name="神戸 田中", org="281000")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (20, 160, 90)).save(out, "PNG")
    return out.getvalue()


def test_counter_and_upload_button(app_factory):
    with live_site(app_factory, _populate) as (_app, base_url), chromium() as browser:
        page, problems = watched_page(browser)
        page.goto(f"{base_url}/login")
        page.fill("#email", "tanaka@city.kobe.lg.jp")
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_selector(".flash-success")

        page.goto(f"{base_url}/questions/ask")
        assert page.get_attribute("#body", "maxlength") == "30000"
        assert page.inner_text(".md-count") == "0 / 30,000文字"
        page.fill("#body", "窓口の案内図を添付します😀")
        assert page.inner_text(".md-count") == "13 / 30,000文字"  # the emoji counts once, as on the server

        with page.expect_file_chooser() as chooser:
            page.click(".md-upload-button")
        chooser.value.set_files({"name": "案内図.png", "mimeType": "image/png", "buffer": _png()})
        expect(page.locator("#body")).to_have_value(re.compile(r"添付します😀\n!\[\]\(/uploads/\d+\)\n$"))
        image = page.locator(".md-preview-body img")
        expect(image).to_have_count(1)
        expect(image).to_have_js_property("naturalWidth", 120)  # loaded from us, allowed by the CSP

        with page.expect_file_chooser() as chooser:
            page.click(".md-upload-button")
        chooser.value.set_files({"name": "偽物.png", "mimeType": "image/png", "buffer": "画像ではありません".encode()})
        page.wait_for_selector(".md-upload-status:has-text('PNG・JPEG・GIF・WebP の画像ファイルを選んでください。')")
        assert page.input_value("#body").count("/uploads/") == 1
        assert not [p for p in problems if "422" not in p], problems  # the refused upload's 422 is the only console line
