"""Form errors read as natural Japanese (or English) and name the field, never WTForms' wording."""

import importlib
import pkgutil

import pytest
import wtforms
from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

import app as app_package
from app import validators


def test_a_title_too_long_is_named_in_natural_japanese(member_client):
    response = member_client.post("/questions/ask", data={"title": "長" * 151, "body": "本文です。", "tags": "住民税"})
    page = response.get_data(as_text=True)
    assert "タイトルは150文字以内で入力してください（今は151文字です）。" in page
    assert "フィールドは" not in page and "Field cannot" not in page


def test_the_same_error_in_english(member_client, compiled_catalog):
    member_client.set_cookie("zennin_lang", "en")
    page = member_client.post("/questions/ask", data={"title": "長" * 151, "body": "本文です。", "tags": "住民税"}).get_data(as_text=True)
    assert "Title must be at most 150 characters (it has 151)." in page


class _Sample(FlaskForm):
    department = wtforms.StringField("部署（例: 財政局 債権回収課）", [validators.DataRequired(), validators.Length(min=2, max=10)])
    code = wtforms.StringField("コード", [validators.Length(min=6)])


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"department": "", "code": "123456"}, "department", "部署を入力してください。"),
        ({"department": "財", "code": "123456"}, "department", "部署は2〜10文字で入力してください。"),
        ({"department": "財政課", "code": "12"}, "code", "コードは6文字以上で入力してください。"),
    ],
)
def test_default_messages_name_the_field_without_its_hint(app, data, field, message):
    with app.test_request_context(method="POST", data=data):
        form = _Sample(meta={"csrf": False})
        assert not form.validate()
        assert form.errors[field] == [message]


def _form_classes() -> list[type]:
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)
    found, todo = [], [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("app."):
                found.append(sub)
    return found


def test_every_form_uses_the_shared_validators():
    classes = _form_classes()
    assert len(classes) > 10
    stock = []
    for cls in classes:
        for name in dir(cls):
            field = getattr(cls, name)
            if isinstance(field, UnboundField):
                for check in field.kwargs.get("validators") or (field.args[1] if len(field.args) > 1 else []):
                    if isinstance(check, wtforms.validators.Length | wtforms.validators.DataRequired) and not isinstance(
                        check, validators.Length | validators.DataRequired
                    ):
                        stock.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert not stock, "Use app.validators for natural messages: " + ", ".join(stock)
