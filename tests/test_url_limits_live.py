"""Over-long URLs through the real server (gunicorn.conf.py): the app answers, not gunicorn,
so the API's 414 is JSON like its other errors."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app.services import tokens
from tests.browser import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def server(app, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
        "MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
        "ZENNIN_INSTANCE_DIR": str(tmp_path / "live-instance"),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "tests.live_app:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError((tmp_path / "gunicorn.log").read_text())
    yield base
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    log.close()


def fetch(url: str, headers: dict | None = None) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=60) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def test_a_100_kb_query_string_gets_the_apps_answer(app, alice, server):
    secret = tokens.create_token(alice, "検索", "read").secret
    query = "%E4%BD%8F" * 12000  # 住 × 12,000: 108 KB on the request line
    status, content_type, body = fetch(f"{server}/api/v1/search?q={query}", {"Authorization": f"Bearer {secret}"})
    assert (status, content_type) == (414, "application/json")
    assert json.loads(body)["error"]["code"] == "uri_too_long"
    status, content_type, body = fetch(f"{server}/search?q={query}")
    assert (status, content_type) == (414, "text/html")
    assert "URLが長すぎます".encode() in body
    status, content_type, _body = fetch(f"{server}/api/v1/search?q=" + "%E4%BD%8F" * 100, {"Authorization": f"Bearer {secret}"})
    assert (status, content_type) == (200, "application/json")
