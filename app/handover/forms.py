from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField

from app.questions.forms import BODY_LENGTH, GuardedForm, lf_newlines
from app.services.handover import VISIBILITY_LABELS
from app.validators import DataRequired


class HandoverForm(GuardedForm):
    body = TextAreaField(
        _l("引継書（Markdown）"),
        validators=[DataRequired(_l("引継書の本文を入力してください。")), BODY_LENGTH],
        filters=[lf_newlines],
        description=_l(
            "年間の流れ、よくある問い合わせ、関係する例規や様式の場所、注意点など。"
            "関連するQ&Aは [題名](/questions/123) のようにリンクすると、下に一覧で表示されます。"
        ),
    )
    visibility = RadioField(_l("公開範囲"), choices=[SelectChoice(code, label) for code, label in VISIBILITY_LABELS.items()], default="organization")
    base_revision = HiddenField()
