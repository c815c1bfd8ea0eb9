"""Locale choice: a chosen language (profile or cookie) wins; on a first visit the browser's
Accept-Language decides between the languages we have; Japanese otherwise."""

import math

from flask import current_app, has_request_context, request
from flask_babel import ngettext
from flask_login import current_user

LOCALE_COOKIE = "zennin_lang"


def select_locale() -> str:
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():  # CLI, background work: the site's language
        return default
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages, default=default)


def wait_text(seconds: float) -> str:
    """How long to wait, for people: whole seconds under a minute, else minutes rounded up."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return ngettext("%(num)d秒", "%(num)d秒", seconds)
    minutes = math.ceil(seconds / 60)
    return ngettext("%(num)d分", "%(num)d分", minutes)
