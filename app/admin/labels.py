"""How the audit page names what it shows: action codes, target types, detail keys and values.
A code missing here is shown as it is, so a new action is never hidden; add its label here."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models import AuditLog
from app.services import audit, closing, redaction, removal, suggested_edits

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
    "post_redact": _l("個人情報の削除（一部分）"),
    "revision_redact": _l("個人情報の削除（版全体）"),
    "pii_confirm": _l("「個人情報ではありません」の確認"),
    "question_close": _l("質問を閉じる"),
    "question_reopen": _l("質問の再開"),
    "answers_merge": _l("重複した質問の回答の統合"),
    "tag_edit": _l("タグの編集"),
    "law_amendment_record": _l("法令の改正の記録"),
    "law_amendment_delete": _l("法令の改正の記録の削除"),
    "tag_merge": _l("タグの統合"),
    "tag_rename": _l("タグの名前の変更"),
    "tag_delete": _l("タグの削除"),
    "tag_synonym_propose": _l("タグの同義語の提案"),
    "tag_synonym_approve": _l("タグの同義語の承認"),
    "tag_synonym_reject": _l("タグの同義語の却下"),
    "search_synonyms_replace": _l("同義語辞書の更新"),
    "role_change": _l("権限の変更"),
    "org_admin_change": _l("団体管理者の変更"),
    "login_lockout": _l("ログインの一時停止"),
    "password_change": _l("パスワードの変更"),
    "password_reset": _l("パスワードの再設定"),
    "placeholder_claim": _l("インポートした投稿者の引き継ぎ"),
    "api_token_create": _l("APIトークンの発行"),
    "api_token_revoke": _l("APIトークンの無効化"),
    "feed_token_create": _l("フィードURLの発行"),
    "feed_token_revoke": _l("フィードURLの無効化"),
    "flag_hide": _l("報告による非表示"),
    "flag_dismiss": _l("報告の却下（表示に戻す）"),
    "flag_uphold": _l("報告への対応"),
    "user_warn": _l("投稿者への注意"),
    "user_suspend": _l("投稿者の停止"),
    "suggested_edit_approve": _l("編集の提案の承認"),
    "suggested_edit_reject": _l("編集の提案の却下"),
    "mail_retry": _l("送信できなかったメールの再送"),
    "collection_edit": _l("他人のまとめの編集"),
    "collection_delete": _l("他人のまとめの削除"),
    "mail_discard": _l("送信できなかったメールの破棄"),
}

TARGET_TYPES = {
    "post": _l("投稿"),
    "comment": _l("コメント"),
    "revision": _l("版"),
    "user": _l("ユーザー"),
    "tag": _l("タグ"),
    "search_synonyms": _l("同義語辞書"),
    "api_token": _l("APIトークン"),
    "suggested_edit": _l("編集の提案"),
    "mail": _l("メール"),
    "handover_note": _l("引継書"),
    "collection": _l("まとめ"),
    "law_amendment": _l("法令の改正"),
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
    "question_id": _l("質問"),
    "occurrences": _l("置き換えた箇所"),
    "revisions": _l("版（投稿: 版番号）"),
    "comments": _l("コメント"),
    "mails": _l("メール"),
    "current": _l("現在の版を含む"),
    "scope": _l("権限"),
    "duplicate_of": _l("元の質問"),
    "votes": _l("投票した人"),
    "answers": _l("回答"),
    "unaccepted": _l("採用を外した回答"),
    "flag": _l("報告"),
    "flags": _l("報告"),
    "outcome": _l("対応"),
    "comment": _l("コメント"),
    "until": _l("終了日"),
    "suggestion": _l("編集の提案"),
    "suggester": _l("提案したユーザー"),
    "source": _l("統合元"),
    "source_id": _l("統合元のID"),
    "target": _l("統合先"),
    "questions": _l("質問数"),
    "careers": _l("職歴数"),
    "before": _l("変更前"),
    "after": _l("変更後"),
    "name": _l("名前"),
    "synonym": _l("同義語"),
    "synonym_id": _l("同義語のID"),
    "approved": _l("承認済み"),
    "message_id": _l("Message-ID"),
    "organization": _l("団体"),
}
_DETAIL_VALUES = {
    "old_role": ROLES,
    "new_role": ROLES,
    "by": {"ip": _l("接続元"), "account": _l("アカウント"), "account_ip": _l("アカウントと接続元")},
    "via": {"cli": _l("コマンドライン")},
    "outcome": {"delete": _l("削除"), "restore": _l("修正後に表示")},
}


def action(code: str) -> str:
    return str(ACTIONS.get(code, code))


def target_type(code: str) -> str:
    return str(TARGET_TYPES.get(code, code))


def role(code: str) -> str:
    return str(ROLES.get(code, code))


def detail(entry: AuditLog) -> list[tuple[str, str]]:
    """The entry's detail as (label, value) pairs in the order recorded; lists joined with 「、」."""
    # Redactions, closing, removals and rejected suggestions record a `reason`, each from its own list of codes.
    if entry.action.endswith("_redact"):
        reasons = redaction.REASONS
    elif entry.action in ("question_close", "question_reopen"):
        reasons = closing.REASONS
    elif entry.action == "suggested_edit_reject":
        reasons = suggested_edits.REJECT_REASONS
    else:
        reasons = removal.REASONS
    return [
        (str(_DETAIL_KEYS.get(key, key)), _value(key, value, reasons)) for key, value in audit.detail_of(entry).items()
    ]


def _value(key: str, value, reasons: dict) -> str:
    separator = _("、")
    if isinstance(value, list):
        return separator.join(_value(key, item, reasons) for item in value)
    if isinstance(value, dict):  # {post id: [revision numbers]}
        return separator.join(f"{name}: {_value(key, item, reasons)}" for name, item in value.items())
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if key == "reason":
        return str(reasons.get(value, value))
    return str(_DETAIL_VALUES.get(key, {}).get(value, value))
