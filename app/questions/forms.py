from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.models.post import COMMENT_MAX, TITLE_MAX
from app.services import privacy_guard
from app.services.errors import PersonalInformationFound

BODY_FIELD_MAX = 40000  # the service's 30,000-character rule gives the friendly message


class GuardedForm(FlaskForm):
    """A form whose text the personal-information guard checks; `privacy` lists what held the
    last submit (the template shows it with a 「個人情報ではありません」 box per category)."""

    privacy: list[privacy_guard.Notice] = []

    def hold(self, found: PersonalInformationFound) -> None:
        self.privacy = privacy_guard.describe_held(found)


class QuestionForm(GuardedForm):
    title = StringField(
        _l("タイトル"),
        validators=[DataRequired(_l("タイトルを入力してください。")), Length(max=TITLE_MAX)],
        description=_l("具体的に。例:「時効の援用があった滞納債権の不納欠損処理の時期は？」"),
    )
    body = TextAreaField(
        _l("本文（Markdown）"),
        validators=[DataRequired(_l("本文を入力してください。")), Length(max=BODY_FIELD_MAX)],
        description=_l("状況、試したこと、根拠法令や通知などを書くと回答が集まりやすくなります。"),
    )
    tags = StringField(
        _l("タグ（1〜5個）"),
        validators=[DataRequired(_l("タグを1つ以上入力してください。")), Length(max=300)],
        description=_l("カンマ、読点（、）、スペースで区切ります。例: 債権回収、住民税"),
    )
    summary = StringField(_l("編集の概要"), validators=[Length(max=200)])
    base_revision = HiddenField()


class AnswerForm(GuardedForm):
    body = TextAreaField(
        _l("回答（Markdown）"),
        validators=[DataRequired(_l("回答を入力してください。")), Length(max=BODY_FIELD_MAX)],
    )
    summary = StringField(_l("編集の概要"), validators=[Length(max=200)])
    base_revision = HiddenField()


class CommentForm(GuardedForm):
    body = TextAreaField(
        _l("コメント"), validators=[DataRequired(_l("コメントを入力してください。")), Length(max=COMMENT_MAX)]
    )
