"""JSON endpoints under /api/v1 (DESIGN.md §5). Each parses, calls one service, serializes.

Statuses: 200/201 (+Location)/204, 400 malformed request, 401 no/invalid token, 403 not allowed
(or a read-only token writing), 404 missing or hidden, 409 a concurrent change, 413 body too
large, 422 the service refused the values (with the field messages) or found personal
information not named in `confirmed_findings` (code `personal_information`, with the findings;
nothing stored), 429 rate limit.
"""

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_babel import gettext as _

from app import access
from app.api import auth, bp, serializers
from app.api.auth import ApiError, api_user, flag_limit
from app.api.openapi import MONTH_TEXT_MAX, ORGANIZATION_TEXT_MAX, TAGS_TEXT_MAX, openapi_document
from app.errors import error_response, privilege_required_response
from app.extensions import db, limiter
from app.models import Answer, Post, Question, User
from app.models.community import GROUP_SLUG_MAX
from app.models.knowledge import CITATION_MAX
from app.models.post import BODY_MAX, COMMENT_MAX, TITLE_MAX
from app.models.tag import TAG_NAME_MAX
from app.services import (
    adoptions,
    answers,
    careers,
    closing,
    comments,
    confirmations,
    experts,
    flags,
    groups,
    laws,
    notification_settings,
    notifications,
    permissions,
    privacy_guard,
    profiles,
    questions,
    search,
    tags,
    visibility,
    votes,
    watching,
)
from app.services.errors import NotFound, PermissionDenied, PersonalInformationFound, ValidationFailed
from app.services.pagination import MAX_PAGE
from app.services.privileges import PrivilegeRequired
from app.services.removal import NOTE_MAX
from app.services.tags import MAX_TAGS

PER_PAGE = 20
QUERY_MAX = 200
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})

# Per token: every request counts against the read limit, writes also against the write limit.
limiter.shared_limit(auth.read_limit, scope="api", key_func=auth.rate_limit_key)(bp)
limiter.shared_limit(auth.write_limit, scope="api-write", key_func=auth.rate_limit_key, methods=["POST", "PUT", "DELETE"])(bp)


@bp.before_request
def _authenticate():
    # Members-only (app/access.py): the OpenAPI document too needs a token.
    if request.endpoint not in PUBLIC_ENDPOINTS or not access.public_read():
        auth.require_token()


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    body = {"error": {"code": error.code, "message": error.message}}
    if error.fields:
        body["error"]["fields"] = error.fields
    return jsonify(body), error.status, error.headers


@bp.errorhandler(ValidationFailed)
def _validation_failed(failure: ValidationFailed):
    fields = {name: str(message) for name, message in failure.errors.items()}
    return _api_error(ApiError(422, "validation_failed", " ".join(fields.values()), fields))


@bp.errorhandler(adoptions.NoOrganization)
def _no_organization(failure: adoptions.NoOrganization):
    # A request this member cannot make at all (not a value to correct): 400, not 422.
    return _api_error(ApiError(400, "no_organization", failure.errors["organization"], failure.errors))


@bp.errorhandler(PersonalInformationFound)
def _personal_information(found: PersonalInformationFound):
    findings = [{"category": f.category, "start": f.start, "end": f.end, "field": name} for name, f in found.held]
    body = {"error": {"code": "personal_information", "message": privacy_guard.held_message(found), "findings": findings}}
    return jsonify(body), 422


@bp.errorhandler(PrivilegeRequired)
def _privilege_required(error: PrivilegeRequired):
    # Registered here too: a blueprint handler for PermissionDenied would otherwise win over the app's.
    return privilege_required_response(error)


@bp.errorhandler(sa.exc.IntegrityError)
def _integrity_error(_error):
    # Two requests raced for the same unique row (e.g. both created the same new tag).
    db.session.rollback()
    return error_response(409, _("同時に行われた別の変更と競合しました。もう一度お試しください。"), "conflict")


# ---------------------------------------------------------------- input helpers


def _query_page() -> int:
    """`page` must be a whole number 1..MAX_PAGE; a page past the last one is a 404 from the service."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= MAX_PAGE):
        raise ApiError(400, "bad_request", _("page は1から%(n)dまでの整数で指定してください。", n=MAX_PAGE))
    return int(raw)


def _json_object() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", _("本文は JSON オブジェクトで送ってください（Content-Type: application/json）。"))
    return data


def _text(data: dict, name: str, max_length: int) -> str:
    """A string field as sent. The services clean and check it; the documented maximum length
    applies to what was sent, so a request the OpenAPI document calls invalid is never accepted."""
    value = data.get(name, "")
    if not isinstance(value, str):
        raise ValidationFailed({name: _("%(field)s は文字列で指定してください。", field=name)})
    if len(value) > max_length:
        raise ValidationFailed({name: _("%(field)s は%(n)s文字以内にしてください。", field=name, n=f"{max_length:,}")})
    return value


def _optional_text(data: dict, name: str, max_length: int) -> str | None:
    """Like `_text`, but null (or absent) stays None: `end` of the current post."""
    return None if data.get(name) is None else _text(data, name, max_length)


def _flag(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise ValidationFailed({name: _("%(field)s は true か false で指定してください。", field=name)})
    return value


def _tags(data: dict) -> str:
    """`tags` as a list of names or as typed text (「債権回収、住民税」)."""
    value = data.get("tags", "")
    if isinstance(value, str):
        return _text(data, "tags", TAGS_TEXT_MAX)
    if not isinstance(value, list) or not all(isinstance(item, str) and len(item) <= TAG_NAME_MAX for item in value):
        raise ValidationFailed(
            {"tags": _("tags はタグ名（各%(length)d文字以内）の配列か、区切った文字列で指定してください。", length=TAG_NAME_MAX)}
        )
    if len(value) > MAX_TAGS:  # counted as sent: ["a", "a", …] must not slip under the limit
        raise ValidationFailed({"tags": _("タグは%(n)d個までです。", n=MAX_TAGS)})
    return ",".join(value)


def _fiscal_year(data: dict) -> int | str | None:
    """`fiscal_year`: the Western start year (2026) or typed (「令和8年度」); absent: the current 年度."""
    value = data.get("fiscal_year")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | str)):
        raise ApiError(400, "bad_request", _("fiscal_year は年度の開始年（例: 2026）か「令和8年度」のような文字列で指定してください。"))
    return _text(data, "fiscal_year", 20) if isinstance(value, str) else value


def _laws(data: dict) -> list[str] | str | None:
    """`laws`: citations as a list of strings or as one typed string (「地方税法第15条の7、国税徴収法」)."""
    value = data.get("laws")
    if value is None:
        return None
    if isinstance(value, str):
        return _text(data, "laws", laws.LAWS_TEXT_MAX)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApiError(400, "bad_request", _("laws は根拠法令の文字列の配列か、区切った文字列で指定してください。"))
    if len(value) > laws.MAX_CITATIONS or any(len(item) > CITATION_MAX for item in value):  # as sent, like tags
        raise ValidationFailed(
            {"laws": _("根拠法令は%(n)d件まで、1件%(length)d文字以内です。", n=laws.MAX_CITATIONS, length=CITATION_MAX)}
        )
    return value


def _confirmed(data: dict) -> list[str]:
    """`confirmed_findings`: the categories the client confirms are not personal information."""
    value = data.get("confirmed_findings", [])
    if not isinstance(value, list):
        raise privacy_guard.unknown_category_error()
    return value


def _visible_answer(answer_id: int) -> Answer:
    answer = db.session.get(Answer, answer_id)
    if answer is None:
        raise NotFound(answer_id)
    questions.get_question(api_user(), answer.question_id)  # 404 when the question is hidden
    if answer.is_deleted and not permissions.can_view_deleted(api_user()):
        raise NotFound(answer_id)
    if not permissions.can_see_hidden(api_user(), answer):
        raise NotFound(answer_id)
    return answer


def _visible_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound(post_id)
    if isinstance(post, Answer):
        return _visible_answer(post_id)
    return questions.get_question(api_user(), post_id)


def _posted_in(data: dict) -> dict[str, str]:
    """The group and visibility of a new question (QuestionInput fields): an unknown group, one the member is
    not in, or members-only without a group is a 400 (the request names what cannot be)."""
    group, readers = _text(data, "group", GROUP_SLUG_MAX), _text(data, "visibility", 10) or visibility.MEMBERS
    try:
        if readers not in (visibility.MEMBERS, visibility.GROUP):
            raise ValidationFailed({"visibility": _("visibility は members か group です。")})
        if readers == visibility.GROUP and not group:
            raise ValidationFailed({"group": _("「グループのメンバーのみ」にはグループを選んでください。")})
        if group:
            groups.group_for_posting(api_user(), group)
    except ValidationFailed as failure:
        fields = {name: str(message) for name, message in failure.errors.items()}
        raise ApiError(400, "bad_request", " ".join(fields.values()), fields) from None
    return {"group": group, "visibility": readers}


def _question_body(question: Question) -> dict:
    return serializers.question(question, questions.answers_for_display(api_user(), question))


# ---------------------------------------------------------------- endpoints


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/questions")
def list_questions():
    sort = request.args.get("sort", "newest")
    if sort not in questions.TABS:
        raise ApiError(400, "bad_request", _("sort は %(values)s のいずれかです。", values=", ".join(questions.TABS)))
    tag_name = request.args.get("tag", "").strip()
    tag = tags.get_tag(tag_name[:100]) if tag_name else None
    result = questions.list_questions(sort, _query_page(), PER_PAGE, viewer=api_user(), tag=tag)
    return jsonify(serializers.question_page(result))


@bp.get("/questions/<id:question_id>")
def get_question(question_id: int):
    return jsonify(_question_body(questions.get_question(api_user(), question_id, to_author=True)))


@bp.post("/questions")
def create_question():
    data = _json_object()
    question = questions.ask_question(
        api_user(),
        questions.QuestionInput(
            _text(data, "title", TITLE_MAX),
            _text(data, "body", BODY_MAX),
            _tags(data),
            fiscal_year=_fiscal_year(data),
            laws=_laws(data),
            **_posted_in(data),
        ),
        confirmed_categories=_confirmed(data),
    )
    location = url_for("api.get_question", question_id=question.id)
    return jsonify(_question_body(question)), 201, {"Location": location}


@bp.post("/questions/<id:question_id>/answers")
def create_answer(question_id: int):
    question = questions.get_question(api_user(), question_id)
    data = _json_object()
    answer = answers.post_answer(
        api_user(),
        question,
        _text(data, "body", BODY_MAX),
        fiscal_year=_fiscal_year(data),
        cited=_laws(data),
        confirmed_categories=_confirmed(data),
    )
    location = url_for("api.get_question", question_id=question.id, _anchor=f"answer-{answer.id}")
    return jsonify(serializers.answer(answer, question.accepted_answer_id)), 201, {"Location": location}


@bp.post("/posts/<id:post_id>/comments")
def create_comment(post_id: int):
    post = _visible_post(post_id)
    data = _json_object()
    comment = comments.add_comment(api_user(), post, _text(data, "body", COMMENT_MAX), confirmed_categories=_confirmed(data))
    question_id = post.question_id or post.id
    location = url_for("api.get_question", question_id=question_id, _anchor=f"comment-{comment.id}")
    return jsonify(serializers.comment(comment)), 201, {"Location": location}


@bp.post("/questions/<id:question_id>/close")
def close_question(question_id: int):
    question = questions.get_question(api_user(), question_id)
    data = _json_object()
    outcome = closing.close(api_user(), question, data.get("reason"), data.get("duplicate_of"))
    return _closing_body(question, outcome)


@bp.post("/questions/<id:question_id>/reopen")
def reopen_question(question_id: int):
    question = questions.get_question(api_user(), question_id)
    return _closing_body(question, closing.reopen(api_user(), question))


def _closing_body(question: Question, outcome: closing.Outcome):
    """200 whether the vote decided or not: the question as it now stands and the round's votes."""
    return jsonify({**_question_body(question), "close_votes": serializers.close_round(outcome.round)})
@bp.post("/posts/<id:post_id>/flags")
@flag_limit
def flag_post(post_id: int):
    return _create_flag(_visible_post(post_id))


@bp.post("/comments/<id:comment_id>/flags")
@flag_limit
def flag_comment(comment_id: int):
    return _create_flag(comments.get_comment(api_user(), comment_id))


def _create_flag(target: flags.Target):
    data = _json_object()
    reason = data.get("reason")
    item = flags.flag(api_user(), target, reason if isinstance(reason, str) else None, _text(data, "note", NOTE_MAX))
    return jsonify(serializers.flag(item, target.hidden_at is not None)), 201


@bp.post("/answers/<id:answer_id>/accept")
def accept_answer(answer_id: int):
    answer = _visible_answer(answer_id)
    answers.accept_answer(api_user(), answer)
    return jsonify(_question_body(answer.question))


@bp.post("/answers/<id:answer_id>/confirmations")
def confirm_answer(answer_id: int):
    """「令和N年度も有効と確認」 (verdict current, the default) or 「古い情報」 (outdated)."""
    answer = _visible_answer(answer_id)
    data = _json_object()
    item = confirmations.confirm(
        api_user(),
        answer,
        fiscal_year=data.get("fiscal_year"),
        verdict=data.get("verdict", "current"),
        note=_text(data, "note", confirmations.NOTE_MAX),
        confirmed_categories=_confirmed(data),
    )
    return jsonify(serializers.confirmation(item)), 201


def _adoption_body(answer: Answer) -> dict:
    return {"answer_id": answer.id, "organization": serializers.organization(api_user().organization), "adopted_by": adoptions.counts([answer.id]).get(answer.id, 0)}


@bp.post("/answers/<id:answer_id>/adoptions")
def adopt_answer(answer_id: int):
    """「うちでも採用」 for the caller's organization: 201 when marked now, 200 when it already was."""
    answer = _visible_answer(answer_id)
    added = adoptions.adopt(api_user(), answer)
    return jsonify(_adoption_body(answer)), 201 if added else 200


@bp.delete("/answers/<id:answer_id>/adoptions")
def withdraw_adoption(answer_id: int):
    """Take the caller's organization's mark back (204 also when there was none)."""
    answer = _visible_answer(answer_id)
    adoptions.withdraw(api_user(), answer)
    return "", 204


@bp.post("/posts/<id:post_id>/vote")
def vote(post_id: int):
    post = _visible_post(post_id)
    data = _json_object()
    value = data.get("value")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed({"value": _("value は 1、-1、0 のいずれかの整数です。")})
    score = votes.cast_vote(api_user(), post, value)
    return jsonify({"post_id": post.id, "score": score, "vote": value})


@bp.get("/search")
def search_questions():
    query = request.args.get("q", "")
    if not query.strip() or len(query) > QUERY_MAX:
        raise ValidationFailed({"q": _("q に1〜%(n)d文字の検索語を指定してください。", n=QUERY_MAX)})
    page = _query_page()
    similar = request.args.get("similar_orgs", "0")
    if similar not in ("0", "1"):
        raise ValidationFailed({"similar_orgs": _("similar_orgs は 0 か 1 です。")})
    like = api_user().organization if similar == "1" else None
    if similar == "1" and like is None:
        raise ValidationFailed({"similar_orgs": _("所属団体が設定されていないため、同規模の団体で絞り込めません。")})
    found = search.search_questions(query, viewer=api_user(), page=page, per_page=PER_PAGE, like=like)
    if page > found.pages:
        raise NotFound("page")
    adopted = adoptions.question_counts([hit.question.id for hit in found.hits])
    body = serializers.page([serializers.search_hit(hit, adopted.get(hit.question.id, 0)) for hit in found.hits], found.total, found.page)
    if found.notice:
        body["notice"] = found.notice
    if found.suggestion:
        body["suggestion"] = found.suggestion.query
    if found.choices:
        body["choices"] = [{"label": choice.label, "q": choice.query} for choice in found.choices]
    return jsonify(body)


# ---------------------------------------------------------------- people: experts, profiles, careers


@bp.get("/tags/<name>/experts")
def tag_experts(name: str):
    tag = tags.get_tag(name[:100])  # a synonym or another spelling answers for its tag
    result = experts.rank_experts(
        tag,
        viewer=api_user(),
        scope=request.args.get("scope", "nationwide"),
        holders=request.args.get("holders", "all"),
        limit=PER_PAGE,
        page=_query_page(),
    )
    return jsonify(serializers.expert_page(result, tag.label))


@bp.get("/users/<id:user_id>")
def get_user(user_id: int):
    person = db.session.get(User, user_id)
    # Imported authors (placeholders), unverified and disabled accounts have no profile here.
    if person is None or not person.is_active or not person.is_verified or person.is_placeholder:
        raise NotFound(user_id)
    return jsonify(serializers.user_profile(profiles.profile(api_user(), person)))


@bp.get("/users/me/career")
def list_career():
    return jsonify(serializers.career_list(careers.list_entries(api_user(), api_user())))


@bp.post("/users/me/career")
def add_career_entry():
    data = _json_object()
    entry = careers.add_entry(
        api_user(),
        careers.CareerInput(
            organization=_text(data, "organization", ORGANIZATION_TEXT_MAX),
            department=_text(data, "department", careers.DEPARTMENT_MAX),
            tags=_tags(data),
            start=_text(data, "start", MONTH_TEXT_MAX),
            end=_optional_text(data, "end", MONTH_TEXT_MAX),
            concurrent=_flag(data, "concurrent"),
        ),
    )
    location = url_for("api.delete_career_entry", entry_id=entry.id)
    return jsonify(serializers.career_entry(entry)), 201, {"Location": location}


@bp.delete("/users/me/career/<id:entry_id>")
def delete_career_entry(entry_id: int):
    try:
        careers.delete_entry(api_user(), entry_id)
    except PermissionDenied:
        raise NotFound(entry_id) from None  # another person's entry: its existence is not told
    return "", 204


# ---------------------------------------------------------------- keeping up: watched and ignored tags
# One state per tag: PUT to watched-tags turns an ignored tag into a watched one and the other way
# round; DELETE clears only the state of its own list. Names resolve like everywhere else (NFKC,
# approved synonyms); an unknown name is a 404, and watching never creates a tag.


def _tag_states(kind: str):
    return jsonify(serializers.tag_states(watching.tags_of(api_user(), kind), kind))


def _set_tag_state(name: str, kind: str):
    watching.set_state(api_user(), tags.get_tag(name[:100]), kind)
    return "", 204


def _clear_tag_state(name: str, kind: str):
    watching.clear_state(api_user(), tags.get_tag(name[:100]), kind)
    return "", 204


@bp.get("/users/me/watched-tags")
def list_watched_tags():
    return _tag_states("watch")


@bp.put("/users/me/watched-tags/<name>")
def watch_tag(name: str):
    return _set_tag_state(name, "watch")


@bp.delete("/users/me/watched-tags/<name>")
def unwatch_tag(name: str):
    return _clear_tag_state(name, "watch")


@bp.get("/users/me/ignored-tags")
def list_ignored_tags():
    return _tag_states("ignore")


@bp.put("/users/me/ignored-tags/<name>")
def ignore_tag(name: str):
    return _set_tag_state(name, "ignore")


@bp.delete("/users/me/ignored-tags/<name>")
def unignore_tag(name: str):
    return _clear_tag_state(name, "ignore")


@bp.get("/users/me/settings")
def get_settings():
    return jsonify(notification_settings.as_dict(api_user()))


@bp.put("/users/me/settings")
def update_settings():
    """`{"digest": "daily"|"weekly"|"off", "notifications": {type: channel}}`, either or both."""
    data = _json_object()
    unknown = sorted(set(data) - {"digest", "notifications"})
    if unknown:
        raise ValidationFailed({name: _("%(field)s は設定できません。", field=name) for name in unknown})
    channels = data.get("notifications", {})
    if not isinstance(channels, dict):
        raise ValidationFailed({"notifications": _("notifications は種類ごとの受け取り方のオブジェクトで指定してください。")})
    digest = data.get("digest")
    if "digest" in data:
        notification_settings.check_digest(digest)
    notification_settings.update(api_user(), notification_channels=channels, digest=digest)
    return jsonify(notification_settings.as_dict(api_user()))


def _notification_type() -> str | None:
    raw = request.args.get("type")
    if raw is not None and raw not in notification_settings.BY_KEY:
        raise ApiError(400, "bad_request", _("type は通知の種類（%(types)s）で指定してください。", types=", ".join(notification_settings.BY_KEY)))
    return raw


@bp.get("/users/me/notifications")
def list_notifications():
    user = api_user()
    result = notifications.list_notifications(user, _query_page(), PER_PAGE, type_key=_notification_type())
    items = [serializers.notification(notifications.entry(item, user)) for item in result.items]
    return jsonify(serializers.page(items, result.total, result.page))


@bp.post("/users/me/notifications/<id:notification_id>/read")
def read_notification(notification_id: int):
    user = api_user()
    return jsonify(serializers.notification(notifications.entry(notifications.mark_read(user, notification_id), user)))


@bp.post("/users/me/notifications/read")
def read_all_notifications():
    notifications.mark_all_read(api_user(), _notification_type())
    return "", 204
