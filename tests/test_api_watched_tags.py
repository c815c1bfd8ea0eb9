"""Watched and ignored tags over the JSON API (issue 15 contract):
PUT/DELETE /api/v1/users/me/watched-tags/<name> (204), GET /api/v1/users/me/watched-tags,
and the same for ignored-tags."""

from urllib.parse import quote

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Tag
from app.services import tag_admin, tags, tokens, watching
from tests.api_client import assert_error, bearer
from tests.factories import make_question

WATCHED = "/api/v1/users/me/watched-tags"
IGNORED = "/api/v1/users/me/ignored-tags"


@pytest.fixture
def seeded(alice):
    make_question(alice, title="ワクチン接種の予約枠 💉", tags="ワクチン")
    make_question(alice, title="住民税の特別徴収の切替", tags="住民税 DX")


def put(client, path, secret):
    return client.put(path, headers=bearer(secret))


def delete(client, path, secret):
    return client.delete(path, headers=bearer(secret))


def items(client, path, secret) -> list[dict]:
    response = client.get(path, headers=bearer(secret))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert set(response.get_json()) == {"items"}
    return response.get_json()["items"]


def test_watch_list_and_unwatch_japanese_tags(client, alice, alice_token, seeded):
    assert items(client, WATCHED, alice_token) == []
    for name in ("ワクチン", "dx", "住民税"):
        response = put(client, f"{WATCHED}/{quote(name)}", alice_token)
        assert response.status_code == 204 and response.get_data() == b""
    assert put(client, f"{WATCHED}/{quote('住民税')}", alice_token).status_code == 204  # again: still 204
    assert items(client, WATCHED, alice_token) == [
        {"name": "dx", "display_name": "DX", "kind": "watch"},
        {"name": "ワクチン", "display_name": "ワクチン", "kind": "watch"},
        {"name": "住民税", "display_name": "住民税", "kind": "watch"},
    ]
    assert delete(client, f"{WATCHED}/{quote('住民税')}", alice_token).status_code == 204
    assert delete(client, f"{WATCHED}/{quote('住民税')}", alice_token).status_code == 204  # not watched: still 204
    assert [item["name"] for item in items(client, WATCHED, alice_token)] == ["dx", "ワクチン"]


def test_names_resolve_like_everywhere_else_and_unknown_ones_are_404(client, alice, alice_token, moderator, carol, seeded):
    tag_admin.propose_synonym(moderator, tags.get_tag("住民税"), "市民税")  # a moderator's: approved at once
    tag_admin.propose_synonym(carol, tags.get_tag("ワクチン"), "予防接種")  # a member's: waits
    assert put(client, f"{WATCHED}/{quote('ﾜｸﾁﾝ')}", alice_token).status_code == 204  # half-width kana
    assert put(client, f"{WATCHED}/{quote('ＤＸ')}", alice_token).status_code == 204  # full-width letters
    assert put(client, f"{WATCHED}/{quote('市民税')}", alice_token).status_code == 204
    assert [item["name"] for item in items(client, WATCHED, alice_token)] == ["dx", "ワクチン", "住民税"]

    before = db.session.scalar(sa.select(sa.func.count()).select_from(Tag))
    for name in ("予防接種", "まだないタグ", "x" * 150):
        assert_error(put(client, f"{WATCHED}/{quote(name)}", alice_token), 404, "not_found")
        assert_error(delete(client, f"{IGNORED}/{quote(name)}", alice_token), 404, "not_found")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Tag)) == before  # watching creates no tag


def test_ignoring_replaces_watching_and_each_delete_clears_only_its_own(client, alice, alice_token, seeded):
    put(client, f"{WATCHED}/{quote('ワクチン')}", alice_token)
    assert put(client, f"{IGNORED}/{quote('ワクチン')}", alice_token).status_code == 204
    assert items(client, WATCHED, alice_token) == []
    assert items(client, IGNORED, alice_token) == [{"name": "ワクチン", "display_name": "ワクチン", "kind": "ignore"}]

    assert delete(client, f"{WATCHED}/{quote('ワクチン')}", alice_token).status_code == 204
    assert watching.state_of(alice, tags.get_tag("ワクチン")) == "ignore"  # still ignored
    assert delete(client, f"{IGNORED}/{quote('ワクチン')}", alice_token).status_code == 204
    assert watching.state_of(alice, tags.get_tag("ワクチン")) is None


def test_each_member_has_their_own_list(client, alice_token, bob_token, seeded):
    put(client, f"{WATCHED}/{quote('ワクチン')}", alice_token)
    assert items(client, WATCHED, bob_token) == []


def test_a_token_is_needed_and_a_read_only_token_cannot_change_the_lists(client, alice, seeded):
    read_only = tokens.create_token(alice, "読み取り専用", "read").secret
    name = quote("ワクチン")
    for method, path in [("get", WATCHED), ("put", f"{WATCHED}/{name}"), ("delete", f"{WATCHED}/{name}"), ("get", IGNORED)]:
        assert_error(getattr(client, method)(path), 401)
    assert items(client, WATCHED, read_only) == []
    assert_error(put(client, f"{WATCHED}/{name}", read_only), 403, "insufficient_scope")
    assert_error(delete(client, f"{IGNORED}/{name}", read_only), 403, "insufficient_scope")
    assert watching.tags_of(alice, "watch") == []
