"""The review queue's pages and its decisions (POST with CSRF, each one service call)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.review import bp
from app.services import review
from app.services.errors import NotFound, ValidationFailed

TABS = {"queue": "review.queue", "first_posts": "review.first_posts"}
DONE = {
    "dismiss": lambda: _("報告を却下し、表示を元に戻しました。"),
    "delete": lambda: _("削除し、報告者と投稿者に知らせました。"),
    "restore": lambda: _("表示を元に戻し、報告者と投稿者に知らせました。"),
    "warn": lambda: _("投稿者に注意を送りました。"),
    "suspend": lambda: _("投稿者を停止しました。すべてのセッションが終了しました。"),
}


@bp.get("")
@login_required
def queue():
    return render_template("review/queue.html", items=review.open_items(current_user))


@bp.get("/first-posts")
@login_required
def first_posts():
    return render_template("review/first_posts.html", posts=review.first_posts(current_user))


@bp.post("/<kind>/<id:item_id>/<action>")
@login_required
def decide(kind: str, item_id: int, action: str):
    # Plain segments, checked here: an unknown one is a 404 after the CSRF check, like every POST.
    target = review.load_target(kind, item_id) if kind in ("posts", "comments") and action in DONE else None
    if target is None:
        raise NotFound(item_id)
    form = request.form
    calls = {
        "dismiss": lambda: review.dismiss(current_user, target),
        "delete": lambda: review.remove(current_user, target, form.get("reason"), form.get("note")),
        "restore": lambda: review.restore(current_user, target),
        "warn": lambda: review.warn(current_user, target, form.get("message")),
        "suspend": lambda: review.suspend(current_user, target, form.get("until"), form.get("reason")),
    }
    try:
        calls[action]()
    except ValidationFailed as failure:
        flash(next(iter(failure.errors.values())), "danger")
    else:
        flash(DONE[action](), "success")
    tab = form.get("tab", "queue")
    if tab not in TABS:
        abort(400)
    return redirect(url_for(TABS[tab]))
