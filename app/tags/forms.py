from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from app.validators import Length

CATEGORY_CHOICES = [SelectChoice("policy", _l("政策分野")), SelectChoice("department", _l("部署業務")), SelectChoice("topic", _l("トピック"))]


class TagEditForm(FlaskForm):
    category = SelectField(_l("分類"), choices=CATEGORY_CHOICES)
    description = TextAreaField(_l("説明（Markdown）"), validators=[Length(max=5000)])
    synonyms = StringField(
        _l("同義語"), validators=[Length(max=500)], description=_l("この名前で入力されたタグはこのタグになります。")
    )


class TagRenameForm(FlaskForm):
    name = StringField(
        _l("新しい名前"),
        validators=[Length(max=100)],
        description=_l("今の名前は同義語として残ります。大文字・小文字だけを変えると表示だけが変わります（dx → DX）。"),
    )


class TagMergeForm(FlaskForm):
    target = StringField(
        _l("統合先のタグ"),
        validators=[Length(max=100)],
        description=_l("質問・職歴・同義語は統合先に移り、このタグの名前は統合先の同義語になります。このタグは削除されます。"),
    )


class SynonymProposalForm(FlaskForm):
    name = StringField(
        _l("同義語を提案"),
        validators=[Length(max=100)],
        description=_l("モデレーターが承認すると、この名前で入力されたタグはこのタグになります。"),
    )
