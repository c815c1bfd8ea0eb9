from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from app.models.community import MEETING_TITLE_MAX
from app.questions.forms import GuardedForm, lf_newlines
from app.services.meetings import AGENDA_MAX, NOTES_MAX, URL_MAX
from app.validators import DataRequired, Length


class MeetingForm(FlaskForm):
    title = StringField(
        _l("タイトル"),
        validators=[DataRequired(_l("タイトルを入力してください。")), Length(max=MEETING_TITLE_MAX)],
        description=_l("例: ワクチン接種 情報交換会（予約システムの比較）"),
    )
    date = StringField(_l("日付（日本時間）"), validators=[DataRequired(_l("日付を入力してください。"))], render_kw={"type": "date"})
    start = StringField(_l("開始時刻"), validators=[DataRequired(_l("開始時刻を入力してください。"))], render_kw={"type": "time"})
    end = StringField(_l("終了時刻"), validators=[DataRequired(_l("終了時刻を入力してください。"))], render_kw={"type": "time"})
    agenda = TextAreaField(_l("議題（Markdown）"), validators=[Length(max=AGENDA_MAX)], filters=[lf_newlines])
    capacity = StringField(_l("定員"), validators=[Length(max=6)], description=_l("空欄なら定員なし。"), render_kw={"inputmode": "numeric"})
    online_url = StringField(
        _l("オンライン会議のURL"),
        validators=[Length(max=URL_MAX)],
        description=_l("参加登録した人にだけ表示します。"),
        render_kw={"type": "url"},
    )


class NotesForm(GuardedForm):
    notes = TextAreaField(
        _l("議事メモ（Markdown）"),
        validators=[DataRequired(_l("議事メモを入力してください。")), Length(max=NOTES_MAX)],
        filters=[lf_newlines],
        description=_l("話し合われたことの要点。参加者の氏名や個別の案件が分かることは書かないでください。"),
    )
    raised = TextAreaField(
        _l("挙がった質問（1行に1つ）"),
        validators=[Length(max=5000)],
        filters=[lf_newlines],
        description=_l("それぞれ、質問フォームへのリンクになります。投稿された質問はこの会にひも付きます。"),
    )
