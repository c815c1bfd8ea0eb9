from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField

from app.services.tokens import NAME_MAX
from app.validators import DataRequired, Length

SCOPE_CHOICES = [
    SelectChoice("read", _l("読み取りのみ（一覧・表示・検索）")),
    SelectChoice("write", _l("読み書き（質問・回答・採用・投票も）")),
]


class TokenForm(FlaskForm):
    name = StringField(
        _l("名前"),
        validators=[DataRequired(_l("トークンの名前を入力してください（例: 庁内チャットボット）。")), Length(max=NAME_MAX)],
        description=_l("どこで使うトークンかわかる名前。例: 庁内チャットボット、FAQ ポータル連携"),
    )
    scope = RadioField(_l("権限"), choices=SCOPE_CHOICES, default="read")


class RevokeForm(FlaskForm):
    """A bare POST: only the CSRF token."""
