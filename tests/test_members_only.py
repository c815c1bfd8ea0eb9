"""Members-only by default (app/access.py): the contract checked from outside, the way back after
logging in, accounts that may not read, every route closed unless allowlisted, PUBLIC_READ,
noindex, and a front door that shows nothing of the site's content."""

import os
import re
import subprocess
import sys
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from flask import Blueprint

from app.access import OPEN_ENDPOINTS
from app.extensions import db
from app.models import User, utcnow
from app.services import accounts
from tests.factories import PASSWORD, login, make_answer, make_question, make_user
from tests.people_factories import add_post

SECRET_TITLE = "滞納整理の分納誓約で気をつけること（ﾃｽﾄ）😀"


@pytest.fixture
def question(alice, bob):
    question = make_question(alice, title=SECRET_TITLE, body="分納誓約書の様式と、不履行時の対応を教えてください。", tags="債権回収")
    make_answer(bob, question, "当市では３回の不履行で一括請求の予告をしています。")
    return question


def _login_target(response) -> str:
    """The `next` of a redirect to the login page (fails on anything else)."""
    assert response.status_code == 302, response.status_code
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    return parse_qs(location.query)["next"][0]


def _contract_paths(question, alice) -> list[str]:
    return [
        "/questions",
        f"/questions/{question.id}",
        f"/users/{alice.id}",
        "/tags/債権回収/experts",
        "/search?q=分納誓約",
    ]


def test_the_contract_urls_send_a_visitor_to_login_with_the_way_back(client, question, alice):
    for path in _contract_paths(question, alice):
        response = client.get(path)
        assert _login_target(response) == path
        body = response.get_data(as_text=True)
        assert SECRET_TITLE not in body and alice.display_name not in body and "分納" not in unquote(body).split("next=")[0]


def test_feeds_and_the_api_without_credentials_answer_401_and_no_content(client, question):
    feed = client.get("/feeds/questions")
    assert feed.status_code == 401 and feed.content_type.startswith("text/plain")
    assert "フィードURL" in feed.get_data(as_text=True) and SECRET_TITLE not in feed.get_data(as_text=True)
    for path in ["/api/v1/questions", f"/api/v1/questions/{question.id}", "/api/v1/openapi.json", "/api/v1/no-such-thing"]:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.get_json()["error"]["code"] == "unauthorized"
    assert client.post("/api/v1/questions", json={"title": "x"}).status_code == 401


def test_after_logging_in_the_member_comes_back_to_the_page(client, question, alice, carol):
    for path in [f"/questions/{question.id}", "/tags/債権回収/experts", "/search?q=分納誓約"]:
        target = _login_target(client.get(path))
        login_page = client.get(f"/login?next={target}").get_data(as_text=True)
        assert 'name="next"' in login_page
        response = client.post("/login", data={"email": carol.email, "password": PASSWORD, "next": target})
        assert response.status_code == 302 and unquote(response.headers["Location"]) == path
        assert client.get(path, follow_redirects=True).status_code == 200
        client.post("/logout")


def test_an_outside_next_is_never_followed(client, carol):
    response = client.post("/login", data={"email": carol.email, "password": PASSWORD, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_an_unverified_account_cannot_log_in_or_read(client, question):
    accounts.register_user(
        accounts.Registration("new@city.kawasaki.lg.jp", "long-enough-password-1", "川崎 新人", "141305", "")
    )
    response = client.post("/login", data={"email": "new@city.kawasaki.lg.jp", "password": "long-enough-password-1"})
    assert response.headers["Location"].startswith("/verify/resend")
    assert _login_target(client.get("/questions")) == "/questions"


def test_a_session_whose_account_lost_its_verification_reads_nothing(client, question, carol):
    login(client, carol)
    carol.email_verified_at = None
    db.session.commit()
    response = client.get(f"/questions/{question.id}")
    assert response.status_code == 403 and "メールアドレスの確認" in response.get_data(as_text=True)
    assert SECRET_TITLE not in response.get_data(as_text=True)
    front = client.get("/").get_data(as_text=True)
    assert SECRET_TITLE not in front and "ログイン" in front


def test_a_disabled_account_is_refused_and_loses_its_session(client, question, carol):
    login(client, carol)
    assert client.get("/questions").status_code == 200
    carol.disabled_at = utcnow()
    db.session.commit()
    assert _login_target(client.get("/questions")) == "/questions"
    client.post("/logout")
    response = login(client, carol)
    assert response.status_code == 200 and "正しくありません" in response.get_data(as_text=True)


def _concrete(rule) -> str:
    """The rule's path with a sample for each variable: an id, a path, or a Japanese name."""
    samples = {"id": "1", "path": "x"}
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", lambda m: samples.get(m.group(1) or "", "住民税"), rule.rule)


def _closed(response) -> bool:
    if response.status_code == 401:
        return True
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def test_every_route_outside_the_allowlist_is_closed_to_visitors(app_factory):
    """Closed by default: walk the URL map, a blueprint added later included."""
    app = app_factory()
    late = Blueprint("late_addition", __name__)
    late.add_url_rule("/reports/monthly", "monthly", lambda: "月次の集計（会員向け）")
    app.register_blueprint(late)
    client = app.test_client()
    checked = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_concrete(rule), method=method)
            assert _closed(response), (method, rule.rule, response.status_code)
            checked.append(f"{method} {rule.rule}")
    assert "GET /reports/monthly" in checked and "GET /feeds/tags/<name>" in checked and len(checked) > 50
    assert _closed(client.get("/no/such/page")) and _closed(client.get("/questions/99999999999999999999"))


def test_the_allowlisted_pages_open_to_visitors(client):
    for path in ["/", "/about", "/login", "/register", "/password/forgot", "/verify/resend", "/healthz", "/static/css/app.css", "/organizations/search?q=よこはま"]:
        with client.get(path) as response:
            assert response.status_code == 200, path
    assert client.get("/verify/not-a-token").status_code == 302  # to the resend page, not to login
    assert client.post("/language", data={"language": "en", "next": "/about"}).headers["Location"] == "/about"


def test_the_front_door_shows_nothing_of_the_site(client, question, alice, bob):
    add_post(bob, "財政局 債権回収課", org="271004", tags="債権回収", started=30)
    page = client.get("/").get_data(as_text=True)
    assert "Zennin" in page and 'href="/login' in page and 'href="/register"' in page
    for content in [SECRET_TITLE, "債権回収", alice.display_name, bob.display_name, "分納"]:
        assert content not in page, content
    for link in ['href="/questions"', 'href="/tags"', 'href="/users"', "/feeds/", 'action="/search"']:
        assert link not in page, link
    assert not re.search(r"×\d|\d+\s*件", page)  # no counts


def test_members_see_the_home_page_with_its_questions(member_client, question):
    page = member_client.get("/").get_data(as_text=True)
    assert SECRET_TITLE in page and 'href="/questions"' in page


def test_noindex_on_every_response_when_members_only(client, question, carol):
    def noindex(response) -> bool:
        return response.headers.get("X-Robots-Tag") == "noindex, nofollow"

    front = client.get("/")
    assert noindex(front) and '<meta name="robots" content="noindex, nofollow">' in front.get_data(as_text=True)
    for path in ["/login", "/questions", "/feeds/questions", "/api/v1/questions", "/static/css/app.css", "/healthz"]:
        with client.get(path) as response:
            assert noindex(response), path
    login(client, carol)
    missing = client.get("/questions/999999")
    assert missing.status_code == 404 and noindex(missing)
    assert '<meta name="robots" content="noindex, nofollow">' in missing.get_data(as_text=True)


@pytest.mark.public_read
def test_public_read_opens_reading_but_not_writing(client, question, alice):
    for path in _contract_paths(question, alice):
        assert client.get(path, follow_redirects=True).status_code == 200, path
    assert SECRET_TITLE in client.get("/questions").get_data(as_text=True)
    assert SECRET_TITLE in client.get("/").get_data(as_text=True)  # the home page lists questions again
    assert client.get("/feeds/questions").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/questions").status_code == 401  # the API always needs a token
    assert _login_target(client.get("/questions/ask")) == "/questions/ask"
    for path in ["/questions/ask", f"/questions/{question.id}/answers", f"/posts/{question.id}/vote", "/settings/feeds"]:
        assert _login_target(client.post(path, data={"title": "書き込み", "body": "書き込みの本文です。", "value": "1"})) == path
    response = client.get("/")
    assert "X-Robots-Tag" not in response.headers and 'name="robots"' not in response.get_data(as_text=True)


@pytest.mark.public_read
def test_public_read_still_hides_careers_from_visitors(client, bob, carol):
    add_post(bob, "市民局 住民情報担当", org="271004", tags="住民基本台帳", started=50, ended=20)
    assert bob.career_visibility == "members"
    page = client.get(f"/users/{bob.id}").get_data(as_text=True)
    assert bob.display_name in page and "住民情報担当" not in page
    login(client, carol)
    assert "住民情報担当" in client.get(f"/users/{bob.id}").get_data(as_text=True)


def test_the_settings_page_explains_each_career_level(member_client):
    page = member_client.get("/settings").get_data(as_text=True)
    for label in ["会員全員", "同じ団体の会員", "順位付けのみ"]:
        assert f"> {label}</label>" in page
    assert "「会員全員」はログインした会員全員に" in page and "ログインしていない人には、どの設定でも表示されません" in page


@pytest.mark.parametrize(
    "value, expected",
    [("true", True), ("1", True), ("TRUE", True), ("", False), ("false", False), ("0", False), ("yes please", False)],
)
def test_public_read_is_read_from_the_environment_and_off_in_tests(value, expected):
    code = "import config; print(config.ProductionConfig.PUBLIC_READ, config.TestingConfig.PUBLIC_READ)"
    env = {**os.environ, "PUBLIC_READ": value}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=os.getcwd())
    assert out.stdout.split() == [str(expected), "False"]


def test_a_placeholder_author_is_no_member(app):
    placeholder = User(email="imported@placeholder.invalid", display_name="取込 太郎", is_placeholder=True, email_verified_at=utcnow())
    db.session.add(placeholder)
    db.session.commit()
    from app.services.permissions import is_verified_member

    assert not is_verified_member(placeholder) and is_verified_member(make_user())
