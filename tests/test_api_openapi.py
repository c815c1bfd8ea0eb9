"""The OpenAPI document matches the code: same routes both ways, and schemathesis finds no fault."""

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks as st_checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi import checks as oa_checks

from app.api.openapi import openapi_document
from app.services import tokens
from tests.factories import login, make_answer, make_question, make_user
from tests.people_factories import add_post

PREFIX = "/api/v1"


def _routes_in_code(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(PREFIX) :])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method.lower(), path))
    return found


def _routes_in_document() -> set[tuple[str, str]]:
    document = openapi_document()
    return {(method, path) for path, item in document["paths"].items() for method in item if method in {"get", "post", "put", "patch", "delete"}}


def test_every_api_route_is_documented_and_every_documented_route_exists(app):
    assert _routes_in_code(app) == _routes_in_document()


def test_members_only_the_document_needs_a_token_like_the_rest(client, alice_token):
    refused = client.get("/api/v1/openapi.json")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthorized"
    response = client.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {alice_token}"})
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "/api/v1"}]
    assert "security" not in document["paths"]["/openapi.json"]["get"]  # the document-wide bearer token


def test_with_public_reading_the_document_is_served_without_a_token(app_factory):
    response = app_factory(PUBLIC_READ=True).test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json()["openapi"].startswith("3.1")


def test_the_japanese_api_page_documents_auth_and_examples(client, alice):
    login(client, alice)
    page = client.get("/api").get_data(as_text=True)
    for text in ["Authorization: Bearer", "curl", "住民税の特別徴収から普通徴収への切替時期は？", "/api/v1/openapi.json", "読み取り専用"]:
        assert text in page


# ---------------------------------------------------------------- schemathesis


@pytest.fixture(scope="module")
def fuzz_app(database_lane, tmp_path_factory):
    """One app for the whole schemathesis run (hypothesis calls the test many times)."""
    from app import create_app
    from app.extensions import db
    from tests.conftest import _test_config

    tmp = tmp_path_factory.mktemp("fuzz")
    url = database_lane.clone(tmp)
    app = create_app(_test_config(url, tmp))
    with app.app_context():
        asker = make_user(email="fuzz-asker@city.yokohama.lg.jp", name="ファズ 質問者")
        answerer = make_user(email="fuzz-answerer@city.osaka.lg.jp", name="ファズ 回答者", org="271004")
        question = make_question(asker, title="ファズ用の住民税の質問です", tags="住民税 特別徴収")
        make_answer(answerer, question, "ファズ用の回答です。異動届出書で処理します。")
        # Careers, so experts, profiles and the career list answer with real rows.
        add_post(answerer, "財政局 税務部 市民税課", org="271004", tags="住民税", started=48, ended=13)
        add_post(answerer, "財政局 税務部 収税課", org="271004", tags="債権回収 住民税", started=12)
        add_post(asker, "財政局 主税部 税制課", tags="住民税", started=30, ended=7)
        app.config["FUZZ_TOKEN"] = tokens.create_token(asker, "schemathesis", "write").secret
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    database_lane.drop(url)


# The document is plain data, so it loads without an app; requests go to `fuzz_app` in-process.
schema = schemathesis.openapi.from_dict(openapi_document())

CHECKS = [
    st_checks.not_a_server_error,
    oa_checks.status_code_conformance,
    oa_checks.content_type_conformance,
    oa_checks.response_schema_conformance,
    oa_checks.response_headers_conformance,
    oa_checks.negative_data_rejection,
]


def _checks_for(case) -> list:
    """Every check, except that a case whose only negation is in the headers is not held to
    "invalid data is rejected": the one required header is Authorization, which this test
    always sends itself (auth failures have their own tests in test_api_questions.py)."""
    meta = case.meta
    negated = {location for location, component in (meta.components.items() if meta else ()) if component.mode.is_negative}
    if ParameterLocation.HEADER in negated:
        return [check for check in CHECKS if check is not oa_checks.negative_data_rejection]
    return CHECKS


@schema.parametrize()
@settings(max_examples=int(os.environ.get("ZENNIN_FUZZ_EXAMPLES", "40")), deadline=None, suppress_health_check=list(HealthCheck))
def test_schemathesis_finds_no_fault(case, fuzz_app):
    with fuzz_app.app_context():
        case.call_and_validate(
            base_url="http://localhost/api/v1",
            app=fuzz_app,
            headers={"Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKEN']}"},
            checks=_checks_for(case),
        )
