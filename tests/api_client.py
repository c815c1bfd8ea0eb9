"""Calling the JSON API from the test client: the Bearer header, JSON bodies, error envelopes."""

import json


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def post_json(client, path, payload, secret, **kwargs):
    return client.post(
        path, data=json.dumps(payload, ensure_ascii=False), content_type="application/json", headers=bearer(secret), **kwargs
    )


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the API's JSON error envelope with this status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) >= {"code", "message"} and error["message"]
    if code:
        assert error["code"] == code
    return error
