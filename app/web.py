"""Small helpers shared by the HTML blueprints."""

from flask import abort, request
from flask_wtf import FlaskForm
from werkzeug.routing import BaseConverter

from app.services.errors import ValidationFailed

# Id columns are INTEGER, int4 on PostgreSQL: no row has a larger id, and PostgreSQL refuses
# to compare an int4 column with one (NumericValueOutOfRange, a 500), so they are 404 here.
MAX_ID = 2**31 - 1


class IdConverter(BaseConverter):
    """ASCII digits only, within the id columns' 32-bit range (SECURITY.md ID-01..04).

    Werkzeug's `int` converter accepts full-width digits (/questions/１ would alias /questions/1),
    a 20-digit id overflows SQLite's integer with a 500, and PostgreSQL fails on 2147483648.
    """

    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            abort(404)
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def show_errors(form: FlaskForm, failure: ValidationFailed) -> None:
    """Put a service's validation messages next to the matching form fields."""
    for name, message in failure.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
        else:
            form.form_errors.append(message)


def confirmed_categories() -> list[str]:
    """The categories the form's 「個人情報ではありません」 boxes confirm (the service checks the names)."""
    return request.form.getlist("confirmed_findings")
