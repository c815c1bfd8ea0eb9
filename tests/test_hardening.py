"""Bad input and hostile requests (SECURITY.md UNI, SIZE, REDIR, AC, AUTH, REG, HDR, ERR, TX)."""

import email
import email.policy
import logging
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Question, Tag, User
from app.security import safe_redirect_target
from app.services import questions
from config import ProductionConfig
from tests.factories import PASSWORD, login, make_question, make_user

NUL = "\x00"


def test_nul_and_control_characters_never_reach_the_database(client, alice):
    """UNI-01: PostgreSQL refuses NUL in text; every field is cleaned before it is stored."""
    login(client, alice)
    response = client.post(
        "/questions/ask",
        data={"title": f"予算{NUL}編成の手順について", "body": f"本文です{NUL}。\x07よろしくお願いします。", "tags": f"財政{NUL}、予算"},
    )
    assert response.status_code == 302
    question = db.session.scalar(sa.select(Question))
    assert NUL not in question.title + question.body and "\x07" not in question.body
    assert {t.name for t in question.tags} == {"財政", "予算"}
    for path, data in [
        ("/settings", {"display_name": f"横浜{NUL}アリス", "department": f"財政局{NUL}", "bio": NUL, "career_visibility": "members"}),
        (f"/questions/{question.id}/answers", {"body": f"回答{NUL}です。十分な長さがあります。"}),
        (f"/posts/{question.id}/comments", {"body": f"コメント{NUL}です"}),
    ]:
        assert client.post(path, data=data).status_code in (200, 302), path
    assert client.get("/search", query_string={"q": f"予算{NUL}"}).status_code == 200
    client.post("/logout")
    assert client.post("/login", data={"email": f"{alice.email}{NUL}", "password": f"x{NUL}"}).status_code == 200
    db.session.refresh(alice)
    assert alice.display_name == "横浜アリス"


def test_oversized_request_gets_a_friendly_413(client, alice):
    """SIZE-01."""
    login(client, alice)
    response = client.post("/questions/ask", data={"title": "大きすぎる送信", "body": "あ" * 400_000, "tags": "財政"})
    assert response.status_code == 413
    assert "データが大きすぎます" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "field, ok, too_long",
    [("title", "あ" * 150, "あ" * 151), ("tags", "あ" * 35, "あ" * 36), ("body", "あ" * 30000, "あ" * 30001)],
)
def test_field_caps_are_exact_and_nothing_is_truncated(app, alice, field, ok, too_long):
    """SIZE-02: the cap is accepted, cap + 1 is a form error, never a silent cut."""
    base = {"title": "上限を確かめる質問です", "body": "上限を確かめるための本文です。", "tags": "財政"}
    question = questions.ask_question(alice, questions.QuestionInput(**{**base, field: ok}))
    stored = {"title": question.title, "body": question.body, "tags": question.tags[0].name}[field]
    assert stored == ok
    with pytest.raises(questions.ValidationFailed):
        questions.ask_question(alice, questions.QuestionInput(**{**base, field: too_long}))


def test_long_passwords_are_allowed_up_to_the_cap_and_never_truncated(client):
    user = make_user()
    long_password = "パスワード" * 25 + "abc"  # 128 characters
    from app.services import accounts

    accounts.change_password(user, PASSWORD, long_password)
    assert login(client, user, long_password).status_code == 302
    client.post("/logout")
    assert login(client, user, long_password[:-1]).status_code == 200
    with pytest.raises(accounts.ValidationFailed):
        accounts.change_password(user, long_password, long_password + "x")


@pytest.mark.parametrize(
    "data",
    [
        {"title": "   ", "body": "本文は十分な長さがあります。", "tags": "財政"},
        {"title": "タグがカンマだらけの質問", "body": "本文は十分な長さがあります。", "tags": "," * 50},
        {"body": "タイトルがない送信です。本文だけあります。"},
        {},
        MultiDict([("title", "重複したキーの送信です"), ("title", "二つ目"), ("body", "本文は十分な長さがあります。"), ("body", "b"), ("tags", "財政")]),
    ],
)
def test_malformed_forms_are_form_errors_never_500(client, alice, data):
    """SIZE-03."""
    login(client, alice)
    response = client.post("/questions/ask", data=data)
    assert response.status_code in (200, 302)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
        "https:evil.example", "https:/evil.example", "http:/evil.example", " //evil.example", "\t//evil.example",
        "/\t/evil.example", "javascript:alert(1)", "http://localhost@evil.example", "http://evil.example#@localhost",
        "https://localhost.evil.example", "//localhost%2F@evil.example", "/\r\nLocation: //evil",
    ],
)
def test_next_never_leaves_the_site(app, target):
    """REDIR-01 (tests/test_login_limits.py holds the decoding and route cases)."""
    assert safe_redirect_target(target) == "/"


@pytest.mark.parametrize("target", ["/questions", "/tags/債権回収", "/search?q=時効&sort=votes", "/questions/1#answer-2"])
def test_next_keeps_local_paths(app, target):
    assert safe_redirect_target(target) == target


def test_mass_assignment_is_ignored(client, alice, bob):
    """AC-04: extra fields never reach the model."""
    login(client, alice)
    client.post(
        "/settings",
        data={"display_name": "アリス", "department": "", "bio": "", "career_visibility": "members", "role": "admin", "reputation": "99999", "email": "x@evil.com", "email_verified_at": ""},
    )
    client.post(
        "/questions/ask",
        data={"title": "作者を偽る質問です", "body": "本文は十分な長さがあります。", "tags": "財政", "author_id": str(bob.id), "score": "100", "accepted_answer_id": "1"},
    )
    db.session.refresh(alice)
    assert (alice.role, alice.reputation, alice.email) == ("member", 0, "alice@city.yokohama.lg.jp")
    question = db.session.scalar(sa.select(Question))
    assert (question.author_id, question.score, question.accepted_answer_id) == (alice.id, 0, None)


def test_a_demoted_moderator_loses_rights_at_once(client, moderator):
    """AC-05: the role is read from the database on every request."""
    login(client, moderator)
    assert client.get("/search/synonyms").status_code == 200
    moderator.role = "member"
    db.session.commit()
    assert client.get("/search/synonyms").status_code == 403


def test_login_limit_per_account_holds_across_addresses(app_factory):
    """AUTH-01/03: guessing one account from many IPs, or with a rotating X-Forwarded-For."""
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_FAILURE_LIMITS={"account_ip": (10, 60), "account": (3, 60), "ip": (100, 60)})
    client = app.test_client()
    codes = []
    for n in range(5):
        response = client.post(
            "/login",
            data={"email": "target@city.yokohama.lg.jp", "password": "guess"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
            headers={"X-Forwarded-For": f"1.2.3.{n}"},
        )
        codes.append(response.status_code)
    assert codes == [200, 200, 200, 200, 429]  # the 4th failure starts the account's lock


def test_reset_link_uses_the_configured_host_not_the_request_host(client, alice, outbox):
    """AUTH-06: a forged Host header cannot send a reset link to another site."""
    client.post("/password/forgot", data={"email": alice.email}, headers={"Host": "evil.example"})
    message = email.message_from_bytes(next(outbox.glob("*.eml")).read_bytes(), policy=email.policy.default)
    text = message.get_content()
    assert "evil.example" not in text and "http://127.0.0.1:5000/password/reset/" in text


@pytest.mark.parametrize(
    "address",
    [
        "taro@city.chiyoda.lg.jp\r\nBcc: x@evil.com",
        "taro@city.chiyoda.lg.jp\x00@evil.com",
        "ｔａｒｏ@city.chiyoda.lg.jp",
        "taro@city.chiyoda.lg.j\u0440",
        "taro\u200b@city.chiyoda.lg.jp",
        "taro@[127.0.0.1]",
        "taro@city.chiyoda.lg.jp,evil@evil.com",
        "taro@evil.com?x=@city.chiyoda.lg.jp",
    ],
)
def test_registration_refuses_tricky_addresses(app, address):
    """REG-02/03/04."""
    from app.services import accounts

    with pytest.raises(accounts.ValidationFailed):
        accounts.check_public_servant_email(address)


def test_full_width_domain_is_normalized(app):
    from app.services import accounts

    assert accounts.check_public_servant_email("Taro@City.Chiyoda.ｌｇ．ｊｐ") == "taro@city.chiyoda.lg.jp"


def test_verification_token_is_bound_to_the_address_and_expires(app_factory):
    """REG-06."""
    from datetime import timedelta

    from app.services import accounts

    app = app_factory()
    with app.app_context():
        user = make_user()
        user.email_verified_at = None
        db.session.commit()
        token = accounts.make_verification_token(user)
        user.email = "changed@city.yokohama.lg.jp"
        db.session.commit()
        assert accounts.verify_email(token) is None  # made for the old address
        user.email = user.email.replace("changed", "again")
        db.session.commit()
        fresh = accounts.make_verification_token(user)
        app.config["EMAIL_TOKEN_MAX_AGE"] = timedelta(seconds=-1)
        assert accounts.verify_email(fresh) is None  # expired
        app.config["EMAIL_TOKEN_MAX_AGE"] = timedelta(hours=1)
        assert accounts.verify_email(fresh) is not None


def test_production_cookies_are_host_only_secure_httponly_lax(app_factory):
    """HDR-01/02."""
    app = app_factory(
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_NAME=ProductionConfig.SESSION_COOKIE_NAME,
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_NAME=ProductionConfig.REMEMBER_COOKIE_NAME,
    )
    with app.app_context():
        address = make_user().email
    client = app.test_client()
    response = client.post("/login", data={"email": address, "password": PASSWORD, "remember": "y"}, base_url="https://localhost")
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("__Host-session=", "__Host-remember_token="):
        [cookie] = [c for c in cookies if c.startswith(name)]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
        assert "Domain=" not in cookie


def test_500_page_has_a_request_id_and_no_internals(app_factory, caplog):
    """ERR-01/HDR-06."""
    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    def explode():
        raise RuntimeError("secret detail /home/zennin sqlalchemy")

    app.add_url_rule("/boom", view_func=explode)
    client = app.test_client()
    with app.app_context():
        login(client, make_user())  # members-only: the gate would answer an anonymous visitor first
    with caplog.at_level(logging.ERROR):
        response = client.get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in text and "secret detail" not in text and "sqlalchemy" not in text
    request_id = re.search(r"<code>([0-9a-f]{12})</code>", text).group(1)
    assert any(request_id in record.getMessage() for record in caplog.records)


def test_a_failing_post_leaves_nothing_half_written(app, alice, monkeypatch):
    """TX-01: question, tags, revision, counts and outbox commit together or not at all."""
    from app.services import questions as questions_service

    def fail(*_args, **_kwargs):
        raise RuntimeError("injected failure after the tags were written")

    monkeypatch.setattr(questions_service, "adjust_question_counts", fail)
    with pytest.raises(RuntimeError):
        make_question(alice, tags="新しいタグ")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Tag)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
