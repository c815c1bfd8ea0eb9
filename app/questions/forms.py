from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField

from app.models.post import BODY_MAX, COMMENT_MAX, TITLE_MAX
from app.services import fiscal_years, laws, privacy_guard
from app.services.errors import PersonalInformationFound
from app.services.redaction import PASSAGE_MAX, REASONS
from app.validators import DataRequired, Length

# The same words as the service's message; the textarea's maxlength comes from this validator.
BODY_LENGTH = Length(max=BODY_MAX, message=_l("%(n)s文字以内で入力してください。", n=f"{BODY_MAX:,}"))


def lf_newlines(value: str | None) -> str | None:
    """Browsers send a textarea's line breaks as CRLF but count them as one character for
    maxlength (and the services store LF): count them the same way here."""
    return value.replace("\r\n", "\n") if value else value


class GuardedForm(FlaskForm):
    """A form whose text the personal-information guard checks; `privacy` lists what held the
    last submit (the template shows it with a 「個人情報ではありません」 box per category)."""

    privacy: list[privacy_guard.Notice] = []

    def hold(self, found: PersonalInformationFound) -> None:
        self.privacy = privacy_guard.describe_held(found)


class _WithoutKnowledge:
    """A post as a form's `obj`, minus its 年度 and citations."""

    def __init__(self, post):
        self._post = post

    def __getattr__(self, name: str):
        if name in ("fiscal_year", "laws"):
            raise AttributeError(name)
        return getattr(self._post, name)


class KnowledgeFields:
    """年度 and 根拠法令 of a question or an answer (app/services/fiscal_years.py, laws.py check them).
    An edit form built from a post (`obj=`) does not take the post's values for these two (an int
    and rows): `fill_knowledge` puts them as typed, and `typed_knowledge` reads only what was sent."""

    fiscal_year = StringField(
        _l("年度"),
        default=lambda: fiscal_years.label(fiscal_years.current()),
        validators=[Length(max=20)],
        description=_l("この内容が当てはまる年度。例: 令和8年度、2026、R8"),
    )
    laws = TextAreaField(
        _l("根拠法令（任意）"),
        validators=[Length(max=2000)],
        description=_l("読点（、）・カンマ・改行で区切ります。例: 地方税法第15条の7、国税徴収法、○○通知"),
    )

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, _WithoutKnowledge(obj) if obj is not None else None, data, extra_filters, **kwargs)

    def typed_knowledge(self) -> tuple[str | None, str | None]:
        """(年度, 根拠法令) as typed; None for a field the request did not send (an edit keeps it)."""
        sent = request.form
        return (
            self.fiscal_year.data if "fiscal_year" in sent else None,
            self.laws.data or "" if "laws" in sent else None,
        )

    def fill_knowledge(self, post) -> None:
        """The post's 年度 and citations, as the form shows them to edit."""
        self.fiscal_year.data = fiscal_years.label(post.fiscal_year) if post.fiscal_year else ""
        self.laws.data = laws.as_text(post)


class QuestionForm(KnowledgeFields, GuardedForm):
    title = StringField(
        _l("タイトル"),
        validators=[DataRequired(_l("タイトルを入力してください。")), Length(max=TITLE_MAX)],
        description=_l("具体的に。例:「時効の援用があった滞納債権の不納欠損処理の時期は？」"),
    )
    body = TextAreaField(
        _l("本文（Markdown）"),
        validators=[DataRequired(_l("本文を入力してください。")), BODY_LENGTH],
        filters=[lf_newlines],
        description=_l("状況、試したこと、根拠法令や通知などを書くと回答が集まりやすくなります。"),
    )
    tags = StringField(
        _l("タグ（1〜5個）"),
        validators=[DataRequired(_l("タグを1つ以上入力してください。")), Length(max=300)],
        description=_l("カンマ、読点（、）、スペースで区切ります。例: 債権回収、住民税"),
    )
    summary = StringField(_l("編集の概要"), validators=[Length(max=200)])
    base_revision = HiddenField()


class AskForm(QuestionForm):
    # Shown once a near-duplicate was found: ticking it posts the question all the same.
    not_duplicate = BooleanField(_l("重複ではないことを確認しました"))
    meeting = HiddenField()  # a question raised at an exchange meeting (its id): linked to it
    # Shown to members of a group: the choices are the member's groups (set by the view).
    group = SelectField(_l("グループに投稿"), choices=[], validate_choice=False)
    visibility = RadioField(
        _l("公開範囲"),
        choices=[SelectChoice("members", _l("全会員が読める")), SelectChoice("group", _l("グループのメンバーのみ"))],
        default="members",
        validate_choice=False,
        description=_l("「グループのメンバーのみ」の質問は、一覧・検索・フィード・メールのどこにもメンバー以外には表示されません。"),
    )


class AnswerForm(KnowledgeFields, GuardedForm):
    body = TextAreaField(
        _l("回答（Markdown）"),
        validators=[DataRequired(_l("回答を入力してください。")), BODY_LENGTH],
        filters=[lf_newlines],
    )
    summary = StringField(_l("編集の概要"), validators=[Length(max=200)])
    base_revision = HiddenField()


class CommentForm(GuardedForm):
    body = TextAreaField(
        _l("コメント"), validators=[DataRequired(_l("コメントを入力してください。")), Length(max=COMMENT_MAX)]
    )


class RedactRevisionForm(FlaskForm):
    """Redaction cannot be undone: a reason (a code: the audit log keeps no typed text) and a tick."""

    reason = SelectField(
        _l("削除の理由"),
        choices=[
            SelectChoice("", _l("選んでください")),
            *(SelectChoice(code, label) for code, label in REASONS.items()),
        ],
        validators=[DataRequired(_l("削除の理由を選んでください。"))],
    )
    confirm = BooleanField(
        _l("元に戻せないことを理解しました"),
        validators=[DataRequired(_l("元に戻せない操作です。確認のチェックを入れてください。"))],
    )


class RedactPassageForm(RedactRevisionForm):
    passage = TextAreaField(
        _l("削除する文字列"),
        validators=[DataRequired(_l("削除する文字列を入力してください。")), Length(max=PASSAGE_MAX)],
        description=_l(
            "下の編集履歴から、消したい部分をそのまま貼り付けてください。全角・半角や空白の違いは区別しません。"
        ),
    )
