"""Login limits protect accounts, never punish a city hall behind one address (issue 19, AUTH-01/03),
429 pages say how long to wait (ERR-03), and every redirect goes through one check (REDIR-01..03)."""

import json
import re

import pytest
import sqlalchemy as sa

from app.extensions import db, limiter
from app.models import AuditLog
from app.security import safe_redirect_target
from tests.factories import PASSWORD, make_user

CITY_HALL = "203.0.113.10"  # one LGWAN proxy address for every member of a municipality


def _members(app, count: int) -> list[str]:
    with app.app_context():
        emails = [make_user(email=f"shokuin{n}@city.kawasaki.lg.jp").email for n in range(count)]
        db.session.remove()
    return emails


def _login(app, email: str, password: str = PASSWORD, address: str = CITY_HALL, **headers):
    return app.test_client().post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}, headers=headers
    )


def _text(response) -> str:
    return response.get_data(as_text=True)


def _lockout_rows(app) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "login_lockout").order_by(AuditLog.id))
        found = [{"target_id": row.target_id, **json.loads(row.detail)} for row in rows]
        db.session.remove()
    return found


def test_seventy_members_log_in_from_one_address_and_all_succeed(app_factory):
    """The city-hall morning: successful logins never count, whatever the address."""
    app = app_factory(RATELIMIT_ENABLED=True)
    codes = [_login(app, email).status_code for email in _members(app, 70)]
    assert codes == [302] * 70


def test_honest_typos_of_a_whole_city_hall_lock_nobody(app_factory):
    """Sixty colleagues each mistype once, then log in: the address ceiling is far away."""
    app = app_factory(RATELIMIT_ENABLED=True)
    members = _members(app, 60)
    assert {_login(app, email, "ちがうパスワード").status_code for email in members} == {200}
    assert [_login(app, email).status_code for email in members] == [302] * 60


def test_guessing_one_account_from_twenty_addresses_locks_it_and_no_other(app_factory):
    """The contract: 20 wrong passwords for one account from 20 addresses."""
    app = app_factory(RATELIMIT_ENABLED=True)
    victim, colleague = _members(app, 2)
    responses = [_login(app, victim, f"guess-{n}", address=f"198.51.100.{n}") for n in range(20)]
    assert [r.status_code for r in responses] == [200] * 11 + [429] * 9
    assert "一時的に止めています" not in _text(responses[9])
    # The 11th failure starts the lock and says so; later attempts are refused with the wait.
    assert "1分後にもう一度お試しください" in _text(responses[10])
    assert "1分後にもう一度お試しください" in _text(responses[11])
    assert 55 <= int(responses[11].headers["Retry-After"]) <= 60
    # While locked even the right password is not checked: guessing gains nothing.
    assert _login(app, victim, address="198.51.100.99").status_code == 429
    # The others are untouched, from the same addresses too.
    assert _login(app, colleague, address="198.51.100.3").status_code == 302
    assert _login(app, colleague, address=CITY_HALL).status_code == 302
    rows = _lockout_rows(app)
    assert [(row["by"], row["limit"]) for row in rows] == [("account", "10 failures per 86400 s")]
    assert rows[0]["target_id"] is not None


def test_one_address_guessing_one_account_is_stopped_sooner(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True)
    [victim] = _members(app, 1)
    codes = [_login(app, victim.upper(), "guess").status_code for _ in range(7)]
    assert codes == [200] * 6 + [429]  # 5 allowed per account and address; Victim@… is the same account
    assert [row["by"] for row in _lockout_rows(app)] == ["account_ip"]


def test_back_off_doubles_and_the_message_says_how_long(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_FAILURE_LIMITS={"account_ip": (2, 900), "account": (50, 900), "ip": (50, 900)})
    [member] = _members(app, 1)
    waits = []
    for _ in range(3):
        for _attempt in range(3):
            response = _login(app, member, "まちがい")
        waits.append(re.search(r"(\d+)分後にもう一度", _text(response)).group(1))
        with app.app_context():  # the lock ran out (the failures in the window stay counted)
            limiter.storage.clear(f"login-lock:account_ip:{member}|{CITY_HALL}")
            db.session.remove()
    assert waits == ["1", "2", "4"]
    # Only the first lock of the window is audited.
    assert len(_lockout_rows(app)) == 1


def test_english_speakers_read_the_wait_in_english(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_FAILURE_LIMITS={"account_ip": (1, 900), "account": (50, 900), "ip": (50, 900)})
    [member] = _members(app, 1)
    client = app.test_client()
    client.set_cookie("zennin_lang", "en")
    for _ in range(2):
        response = client.post("/login", data={"email": member, "password": "wrong"})
    assert "1 minute" in _text(response)


def test_a_lock_ends_by_itself(app_factory):
    """A soft lock: an attacker cannot shut a colleague out for good."""
    import time

    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_LOCK_FIRST=1, LOGIN_FAILURE_LIMITS={"account_ip": (1, 900), "account": (1, 900), "ip": (50, 900)})
    [member] = _members(app, 1)
    assert [_login(app, member, "wrong").status_code for _ in range(2)] == [200, 200]
    assert _login(app, member).status_code == 429
    time.sleep(1.2)
    assert _login(app, member).status_code == 302


def test_the_address_ceiling_counts_failures_only(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_FAILURE_LIMITS={"account_ip": (50, 900), "account": (50, 900), "ip": (3, 900)})
    members = _members(app, 8)
    assert [_login(app, email).status_code for email in members] == [302] * 8
    # Spraying one password at many accounts from one address.
    codes = [_login(app, email, "Password123").status_code for email in members[:5]]
    assert codes == [200, 200, 200, 200, 429]
    refused = _login(app, members[7])
    assert refused.status_code == 429 and "この接続元からのログインの失敗が非常に多いため" in _text(refused)
    assert _login(app, members[7], address="192.0.2.77").status_code == 302  # another city hall
    assert [row["by"] for row in _lockout_rows(app)] == ["ip"]


def test_rotating_forwarded_for_is_not_a_bypass(app_factory):
    """AUTH-03: behind one trusted proxy only its own X-Forwarded-For entry counts."""
    limits = {"account_ip": (2, 900), "account": (50, 900), "ip": (50, 900)}
    app = app_factory(RATELIMIT_ENABLED=True, TRUSTED_PROXY_COUNT=1, LOGIN_FAILURE_LIMITS=limits)
    [member] = _members(app, 1)
    codes = [
        _login(app, member, "guess", address="127.0.0.1", **{"X-Forwarded-For": f"10.9.9.{n}, {CITY_HALL}"}).status_code
        for n in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    # Without a trusted proxy the header is ignored: the socket's address is the address.
    direct = app_factory(RATELIMIT_ENABLED=True, LOGIN_FAILURE_LIMITS=limits)
    [member] = _members(direct, 1)
    codes = [
        _login(direct, member, "guess", address=CITY_HALL, **{"X-Forwarded-For": f"10.9.9.{n}"}).status_code for n in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_reset_mail_is_limited_per_mailbox_with_a_page_that_says_how_long(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, EMAIL_RATE_LIMIT="2 per minute")
    members = _members(app, 3)
    client = app.test_client()
    codes = [client.post("/password/forgot", data={"email": members[0]}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = client.post("/password/forgot", data={"email": members[0]})
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert re.search(r"短時間に多くの操作が行われました。(\d+秒|1分)後にもう一度お試しください。", _text(refused))
    assert "操作が多すぎます" in _text(refused)
    # Colleagues at the same address ask for their own reset mail as usual.
    assert [client.post("/password/forgot", data={"email": email}).status_code for email in members[1:]] == [200, 200]


def test_api_429_says_how_long_in_json(app_factory):
    from app.services import tokens

    app = app_factory(RATELIMIT_ENABLED=True, API_RATE_LIMIT="1 per minute")
    with app.app_context():
        secret = tokens.create_token(make_user(), "連携", "read").secret
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    client.get("/api/v1/questions", headers=headers)
    refused = client.get("/api/v1/questions", headers=headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json["error"]["code"] == "rate_limited" and "後にもう一度お試しください" in refused.json["error"]["message"]


# ---------------------------------------------------------------- redirects


@pytest.mark.parametrize(
    "target",
    [
        "/%2F%2Fevil.example", "/%2f%2fevil.example", "//evil.example", "///evil.example", "/\\evil.example",
        "/%5Cevil.example", "/%5C%5Cevil.example", "/%252F%252Fevil.example", "/%25252F%25252Fevil.example",
        "%2F%2Fevil.example", "https:evil.example", "https:/evil.example", "https://evil.example/", "javascript:alert(1)",
        "/\t/evil.example", "/%09/evil.example", "\t//evil.example", "/\r\n/evil.example", "/%0d%0a/evil.example",
        " //evil.example", "/../evil.example", "/questions/../../evil.example", "/tags/..%2F..%2Fevil.example",
        "/%2E%2E/evil.example", "/./tags", "/tags//evil.example", "/no-such-page", "/evil.example", "/logout",
        "/" + "a" * 2001, "", None,
    ],
)
def test_redirect_targets_outside_our_routes_go_home(app, target):
    """REDIR-01/02: decoded again and again, normalised, a single leading / and one of our routes."""
    assert safe_redirect_target(target) == "/"


@pytest.mark.parametrize(
    "target", ["/", "/questions", "/tags/債権回収", "/tags/%E5%82%B5%E6%A8%A9", "/search?q=時効&sort=votes", "/questions/1#answer-2", "/questions/ask?tags=%E8%B2%A1%E6%94%BF"]
)
def test_redirect_targets_on_our_routes_are_kept_with_their_query(app, target):
    assert safe_redirect_target(target) == target


@pytest.mark.parametrize("target, expected", [("/%2F%2Fevil.example", "/"), ("/%252F%252Fevil", "/"), ("/search?q=予算", "/search?q=予算")])
def test_login_and_language_switch_use_the_same_check(client, alice, target, expected):
    """REDIR-03: both redirects that take a `next`."""
    response = client.post("/login", data={"email": alice.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == expected.replace("予算", "%E4%BA%88%E7%AE%97")
    response = client.post("/language", data={"language": "en", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == expected.replace("予算", "%E4%BA%88%E7%AE%97")


def test_every_user_driven_redirect_goes_through_the_one_check():
    """REDIR-03: every redirect goes to url_for/question_url (our routes by construction) or
    through safe_redirect_target."""
    from pathlib import Path

    offenders = []
    for path in (Path(__file__).parent.parent / "app").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"redirect\((?!url_for|question_url|safe_redirect_target)", line) and "def " not in line:
                offenders.append(f"{path}:{number}: {line.strip()}")
    assert offenders == []
