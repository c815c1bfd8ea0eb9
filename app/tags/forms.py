from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length

CATEGORY_CHOICES = [SelectChoice("policy", _l("政策分野")), SelectChoice("department", _l("部署業務")), SelectChoice("topic", _l("トピック"))]


class TagEditForm(FlaskForm):
    category = SelectField(_l("分類"), choices=CATEGORY_CHOICES)
    description = TextAreaField(_l("説明（Markdown）"), validators=[Length(max=5000)])
    synonyms = StringField(
        _l("同義語"), validators=[Length(max=500)], description=_l("この名前で入力されたタグはこのタグになります。")
    )
