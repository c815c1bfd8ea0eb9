"""Images in posts come from us (issue 19): uploads checked by content, re-encoded without
metadata, served members-only with the right headers; outside images become links; the CSP
allows no other image origin than the operator's IMAGE_SOURCES."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image, PngImagePlugin
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.database import write_transaction
from app.extensions import db
from app.models import Upload, utcnow
from app.rendering import render_unbounded
from app.services import answers, uploads
from app.services.errors import Suspended, ValidationFailed
from tests.factories import PASSWORD, image_bytes, login, make_question, make_user

EXIF_SECRETS = (b"SecretCam-2026", "撮影: 横浜市".encode())  # the camera model (EXIF) and a JPEG comment


def jpeg_with_exif(size=(640, 480), orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x0110] = EXIF_SECRETS[0].decode()  # Model
    exif[0x0112] = orientation
    exif[0x8825] = {2: (35.0, 39.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(out, "JPEG", exif=exif, comment="撮影: 横浜市 港北区役所".encode())
    return out.getvalue()


def png_with_text(size=(64, 48)) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Author", "戸籍課 山田 花子")
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 0, 0)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def post_image(client, data: bytes, name="住民票の見本.png", json=True, headers=None):
    # Encoded here, in memory: the test client spools a large form to a file it never closes.
    boundary, body = encode_multipart({"image": FileStorage(io.BytesIO(data), filename=name)})
    headers = {**({"Accept": "application/json"} if json else {}), **(headers or {})}
    return client.post("/uploads", data=body, headers=headers, content_type=f"multipart/form-data; boundary={boundary}")


# ---------------------------------------------------------------- the service


@pytest.mark.parametrize("fmt, content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")])
def test_the_four_formats_are_kept_in_their_own_format(app, alice, fmt, content_type):
    upload = uploads.store(alice, image_bytes(fmt))
    assert (upload.content_type, upload.width, upload.height) == (content_type, 32, 24)
    assert Image.open(io.BytesIO(upload.data)).format == fmt


def test_exif_gps_comments_and_text_chunks_are_gone(app, alice):
    original = jpeg_with_exif()
    assert all(secret in original for secret in EXIF_SECRETS)
    upload = uploads.store(alice, original)
    assert not any(secret in upload.data for secret in EXIF_SECRETS)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the GPS position was there
    assert not Image.open(io.BytesIO(upload.data)).getexif()
    png = png_with_text()
    assert "山田".encode() in png
    assert "山田".encode() not in uploads.store(alice, png).data


def test_a_phone_photo_stands_upright_once_its_exif_is_gone(app, alice):
    upload = uploads.store(alice, jpeg_with_exif(size=(640, 480), orientation=6))  # "rotate 90° clockwise"
    assert (upload.width, upload.height) == (480, 640)


@pytest.mark.parametrize(
    "data",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        "<html><script>alert('住民票')</script></html>".encode(),
        b"GIF89a" + b"\0" * 20,  # a GIF header and nothing behind it
        image_bytes("BMP"),
        image_bytes("PNG")[:60],  # truncated
    ],
)
def test_what_is_not_one_of_the_four_images_is_refused_whatever_its_name(app, alice, data):
    with pytest.raises(ValidationFailed) as refused:
        uploads.store(alice, data)
    assert "画像" in refused.value.errors["image"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0


def test_a_decompression_bomb_is_refused_before_decoding(app, alice):
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 megapixels in ~12 KB
    assert len(out.getvalue()) < 100_000
    with pytest.raises(ValidationFailed) as refused:
        uploads.store(alice, out.getvalue())
    assert "画素数が多すぎます" in refused.value.errors["image"]


def test_size_limit_and_daily_quota(app, alice):
    app.config.update(UPLOAD_MAX_BYTES=2000, UPLOADS_PER_DAY=2)
    with pytest.raises(ValidationFailed):
        uploads.store(alice, jpeg_with_exif(size=(400, 400)) + b"\0" * 2000)
    first = uploads.store(alice, image_bytes("PNG", (10, 10)))
    assert uploads.store(alice, image_bytes("PNG", (10, 10))).id == first.id  # the same image again
    uploads.store(alice, image_bytes("PNG", (11, 10)))
    with pytest.raises(ValidationFailed) as refused:
        uploads.store(alice, image_bytes("PNG", (12, 10)))
    assert "上限" in refused.value.errors["image"]
    uploads.store(make_user(), image_bytes("PNG", (12, 10)))  # the quota is each member's own


# ---------------------------------------------------------------- upload and serve


def test_the_editors_upload_returns_markdown_and_the_image_is_served(member_client, carol):
    response = post_image(member_client, jpeg_with_exif(), name="写真.png")  # the name says PNG: the bytes decide
    assert response.status_code == 201
    data = response.get_json()
    assert data["markdown"] == f"![](/uploads/{data['id']})"
    image = member_client.get(data["url"])
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert not any(secret in image.data for secret in EXIF_SECRETS)
    again = member_client.get(data["url"], headers={"If-None-Match": image.headers["ETag"]})
    assert again.status_code == 304 and not again.data


def test_the_plain_form_works_without_javascript_and_errors_are_japanese(member_client):
    page = member_client.get("/uploads/new")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    done = post_image(member_client, png_with_text(), json=False)
    assert done.status_code == 201 and "![](/uploads/" in done.get_data(as_text=True)
    refused = post_image(member_client, b"%PDF-1.7 \xe8\xa6\x8b\xe6\x9c\xac", name="見本.pdf", json=False)
    assert refused.status_code == 422
    assert "PNG・JPEG・GIF・WebP の画像ファイルを選んでください。" in refused.get_data(as_text=True)
    assert post_image(member_client, b"not an image").get_json() == {"error": "PNG・JPEG・GIF・WebP の画像ファイルを選んでください。"}


def test_an_upload_up_to_the_limit_passes_the_sites_1_mb_body_limit(member_client, app):
    big = jpeg_with_exif(size=(600, 600)) + b"\0" * (2 * 1024 * 1024)  # JPEG readers ignore trailing bytes
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    assert post_image(member_client, big).status_code == 201
    too_big = b"\0" * (app.config["UPLOAD_MAX_BYTES"] + 128 * 1024)
    assert post_image(member_client, too_big).status_code == 413


def test_uploads_are_members_only(client, alice):
    upload = uploads.store(alice, image_bytes("PNG"))
    response = client.get(f"/uploads/{upload.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert post_image(client, image_bytes("PNG")).status_code in (302, 401)
    login(client, alice)
    assert client.get(f"/uploads/{upload.id}").status_code == 200
    assert client.get("/uploads/999999").status_code == 404


def test_uploading_needs_the_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        member = make_user(email="csrf@city.kawasaki.lg.jp")
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"email": member.email, "password": PASSWORD, "csrf_token": token})
        assert post_image(client, image_bytes("PNG")).status_code == 400
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/uploads/new").get_data(as_text=True)).group(1)
        assert post_image(client, image_bytes("PNG"), headers={"X-CSRFToken": token}).status_code == 201
        db.session.remove()


def test_a_suspended_member_cannot_upload(app, alice):
    with write_transaction():
        alice.suspended_until = utcnow() + timedelta(days=3)
    with pytest.raises(Suspended):
        uploads.store(alice, image_bytes("PNG"))


# ---------------------------------------------------------------- the sanitizer and the CSP


def test_only_our_images_stay_images():
    html = render_unbounded(
        "![図1](/uploads/12) ![](https://tracker.example.com/p.gif?reader=1) ![x](/uploads/12?x=1) "
        "![外部](//tracker.example.com/p.gif) [![バナー](https://tracker.example.com/b.png)](https://example.jp/)"
    )
    assert html.count("<img") == 1 and '<img alt="図1" src="/uploads/12">' in html
    assert '<a href="https://tracker.example.com/p.gif?reader=1" rel="nofollow noopener">https://tracker.example.com/p.gif?reader=1</a>' in html
    assert '<a href="//tracker.example.com/p.gif" rel="nofollow noopener">外部</a>' in html
    assert '<a href="https://example.jp/" rel="nofollow noopener">バナー</a>' in html  # no link inside a link


def test_the_operators_allowlist_keeps_those_images():
    allowed = frozenset({"https://img.example.jp"})
    html = render_unbounded("![庁舎](https://img.example.jp/chosha.png) ![](http://img.example.jp/a.png) ![](https://img.example.jp.evil.example/a.png)", allowed)
    assert '<img alt="庁舎" src="https://img.example.jp/chosha.png">' in html and html.count("<img") == 1


def test_posts_keep_uploads_and_link_outside_images(app, alice, bob):
    app.config["IMAGE_SOURCES"] = frozenset({"https://img.example.jp"})
    question = make_question(alice)
    answer = answers.post_answer(
        bob, question, "様式の見本です。\n\n![様式](/uploads/3)\n![庁舎](https://img.example.jp/a.png)\n![追跡](https://tracker.example.com/t.gif)"
    )
    assert answer.body_html.count("<img") == 2 and 'href="https://tracker.example.com/t.gif"' in answer.body_html


def test_the_csp_allows_no_outside_image_but_the_allowlist(member_client, app):
    policy = member_client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self';" in policy and "https:" not in policy.replace("https://", "")
    app.config["IMAGE_SOURCES"] = frozenset({"https://img.example.jp"})
    assert "img-src 'self' https://img.example.jp;" in member_client.get("/").headers["Content-Security-Policy"]


@pytest.mark.parametrize("value", ["http://img.example.jp", "img.example.jp", "https://img.example.jp/path", "https://"])
def test_image_sources_must_be_https_origins(value):
    from config import _image_sources

    with pytest.raises(ValueError):
        _image_sources(value)
    assert _image_sources(" https://IMG.example.jp/ , https://cdn.example.jp") == {"https://img.example.jp", "https://cdn.example.jp"}


def test_posts_render_turns_outside_images_of_older_posts_into_links(app, alice):
    question = make_question(alice, body="窓口の案内図です。\n\n![案内図](https://tracker.example.com/map.png)")
    assert "<img" not in question.body_html
    with write_transaction():  # as stored before the rule: outside images were kept
        question.body_html = '<p>窓口の案内図です。</p><p><img alt="案内図" src="https://tracker.example.com/map.png"></p>'
    result = app.test_cli_runner().invoke(args=["posts", "render"])
    assert result.exit_code == 0 and "re-rendered 1 " in result.output
    db.session.refresh(question)
    assert "<img" not in question.body_html and 'href="https://tracker.example.com/map.png"' in question.body_html
    assert "re-rendered 0 " in app.test_cli_runner().invoke(args=["posts", "render"]).output
