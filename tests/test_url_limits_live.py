"""Over-long URLs through the real server (gunicorn.conf.py): the app answers, not gunicorn,
so the API's 414 is JSON like its other errors."""

import json
import urllib.error
import urllib.request

import pytest

from app.services import tokens
from tests import live_server

pytestmark = pytest.mark.slow


@pytest.fixture
def server(app, tmp_path):
    """The repository's gunicorn.conf.py (its request-line limit is what is tested), one worker."""
    with live_server.gunicorn(app, tmp_path, "-c", "gunicorn.conf.py", env={"WEB_CONCURRENCY": "1"}) as base:
        yield base


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
