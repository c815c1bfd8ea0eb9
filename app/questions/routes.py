"""Questions, answers, comments, votes and revisions: parse, call one service, render or redirect."""

from collections.abc import Callable

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db, limiter
from app.models import Answer, Comment, Post, Question, SuggestedEdit
from app.questions import bp
from app.questions.forms import AnswerForm, AskForm, CommentForm, QuestionForm
from app.questions.redaction import history_target, render_history
from app.security import safe_redirect_target
from app.services import (
    adoptions,
    answers,
    bookmarks,
    closing,
    comments,
    confirmations,
    fiscal_years,
    following,
    freshness,
    groups,
    meetings,
    organizations,
    permissions,
    privacy_guard,
    questions,
    search,
    votes,
)
from app.services.errors import Conflict, NotFound, PermissionDenied, PersonalInformationFound, ValidationFailed
from app.services.pagination import parse_page
from app.templating import question_url
from app.text import slugify
from app.web import confirmed_categories, show_errors

_VIEWED = "viewed_questions"


def _post_rate():
    return current_app.config["POST_RATE_LIMIT"]


def _get_or_404(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound(object_id)
    return obj


def _visible_answer(answer_id: int) -> Answer:
    answer = _get_or_404(Answer, answer_id)
    questions.get_question(current_user, answer.question_id)  # 404 when the question is gone
    if answer.is_deleted and not current_user.is_authenticated:
        raise NotFound(answer_id)
    if not permissions.can_see_hidden(current_user, answer):
        raise NotFound(answer_id)
    return answer


def visible_post(post_id: int) -> Post:
    """A question or an answer as the reader may see it, or NotFound."""
    post = _get_or_404(Post, post_id)
    if isinstance(post, Answer):
        return _visible_answer(post_id)
    return questions.get_question(current_user, post_id)


@bp.get("/questions")
def index():
    tab = request.args.get("tab", "newest")
    page = questions.list_questions(tab, parse_page(request.args.get("page")), current_app.config["QUESTIONS_PER_PAGE"], viewer=current_user)
    return render_template("questions/index.html", page=page, tab=tab if tab in questions.TABS else "newest")


@bp.route("/questions/ask", methods=["GET", "POST"])
@login_required
@limiter.limit(_post_rate, methods=["POST"])
def ask():
    form = AskForm()
    member_groups = groups.groups_of(current_user)
    form.group.choices = [("", _("グループに投稿しない"))] + [(group.slug, group.name) for group in member_groups]
    near: list[Question] = []
    if form.validate_on_submit():
        # A near-duplicate holds the question once, typed as it was; the tick posts it all the same.
        near = [] if form.not_duplicate.data else closing.near_duplicates(form.title.data)
        question = None if near else _ask(form)
        if question is not None:
            flash(_("質問を投稿しました。"), "success")
            return redirect(question_url(question))
    elif request.method == "GET" and request.args.get("meeting"):
        _prefill_from_meeting(form)
    elif request.method == "GET":
        form.tags.data = request.args.get("tags", "")[:500]
        form.group.data = request.args.get("group", "")[:100]
    meeting = meetings.linked_meeting(form.meeting.data)
    return render_template(
        "questions/ask.html", form=form, near_duplicates=near, meeting=meeting, member_groups=member_groups
    ), 422 if form.privacy or near else 200


def _prefill_from_meeting(form: AskForm) -> None:
    """?meeting=ID&raised=N: the Nth question raised at the meeting, quoted and tagged."""
    meeting = meetings.linked_meeting(request.args["meeting"])
    if meeting is None:
        raise NotFound(request.args["meeting"])
    raised = meetings.split_notes(meeting.notes)[1]
    number = request.args.get("raised", "")
    text = raised[int(number) - 1] if number.isascii() and number.isdigit() and 1 <= int(number) <= len(raised) else ""
    prefill = meetings.ask_prefill(meeting, text)
    form.title.data, form.body.data, form.tags.data, form.meeting.data = prefill["title"], prefill["body"], prefill["tags"], str(meeting.id)


def _meeting_id(form: AskForm) -> int | None:
    meeting = meetings.linked_meeting(form.meeting.data)
    return meeting.id if meeting else None


def _ask(form: AskForm) -> Question | None:
    """The question asked, or None with the service's objections put on the form."""
    fiscal_year, cited = form.typed_knowledge()
    try:
        return questions.ask_question(
            current_user,
            questions.QuestionInput(
                form.title.data,
                form.body.data,
                form.tags.data,
                fiscal_year=fiscal_year,
                laws=cited,
                meeting_id=_meeting_id(form),
                group=form.group.data or "",
                visibility=form.visibility.data or "members",
            ),
            confirmed_categories=confirmed_categories(),
        )
    except ValidationFailed as failure:
        show_errors(form, failure)
    except PersonalInformationFound as found:
        form.hold(found)
    return None


@bp.get("/questions/<id:question_id>")
@bp.get("/questions/<id:question_id>/<path:slug>")
def show(question_id: int, slug: str | None = None):
    question = questions.get_question(current_user, question_id, for_page=True, to_author=True)
    if slug != slugify(question.title):
        return redirect(question_url(question), code=301)
    viewed = session.get(_VIEWED, [])
    if question_id not in viewed:
        questions.record_view(question)
        session[_VIEWED] = [*viewed[-49:], question_id]
    return _render_question(question, AnswerForm())


@bp.route("/questions/<id:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit(question_id: int):
    question = questions.get_question(current_user, question_id)
    _require_edit_form(question)
    form = QuestionForm(obj=question)
    if request.method == "GET":
        form.tags.data = " ".join(tag.name for tag in question.tags)
        form.fill_knowledge(question)

    def save(base_revision: int, summary: str) -> Question | SuggestedEdit:
        fiscal_year, cited = form.typed_knowledge()
        data = questions.QuestionInput(form.title.data, form.body.data, form.tags.data, fiscal_year=fiscal_year, laws=cited)
        return questions.edit_question(
            current_user, question, data, base_revision=base_revision, summary=summary, confirmed_categories=confirmed_categories()
        )

    status = _submit_edit(form, question, save, _("質問を更新しました。"))
    if status is None:
        return redirect(question_url(question))
    return render_template("questions/edit.html", form=form, question=question, conflict=status == 409), status


def _require_edit_form(post: Post) -> None:
    """Others' posts open too: below the edit privilege, saving suggests the edit for review."""
    if not (permissions.can_edit(current_user, post) or permissions.can_suggest_edit(current_user, post)):
        raise PermissionDenied()


def _submit_edit(form, post, save: Callable[[int, str], Post | SuggestedEdit], saved_message: str) -> int | None:
    """An edit form's request: None once `save(base_revision, summary)` has saved it (or stored it
    as a suggestion; the flash says which), else the status of the form page. A stale base revision (someone saved in between) is a 409 that
    keeps the input and moves the form to the newest revision, so saving again is deliberate;
    personal information not confirmed is a 422 that keeps the input and lists the findings."""
    if request.method == "GET":
        form.base_revision.data = post.revision_count
        return 200
    if not form.validate_on_submit():
        return 200
    try:
        saved = save(_base_revision(form), form.summary.data or "")
    except ValidationFailed as failure:
        show_errors(form, failure)
        return 200
    except PersonalInformationFound as found:
        form.hold(found)
        return 422
    except Conflict:
        form.form_errors.append(_conflict_message())
        form.base_revision.data = post.revision_count
        return 409
    if isinstance(saved, SuggestedEdit):
        flash(_("編集の提案を送りました。レビューで承認されると反映されます。"), "success")
    else:
        flash(saved_message, "success")
    return None


def _base_revision(form) -> int:
    value = form.base_revision.data or ""
    return int(value) if str(value).isdigit() else -1


def _conflict_message() -> str:
    return _(
        "編集中にほかの人がこの投稿を更新しました。あなたの入力はそのまま残してあります。"
        "最新の内容（下に表示）を確認し、必要なら反映してから保存し直してください。"
    )


@bp.post("/questions/<id:question_id>/delete")
@login_required
def delete(question_id: int):
    question = questions.get_question(current_user, question_id)
    try:
        questions.delete_question(current_user, question, **_removal_form())
    except ValidationFailed as failure:
        flash(next(iter(failure.errors.values())), "danger")
        return redirect(question_url(question))
    flash(_("質問を削除しました。"), "info")
    return redirect(url_for("questions.index"))


def _removal_form() -> dict[str, str | None]:
    """The reason and the note of a moderator's delete form (authors' forms have neither)."""
    return {"reason": request.form.get("reason"), "note": request.form.get("note")}


@bp.post("/questions/<id:question_id>/undelete")
@login_required
def undelete(question_id: int):
    question = questions.get_question(current_user, question_id)
    questions.undelete_question(current_user, question)
    return redirect(question_url(question))


@bp.post("/questions/<id:question_id>/answers")
@login_required
@limiter.limit(_post_rate)
def answer(question_id: int):
    question = questions.get_question(current_user, question_id)
    form = AnswerForm()
    if form.validate_on_submit():
        fiscal_year, cited = form.typed_knowledge()
        try:
            new_answer = answers.post_answer(
                current_user,
                question,
                form.body.data,
                fiscal_year=fiscal_year,
                cited=cited,
                confirmed_categories=confirmed_categories(),
            )
        except ValidationFailed as failure:
            show_errors(form, failure)
        except PersonalInformationFound as found:
            form.hold(found)
        else:
            flash(_("回答を投稿しました。"), "success")
            return redirect(question_url(question, _anchor=f"answer-{new_answer.id}"))
    # Re-show the question with the typed answer and its errors: nothing is lost.
    return _render_question(question, form), 422


def _render_question(question, answer_form: AnswerForm, held_comment: tuple[int, CommentForm] | None = None) -> str:
    """The question page. `held_comment`: (post id, form) of a comment the guard held, shown
    typed as it was, with its findings, under that post."""
    own_org = current_user.organization if current_user.is_authenticated else None
    # ?answers=similar: only answers from (or adopted by) organizations like the viewer's.
    similar = own_org is not None and request.args.get("answers") == "similar"
    like_orgs = organizations.similar_organizations(own_org) if similar else None
    answer_list = questions.answers_for_display(current_user, question, like_orgs=like_orgs)
    answer_ids = [a.id for a in answer_list]
    this_year = fiscal_years.current()
    return render_template(
        "questions/show.html",
        question=question,
        answers=answer_list,
        similar=similar,
        peer_label=organizations.peer_label(own_org) if own_org is not None else None,
        adopters=adoptions.adopters(answer_ids),
        my_votes=votes.vote_of(current_user, [question.id, *(a.id for a in answer_list)]),
        related=search.similar_questions(question.title, viewer=current_user, limit=6, exclude_id=question.id),
        close=closing.status(current_user, question),
        close_reasons=closing.REASONS,
        answer_form=answer_form,
        held_comment=held_comment,
        following=following.is_following(current_user, question),
        saved=bookmarks.saved_ids(current_user, [question.id, *(a.id for a in answer_list)]),
        freshness_of=freshness.check([question, *answer_list]),
        confirmable=confirmations.confirmable_ids(current_user, [tag.id for tag in question.tags], answer_list),
        this_year=this_year,
        this_year_label=fiscal_years.label(this_year),
    )


@bp.post("/questions/<id:question_id>/follow")
@login_required
def follow(question_id: int):
    question = questions.get_question(current_user, question_id)
    raw = request.form.get("follow", "")
    if raw not in ("1", "0"):
        abort(400)
    following.set_following(current_user, question, raw == "1")
    if raw == "1":
        flash(_("この質問をフォローしました。新しい回答が通知されます。"), "success")
    else:
        flash(_("この質問のフォローをやめました。回答しても自動ではフォローしません。"), "info")
    return redirect(question_url(question))


@bp.post("/posts/<id:post_id>/bookmark")
@login_required
def bookmark(post_id: int):
    """保存 or take it back (`saved` 1 or 0); back to the post, or to `next` (the bookmarks page)."""
    post = visible_post(post_id)
    raw = request.form.get("saved", "")
    if raw not in ("1", "0"):
        abort(400)
    bookmarks.set_saved(current_user, post, raw == "1")
    flash(_("保存しました。") if raw == "1" else _("保存を取り消しました。"), "success" if raw == "1" else "info")
    anchor = f"answer-{post.id}" if post.question_id else None
    return redirect(safe_redirect_target(request.form.get("next"), fallback=question_url(_question_of(post), _anchor=anchor)))


@bp.post("/answers/<id:answer_id>/confirmations")
@login_required
def confirm_answer(answer_id: int):
    """「令和N年度も有効と確認」 (verdict current) or 「古い情報」 (outdated); back to the answer, or
    to `next` (the tag's review page)."""
    answer = _visible_answer(answer_id)
    year = request.form.get("fiscal_year", "").strip()
    try:
        confirmations.confirm(
            current_user,
            answer,
            fiscal_year=int(year) if year.isascii() and year.isdigit() and len(year) <= 4 else (year or None),
            verdict=request.form.get("verdict", "current"),
            note=request.form.get("note", ""),
        )
    except ValidationFailed as failure:
        flash(" ".join(str(message) for message in failure.errors.values()), "danger")
    except PersonalInformationFound as found:
        flash(privacy_guard.held_message(found), "danger")
    else:
        verdict = request.form.get("verdict", "current")
        flash(_("「古い情報」として記録しました。") if verdict == "outdated" else _("今も有効と確認しました。"), "success")
    fallback = question_url(answer.question, _anchor=f"answer-{answer.id}")
    return redirect(safe_redirect_target(request.form.get("next"), fallback=fallback))


@bp.route("/answers/<id:answer_id>/edit", methods=["GET", "POST"])
@login_required
def edit_answer(answer_id: int):
    answer_ = _visible_answer(answer_id)
    _require_edit_form(answer_)
    form = AnswerForm(obj=answer_)
    if request.method == "GET":
        form.fill_knowledge(answer_)

    def save(base_revision: int, summary: str) -> Answer | SuggestedEdit:
        fiscal_year, cited = form.typed_knowledge()
        return answers.edit_answer(
            current_user,
            answer_,
            form.body.data,
            base_revision=base_revision,
            summary=summary,
            fiscal_year=fiscal_year,
            cited=cited,
            confirmed_categories=confirmed_categories(),
        )

    status = _submit_edit(form, answer_, save, _("回答を更新しました。"))
    if status is None:
        return redirect(question_url(answer_.question, _anchor=f"answer-{answer_.id}"))
    return render_template("questions/edit_answer.html", form=form, answer=answer_, conflict=status == 409), status


@bp.post("/answers/<id:answer_id>/delete")
@login_required
def delete_answer(answer_id: int):
    answer_ = _visible_answer(answer_id)
    try:
        answers.delete_answer(current_user, answer_, **_removal_form())
    except ValidationFailed as failure:
        flash(next(iter(failure.errors.values())), "danger")
    else:
        flash(_("回答を削除しました。"), "info")
    return redirect(question_url(answer_.question, _anchor=f"answer-{answer_.id}"))


@bp.post("/answers/<id:answer_id>/undelete")
@login_required
def undelete_answer(answer_id: int):
    answer_ = _visible_answer(answer_id)
    answers.undelete_answer(current_user, answer_)
    return redirect(question_url(answer_.question, _anchor=f"answer-{answer_.id}"))


@bp.post("/answers/<id:answer_id>/accept")
@login_required
def accept(answer_id: int):
    answer_ = _visible_answer(answer_id)
    answers.accept_answer(current_user, answer_)
    flash(_("回答を採用しました。"), "success")
    return redirect(question_url(answer_.question, _anchor=f"answer-{answer_.id}"))


@bp.post("/questions/<id:question_id>/unaccept")
@login_required
def unaccept(question_id: int):
    question = questions.get_question(current_user, question_id)
    answers.unaccept_answer(current_user, question)
    flash(_("採用を取り消しました。"), "info")
    return redirect(question_url(question))


@bp.post("/answers/<id:answer_id>/adoption")
@login_required
def adoption(answer_id: int):
    """「うちでも採用」 (`adopted` 1) or take the organization's mark back (0)."""
    answer_ = _visible_answer(answer_id)
    raw = request.form.get("adopted", "")
    if raw not in ("1", "0"):
        abort(400)
    try:
        if raw == "1":
            adoptions.adopt(current_user, answer_)
            flash(_("%(org)sとして「うちでも採用」を記録しました。", org=current_user.organization.full_name), "success")
        else:
            adoptions.withdraw(current_user, answer_)
            flash(_("%(org)sの「うちでも採用」を取り消しました。", org=current_user.organization.full_name), "info")
    except adoptions.NoOrganization as failure:
        flash(failure.errors["organization"], "warning")
    return redirect(question_url(answer_.question, _anchor=f"answer-{answer_.id}"))


def _question_of(post: Post):
    return post if post.question_id is None else post.question


@bp.post("/posts/<id:post_id>/vote")
@login_required
def vote(post_id: int):
    post = visible_post(post_id)
    question = _question_of(post)
    raw = request.form.get("value", "")
    if raw not in ("1", "-1", "0"):
        abort(400)
    value = int(raw)
    score = votes.cast_vote(current_user, post, value)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(score=score, vote=value)
    anchor = f"answer-{post.id}" if post.question_id else None
    return redirect(question_url(question, _anchor=anchor))


@bp.post("/posts/<id:post_id>/comments")
@login_required
@limiter.limit(_post_rate)
def comment(post_id: int):
    post = visible_post(post_id)
    question = _question_of(post)
    form = CommentForm()
    anchor = f"answer-{post.id}" if post.question_id else "question"
    if form.validate_on_submit():
        try:
            comments.add_comment(current_user, post, form.body.data, confirmed_categories=confirmed_categories())
        except ValidationFailed as failure:
            flash(next(iter(failure.errors.values())), "danger")
        except PersonalInformationFound as found:
            form.hold(found)
            # The page again, the comment typed as it was: nothing is lost.
            return _render_question(question, AnswerForm(formdata=None), held_comment=(post.id, form)), 422
    else:
        flash(_("コメントを入力してください（600文字以内）。"), "danger")
    return redirect(question_url(question, _anchor=anchor))


@bp.post("/comments/<id:comment_id>/delete")
@login_required
def delete_comment(comment_id: int):
    comment_ = _get_or_404(Comment, comment_id)
    question = _question_of(comment_.post)
    comments.delete_comment(current_user, comment_)
    return redirect(question_url(question))


@bp.get("/posts/<id:post_id>/revisions")
def post_revisions(post_id: int):
    return render_history(*history_target(post_id))
