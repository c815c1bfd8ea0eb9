from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, ValidationError

from app.services import accounts
from app.services.errors import ValidationFailed
from app.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(_l("メールアドレスを入力してください。")), Length(max=254)])
    password = PasswordField(_l("パスワード"), validators=[DataRequired(_l("パスワードを入力してください。")), Length(max=128)])
    remember = BooleanField(_l("ログインしたままにする"))
    next = HiddenField()


class RegisterForm(FlaskForm):
    email = EmailField(
        _l("メールアドレス（lg.jp / go.jp）"),
        validators=[DataRequired(_l("メールアドレスを入力してください。")), Length(max=254)],
    )
    display_name = StringField(_l("表示名"), validators=[DataRequired(_l("表示名を入力してください。")), Length(max=50)])
    organization = StringField(
        _l("所属団体"), validators=[DataRequired(_l("所属団体を入力してください。")), Length(max=120)]
    )
    department = StringField(_l("所属部署（例: 財政局 財政課 予算係）"), validators=[Length(max=100)])
    password = PasswordField(_l("パスワード（10文字以上）"), validators=[DataRequired(_l("パスワードを入力してください。")), Length(max=128)])
    password_confirm = PasswordField(
        _l("パスワード（確認）"), validators=[EqualTo("password", _l("パスワードが一致しません。"))]
    )

    def validate_email(self, field):
        # Same rule as the service, checked here too so every error shows at once.
        _check(accounts.check_public_servant_email, field.data)

    def validate_password(self, field):
        _check(accounts.check_password, field.data, self.email.data or "")


def _check(check, *args) -> None:
    try:
        check(*args)
    except ValidationFailed as failure:
        raise ValidationError(" ".join(failure.errors.values())) from None


class EmailForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(_l("メールアドレスを入力してください。")), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("新しいパスワード（10文字以上）"), validators=[DataRequired(_l("パスワードを入力してください。")), Length(max=128)])
    password_confirm = PasswordField(_l("新しいパスワード（確認）"), validators=[EqualTo("password", _l("パスワードが一致しません。"))])
