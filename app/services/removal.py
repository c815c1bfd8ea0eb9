"""Why a post was removed: the reason codes a moderator chooses and their labels (flags reuse
them), and the check of the reason and the note to the author. What removing does is in
app.services.posting (`mark_removed`)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models import Post, User
from app.services.errors import ValidationFailed
from app.text import clean_text

NOTE_MAX = 500
REASONS = {
    "personal_information": _l("個人情報を含む"),
    "spam": _l("スパム・宣伝"),
    "offensive": _l("不適切な表現"),
    "duplicate": _l("重複"),
    "outdated": _l("古い情報"),
    "other": _l("その他"),
}


def label(code: str | None) -> str:
    """The reason in the reader's language; an unknown code as it is."""
    return str(REASONS[code]) if code in REASONS else (code or "")


def reason_required(actor: User, post: Post) -> bool:
    """Removing someone else's post owes them a reason; authors delete their own without one."""
    return actor.id != post.author_id


def check(actor: User, post: Post, reason: str | None, note: str | None) -> tuple[str | None, str | None]:
    """The (reason, note) to store: both None when the author deletes their own post."""
    if not reason_required(actor, post):
        return None, None
    if reason not in REASONS:
        raise ValidationFailed({"reason": _("削除の理由を選んでください。")})
    note = clean_text(note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed({"note": _("投稿者へのメモは%(n)d文字以内にしてください。", n=NOTE_MAX)})
    return reason, note or None
