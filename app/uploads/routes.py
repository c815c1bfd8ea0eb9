"""Image uploads: the editor's button (JSON) and a plain form for browsers without JavaScript;
images served from the database, members-only like every page (app/access.py)."""

from flask import current_app, jsonify, make_response, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from app.extensions import csrf, limiter
from app.services import uploads
from app.services.errors import ValidationFailed
from app.uploads import bp

REQUEST_OVERHEAD = 64 * 1024  # multipart headers and the CSRF token around the file


class UploadForm(FlaskForm):
    class Meta:
        csrf = False  # checked in `create` itself, once the larger body limit is set

    image = FileField()


def _page(status: int = 200, **context):
    return render_template("uploads/new.html", accept=uploads.ACCEPT, **context), status


@bp.get("/uploads/new")
@login_required
def new():
    return _page(form=UploadForm(formdata=None))


@bp.post("/uploads")
@csrf.exempt
@login_required
@limiter.limit(lambda: current_app.config["UPLOAD_RATE_LIMIT"])
def create():
    """From the editor's button (Accept: application/json: JSON) or the plain form (a page)."""
    # Larger than the site's 1 MB for this view only; set before anything reads the body.
    request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] + REQUEST_OVERHEAD
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    wants_json = request.accept_mimetypes.best == "application/json"
    form = UploadForm()
    file = form.image.data
    try:
        upload = uploads.store(current_user, file.read() if file else b"")
    except ValidationFailed as failure:
        if wants_json:
            return jsonify(error=failure.errors["image"]), 422
        form.image.errors = [failure.errors["image"]]
        return _page(422, form=form)
    markdown = uploads.markdown_for(upload)
    url = url_for("uploads.show", upload_id=upload.id)
    if wants_json:
        return jsonify(id=upload.id, url=url, markdown=markdown), 201
    return _page(201, form=UploadForm(formdata=None), upload=upload, url=url, markdown=markdown)


@bp.get("/uploads/<id:upload_id>")
def show(upload_id: int):
    upload = uploads.get(upload_id)
    response = make_response(upload.data)
    response.content_type = upload.content_type
    response.set_etag(upload.sha256)
    # An upload never changes; "private": members-only content stays out of shared caches.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response.make_conditional(request)
