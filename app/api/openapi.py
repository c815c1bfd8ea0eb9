"""The OpenAPI 3.1 document of /api/v1, written as data next to the code it describes.

tests/test_api_openapi.py proves that every API rule in `app.url_map` is here and the other
way round, and runs schemathesis against the app from this document; the shapes are those of
app/api/serializers.py. Change the three together.
"""

from copy import deepcopy

from app.models.community import GROUP_SLUG_MAX
from app.models.engagement import DIGEST_FREQUENCIES
from app.models.knowledge import CITATION_MAX, CONFIRMATION_VERDICTS
from app.models.moderation import CLOSE_REASONS
from app.models.post import BODY_MAX, COMMENT_MAX, TITLE_MAX
from app.models.tag import TAG_NAME_MAX
from app.services import notification_settings
from app.services.careers import DEPARTMENT_MAX
from app.services.confirmations import NOTE_MAX as CONFIRMATION_NOTE_MAX
from app.services.experts import HOLDERS, SCOPES
from app.services.fiscal_years import FIRST as FIRST_FISCAL_YEAR
from app.services.fiscal_years import LAST as LAST_FISCAL_YEAR
from app.services.freshness import CODES as FRESHNESS_CODES
from app.services.laws import LAWS_TEXT_MAX, MAX_CITATIONS
from app.services.pagination import MAX_PAGE
from app.services.removal import NOTE_MAX as REMOVAL_NOTE_MAX
from app.services.removal import REASONS as REMOVAL_REASONS
from app.services.tags import MAX_TAGS
from app.web import MAX_ID
from pii import CATEGORIES

TAGS_TEXT_MAX = 300  # the ask form's limit
ORGANIZATION_TEXT_MAX = 120  # the career form's limits
MONTH_TEXT_MAX = 20


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _errors(*statuses: int) -> dict:
    return {str(status): {"$ref": f"#/components/responses/{_ERROR_RESPONSES[status][0]}"} for status in statuses}


def _guarded_errors(*statuses: int) -> dict:
    """Errors of an endpoint that publishes text: its 422 may also be the personal-information guard."""
    return {**_errors(*statuses), "422": {"$ref": "#/components/responses/ValidationFailedOrPersonalInformation"}}


def _id_parameter(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "format": "int32", "minimum": 1, "maximum": MAX_ID},
    }


def _flag_operation(operation_id: str, summary: str, parameter: dict) -> dict:
    """Flags on posts and on comments: the same body, answers and rules."""
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": [parameter],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewFlag")}}},
            "responses": {"201": _json(_ref("Flag"), "受け付けた報告"), **_errors(400, 401, 403, 404, 409, 413, 422, 429)},
        }
    }


_PAGE = {
    "name": "page",
    "in": "query",
    "required": False,
    "description": "ページ番号（1から）。最後のページより後は 404。",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
}

_NOTIFICATION_TYPE = {
    "name": "type",
    "in": "query",
    "required": False,
    "description": "通知の種類で絞り込む",
    "schema": {"type": "string", "enum": [t.key for t in notification_settings.TYPES]},
}

_ERROR_RESPONSES = {
    400: ("BadRequest", "リクエストの形式が正しくありません（JSON でない本文、範囲外の page など）"),
    401: ("Unauthorized", "トークンがない、または無効（取り消し済みを含む）"),
    403: ("Forbidden", "許可されていない操作（他人の質問の採用、自分の投稿への投票、読み取り専用トークンでの書き込み）"),
    404: ("NotFound", "存在しない、削除された、または見る権限がない"),
    409: ("Conflict", "同時に行われた別の変更と競合した"),
    413: ("PayloadTooLarge", "本文が大きすぎる（1 MB まで）"),
    422: ("ValidationFailed", "値が受け付けられない。error.fields に項目ごとのメッセージ"),
    429: ("RateLimited", "トークンごとの回数制限を超えた"),
}

_FISCAL_YEAR_OUT = {
    "type": ["integer", "null"],
    "description": "内容が当てはまる年度（年度が始まる西暦年。令和8年度 = 2026）",
    "examples": [2026],
}
_LAWS_OUT = {
    "type": "array",
    "items": {"type": "string"},
    "description": "根拠法令（正規化した引用。法令名＋条）",
    "examples": [["地方税法第15条の7", "国税徴収法"]],
}
_FISCAL_YEAR_IN = {
    "description": "年度。西暦の開始年（2026）か「令和8年度」「R8」のような文字列。省略すると投稿時の年度",
    "oneOf": [
        {"type": "integer", "minimum": FIRST_FISCAL_YEAR, "maximum": LAST_FISCAL_YEAR},
        {"type": "string", "maxLength": 20},
    ],
    "examples": [2026, "令和8年度"],
}
_LAWS_IN = {
    "description": "根拠法令。配列、または読点・カンマ・改行で区切った文字列。法令名＋条に正規化して保存する"
    "（地税法15条の7 → 地方税法第15条の7）。法令名のわからない引用（「第3条」だけ）は 422",
    "oneOf": [
        {"type": "array", "maxItems": MAX_CITATIONS, "items": {"type": "string", "maxLength": CITATION_MAX}},
        {"type": "string", "maxLength": LAWS_TEXT_MAX},
    ],
    "examples": [["地方税法第15条の7", "国税徴収法"], "地方税法第15条の7、国税徴収法"],
}

_CONFIRMED_FINDINGS = {
    "type": "array",
    "items": {"type": "string", "enum": list(CATEGORIES)},
    "default": [],
    "description": "個人情報チェックで見つかったが個人情報ではないと確認した種類（422 の findings の category）。"
    "見つかった種類をすべて挙げると受け付ける。見つからなかった種類を挙げても害はない",
    "examples": [["phone"]],
}

_OUTDATED = {
    "type": "array",
    "items": {"type": "string", "enum": list(FRESHNESS_CODES)},
    "description": "古いかもしれない理由（空なら該当なし）: old_fiscal_year = 古い年度で確認なし、date_passed = 本文の期限が過ぎた、"
    "law_amended = 根拠法令が改正された、marked_outdated = 「古い情報」と指摘された",
}
_LOCATION = {"Location": {"description": "作成されたリソースの URL", "schema": {"type": "string"}}}

def _tag_state_operations(kind: str, put_summary: str, delete_summary: str) -> dict:
    """PUT and DELETE of one watched or ignored tag: the same parameter, answers and rules."""
    name = {
        "name": "name",
        "in": "path",
        "required": True,
        "description": "タグ名（URL エンコード。同義語・全角・半角カナも可）。ないタグは 404（タグは作られない）",
        "schema": {"type": "string", "minLength": 1, "maxLength": 100, "examples": ["ワクチン接種"]},
    }
    suffix = "Watch" if kind == "watch" else "Ignore"
    return {
        "put": {
            "operationId": f"put{suffix}Tag",
            "summary": put_summary,
            "parameters": [name],
            "responses": {"204": {"description": "設定した（すでに同じ設定でも 204）"}, **_errors(401, 403, 404, 409, 429)},
        },
        "delete": {
            "operationId": f"delete{suffix}Tag",
            "summary": delete_summary,
            "parameters": [name],
            "responses": {"204": {"description": "やめた（設定がなくても 204）"}, **_errors(401, 403, 404, 409, 429)},
        },
    }

_TYPE_KEYS = [t.key for t in notification_settings.TYPES]
_CHANNELS = {t.key: {"type": "string", "enum": list(t.channels)} for t in notification_settings.TYPES}
_DIGEST = {"type": "string", "enum": list(DIGEST_FREQUENCIES), "description": "メールのダイジェスト（日本時間、毎朝7時。weekly は月曜に前の週の分）"}

_SCHEMAS: dict = {
    "Settings": {
        "type": "object",
        "required": ["digest", "notifications"],
        "properties": {
            "digest": _DIGEST,
            "notifications": {
                "type": "object",
                "description": "通知の種類ごとの受け取り方: app = サイト内のみ、email = すぐにメール、digest = ダイジェスト、off = 受け取らない"
                "（moderation は off にできない）",
                "required": _TYPE_KEYS,
                "properties": _CHANNELS,
                "additionalProperties": False,
            },
        },
    },
    "SettingsUpdate": {
        "type": "object",
        "properties": {
            "digest": _DIGEST,
            "notifications": {"type": "object", "properties": _CHANNELS, "additionalProperties": False},
        },
        "additionalProperties": False,
    },
    "Notification": {
        "type": "object",
        "required": ["id", "type", "text", "reason", "read", "url", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "type": {"type": "string", "enum": [*_TYPE_KEYS, "other"]},
            "text": {"type": "string", "description": "通知の内容（見られなくなった投稿については題名を含まない）"},
            "reason": {"type": "string", "description": "届いた理由（例: あなたは 2019–2022 年に債権回収を担当していたため）"},
            "read": {"type": "boolean"},
            "url": {"type": ["string", "null"], "description": "対象のページ。見られなくなった投稿では null"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "NotificationPage": {
        "type": "object",
        "required": ["items", "total", "page"],
        "properties": {
            "items": {"type": "array", "items": _ref("Notification"), "description": "新しい順、1ページ20件"},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "examples": ["validation_failed"]},
                    "message": {"type": "string", "examples": ["タイトルは5文字以上で、内容がわかるように書いてください。"]},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    },
    "PersonalInformationError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "findings"],
                "properties": {
                    "code": {"const": "personal_information"},
                    "message": {"type": "string", "description": "日本語の説明（見つかった種類と、どうすればよいか）"},
                    "findings": {
                        "type": "array",
                        "description": "確認されていない種類の箇所。位置は保存される形の文字列（改行を \\n に統一し前後の空白を除いたもの。"
                        "タイトルは続く空白を1つにまとめたもの）での文字（Unicode コードポイント）の位置で、start を含み end を含まない",
                        "items": {
                            "type": "object",
                            "required": ["category", "start", "end", "field"],
                            "properties": {
                                "category": {"type": "string", "enum": list(CATEGORIES)},
                                "start": {"type": "integer", "minimum": 0},
                                "end": {"type": "integer", "minimum": 0},
                                "field": {"type": "string", "enum": ["title", "body"]},
                            },
                        },
                    },
                },
            }
        },
    },
    "Organization": {
        "type": "object",
        "required": ["code", "name"],
        "properties": {
            "code": {"type": "string", "examples": ["141003"]},
            "name": {"type": "string", "examples": ["神奈川県横浜市"]},
        },
    },
    "User": {
        "type": "object",
        "required": ["id", "display_name", "organization", "placeholder"],
        "properties": {
            "id": {"type": "integer"},
            "display_name": {"type": "string"},
            "organization": {"oneOf": [_ref("Organization"), {"type": "null"}]},
            "placeholder": {"type": "boolean", "description": "インポートされた投稿者（まだ本人のアカウントに引き継がれていない）"},
        },
    },
    "Answer": {
        "type": "object",
        "required": ["id", "question_id", "body", "body_html", "score", "accepted", "adopted_by", "author", "created", "edited", "outdated"],
        "properties": {
            "id": {"type": "integer"},
            "question_id": {"type": "integer"},
            "body": {"type": "string", "description": "Markdown"},
            "body_html": {"type": "string", "description": "サニタイズ済みの HTML"},
            "score": {"type": "integer"},
            "accepted": {"type": "boolean"},
            "adopted_by": {"type": "integer", "description": "「うちでも採用」とした団体の数"},
            "author": _ref("User"),
            "created": {"type": "string", "format": "date-time"},
            "edited": {"type": ["string", "null"], "format": "date-time"},
            "fiscal_year": _FISCAL_YEAR_OUT,
            "laws": _LAWS_OUT,
            "outdated": _OUTDATED,
            "removed": _ref("Removal"),
        },
    },
    "Removal": {
        "type": "object",
        "description": "削除された投稿を、その投稿者（またはモデレーター）が読むときだけ付く",
        "required": ["reason", "note"],
        "properties": {
            "reason": {
                "type": ["string", "null"],
                "enum": [*REMOVAL_REASONS, None],
                "description": "モデレーターが選んだ理由（投稿者自身が削除したときは null）",
            },
            "note": {"type": ["string", "null"], "description": "モデレーターから投稿者へのメモ"},
        },
    },
    "QuestionSummary": {
        "type": "object",
        "required": [
            "id", "title", "body", "body_html", "tags", "score", "accepted_answer_id", "adopted_by", "answer_count", "view_count",
            "author", "created", "last_activity", "closed", "duplicate_of_id", "url", "outdated", "group", "visibility",
        ],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "body": {"type": "string", "description": "Markdown"},
            "body_html": {"type": "string", "description": "サニタイズ済みの HTML"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "score": {"type": "integer"},
            "accepted_answer_id": {"type": ["integer", "null"]},
            "adopted_by": {"type": "integer", "description": "表示中の回答のどれかを「うちでも採用」とした団体の数（重複なし）"},
            "answer_count": {"type": "integer"},
            "view_count": {"type": "integer"},
            "author": _ref("User"),
            "created": {"type": "string", "format": "date-time"},
            "last_activity": {"type": ["string", "null"], "format": "date-time"},
            "closed": {"oneOf": [_ref("Closure"), {"type": "null"}], "description": "閉じられた質問の理由。開いている質問は null"},
            "duplicate_of_id": {"type": ["integer", "null"], "description": "重複として閉じられたときの元の質問（closed.duplicate_of と同じ）"},
            "fiscal_year": _FISCAL_YEAR_OUT,
            "laws": _LAWS_OUT,
            "url": {"type": "string", "description": "HTML ページの URL"},
            "outdated": _OUTDATED,
            "group": {"type": ["string", "null"], "description": "投稿されたグループの slug（グループ外の質問は null）"},
            "visibility": {"type": "string", "enum": ["members", "group"], "description": "members: 全会員が読める / group: グループのメンバーのみ"},
        },
    },
    "Question": {
        "allOf": [
            _ref("QuestionSummary"),
            {
                "type": "object",
                "required": ["answers"],
                "properties": {
                    "answers": {"type": "array", "items": _ref("Answer"), "description": "採用された回答が先頭、次にスコア順（同点は採用した団体が多い順）"},
                    "removed": _ref("Removal"),
                },
            },
        ]
    },
    "Closure": {
        "type": "object",
        "required": ["reason", "duplicate_of"],
        "properties": {
            "reason": {
                "type": ["string", "null"],
                "enum": [*CLOSE_REASONS, None],
                "description": "duplicate = 重複、off_topic = 範囲外、unclear = 不明確、resolved_case = 解決済み（個別案件）。"
                "理由を記録していなかった頃に閉じられた質問は null",
            },
            "duplicate_of": {"type": ["integer", "null"], "description": "重複のとき元の質問の ID"},
        },
    },
    "CloseRequest": {
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": {"type": "string", "enum": list(CLOSE_REASONS)},
            "duplicate_of": {
                "description": "reason が duplicate のとき必須: 元の質問の ID、またはその質問の URL。"
                "別の、表示されていて、それ自体が重複として閉じられていない質問に限る",
                "oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID}, {"type": "string", "maxLength": 300}],
                "examples": [123],
            },
        },
    },
    "CloseVotes": {
        "type": "object",
        "description": "いまの投票の回（閉じた・再開したときは次の回で、0票から）",
        "required": ["kind", "count", "needed", "voted"],
        "properties": {
            "kind": {"type": "string", "enum": ["close", "reopen"], "description": "開いている質問は close、閉じられた質問は reopen"},
            "count": {"type": "integer", "minimum": 0},
            "needed": {"type": "integer", "description": "閉じる（再開する）のに必要な票数"},
            "voted": {"type": "boolean", "description": "このトークンの利用者がこの回に投票済み"},
        },
    },
    "QuestionWithCloseVotes": {
        "allOf": [
            _ref("Question"),
            {"type": "object", "required": ["close_votes"], "properties": {"close_votes": _ref("CloseVotes")}},
        ]
    },
    "QuestionPage": {
        "type": "object",
        "required": ["items", "total", "page"],
        "properties": {
            "items": {"type": "array", "items": _ref("QuestionSummary")},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
        },
    },
    "SearchHit": {
        "type": "object",
        "required": [
            "id", "title", "snippet", "title_html", "snippet_html", "score", "tags", "answer_count", "accepted_answer_id",
            "adopted_by", "answer_id", "url",
        ],
        "properties": {
            "id": {"type": "integer", "description": "質問の ID"},
            "title": {"type": "string"},
            "snippet": {"type": "string", "description": "一致箇所の前後（プレーンテキスト）"},
            "title_html": {"type": "string", "description": "一致箇所を <mark> で囲んだ HTML（エスケープ済み）"},
            "snippet_html": {"type": "string"},
            "score": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "answer_count": {"type": "integer"},
            "accepted_answer_id": {"type": ["integer", "null"]},
            "adopted_by": {"type": "integer", "description": "表示中の回答のどれかを「うちでも採用」とした団体の数"},
            "answer_id": {"type": ["integer", "null"], "description": "抜粋が回答から取られたときのその回答"},
            "url": {"type": "string"},
        },
    },
    "SearchPage": {
        "type": "object",
        "required": ["items", "total", "page"],
        "properties": {
            "items": {"type": "array", "items": _ref("SearchHit")},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "notice": {
                "type": "string",
                "description": "お知らせ: 検索索引が使えず簡易検索で答えたとき、完全一致（\"…\"）を候補の一部でだけ確かめたとき、"
                "どの質問にもない語があったとき（items は空）、タグ・org:・user: の名前が見つからないか複数に当たるとき",
            },
            "suggestion": {"type": "string", "description": "もしかして: よみや打ち間違いを質問での書き方に直した検索語"},
            "choices": {
                "type": "array",
                "description": "名前が複数に当たるとき（org:府中市）や近いタグの候補: それぞれの検索語",
                "items": {
                    "type": "object",
                    "required": ["label", "q"],
                    "properties": {"label": {"type": "string"}, "q": {"type": "string"}},
                },
            },
        },
    },
    "NewQuestion": {
        "type": "object",
        "required": ["title", "body", "tags"],
        "properties": {
            "title": {"type": "string", "minLength": 5, "maxLength": TITLE_MAX, "examples": ["住民税の特別徴収から普通徴収への切替時期は？"]},
            "body": {"type": "string", "minLength": 10, "maxLength": BODY_MAX, "description": "Markdown; at least 10 characters of rendered text (comments, stripped tags and link definitions do not count)"},
            "tags": {
                "description": f"1〜{MAX_TAGS}個。配列、またはカンマ・読点・空白で区切った文字列",
                "oneOf": [
                    {"type": "array", "minItems": 1, "maxItems": MAX_TAGS, "items": {"type": "string", "minLength": 1, "maxLength": TAG_NAME_MAX}},
                    {"type": "string", "minLength": 1, "maxLength": TAGS_TEXT_MAX},
                ],
                "examples": [["住民税", "特別徴収"], "住民税、特別徴収"],
            },
            "fiscal_year": _FISCAL_YEAR_IN,
            "laws": _LAWS_IN,
            "confirmed_findings": _CONFIRMED_FINDINGS,
            "group": {"type": "string", "maxLength": GROUP_SLUG_MAX, "description": "参加しているグループの slug。グループに投稿する（参加していない・存在しないグループは 400）"},
            "visibility": {
                "type": "string",
                "enum": ["members", "group"],
                "default": "members",
                "description": "group: グループのメンバーのみが読める（group が必要）。メンバー以外には一覧・検索・フィードに出ず、詳細は 404",
            },
        },
    },
    "NewAnswer": {
        "type": "object",
        "required": ["body"],
        "properties": {
            "body": {"type": "string", "minLength": 10, "maxLength": BODY_MAX, "description": "Markdown; at least 10 characters of rendered text (comments, stripped tags and link definitions do not count)"},
            "fiscal_year": _FISCAL_YEAR_IN,
            "laws": _LAWS_IN,
            "confirmed_findings": _CONFIRMED_FINDINGS,
        },
    },
    "NewConfirmation": {
        "type": "object",
        "properties": {
            "fiscal_year": {"type": "integer", "minimum": 2000, "description": "確認した年度（年度の始まる西暦の年。令和8年度なら 2026）。省略すると今の年度"},
            "verdict": {"type": "string", "enum": list(CONFIRMATION_VERDICTS), "default": "current", "description": "current = 今も有効、outdated = 古い情報"},
            "note": {"type": "string", "maxLength": CONFIRMATION_NOTE_MAX, "description": "メモ（プレーンテキスト）"},
            "confirmed_findings": _CONFIRMED_FINDINGS,
        },
    },
    "Confirmation": {
        "type": "object",
        "required": ["id", "answer_id", "verdict", "fiscal_year", "note", "user", "created"],
        "properties": {
            "id": {"type": "integer"},
            "answer_id": {"type": "integer"},
            "verdict": {"type": "string", "enum": list(CONFIRMATION_VERDICTS)},
            "fiscal_year": {"type": "integer"},
            "note": {"type": "string"},
            "user": _ref("User"),
            "created": {"type": "string", "format": "date-time"},
        },
    },
    "NewComment": {
        "type": "object",
        "required": ["body"],
        "properties": {
            "body": {"type": "string", "minLength": 2, "maxLength": COMMENT_MAX, "description": "プレーンテキスト"},
            "confirmed_findings": _CONFIRMED_FINDINGS,
        },
    },
    "Comment": {
        "type": "object",
        "required": ["id", "post_id", "body", "author", "created"],
        "properties": {
            "id": {"type": "integer"},
            "post_id": {"type": "integer", "description": "コメントした質問または回答の ID"},
            "body": {"type": "string"},
            "author": _ref("User"),
            "created": {"type": "string", "format": "date-time"},
        },
    },
    "NewFlag": {
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": {"enum": list(REMOVAL_REASONS), "description": "personal_information は確認まで即時に非表示"},
            "note": {"type": "string", "maxLength": REMOVAL_NOTE_MAX, "description": "補足（reason が other のときは必須）"},
        },
    },
    "Flag": {
        "type": "object",
        "required": ["id", "reason", "note", "post_id", "comment_id", "created", "hidden"],
        "properties": {
            "id": {"type": "integer"},
            "reason": {"enum": list(REMOVAL_REASONS)},
            "note": {"type": "string"},
            "post_id": {"type": ["integer", "null"], "description": "報告した質問または回答の ID"},
            "comment_id": {"type": ["integer", "null"], "description": "報告したコメントの ID"},
            "created": {"type": "string", "format": "date-time"},
            "hidden": {"type": "boolean", "description": "報告を受けて、確認が終わるまで非表示になったか"},
        },
    },
    "CareerEntry": {
        "type": "object",
        "required": ["id", "organization", "department", "tags", "start", "end", "current"],
        "properties": {
            "id": {"type": "integer"},
            "organization": _ref("Organization"),
            "department": {"type": "string", "description": "入力されたとおりの部署名", "examples": ["財政局 債権回収課"]},
            "tags": {"type": "array", "items": {"type": "string"}, "examples": [["債権回収"]]},
            "start": {"type": "string", "pattern": r"^\d{4}-\d{2}$", "examples": ["2019-04"]},
            "end": {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}$", "description": "現在の職は null", "examples": ["2022-03"]},
            "current": {"type": "boolean", "description": "現在の職（end が null）"},
        },
    },
    "CareerPage": {
        "type": "object",
        "required": ["items", "total", "page"],
        "properties": {
            "items": {"type": "array", "items": _ref("CareerEntry"), "description": "現在の職が先頭、次に開始月の新しい順。全件を1ページで"},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
        },
    },
    "TagState": {
        "type": "object",
        "required": ["name", "display_name", "kind"],
        "properties": {
            "name": {"type": "string", "description": "タグの名前（正規化済み、URL に使う）", "examples": ["ワクチン接種"]},
            "display_name": {"type": "string", "description": "画面に表示する名前（DX など大文字を保つ）", "examples": ["DX"]},
            "kind": {"type": "string", "enum": ["watch", "ignore"], "description": "watch = ウォッチ中、ignore = 無視"},
        },
    },
    "TagStateList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("TagState"), "description": "全件を名前順に"}},
    },
    "NewCareerEntry": {
        "type": "object",
        "required": ["organization", "department", "start"],
        "properties": {
            "organization": {
                "type": "string",
                "minLength": 1,
                "maxLength": ORGANIZATION_TEXT_MAX,
                "description": "団体コード（6桁）。団体名（「横浜市」）や「神奈川県横浜市 (141003)」の形も可",
                "examples": ["141003"],
            },
            "department": {"type": "string", "minLength": 1, "maxLength": DEPARTMENT_MAX, "examples": ["財政局 債権回収課"]},
            "tags": {
                "description": f"0〜{MAX_TAGS}個。配列、またはカンマ・読点・空白で区切った文字列。新しい名前はタグとして作られる",
                "oneOf": [
                    {"type": "array", "maxItems": MAX_TAGS, "items": {"type": "string", "maxLength": TAG_NAME_MAX}},
                    {"type": "string", "maxLength": TAGS_TEXT_MAX},
                ],
                "default": [],
                "examples": [["債権回収"], "債権回収、住民税"],
            },
            "start": {
                "type": "string",
                "minLength": 1,
                "maxLength": MONTH_TEXT_MAX,
                "description": "開始月「2019-04」（2019/4、令和元年5月 なども可）。来月まで",
                "examples": ["2019-04"],
            },
            "end": {
                "type": ["string", "null"],
                "maxLength": MONTH_TEXT_MAX,
                "description": "終了月「2022-03」。現在の職は null（または省略）。開始月より前・未来の月は不可",
                "examples": ["2022-03", None],
            },
            "concurrent": {
                "type": "boolean",
                "default": False,
                "description": "兼務: ほかの現在の職と並行して担当する。false のとき現在の職は1つだけ",
            },
        },
    },
    "UserProfile": {
        "allOf": [
            _ref("User"),
            {
                "type": "object",
                "required": ["department", "bio", "reputation", "question_count", "answer_count", "accepted_count", "career", "url"],
                "properties": {
                    "department": {"type": "string"},
                    "bio": {"type": "string"},
                    "reputation": {"type": "integer"},
                    "question_count": {"type": "integer"},
                    "answer_count": {"type": "integer"},
                    "accepted_count": {"type": "integer", "description": "採用された回答の数"},
                    "career": {
                        "oneOf": [{"type": "array", "items": _ref("CareerEntry")}, {"type": "null"}],
                        "description": "職歴（現在の職が先頭）。本人の公開設定によりこのトークンの利用者に見せないときは null",
                    },
                    "url": {"type": "string", "description": "HTML のプロフィールページの URL"},
                },
            },
        ]
    },
    "Expert": {
        "type": "object",
        "required": ["user", "score", "reason", "answers", "accepted", "upvotes", "current_holder", "posts"],
        "properties": {
            "user": _ref("User"),
            "score": {"type": "number", "description": "順位の点数（職歴と回答から。計算式は /tags/{name}/experts の説明を参照）"},
            "reason": {"type": "string", "description": "理由（日本語）", "examples": ["2019–2022 横浜市 財政局 債権回収課 · 回答 12件（採用 5）"]},
            "answers": {"type": "integer", "description": "このタグの質問への回答数"},
            "accepted": {"type": "integer", "description": "そのうち採用された数"},
            "upvotes": {"type": "integer", "description": "それらの回答の得票（マイナスの回答は0として）"},
            "current_holder": {"type": "boolean", "description": "このタグの職をいま担当している（公開されている職歴から）"},
            "posts": {"type": "array", "items": _ref("CareerEntry"), "description": "このタグの職のうち、利用者に公開されているもの"},
        },
    },
    "ExpertPage": {
        "type": "object",
        "required": ["items", "total", "page", "tag"],
        "properties": {
            "items": {"type": "array", "items": _ref("Expert")},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "tag": {"type": "string", "description": "タグの正式名（同義語で問い合わせたときも）"},
        },
    },
    "VoteRequest": {
        "type": "object",
        "required": ["value"],
        "properties": {"value": {"type": "integer", "enum": [1, -1, 0], "description": "1 = 賛成、-1 = 反対、0 = 取り消し"}},
    },
    "AdoptionResult": {
        "type": "object",
        "required": ["answer_id", "organization", "adopted_by"],
        "properties": {
            "answer_id": {"type": "integer"},
            "organization": _ref("Organization"),
            "adopted_by": {"type": "integer", "description": "採用した団体の数"},
        },
    },
    "VoteResult": {
        "type": "object",
        "required": ["post_id", "score", "vote"],
        "properties": {"post_id": {"type": "integer"}, "score": {"type": "integer"}, "vote": {"type": "integer", "enum": [1, -1, 0]}},
    },
}

_GROUP_SLUG = {"name": "slug", "in": "path", "required": True, "description": "グループの URL 名（日本語可）", "schema": {"type": "string", "minLength": 1, "maxLength": 100}}

_SCHEMAS.update(
    {
        "GroupSummary": {
            "type": "object",
            "required": ["slug", "name", "join_policy", "tags", "member_count", "question_count", "url"],
            "properties": {
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "join_policy": {"type": "string", "enum": ["open", "approval"], "description": "open: 自由に参加 / approval: 世話人の承認"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "member_count": {"type": "integer"},
                "question_count": {"type": "integer", "description": "グループに投稿された質問のうち、読める数"},
                "url": {"type": "string"},
            },
        },
        "GroupPage": {
            "type": "object",
            "required": ["items", "total", "page"],
            "properties": {"items": {"type": "array", "items": _ref("GroupSummary")}, "total": {"type": "integer"}, "page": {"type": "integer"}},
        },
        "Membership": {
            "type": "object",
            "required": ["group", "status", "role", "watching"],
            "properties": {
                "group": {"type": "string"},
                "status": {"type": "string", "enum": ["active", "pending"], "description": "pending: 世話人の承認待ち"},
                "role": {"type": "string", "enum": ["member", "organizer"]},
                "watching": {"type": "boolean", "description": "グループの新しい質問をウォッチしている"},
            },
        },
        "Group": {
            "type": "object",
            "required": ["slug", "name", "description", "description_html", "join_policy", "tags", "member_count", "members", "membership", "url"],
            "properties": {
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "description": {"type": "string", "description": "Markdown"},
                "description_html": {"type": "string"},
                "join_policy": {"type": "string", "enum": ["open", "approval"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "member_count": {"type": "integer"},
                "members": {
                    "type": "array",
                    "items": {"allOf": [_ref("User"), {"type": "object", "required": ["role"], "properties": {"role": {"type": "string", "enum": ["member", "organizer"]}}}]},
                },
                "membership": {"oneOf": [_ref("Membership"), {"type": "null"}], "description": "トークンの持ち主の参加状態（参加していなければ null）"},
                "url": {"type": "string"},
            },
        },
    }
)

_PATHS: dict = {
    "/groups": {
        "get": {
            "operationId": "listGroups",
            "summary": "テーマグループの一覧（名前順）",
            "responses": {"200": _json(_ref("GroupPage"), "すべてのグループ"), **_errors(401, 429)},
        }
    },
    "/groups/{slug}": {
        "get": {
            "operationId": "getGroup",
            "summary": "テーマグループ（説明、タグ、メンバーと所属団体）",
            "parameters": [_GROUP_SLUG],
            "responses": {"200": _json(_ref("Group"), "グループ"), **_errors(401, 404, 429)},
        }
    },
    "/groups/{slug}/membership": {
        "post": {
            "operationId": "joinGroup",
            "summary": "グループに参加する（承認制のグループは申し込む）",
            "parameters": [_GROUP_SLUG],
            "responses": {
                "201": _json(_ref("Membership"), "参加した（参加済みのときも同じ）"),
                "202": _json(_ref("Membership"), "申し込んだ。世話人が承認すると参加になる"),
                **_errors(401, 403, 404, 429),
            },
        },
        "delete": {
            "operationId": "leaveGroup",
            "summary": "グループから退会する（申し込みの取り下げも）。グループのメンバーのみの質問はすぐ読めなくなる",
            "parameters": [_GROUP_SLUG],
            "responses": {"204": {"description": "退会した（参加していなかったときも同じ）"}, **_errors(401, 403, 404, 422, 429)},
        },
    },
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "この文書（OpenAPI 3.1）",
            "description": "会員限定のサイト（既定）ではトークンが必要。PUBLIC_READ=true のサイトではトークンなしでも読める",
            "responses": {"200": _json({"type": "object"}, "OpenAPI 文書"), **_errors(401)},
        }
    },
    "/questions": {
        "get": {
            "operationId": "listQuestions",
            "summary": "質問の一覧",
            "parameters": [
                {"name": "tag", "in": "query", "required": False, "description": "タグ名（同義語・全角も可）。存在しないタグは 404", "schema": {"type": "string", "maxLength": 100}},
                {"name": "sort", "in": "query", "required": False, "schema": {"type": "string", "enum": ["newest", "active", "unanswered", "votes"], "default": "newest"}},
                _PAGE,
            ],
            "responses": {"200": _json(_ref("QuestionPage"), "1ページ20件"), **_errors(400, 401, 404, 429)},
        },
        "post": {
            "operationId": "createQuestion",
            "summary": "質問する",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewQuestion")}}},
            "responses": {
                "201": _json(_ref("Question"), "作成された質問", _LOCATION),
                **_guarded_errors(400, 401, 403, 409, 413, 429),
            },
        },
    },
    "/questions/{question_id}": {
        "get": {
            "operationId": "getQuestion",
            "summary": "質問と回答",
            "parameters": [_id_parameter("question_id", "質問の ID")],
            "responses": {"200": _json(_ref("Question"), "質問と回答"), **_errors(401, 404, 429)},
        }
    },
    "/questions/{question_id}/answers": {
        "post": {
            "operationId": "createAnswer",
            "summary": "回答する",
            "parameters": [_id_parameter("question_id", "質問の ID")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewAnswer")}}},
            "responses": {
                "201": _json(_ref("Answer"), "作成された回答", _LOCATION),
                **_guarded_errors(400, 401, 403, 404, 409, 413, 429),
            },
        }
    },
    "/posts/{post_id}/comments": {
        "post": {
            "operationId": "createComment",
            "summary": "質問か回答にコメントする",
            "parameters": [_id_parameter("post_id", "質問または回答の ID（同じ番号の空間）")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewComment")}}},
            "responses": {
                "201": _json(_ref("Comment"), "作成されたコメント", _LOCATION),
                **_guarded_errors(400, 401, 403, 404, 409, 413, 429),
            },
        }
    },
    "/questions/{question_id}/close": {
        "post": {
            "operationId": "closeQuestion",
            "summary": "質問を閉じる投票（モデレーターはすぐ閉じる）",
            "description": "評価ポイントで「質問を閉じる・再開する投票」ができる会員の投票。同じ回に1人1票、質問者も投票できる。"
            "必要な票数に達すると閉じる（理由は最も多く選ばれたもの、同数なら先の票。重複の元の質問も同じ）。"
            "モデレーターと管理者はすぐ閉じる。投票だけで閉じなかったときも 200 で、closed は null のまま close_votes に票数が入る。"
            "権限が足りないときは 403（code: privilege_required、message に必要な評価ポイント）",
            "parameters": [_id_parameter("question_id", "質問の ID")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CloseRequest")}}},
            "responses": {
                "200": _json(_ref("QuestionWithCloseVotes"), "投票後（または閉じた後）の質問"),
                **_errors(400, 401, 403, 404, 409, 413, 422, 429),
            },
        }
    },
    "/questions/{question_id}/reopen": {
        "post": {
            "operationId": "reopenQuestion",
            "summary": "閉じられた質問を再開する投票（モデレーターはすぐ再開する）",
            "description": "閉じる投票と同じ規則。開いている質問には 422",
            "parameters": [_id_parameter("question_id", "質問の ID")],
            "responses": {
                "200": _json(_ref("QuestionWithCloseVotes"), "投票後（または再開した後）の質問"),
                **_errors(401, 403, 404, 409, 422, 429),
            },
        }
    },
    "/posts/{post_id}/flags": _flag_operation(
        "flagPost", "質問か回答を報告する（1人1回、自分の投稿には不可）", _id_parameter("post_id", "質問または回答の ID（同じ番号の空間）")
    ),
    "/comments/{comment_id}/flags": _flag_operation(
        "flagComment", "コメントを報告する（1人1回、自分のコメントには不可）", _id_parameter("comment_id", "コメントの ID")
    ),
    "/answers/{answer_id}/accept": {
        "post": {
            "operationId": "acceptAnswer",
            "summary": "回答を採用する（質問者かモデレーターだけ）",
            "parameters": [_id_parameter("answer_id", "回答の ID")],
            "responses": {"200": _json(_ref("Question"), "採用後の質問"), **_errors(401, 403, 404, 409, 429)},
        }
    },
    "/answers/{answer_id}/confirmations": {
        "post": {
            "operationId": "confirmAnswer",
            "summary": "回答を「令和N年度も有効と確認」または「古い情報」とする",
            "description": "質問のタグに詳しい人（そのタグの職歴があるか、そのタグの質問で回答が採用された人）、回答者本人、"
            "評価ポイントで「回答が今も有効か確認する」ができる会員だけ。ほかの人は 403。"
            "current の確認はその年度の間、old_fiscal_year と date_passed を解除する",
            "parameters": [_id_parameter("answer_id", "回答の ID")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewConfirmation")}}},
            "responses": {"201": _json(_ref("Confirmation"), "記録した確認"), **_guarded_errors(400, 401, 403, 404, 409, 413, 429)},
        }
    },
    "/answers/{answer_id}/adoptions": {
        "post": {
            "operationId": "adoptAnswer",
            "summary": "「うちでも採用」: 自分の所属団体がこの回答のやり方を採用していると示す（1団体1回、同じ団体の会員なら誰でも）",
            "parameters": [_id_parameter("answer_id", "回答の ID")],
            "responses": {
                "201": _json(_ref("AdoptionResult"), "団体の採用を記録した"),
                "200": _json(_ref("AdoptionResult"), "すでに記録されていた（何も変えない）"),
                **_errors(400, 401, 403, 404, 409, 429),
            },
        },
        "delete": {
            "operationId": "withdrawAdoption",
            "summary": "所属団体の「うちでも採用」を取り消す（同じ団体の会員なら誰でも）",
            "parameters": [_id_parameter("answer_id", "回答の ID")],
            "responses": {"204": {"description": "取り消した（記録がなくても 204）"}, **_errors(400, 401, 403, 404, 409, 429)},
        },
    },
    "/posts/{post_id}/vote": {
        "post": {
            "operationId": "vote",
            "summary": "質問か回答に投票する（自分の投稿には不可）",
            "parameters": [_id_parameter("post_id", "質問または回答の ID（同じ番号の空間）")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("VoteRequest")}}},
            "responses": {"200": _json(_ref("VoteResult"), "投票後のスコア"), **_errors(400, 401, 403, 404, 409, 413, 422, 429)},
        }
    },
    "/search": {
        "get": {
            "operationId": "search",
            "summary": "全文検索（サイトの検索と同じ演算子: [タグ]、\"語句\"、accepted:yes、年度:2025（fy:）、法令:地方税法（law:）、orgkind:町 など）",
            "parameters": [
                {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}},
                {
                    "name": "similar_orgs",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["0", "1"], "default": "0"},
                    "description": "1: 同規模の団体（呼び出した人の所属団体と同じ種類・同じ人口規模）が質問・回答・採用した質問だけ。所属団体がないと 422",
                },
                _PAGE,
            ],
            "responses": {"200": _json(_ref("SearchPage"), "関連度順、1ページ20件"), **_errors(400, 401, 404, 422, 429)},
        }
    },
    "/tags/{name}/experts": {
        "get": {
            "operationId": "tagExperts",
            "summary": "タグに詳しい人（順位と理由）",
            "description": "点数 = 職歴（このタグの職の在職年数 × 10点、6年まで。離れてからの年数で薄まり5年で半分。"
            "現在の担当は +5点）+ 回答（1件1点、採用 +5点、得票1票1点）。非公開の職歴も点数には使うが、"
            "理由・posts・絞り込みには利用者に公開されている職歴だけを使う。",
            "parameters": [
                {"name": "name", "in": "path", "required": True, "description": "タグ名（同義語・全角も可）", "schema": {"type": "string", "minLength": 1, "maxLength": 100, "examples": ["住民税"]}},
                {
                    "name": "scope",
                    "in": "query",
                    "required": False,
                    "description": "nationwide = 全国、prefecture = 利用者の都道府県内、organization = 利用者の団体（所属団体がないと 422）",
                    "schema": {"type": "string", "enum": list(SCOPES), "default": "nationwide"},
                },
                {
                    "name": "holders",
                    "in": "query",
                    "required": False,
                    "description": "all = すべて、current = 現在の担当、former = 過去の担当",
                    "schema": {"type": "string", "enum": list(HOLDERS), "default": "all"},
                },
                _PAGE,
            ],
            "responses": {"200": _json(_ref("ExpertPage"), "点数の高い順、1ページ20件"), **_errors(400, 401, 404, 422, 429)},
        }
    },
    "/users/{user_id}": {
        "get": {
            "operationId": "getUser",
            "summary": "プロフィール（職歴は本人の公開設定に従う）",
            "parameters": [_id_parameter("user_id", "利用者の ID")],
            "responses": {"200": _json(_ref("UserProfile"), "プロフィール"), **_errors(401, 404, 429)},
        }
    },
    "/users/me/career": {
        "get": {
            "operationId": "listMyCareer",
            "summary": "自分の職歴",
            "responses": {"200": _json(_ref("CareerPage"), "自分の職歴（全件）"), **_errors(401, 429)},
        },
        "post": {
            "operationId": "addMyCareerEntry",
            "summary": "自分の職歴に職を追加する",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewCareerEntry")}}},
            "responses": {
                "201": _json(_ref("CareerEntry"), "追加された職", _LOCATION),
                **_errors(400, 401, 403, 409, 413, 422, 429),
            },
        },
    },
    "/users/me/watched-tags": {
        "get": {
            "operationId": "listWatchedTags",
            "summary": "自分がウォッチしているタグ",
            "description": "ウォッチしたタグの質問はホームの「あなたの分野」に表示される（職歴のタグも同じ）",
            "responses": {"200": _json(_ref("TagStateList"), "ウォッチ中のタグ（kind は watch）"), **_errors(401, 429)},
        }
    },
    "/users/me/watched-tags/{name}": _tag_state_operations(
        "watch", "ウォッチする（無視していたタグは無視をやめてウォッチする）", "ウォッチをやめる（無視しているタグには何もしない）"
    ),
    "/users/me/ignored-tags": {
        "get": {
            "operationId": "listIgnoredTags",
            "summary": "自分が無視しているタグ",
            "description": "無視したタグの質問はホームの一覧に表示されない",
            "responses": {"200": _json(_ref("TagStateList"), "無視しているタグ（kind は ignore）"), **_errors(401, 429)},
        }
    },
    "/users/me/ignored-tags/{name}": _tag_state_operations(
        "ignore", "無視する（ウォッチしていたタグはウォッチをやめて無視する）", "無視をやめる（ウォッチ中のタグには何もしない）"
    ),
    "/users/me/settings": {
        "get": {
            "operationId": "getMySettings",
            "summary": "通知とダイジェストの設定",
            "responses": {"200": _json(_ref("Settings"), "現在の設定"), **_errors(401, 429)},
        },
        "put": {
            "operationId": "updateMySettings",
            "summary": "通知とダイジェストの設定を変える（送った項目だけ）",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("SettingsUpdate")}}},
            "responses": {"200": _json(_ref("Settings"), "変更後の設定"), **_errors(400, 401, 403, 409, 413, 422, 429)},
        },
    },
    "/users/me/notifications": {
        "get": {
            "operationId": "listMyNotifications",
            "summary": "自分への通知（新しい順）",
            "parameters": [_NOTIFICATION_TYPE, _PAGE],
            "responses": {"200": _json(_ref("NotificationPage"), "1ページ20件"), **_errors(400, 401, 404, 429)},
        }
    },
    "/users/me/notifications/{notification_id}/read": {
        "post": {
            "operationId": "readMyNotification",
            "summary": "通知を1件既読にする（他人の通知は 404）",
            "parameters": [_id_parameter("notification_id", "通知の ID")],
            "responses": {"200": _json(_ref("Notification"), "既読にした通知"), **_errors(401, 403, 404, 409, 429)},
        }
    },
    "/users/me/notifications/read": {
        "post": {
            "operationId": "readAllMyNotifications",
            "summary": "通知をすべて既読にする（type を付けるとその種類だけ）",
            "parameters": [_NOTIFICATION_TYPE],
            "responses": {"204": {"description": "既読にした"}, **_errors(400, 401, 403, 409, 429)},
        }
    },
    "/users/me/career/{entry_id}": {
        "delete": {
            "operationId": "deleteMyCareerEntry",
            "summary": "自分の職歴から職を削除する（他人の職は 404）",
            "parameters": [_id_parameter("entry_id", "職歴の ID")],
            "responses": {"204": {"description": "削除した"}, **_errors(401, 403, 404, 409, 429)},
        }
    },
}


def openapi_document() -> dict:
    responses = {}
    for status, (name, description) in _ERROR_RESPONSES.items():
        response = _json(_ref("Error"), description)
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        responses[name] = response
    responses["ValidationFailedOrPersonalInformation"] = _json(
        {"anyOf": [_ref("Error"), _ref("PersonalInformationError")]},
        "値が受け付けられない（code が validation_failed、error.fields に項目ごとのメッセージ）、または"
        "個人情報の可能性がある箇所が見つかった（code が personal_information、error.findings にその箇所。何も保存していない）",
    )
    return deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "Zennin（前任）API",
                "version": "1.0.0",
                "description": "公務員のための Q&A ナレッジベース Zennin の JSON API。"
                "設定ページで作成した個人用トークンを Authorization: Bearer ヘッダーで送ります。説明は /api を参照。",
            },
            "servers": [{"url": "/api/v1"}],
            "security": [{"bearerAuth": []}],
            "paths": _PATHS,
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "znn_ で始まる個人用トークン"}},
                "schemas": _SCHEMAS,
                "responses": responses,
            },
        }
    )
