from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from app.validators import Length

# A text box, not <input type=month>: the service also reads 2019/4, 令和5年4月 and R5.4, which
# people in Japanese offices type as often as 2019-04.
_MONTH_INPUT = {"placeholder": _l("例: 2019-04"), "autocomplete": "off"}


class PostFields(FlaskForm):
    """Where: organization (with the registration picker), department, tags, and when it started.

    Required fields are checked by the service, which reports every error at once."""

    organization = StringField(_l("団体"), validators=[Length(max=120)])
    department = StringField(_l("部署（例: 財政局 債権回収課 徴収係）"), validators=[Length(max=100)])
    tags = StringField(
        _l("分野のタグ（0〜5個）"),
        validators=[Length(max=300)],
        description=_l("カンマ、読点（、）、スペースで区切ります。例: 債権回収、住民税"),
    )
    start = StringField(_l("開始月"), validators=[Length(max=20)], render_kw=_MONTH_INPUT)


class CareerForm(PostFields):
    end = StringField(
        _l("終了月"), validators=[Length(max=20)], description=_l("今の職なら空欄のまま。"), render_kw=_MONTH_INPUT
    )
    concurrent = BooleanField(_l("兼務（ほかの現在の職と並行して担当）"))


class TransferForm(PostFields):
    tags = StringField(
        _l("分野のタグ（0〜5個）"),
        validators=[Length(max=300)],
        description=_l("空欄なら、この部署の前任者が付けたタグを使います。例: 債権回収"),
    )
    start = StringField(
        _l("着任月"),
        validators=[Length(max=20)],
        description=_l("今の職はその前の月で終了になります。内示を受けた段階なら来月も選べます。"),
        render_kw=_MONTH_INPUT,
    )



class FirstRunForm(PostFields):
    start = None  # the current post keeps the month registration gave it
    tags = StringField(
        _l("担当している分野のタグ（0〜5個）"),
        validators=[Length(max=300)],
        description=_l("カンマ、読点（、）、スペースで区切ります。例: 債権回収、住民税。空欄でも、部署名と前任者から推定します。"),
    )
