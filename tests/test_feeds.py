"""Atom feeds: valid XML in the Atom namespace, escaped text, absolute URLs, linked from the pages.

Members-only (the default), a feed is read as a feed reader reads it: no session, the member's
personal token in the URL (tokens themselves: test_feed_tokens.py)."""

import xml.etree.ElementTree as ET

import pytest

from app.services import feeds
from tests.factories import login, make_question

ATOM = "{http://www.w3.org/2005/Atom}"


def _parse(response) -> ET.Element:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.data)


@pytest.fixture
def token(alice) -> str:
    """alice's personal feed token."""
    feeds.create_feed_key(alice)
    return feeds.feed_token(alice)


def test_newest_questions_feed(client, alice, token):
    older = make_question(alice, title="最初の質問：住民税について")
    newer = make_question(alice, title="<script>alert('x')</script> & 「特別徴収」😀", body="本文に **強調** と <b>タグ</b> があります。", tags="住民税 ｴｸｾﾙ")
    feed = _parse(client.get("/feeds/questions", query_string={"token": token}))
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}title").text == "Zennin の新着質問"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [newer.title, older.title]
    first = entries[0]
    assert first.find(f"{ATOM}link").get("href").startswith("http://127.0.0.1:5000/questions/")
    assert first.find(f"{ATOM}id").text == f"http://127.0.0.1:5000/questions/{newer.id}"
    assert first.find(f"{ATOM}author/{ATOM}name").text == alice.display_name
    assert {c.get("term") for c in first.findall(f"{ATOM}category")} == {"住民税", "エクセル"}
    content = first.find(f"{ATOM}content")
    assert content.get("type") == "html" and "<strong>強調</strong>" in content.text
    assert "<script>" not in client.get("/feeds/questions", query_string={"token": token}).get_data(as_text=True)
    for element in ("updated", "id", "title"):
        assert feed.find(f"{ATOM}{element}").text


def test_tag_feed_and_search_feed(client, alice, token):
    make_question(alice, title="債権回収の時効の援用について", tags="債権回収")
    make_question(alice, title="固定資産税の縦覧について", tags="固定資産税")
    feed = _parse(client.get("/feeds/tags/債権回収", query_string={"token": token}))
    assert [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")] == ["債権回収の時効の援用について"]
    feed = _parse(client.get("/feeds/search", query_string={"q": "縦覧", "token": token}))
    assert [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")] == ["固定資産税の縦覧について"]
    assert "縦覧" in feed.find(f"{ATOM}title").text


@pytest.mark.parametrize("path, query, status", [("/feeds/tags/存在しないタグ", {}, 404), ("/feeds/search", {}, 400), ("/feeds/search", {"q": " "}, 400)])
def test_feed_errors(client, token, path, query, status):
    assert client.get(path, query_string={**query, "token": token}).status_code == status


@pytest.mark.parametrize("path, feed_path", [("/questions", "/feeds/questions"), ("/tags/住民税", "/feeds/tags/住民税"), ("/search?q=住民税", "/feeds/search?q=住民税")])
def test_pages_link_their_feed(client, alice, token, path, feed_path):
    """With the member's personal URL (without a feed key: test_feed_tokens.py)."""
    from urllib.parse import unquote

    make_question(alice)
    login(client, alice)
    page = unquote(client.get(path).get_data(as_text=True))
    assert 'rel="alternate" type="application/atom+xml"' in page
    separator = "&amp;" if "?" in feed_path else "?"
    assert f'href="http://127.0.0.1:5000{feed_path}{separator}token={token}"' in page
    assert "フィードで購読" in page
