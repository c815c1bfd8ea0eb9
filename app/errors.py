"""Error pages in the user's language (HTML) or JSON under /api/; service errors map to statuses."""

import time

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db, limiter
from app.i18n import wait_text
from app.security import security_event
from app.services import privacy_guard, removal
from app.services.errors import Conflict, Gone, NotFound, PermissionDenied, PersonalInformationFound, Suspended
from app.services.privileges import PrivilegeRequired


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("リクエストが正しくありません"), _("入力内容を確認して、もう一度お試しください。")),
        401: (_("ログインが必要です"), _("この操作にはログインが必要です。")),
        403: (_("この操作は許可されていません"), _("この操作を行う権限がありません。")),
        404: (_("ページが見つかりません"), _("お探しのページは削除されたか、URLが間違っている可能性があります。")),
        405: (_("この方法では利用できません"), _("このページはこの方法（メソッド）では利用できません。")),
        409: (_("ほかの人が先に更新しました"), _("内容が更新されています。最新の状態を確認してから、もう一度お試しください。")),
        410: (_("この投稿は削除されました"), _("この投稿は削除されたため、表示できません。")),
        413: (_("データが大きすぎます"), _("送信された内容が大きすぎます。分量を減らしてお試しください。")),
        414: (_("URLが長すぎます"), _("URLが長すぎるため処理できません。検索語や条件を減らしてお試しください。")),
        422: (_("送信内容を確認してください"), _("送信された内容を受け付けられませんでした。内容は保存されていません。")),
        429: (_("操作が多すぎます"), _("短時間に多くの操作が行われました。しばらく待ってからお試しください。")),
        503: (_("ただいま混み合っています"), _("データベースが混み合っていたため、処理を完了できませんでした。内容は保存されていません。少し待ってから、もう一度送信してください。")),
        500: (_("サーバーでエラーが発生しました"), _("申し訳ありません。時間をおいてもう一度お試しください。問題が続く場合は管理者にお知らせください。")),
    }


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, code: str | None = None):
    title, text = _messages().get(status, _messages()[500])
    if _wants_json():
        body = {"error": {"code": code or _json_code(status), "message": message or title}}
        return jsonify(body), status
    return (
        render_template("errors/error.html", status=status, title=title, text=message or text, request_id=g.get("request_id")),
        status,
    )


def _json_code(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "payload_too_large",
        414: "uri_too_long",
        422: "validation_failed",
        429: "rate_limited",
        503: "unavailable",
    }.get(status, "server_error")


def privilege_required_response(error: PrivilegeRequired):
    """403 that names the missing privilege and its threshold, so the person knows what to earn."""
    security_event("denied", path=request.path, user=getattr(current_user, "id", None), privilege=error.privilege)
    if _wants_json():
        body = {
            "error": {
                "code": "privilege_required",
                "message": error.message,
                "privilege": error.privilege,
                "threshold": error.threshold,
            }
        }
        return jsonify(body), 403
    title, _text = _messages()[403]
    page = render_template(
        "errors/error.html", status=403, title=title, text=error.message, help_privileges=True, request_id=g.get("request_id")
    )
    return page, 403


def too_many_requests(error: HTTPException):
    """429 that says how long to wait, in words and in Retry-After (the limit's window end)."""
    security_event("rate_limited", path=request.path, limit=error.description)
    limit = limiter.current_limit
    # As Flask-Limiter counts Retry-After (its reset_at is rounded up to the next second).
    seconds = max(1, int(limit.reset_at - time.time())) if limit is not None else 60
    wait = wait_text(seconds)
    if _wants_json():
        message = _("回数制限を超えました。%(wait)s後にもう一度お試しください。", wait=wait)
    else:
        message = _("短時間に多くの操作が行われました。%(wait)s後にもう一度お試しください。", wait=wait)
    response, status = error_response(429, message)
    return response, status, {"Retry-After": str(seconds)}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        security_event("csrf_failure", path=request.path, reason=error.description)
        return error_response(400, _("フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてからもう一度送信してください。"), "csrf_failed")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429:
            return too_many_requests(error)
        if error.code == 403:
            security_event("denied", path=request.path)
        return error_response(error.code or 500)

    @app.errorhandler(NotFound)
    def not_found(_error):
        return error_response(404)

    @app.errorhandler(Gone)
    def gone(error: Gone):
        if _wants_json():
            return error_response(404)  # the API's contract: a hidden question is 404
        if error.reason:  # the category only, never the content
            return error_response(410, _("この投稿は削除されたため、表示できません（理由の分類: %(reason)s）。", reason=removal.label(error.reason)))
        return error_response(410)

    @app.errorhandler(PermissionDenied)
    def forbidden(error: PermissionDenied):
        security_event("denied", path=request.path, user=getattr(current_user, "id", None))
        if isinstance(error, Suspended):
            return error_response(403, error.message, "suspended")
        return error_response(403)

    @app.errorhandler(PrivilegeRequired)
    def privilege_required(error: PrivilegeRequired):
        return privilege_required_response(error)

    @app.errorhandler(Conflict)
    def conflict(_error):
        return error_response(409)

    @app.errorhandler(PersonalInformationFound)
    def personal_information(found: PersonalInformationFound):
        # Forms catch it to show the findings; this page is for any other path: nothing was stored.
        return error_response(422, privacy_guard.held_message(found), "personal_information")

    @app.errorhandler(OperationalError)
    def database_busy(error: OperationalError):
        # The transaction was rolled back whole: nothing is half-written, so retrying is safe.
        app.logger.warning("database unavailable request_id=%s: %s", g.get("request_id"), error.orig)
        db.session.rollback()
        if request.method == "GET":
            return error_response(503, _("データベースが混み合っています。少し待ってから、ページを再読み込みしてください。"))
        return error_response(503)

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("unhandled error request_id=%s", g.get("request_id"))
        return error_response(500)
