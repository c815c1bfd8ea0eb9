from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import EqualTo

from app.services.notification_settings import DIGEST_LABELS
from app.validators import DataRequired, Length

VISIBILITY_CHOICES = [
    SelectChoice("members", _l("会員全員")),
    SelectChoice("organization", _l("同じ団体の会員")),
    SelectChoice("ranking_only", _l("順位付けのみ")),
]


class ProfileForm(FlaskForm):
    display_name = StringField(_l("表示名"), validators=[DataRequired(_l("表示名を入力してください。")), Length(max=50)])
    department = StringField(_l("所属部署"), validators=[Length(max=100)])
    bio = TextAreaField(_l("自己紹介"), validators=[Length(max=2000)])
    career_visibility = RadioField(_l("過去の職歴の公開範囲"), choices=VISIBILITY_CHOICES, default="members")
    routing_opt_in = BooleanField(_l("経験のある分野の新しい質問を受け取る（専門家への振り分け）"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("現在のパスワード"), validators=[DataRequired(_l("現在のパスワードを入力してください。"))])
    password = PasswordField(_l("新しいパスワード（10文字以上）"), validators=[DataRequired(_l("パスワードを入力してください。")), Length(max=128)])
    password_confirm = PasswordField(_l("新しいパスワード（確認）"), validators=[EqualTo("password", _l("パスワードが一致しません。"))])


class NotificationSettingsForm(FlaskForm):
    """The digest frequency; the per-type channels are a table of radio groups the view reads
    (`channel-<type>`), checked by app/services/notification_settings.py."""

    digest = RadioField(
        _l("メールのダイジェスト"), choices=[SelectChoice(key, label) for key, label in DIGEST_LABELS.items()], default="off"
    )
