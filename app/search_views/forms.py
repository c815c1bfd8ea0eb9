from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from app.validators import Length


class SynonymsForm(FlaskForm):
    synonyms = TextAreaField(
        _l("同義語辞書"),
        validators=[Length(max=50000)],
        description=_l("1行に1グループ。同じ意味で使われる語を読点（、）かカンマで区切ります。例: 滞納整理、債権回収"),
    )
