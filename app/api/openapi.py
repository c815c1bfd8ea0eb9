"""The OpenAPI 3.1 document of /api/v1, written as data next to the code it describes.

tests/test_api_openapi.py proves that every API rule in `app.url_map` is here and the other
way round, and runs schemathesis against the app from this document; the shapes are those of
app/api/serializers.py. Change the three together.
"""

from copy import deepcopy

from app.models.post import TITLE_MAX
from app.models.tag import TAG_NAME_MAX
from app.services.pagination import MAX_PAGE
from app.services.tags import MAX_TAGS

MAX_ID = 2**63 - 1
BODY_MAX = 30000  # MARKDOWN_MAX_CHARS
TAGS_TEXT_MAX = 300  # the ask form's limit


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _errors(*statuses: int) -> dict:
    return {str(status): {"$ref": f"#/components/responses/{_ERROR_RESPONSES[status][0]}"} for status in statuses}


def _id_parameter(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID},
    }


_PAGE = {
    "name": "page",
    "in": "query",
    "required": False,
    "description": "ページ番号（1から）。最後のページより後は 404。",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
}

_ERROR_RESPONSES = {
    400: ("BadRequest", "リクエストの形式が正しくありません（JSON でない本文、範囲外の page など）"),
    401: ("Unauthorized", "トークンがない、または無効（取り消し済みを含む）"),
    403: ("Forbidden", "許可されていない操作（他人の質問の採用、自分の投稿への投票、読み取り専用トークンでの書き込み）"),
    404: ("NotFound", "存在しない、または削除された"),
    409: ("Conflict", "同時に行われた別の変更と競合した"),
    413: ("PayloadTooLarge", "本文が大きすぎる（1 MB まで）"),
    422: ("ValidationFailed", "値が受け付けられない。error.fields に項目ごとのメッセージ"),
    429: ("RateLimited", "トークンごとの回数制限を超えた"),
}

_LOCATION = {"Location": {"description": "作成されたリソースの URL", "schema": {"type": "string"}}}

_SCHEMAS: dict = {
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
        "required": ["id", "question_id", "body", "body_html", "score", "accepted", "author", "created", "edited"],
        "properties": {
            "id": {"type": "integer"},
            "question_id": {"type": "integer"},
            "body": {"type": "string", "description": "Markdown"},
            "body_html": {"type": "string", "description": "サニタイズ済みの HTML"},
            "score": {"type": "integer"},
            "accepted": {"type": "boolean"},
            "author": _ref("User"),
            "created": {"type": "string", "format": "date-time"},
            "edited": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "QuestionSummary": {
        "type": "object",
        "required": [
            "id", "title", "body", "body_html", "tags", "score", "accepted_answer_id", "answer_count", "view_count",
            "author", "created", "last_activity", "closed", "duplicate_of_id", "url",
        ],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "body": {"type": "string", "description": "Markdown"},
            "body_html": {"type": "string", "description": "サニタイズ済みの HTML"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "score": {"type": "integer"},
            "accepted_answer_id": {"type": ["integer", "null"]},
            "answer_count": {"type": "integer"},
            "view_count": {"type": "integer"},
            "author": _ref("User"),
            "created": {"type": "string", "format": "date-time"},
            "last_activity": {"type": ["string", "null"], "format": "date-time"},
            "closed": {"type": "boolean"},
            "duplicate_of_id": {"type": ["integer", "null"], "description": "重複として閉じられたときの元の質問"},
            "url": {"type": "string", "description": "HTML ページの URL"},
        },
    },
    "Question": {
        "allOf": [
            _ref("QuestionSummary"),
            {
                "type": "object",
                "required": ["answers"],
                "properties": {"answers": {"type": "array", "items": _ref("Answer"), "description": "採用された回答が先頭、次にスコア順"}},
            },
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
        "required": ["id", "title", "snippet", "title_html", "snippet_html", "score", "tags", "answer_count", "accepted_answer_id", "answer_id", "url"],
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
            "notice": {"type": "string", "description": "検索索引が使えず簡易検索で答えたときのお知らせ"},
        },
    },
    "NewQuestion": {
        "type": "object",
        "required": ["title", "body", "tags"],
        "properties": {
            "title": {"type": "string", "minLength": 5, "maxLength": TITLE_MAX, "examples": ["住民税の特別徴収から普通徴収への切替時期は？"]},
            "body": {"type": "string", "minLength": 10, "maxLength": BODY_MAX, "description": "Markdown"},
            "tags": {
                "description": f"1〜{MAX_TAGS}個。配列、またはカンマ・読点・空白で区切った文字列",
                "oneOf": [
                    {"type": "array", "minItems": 1, "maxItems": MAX_TAGS, "items": {"type": "string", "minLength": 1, "maxLength": TAG_NAME_MAX}},
                    {"type": "string", "minLength": 1, "maxLength": TAGS_TEXT_MAX},
                ],
                "examples": [["住民税", "特別徴収"], "住民税、特別徴収"],
            },
        },
    },
    "NewAnswer": {
        "type": "object",
        "required": ["body"],
        "properties": {"body": {"type": "string", "minLength": 10, "maxLength": BODY_MAX, "description": "Markdown"}},
    },
    "VoteRequest": {
        "type": "object",
        "required": ["value"],
        "properties": {"value": {"type": "integer", "enum": [1, -1, 0], "description": "1 = 賛成、-1 = 反対、0 = 取り消し"}},
    },
    "VoteResult": {
        "type": "object",
        "required": ["post_id", "score", "vote"],
        "properties": {"post_id": {"type": "integer"}, "score": {"type": "integer"}, "vote": {"type": "integer", "enum": [1, -1, 0]}},
    },
}

_PATHS: dict = {
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "この文書（OpenAPI 3.1）",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "OpenAPI 文書")},
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
                **_errors(400, 401, 403, 409, 413, 422, 429),
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
                **_errors(400, 401, 403, 404, 409, 413, 422, 429),
            },
        }
    },
    "/answers/{answer_id}/accept": {
        "post": {
            "operationId": "acceptAnswer",
            "summary": "回答を採用する（質問者かモデレーターだけ）",
            "parameters": [_id_parameter("answer_id", "回答の ID")],
            "responses": {"200": _json(_ref("Question"), "採用後の質問"), **_errors(401, 403, 404, 409, 429)},
        }
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
            "summary": "全文検索（サイトの検索と同じ演算子: [タグ]、\"語句\"、accepted:yes など）",
            "parameters": [
                {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}},
                _PAGE,
            ],
            "responses": {"200": _json(_ref("SearchPage"), "関連度順、1ページ20件"), **_errors(400, 401, 404, 422, 429)},
        }
    },
    # Issue 4 (people, careers, experts) adds its paths here:
    #   /tags/{name}/experts (GET), /users/{user_id} (GET), /users/me/career (GET, POST),
    #   /users/me/career/{entry_id} (DELETE)
}


def openapi_document() -> dict:
    responses = {}
    for status, (name, description) in _ERROR_RESPONSES.items():
        response = _json(_ref("Error"), description)
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        responses[name] = response
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
