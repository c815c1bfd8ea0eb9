"""Form validators whose messages are natural Japanese and name the field.

WTForms' own messages come out of its catalog as 「フィールドは 150 文字を超えることはできません。」;
these read 「タイトルは150文字以内で入力してください。」. Every form imports Length and DataRequired
from here (tests/test_form_messages.py checks that no form uses WTForms' own).
"""

import re

from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms import validators

# A hint at the end of a label is not part of the field's name: 「部署（例: 財政局 債権回収課）」.
_HINT = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")


def field_name(field) -> str:
    label = str(field.label.text)
    return _HINT.sub("", label) or label


class DataRequired(validators.DataRequired):
    def __call__(self, form, field):
        try:
            super().__call__(form, field)
        except validators.StopValidation:
            if self.message is not None:
                raise
            raise validators.StopValidation(_("%(field)sを入力してください。", field=field_name(field))) from None


class Length(validators.Length):
    def __call__(self, form, field):
        try:
            super().__call__(form, field)
        except validators.ValidationError:
            if self.message is not None:
                raise
            name, length = field_name(field), len(field.data or "")
            if self.max == -1:
                message = ngettext("%(field)sは%(num)d文字以上で入力してください。", "%(field)sは%(num)d文字以上で入力してください。", self.min, field=name)
            elif self.min == -1:
                message = ngettext(
                    "%(field)sは%(num)d文字以内で入力してください（今は%(length)d文字です）。",
                    "%(field)sは%(num)d文字以内で入力してください（今は%(length)d文字です）。",
                    self.max,
                    field=name,
                    length=length,
                )
            else:
                message = _("%(field)sは%(min)d〜%(max)d文字で入力してください。", field=name, min=self.min, max=self.max)
            raise validators.ValidationError(message) from None
