from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField

from app.questions.forms import GuardedForm, lf_newlines
from app.services.curation import INTRO_MAX, NOTE_MAX, TITLE_MAX
from app.validators import DataRequired, Length


class CollectionForm(GuardedForm):
    title = StringField(
        _l("タイトル"),
        validators=[DataRequired(_l("タイトルを入力してください。")), Length(max=TITLE_MAX)],
        description=_l("例: 債権回収 はじめの10問"),
    )
    intro = TextAreaField(
        _l("紹介文（Markdown）"), validators=[Length(max=INTRO_MAX)], filters=[lf_newlines],
        description=_l("誰に向けたまとめか、どの順に読むとよいかを短く。"),
    )  # fmt: skip
    tag = StringField(_l("タグ"), validators=[DataRequired(_l("タグを入力してください。")), Length(max=35)])
    department = StringField(
        _l("部署（任意）"), validators=[Length(max=100)],
        description=_l("特定の職向けのまとめなら部署名を。その職に着任した人のスタートガイドにも表示されます。"),
    )  # fmt: skip


class ItemForm(GuardedForm):
    question = StringField(
        _l("質問のURLか番号"), validators=[DataRequired(_l("質問のURLか番号を入力してください。")), Length(max=300)]
    )
    note = StringField(_l("ひとこと（任意）"), validators=[Length(max=NOTE_MAX)], description=_l("なぜこの質問を読むとよいか。"))
