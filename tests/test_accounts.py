"""Registration for public servants only, verification by e-mail, login, logout, reset."""

import email
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import CareerEntry, User
from app.services import accounts
from app.services.errors import ValidationFailed
from tests.factories import PASSWORD, login, make_user


def _register(client, email_address="taro@city.yokohama.lg.jp", **extra):
    data = {
        "email": email_address,
        "display_name": "横浜 太郎",
        "organization": "横浜市 (141003)",
        "department": "財政局　債権回収課",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        **extra,
    }
    return client.post("/register", data=data)


def _messages(outbox: Path) -> list[email.message.EmailMessage]:
    if not outbox.exists():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(outbox.glob("*.eml"))]


def _normalized(response, local_part: str) -> str:
    """The page without what differs on every response anyway (nonce, CSRF token)."""
    text = response.get_data(as_text=True).replace(local_part, "@")
    return re.sub(r'(nonce|content|value)="[A-Za-z0-9_\-.]{20,}"', r'\1=""', text)


def _link(message) -> str:
    return re.search(r"http://\S+", message.get_content()).group(0).replace("http://127.0.0.1:5000", "")


@pytest.mark.parametrize(
    "address",
    ["x@city.yokohama.lg.jp", "x@pref.kanagawa.lg.jp", "X@MHLW.GO.JP", "x@lg.jp", "x@go.jp"],
)
def test_public_servant_addresses_are_allowed(app, address):
    assert accounts.check_public_servant_email(address) == address.lower()


@pytest.mark.parametrize(
    "address",
    [
        "x@evil-lg.jp",
        "x@lg.jp.example.com",
        "x@example.com",
        '"x@city.yokohama.lg.jp"@evil.com',
        "taro%city.yokohama.lg.jp@evil.com",
        "x@city.yokohama.lg.jp.",
        "x@xlg.jp",
        "not-an-address",
    ],
)
def test_other_addresses_are_refused(app, address):
    with pytest.raises(ValidationFailed) as failure:
        accounts.check_public_servant_email(address)
    assert "email" in failure.value.errors


def test_allowed_domains_come_from_configuration(app_factory):
    app = app_factory(ALLOWED_EMAIL_DOMAINS=("city.yokohama.lg.jp",))
    with app.app_context():
        assert accounts.check_public_servant_email("a@city.yokohama.lg.jp")
        with pytest.raises(ValidationFailed):
            accounts.check_public_servant_email("a@pref.kanagawa.lg.jp")


def test_register_verify_and_login(client, outbox):
    response = _register(client)
    assert response.status_code == 200
    assert "確認メールを送信しました" in response.get_data(as_text=True)

    user = db.session.scalar(sa.select(User).where(User.email == "taro@city.yokohama.lg.jp"))
    assert user is not None and not user.is_verified
    # Not verified yet: login is refused with a hint, not a session.
    assert login(client, user).headers["Location"].endswith("/verify/resend")

    [message] = _messages(outbox)
    assert message["Subject"] == "【Zennin】メールアドレスの確認"
    response = client.get(_link(message))
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.is_verified
    # The post given at registration is the first career entry, department typed as is.
    entry = db.session.scalar(sa.select(CareerEntry).where(CareerEntry.user_id == user.id))
    assert (entry.organization_code, entry.department, entry.end_on) == ("141003", "財政局 債権回収課", None)
    assert entry.department_key == "財政局債権回収課"

    # The link is single use.
    client.post("/logout")
    again = client.get(_link(message), follow_redirects=True)
    assert "すでに使用済み" in again.get_data(as_text=True)


def test_registration_errors_are_shown_in_japanese_and_nothing_is_saved(client):
    response = _register(client, "someone@gmail.com", password_confirm="違うパスワード")
    text = response.get_data(as_text=True)
    assert "公務員のメールアドレス" in text
    assert "パスワードが一致しません" in text
    assert 'value="横浜 太郎"' in text  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_registering_an_existing_address_looks_the_same_and_mails_the_owner(client, outbox):
    make_user(email="taken@city.yokohama.lg.jp")
    fresh = _register(client, "new@city.yokohama.lg.jp")
    taken = _register(client, "taken@city.yokohama.lg.jp")
    assert fresh.status_code == taken.status_code == 200
    assert _normalized(fresh, "new@") == _normalized(taken, "taken@")
    subjects = [m["Subject"] for m in _messages(outbox)]
    assert sorted(subjects) == ["【Zennin】アカウントは登録済みです", "【Zennin】メールアドレスの確認"]


def test_login_failure_does_not_tell_which_part_was_wrong(client, alice):
    unknown = client.post("/login", data={"email": "nobody@city.yokohama.lg.jp", "password": "x" * 12})
    wrong = client.post("/login", data={"email": alice.email, "password": "x" * 12})
    message = "メールアドレスまたはパスワードが正しくありません。"
    assert message in unknown.get_data(as_text=True) and message in wrong.get_data(as_text=True)


def test_logout_ends_the_session_even_for_a_copied_cookie(app, client, alice):
    login(client, alice)
    stolen = client.get_cookie("session").value
    assert client.get("/settings").status_code == 200
    client.post("/logout")
    other = app.test_client()
    other.set_cookie("session", stolen)
    response = other.get("/settings")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_remember_me_cookie_is_revoked_by_logout(app, client, alice):
    client.post("/login", data={"email": alice.email, "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token").value
    client.post("/logout")
    other = app.test_client()
    other.set_cookie("remember_token", remember)
    assert other.get("/settings").status_code == 302


def test_password_reset_is_single_use_and_silent_for_unknown_addresses(client, outbox, alice):
    unknown = client.post("/password/forgot", data={"email": "nobody@city.yokohama.lg.jp"})
    known = client.post("/password/forgot", data={"email": alice.email})
    assert unknown.status_code == known.status_code == 200
    [message] = _messages(outbox)
    assert message["To"] == alice.email
    link = _link(message)
    response = client.post(link, data={"password": "new-password-123", "password_confirm": "new-password-123"})
    assert response.status_code == 302
    client.post("/logout")
    assert client.get(link).status_code == 302  # used: back to the request form
    assert login(client, alice, "new-password-123").status_code == 302


def test_login_is_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_FAILURE_LIMITS={"account_ip": (3, 60), "account": (10, 60), "ip": (100, 60)})
    client = app.test_client()
    codes = [
        client.post("/login", data={"email": "x@city.yokohama.lg.jp", "password": "wrong-password"}).status_code
        for _ in range(5)
    ]
    assert codes[:4] == [200, 200, 200, 200]  # the 4th failure starts the lock
    assert codes[4:] == [429]
    assert "後にもう一度お試しください" in client.post("/login", data={"email": "x@city.yokohama.lg.jp", "password": "p"}).get_data(as_text=True)


def test_next_only_redirects_to_local_paths(client, alice):
    for target, expected in [("/tags", "/tags"), ("https://evil.example/", "/"), ("//evil.example", "/"), ("https:/evil.example", "/"), ("/\\evil.example", "/")]:
        client.post("/logout")
        response = client.post("/login", data={"email": alice.email, "password": PASSWORD, "next": target})
        assert response.headers["Location"] == expected, target


def test_password_change_logs_out_other_devices(app, client, alice):
    login(client, alice)
    other = app.test_client()
    login(other, alice)
    response = client.post(
        "/settings/password",
        data={"current_password": PASSWORD, "password": "another-password-1", "password_confirm": "another-password-1"},
    )
    assert response.status_code == 302
    assert client.get("/settings").status_code == 200
    assert other.get("/settings").status_code == 302


def test_cli_creates_a_verified_user(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "Admin@Soumu.GO.JP", "--name", "管理者", "--password", "admin-password-1", "--org", "141003", "--role", "admin"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "admin@soumu.go.jp"))
    assert user.is_verified and user.is_admin and user.organization_code == "141003"


def test_security_events_are_logged_as_single_escaped_lines(client, alice, caplog):
    client.post("/login", data={"email": "x@lg.jp\r\nevent=login_success user=1", "password": "wrong-password"})
    client.post("/login", data={"email": alice.email, "password": PASSWORD})
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("security ")]
    failure, success = lines
    assert failure.startswith("security event=login_failure ") and "\n" not in failure and "\\r\\n" in failure
    assert success.startswith("security event=login_success ") and f"user={alice.id}" in success
    assert PASSWORD not in " ".join(lines)
