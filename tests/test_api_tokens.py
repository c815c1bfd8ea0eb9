"""Token management in settings, and `flask users token`."""

import re

import sqlalchemy as sa
from click.testing import CliRunner

from app.extensions import db
from app.models import ApiToken
from app.services import tokens
from tests.factories import login


def test_create_list_and_revoke_a_token_in_settings(client, alice):
    login(client, alice)
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert "API トークン" in page and 'name="csrf_token"' in page
    response = client.post("/settings/tokens", data={"name": "庁内チャットボット🤖", "scope": "read"})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    secret = re.search(r'value="(znn_[^"]+)"', page).group(1)
    assert "今だけ表示されます" in page and "庁内チャットボット🤖" in page
    assert client.get("/api/v1/questions", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    # Shown once: the list afterwards has only the prefix.
    again = client.get("/settings/tokens").get_data(as_text=True)
    assert secret not in again and secret[:12] in again and "読み取りのみ" in again
    token = db.session.scalar(sa.select(ApiToken))
    assert client.post(f"/settings/tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/v1/questions", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "庁内チャットボット🤖" not in client.get("/settings/tokens").get_data(as_text=True)


def test_token_names_are_checked(client, alice):
    login(client, alice)
    response = client.post("/settings/tokens", data={"name": "", "scope": "write"})
    assert response.status_code == 422 and "名前を入力" in response.get_data(as_text=True)
    response = client.post("/settings/tokens", data={"name": "正しい名前", "scope": "admin"})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_someone_elses_token_cannot_be_revoked(client, alice, bob):
    created = tokens.create_token(bob, "ボブの", "write")
    login(client, alice)
    assert client.post(f"/settings/tokens/{created.token.id}/revoke").status_code == 404
    db.session.refresh(created.token)
    assert created.token.revoked_at is None


def test_token_pages_need_login_and_settings_link_to_them(client, alice):
    assert client.get("/settings/tokens").status_code == 302
    login(client, alice)
    assert "/settings/tokens" in client.get("/settings").get_data(as_text=True)


def test_the_cli_prints_a_read_write_token(app, alice):
    result = CliRunner().invoke(app.cli, ["users", "token", "ALICE@city.yokohama.lg.jp"], catch_exceptions=False)
    assert result.exit_code == 0
    secret = result.output.strip()
    token = tokens.authenticate(secret)
    assert token is not None and token.scope == "write" and token.user_id == alice.id
    result = CliRunner().invoke(app.cli, ["users", "token", "nobody@city.yokohama.lg.jp"])
    assert result.exit_code != 0
