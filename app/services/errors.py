"""Exceptions services raise; views turn them into 403/404/409 pages or form errors."""

from collections.abc import Callable
from datetime import UTC
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _

from pii import Finding


class ServiceError(Exception):
    pass


class NotFound(ServiceError):
    pass


class Gone(NotFound):
    """A removed post, to someone who may not read it: a 410 page that may name the reason's
    category (never the content). Still a NotFound, so the API keeps answering 404."""

    def __init__(self, reason: str | None = None):
        super().__init__(reason)
        self.reason = reason


class PermissionDenied(ServiceError):
    pass


class Suspended(PermissionDenied):
    """A moderator suspended the person: they may read, but not write, until `until` (UTC)."""

    def __init__(self, until):
        super().__init__(until)
        self.until = until

    @property
    def message(self) -> str:
        return _(
            "モデレーターにより、%(until)s まで投稿・編集・コメント・投票・報告が停止されています。閲覧はできます。",
            until=format_datetime(self.until.replace(tzinfo=UTC), "yyyy/MM/dd HH:mm"),
        )


class Conflict(ServiceError):
    """The change was based on an outdated version (two editors), or breaks a uniqueness rule."""


class ValidationFailed(ServiceError):
    """Input the user can fix. `errors` maps a field name to a message in the user's language."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


class PersonalInformationFound(ServiceError):
    """The text looks like it holds personal information of a category its author has not
    confirmed; nothing was stored (app/services/privacy_guard.py).

    `findings`: field → every finding in that field's text; `texts`: field → the checked text
    (the offsets index it); `confirmed`: the categories found that the author did confirm."""

    def __init__(self, findings: dict[str, list[Finding]], texts: dict[str, str], confirmed: frozenset[str]):
        self.findings = findings
        self.texts = texts
        self.confirmed = confirmed
        super().__init__(self.held_categories)

    @property
    def held(self) -> list[tuple[str, Finding]]:
        """(field, finding) for every finding of a category not confirmed: what holds the post."""
        return [(name, f) for name, items in self.findings.items() for f in items if f.category not in self.confirmed]

    @property
    def held_categories(self) -> list[str]:
        return list(dict.fromkeys(f.category for _name, f in self.held))


def validate_all(**checks: Callable[[], Any]) -> dict[str, Any]:
    """Run every check and report all failures at once, so a form shows every error together."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, check in checks.items():
        try:
            values[name] = check()
        except ValidationFailed as failure:
            errors.update(failure.errors)
    if errors:
        raise ValidationFailed(errors)
    return values
