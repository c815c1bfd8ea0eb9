from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from app.models.community import GROUP_NAME_MAX, GROUP_SLUG_MAX
from app.services.groups import DESCRIPTION_MAX
from app.validators import Length


class GroupForm(FlaskForm):
    name = StringField(_l("グループ名"), validators=[Length(max=GROUP_NAME_MAX)])
    slug = StringField(
        _l("URL 名"),
        validators=[Length(max=GROUP_SLUG_MAX)],
        description=_l("/groups/ のあとに続く名前。日本語も使えます（空欄ならグループ名から作ります）。"),
    )
    description = TextAreaField(_l("説明（Markdown）"), validators=[Length(max=DESCRIPTION_MAX)])
    tags = StringField(
        _l("関連するタグ"), validators=[Length(max=500)], description=_l("このタグの質問がグループのページに表示されます。")
    )
    join_policy = SelectField(
        _l("参加方法"), choices=[SelectChoice("open", _l("自由に参加")), SelectChoice("approval", _l("世話人の承認が必要"))]
    )
