"""How the audit page names what it shows: action codes, target types, detail keys and values.
A code missing here is shown as it is, so a new action is never hidden; add its label here."""

from flask_babel import lazy_gettext as _l

from app.models import AuditLog
from app.services import audit, removal

ACTIONS = {
    "question_delete": _l("質問の削除"),
    "question_undelete": _l("質問の復元"),
    "question_edit": _l("他人の質問の編集"),
    "answer_delete": _l("回答の削除"),
    "answer_undelete": _l("回答の復元"),
    "answer_edit": _l("他人の回答の編集"),
    "answer_accept": _l("回答の採用（質問者以外）"),
    "answer_unaccept": _l("採用の取り消し（質問者以外）"),
    "comment_delete": _l("コメントの削除"),
    "redact_passage": _l("個人情報の削除（一部分）"),
    "redact_revision": _l("個人情報の削除（版全体）"),
    "pii_confirm": _l("「個人情報ではありません」の確認"),
    "tag_edit": _l("タグの編集"),
    "search_synonyms_replace": _l("同義語辞書の更新"),
    "role_change": _l("権限の変更"),
    "login_lockout": _l("ログインの一時停止"),
    "password_change": _l("パスワードの変更"),
    "password_reset": _l("パスワードの再設定"),
    "placeholder_claim": _l("インポートした投稿者の引き継ぎ"),
    "token_create": _l("APIトークンの発行"),
    "token_revoke": _l("APIトークンの無効化"),
    "feed_token_create": _l("フィードURLの発行"),
    "feed_token_revoke": _l("フィードURLの無効化"),
}

TARGET_TYPES = {
    "post": _l("投稿"),
    "comment": _l("コメント"),
    "revision": _l("版"),
    "user": _l("ユーザー"),
    "tag": _l("タグ"),
    "search_synonyms": _l("同義語辞書"),
    "token": _l("トークン"),
}

ROLES = {"member": _l("一般"), "moderator": _l("モデレーター"), "admin": _l("管理者")}

_DETAIL_KEYS = {
    "reason": _l("理由"),
    "old_role": _l("変更前"),
    "new_role": _l("変更後"),
    "via": _l("経路"),
    "revision": _l("版"),
    "post": _l("投稿"),
    "categories": _l("分類"),
    "category": _l("分類"),
    "limit": _l("制限"),
    "by": _l("単位"),
    "groups": _l("グループ数"),
    "synonyms": _l("同義語"),
    "claimed_by": _l("引き継いだユーザー"),
}
_DETAIL_VALUES = {
    "old_role": ROLES,
    "new_role": ROLES,
    "by": {"ip": _l("接続元"), "account": _l("アカウント")},
    "via": {"cli": _l("コマンドライン")},
}


def action(code: str) -> str:
    return str(ACTIONS.get(code, code))


def target_type(code: str) -> str:
    return str(TARGET_TYPES.get(code, code))


def role(code: str) -> str:
    return str(ROLES.get(code, code))


def detail(entry: AuditLog) -> list[tuple[str, str]]:
    """The entry's detail as (label, value) pairs in the order recorded; lists joined with 「、」."""
    return [(str(_DETAIL_KEYS.get(key, key)), _value(key, value)) for key, value in audit.detail_of(entry).items()]


def _value(key: str, value) -> str:
    if isinstance(value, list):
        return "、".join(_value(key, item) for item in value)
    if key == "reason":
        return removal.label(value)
    return str(_DETAIL_VALUES.get(key, {}).get(value, value))
