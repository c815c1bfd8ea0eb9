"""The analytics filter: a GET form (it changes nothing, so it carries no CSRF token)."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectChoice, SelectField, StringField

from app.validators import Length

SCOPE_CHOICES = [SelectChoice("site", _l("サイト全体")), SelectChoice("organization", _l("団体")), SelectChoice("tag", _l("タグ"))]
PRESET_CHOICES = [
    SelectChoice("this_month", _l("今月")),
    SelectChoice("last_month", _l("先月")),
    SelectChoice("last_90_days", _l("過去90日")),
    SelectChoice("this_fiscal_year", _l("今年度（4月〜3月）")),
]


class AnalyticsForm(Form):
    scope = SelectField(_l("対象"), choices=SCOPE_CHOICES, default="site", validate_choice=False)
    organization = StringField(_l("団体"), validators=[Length(max=120)])
    tag = StringField(_l("タグ"), validators=[Length(max=50)])
    preset = SelectField(_l("期間"), choices=PRESET_CHOICES, default="this_month", validate_choice=False)
    start = StringField(_l("開始日"), validators=[Length(max=20)], render_kw={"placeholder": "2026-12-01"})
    end = StringField(_l("終了日"), validators=[Length(max=20)], render_kw={"placeholder": "2026年12月31日"})
