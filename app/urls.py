"""Absolute links for e-mail, built from PUBLIC_BASE_URL (works without a request, e.g. in the CLI)."""

from urllib.parse import quote, urlsplit

from flask import current_app


def external_url(endpoint: str, *, anchor: str | None = None, **values) -> str:
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{quote(anchor)}" if anchor else url
