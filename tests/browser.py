"""A live server and Debian's Chromium, for the few tests that need a real browser."""

import socket
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(app):
    server = make_server("127.0.0.1", int(app.config["PUBLIC_BASE_URL"].rsplit(":", 1)[1]), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app.config["PUBLIC_BASE_URL"]
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def live_site(app_factory, populate: Callable[[], object]):
    """An app as a browser meets it (CSRF on, links to its own port), filled by `populate()`
    inside its app context, served on a free port: yields (app, base_url)."""
    from app.extensions import db

    port = free_port()
    app = app_factory(WTF_CSRF_ENABLED=True, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    with app.app_context():
        populate()
        db.session.remove()
    with live_server(app) as base_url:
        yield app, base_url


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def watched_page(browser) -> tuple[object, list[str]]:
    """A Japanese-locale page and the list of what went wrong on it: any dialog (dismissed; an
    alert would mean user text ran as script) and any console error."""
    page = browser.new_page(locale="ja-JP")
    problems: list[str] = []
    page.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    return page, problems


def log_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for its welcome."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_selector(".flash-success")


def latest_link(outbox: Path, base_url: str) -> str:
    import email
    import email.policy
    import re

    newest = sorted(outbox.glob("*.eml"))[-1]
    message = email.message_from_bytes(newest.read_bytes(), policy=email.policy.default)
    return re.search(re.escape(base_url) + r"/\S+", message.get_content()).group(0)
