"""Exchange meetings (情報交換会): the archives, a meeting's page, registering, notes, .ics."""

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.meetings import bp
from app.meetings.forms import MeetingForm, NotesForm
from app.services import meetings
from app.services.errors import PermissionDenied, PersonalInformationFound, ValidationFailed
from app.web import confirmed_categories, show_errors

QUERY_MAX = 200


@bp.app_context_processor
def _group_section():
    """For templates/meetings/_group_section.html, included in the group page."""
    return {"meeting_section": meetings.group_section}


def _calendar(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-cache"},
    )


@bp.get("/meetings")
def archive():
    """Every group's meetings, latest first; the box searches titles, agendas and notes."""
    query = request.args.get("q", "")[:QUERY_MAX]
    found = meetings.search_meetings(query)
    return render_template("meetings/archive.html", query=query, meetings=found, snippet=meetings.snippet)


@bp.get("/groups/<slug>/meetings")
def group_archive(slug: str):
    group = meetings.get_group(slug)
    query = request.args.get("q", "")[:QUERY_MAX]
    return render_template(
        "meetings/group.html",
        group=group,
        query=query,
        archive=meetings.group_archive(group),
        found=meetings.search_meetings(query, group=group) if query.strip() else None,
        snippet=meetings.snippet,
        can_manage=meetings.can_manage(current_user, group),
    )


@bp.get("/groups/<slug>/meetings.ics")
def group_ics(slug: str):
    group = meetings.get_group(slug)
    return _calendar(meetings.group_ics(group), f"zennin-group-{group.id}.ics")


@bp.route("/groups/<slug>/meetings/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    group = meetings.get_group(slug)
    if not meetings.can_manage(current_user, group):
        raise PermissionDenied()
    form = MeetingForm()
    if form.validate_on_submit():
        data = meetings.MeetingInput(**{name: form[name].data or "" for name in ("title", "date", "start", "end", "agenda", "capacity", "online_url")})
        try:
            meeting = meetings.create_meeting(current_user, group, data)
        except ValidationFailed as failure:
            show_errors(form, failure)
        else:
            flash(_("情報交換会を作成しました。"), "success")
            return redirect(url_for("meetings.show", slug=group.slug, meeting_id=meeting.id))
    return render_template("meetings/new.html", group=group, form=form), 422 if form.errors or form.form_errors else 200


@bp.get("/groups/<slug>/meetings/<id:meeting_id>")
def show(slug: str, meeting_id: int):
    group = meetings.get_group(slug)
    meeting = meetings.get_meeting(group, meeting_id)
    can_manage = meetings.can_manage(current_user, group)
    return render_template(
        "meetings/show.html",
        group=group,
        meeting=meeting,
        registration=meetings.registration_of(current_user, meeting),
        registered=meetings.registered_count(meeting),
        registrants=meetings.registrants(meeting) if can_manage else [],
        can_register=meetings.can_register(current_user, meeting),
        can_manage=can_manage,
        may_see_link=meetings.may_see_link(current_user, meeting),
        past=meetings.is_past(meeting),
        started=meetings.has_started(meeting),
        notes=meetings.split_notes(meeting.notes)[0],
        raised=meetings.raised_questions(meeting),
        linked=meetings.linked_questions(meeting),
    )


@bp.get("/groups/<slug>/meetings/<id:meeting_id>.ics")
def meeting_ics(slug: str, meeting_id: int):
    meeting = meetings.get_meeting(meetings.get_group(slug), meeting_id)
    return _calendar(meetings.meeting_ics(meeting), f"zennin-meeting-{meeting.id}.ics")


@bp.post("/groups/<slug>/meetings/<id:meeting_id>/registration")
@login_required
def register(slug: str, meeting_id: int):
    """`action`: register, or cancel (one's own place)."""
    meeting = meetings.get_meeting(meetings.get_group(slug), meeting_id)
    if request.form.get("action") == "cancel":
        meetings.cancel_registration(current_user, meeting)
        flash(_("参加登録を取り消しました。"), "info")
    else:
        try:
            meetings.register(current_user, meeting)
        except ValidationFailed as failure:
            flash(" ".join(failure.errors.values()), "danger")
        else:
            flash(_("参加登録しました。前日にリマインダーのメールが届きます。"), "success")
    return redirect(url_for("meetings.show", slug=slug, meeting_id=meeting.id))


@bp.post("/groups/<slug>/meetings/<id:meeting_id>/cancel")
@login_required
def cancel(slug: str, meeting_id: int):
    meeting = meetings.get_meeting(meetings.get_group(slug), meeting_id)
    meetings.cancel_meeting(current_user, meeting)
    flash(_("この会を中止にしました。"), "info")
    return redirect(url_for("meetings.show", slug=slug, meeting_id=meeting.id))


@bp.route("/groups/<slug>/meetings/<id:meeting_id>/notes", methods=["GET", "POST"])
@login_required
def notes(slug: str, meeting_id: int):
    group = meetings.get_group(slug)
    meeting = meetings.get_meeting(group, meeting_id)
    if not meetings.can_manage(current_user, group):
        raise PermissionDenied()
    form = NotesForm()
    if request.method == "GET":
        form.notes.data, raised = meetings.split_notes(meeting.notes)
        form.raised.data = "\n".join(raised)
    elif form.validate_on_submit():
        try:
            meetings.publish_notes(current_user, meeting, form.notes.data, form.raised.data or "", confirmed_categories=confirmed_categories())
        except ValidationFailed as failure:
            show_errors(form, failure)
        except PersonalInformationFound as found:
            form.hold(found)
        else:
            flash(_("議事メモを公開しました。"), "success")
            return redirect(url_for("meetings.show", slug=slug, meeting_id=meeting.id))
    status = 422 if form.errors or form.form_errors or form.privacy else 200
    return render_template("meetings/notes.html", group=group, meeting=meeting, form=form), status
