"""Personal feed URLs (app/services/feeds.py): a feed reader, which cannot log in, reads with the
member's secret token; revoked, tampered and other people's tokens read nothing. Creating and
revoking feed URLs and API tokens leave audit rows without secrets."""

import json
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask_login import user_loaded_from_request

from app.extensions import db
from app.models import AuditLog, utcnow
from app.services import feeds, tokens
from tests.factories import login, make_question

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def debt_questions(alice):
    make_question(alice, title="債権回収の時効の援用について（ｶﾅ）", tags="債権回収")
    make_question(alice, title="固定資産税の縦覧について", tags="固定資産税")


def _token(user) -> str:
    feeds.create_feed_key(user)
    return feeds.feed_token(user)


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    return [entry.find(f"{ATOM}title").text for entry in ET.fromstring(response.data).findall(f"{ATOM}entry")]


def _refused(response) -> bool:
    text = response.get_data(as_text=True)
    return response.status_code == 403 and "このフィードURLは無効です" in text and "債権回収の時効" not in text


def _audit(action: str) -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_a_feed_reader_reads_with_the_personal_token_and_no_session(client, alice, debt_questions):
    token = _token(alice)
    response = client.get("/feeds/questions", query_string={"token": token})
    assert _titles(response) == ["固定資産税の縦覧について", "債権回収の時効の援用について（ｶﾅ）"]
    assert "Set-Cookie" not in response.headers  # the token signs in for this request only
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    self_link = ET.fromstring(response.data).find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link.endswith(f"/feeds/questions?token={token}")  # readers that follow it stay subscribed
    assert client.get("/questions").status_code == 302  # and the token opens nothing else


def test_a_japanese_tag_and_a_search_with_the_token(client, alice, debt_questions):
    token = _token(alice)
    assert _titles(client.get(f"/feeds/tags/債権回収?token={token}")) == ["債権回収の時効の援用について（ｶﾅ）"]
    assert _titles(client.get(f"/feeds/tags/{quote('債権回収')}?token={token}")) == ["債権回収の時効の援用について（ｶﾅ）"]
    assert _titles(client.get("/feeds/search", query_string={"q": "縦覧", "token": token})) == ["固定資産税の縦覧について"]


def test_the_feed_is_served_as_the_tokens_member(client, alice, bob):
    token = _token(bob)
    seen = []

    def loaded(_app, user):
        seen.append(user.id)

    with user_loaded_from_request.connected_to(loaded):
        assert client.get("/feeds/questions", query_string={"token": token}).status_code == 200
    assert seen == [bob.id]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "1.",
        ".AAAA",
        "abc.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "１.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "99999999999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "1." + "A" * 500,
        "1.債権回収😀",
    ],
)
def test_malformed_tokens_are_refused(client, alice, debt_questions, token):
    _token(alice)
    response = client.get("/feeds/questions", query_string={"token": token})
    assert _refused(response) or (token == "" and response.status_code == 401)


def test_a_tampered_or_borrowed_token_is_refused(client, alice, bob, debt_questions):
    alice_token, bob_token = _token(alice), _token(bob)
    alice_id, alice_signature = alice_token.split(".")
    bob_id, bob_signature = bob_token.split(".")
    assert _refused(client.get("/feeds/questions", query_string={"token": f"{alice_id}.{bob_signature}"}))
    assert _refused(client.get("/feeds/questions", query_string={"token": f"{bob_id}.{alice_signature}"}))
    flipped = alice_signature[:-1] + ("A" if alice_signature[-1] != "A" else "B")
    assert _refused(client.get("/feeds/tags/債権回収", query_string={"token": f"{alice_id}.{flipped}"}))
    assert _refused(client.get("/feeds/questions", query_string={"token": alice_token.upper()}))


def test_revoking_ends_every_url_and_a_new_one_differs(client, alice, debt_questions):
    old = _token(alice)
    feeds.revoke_feed_key(alice)
    assert alice.feed_key is None and feeds.feed_token(alice) is None
    for path in ["/feeds/questions", "/feeds/tags/債権回収", "/feeds/search?q=債権"]:
        assert _refused(client.get(path + ("&" if "?" in path else "?") + f"token={old}")), path
    new = _token(alice)
    assert new != old and _refused(client.get("/feeds/questions", query_string={"token": old}))
    assert client.get("/feeds/questions", query_string={"token": new}).status_code == 200


def test_a_disabled_or_unverified_members_token_reads_nothing(client, alice, bob, debt_questions):
    alice_token, bob_token = _token(alice), _token(bob)
    alice.disabled_at = utcnow()
    bob.email_verified_at = None
    db.session.commit()
    assert _refused(client.get("/feeds/questions", query_string={"token": alice_token}))
    assert _refused(client.get("/feeds/questions", query_string={"token": bob_token}))


def test_the_secret_key_is_part_of_the_token(app, alice):
    token = _token(alice)
    assert feeds.derive_token(alice.id, alice.feed_key, app.config["SECRET_KEY"]) == token
    assert feeds.derive_token(alice.id, alice.feed_key, "another-site-key") != token
    assert len(token.split(".")[1]) == feeds.SIGNATURE_LENGTH


@pytest.mark.public_read
def test_with_public_reading_tokenless_feeds_work_but_revoked_urls_still_fail(client, alice, debt_questions):
    assert len(_titles(client.get("/feeds/questions"))) == 2
    old = _token(alice)
    feeds.revoke_feed_key(alice)
    assert _refused(client.get("/feeds/questions", query_string={"token": old}))


def test_the_settings_page_creates_shows_and_revokes_the_feed_url(client, alice, debt_questions):
    login(client, alice)
    page = client.get("/settings").get_data(as_text=True)
    assert "フィード（RSS/Atom）" in page and "フィードURLを作成する" in page and "token=" not in page

    response = client.post("/settings/feeds")
    assert response.status_code == 302 and response.headers["Location"] == "/settings#feeds"
    token = feeds.feed_token(alice)
    page = client.get("/settings").get_data(as_text=True)
    assert f'value="http://127.0.0.1:5000/feeds/questions?token={token}"' in page and "URLを無効にする" in page
    client.post("/settings/feeds")  # a second click keeps the same URL
    assert feeds.feed_token(alice) == token

    assert 'name="action" value="revoke"' in page
    client.post("/settings/feeds", data={"action": "revoke"})
    assert alice.feed_key is None and "token=" not in client.get("/settings").get_data(as_text=True)
    client.post("/logout")
    assert _refused(client.get("/feeds/questions", query_string={"token": token}))

    [created] = _audit("feed_token_create")
    [revoked] = _audit("feed_token_revoke")
    for row in (created, revoked):
        assert (row.actor_id, row.target_type, row.target_id) == (alice.id, "user", alice.id)
        assert token not in row.detail and token.split(".")[1] not in row.detail


def test_feed_url_forms_need_a_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        from tests.factories import PASSWORD, make_user

        member = make_user()
        page = client.get("/login").get_data(as_text=True)
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"email": member.email, "password": PASSWORD, "csrf_token": csrf})
        assert client.post("/settings/feeds").status_code == 400
        assert db.session.get(type(member), member.id).feed_key is None


def test_pages_offer_the_settings_section_until_the_member_has_a_feed_url(client, alice, debt_questions):
    login(client, alice)
    page = client.get("/tags/債権回収").get_data(as_text=True)
    assert 'type="application/atom+xml"' not in page and 'href="/settings#feeds"' in page
    feeds.create_feed_key(alice)
    page = client.get("/tags/債権回収").get_data(as_text=True)
    assert f"token={feeds.feed_token(alice)}" in page and 'href="/settings#feeds"' not in page


def test_api_token_creation_and_revocation_are_audited_without_the_secret(alice):
    created = tokens.create_token(alice, "庁内チャットボット", "read")
    tokens.revoke_token(alice, created.token.id)
    tokens.revoke_token(alice, created.token.id)  # already revoked: no second row
    [create] = _audit("api_token_create")
    [revoke] = _audit("api_token_revoke")
    for row in (create, revoke):
        assert (row.actor_id, row.target_type, row.target_id) == (alice.id, "api_token", created.token.id)
        assert json.loads(row.detail) == {"scope": "read"}
        assert created.secret not in row.detail and created.token.prefix not in row.detail
