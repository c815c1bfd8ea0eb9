"""Images members upload for their posts: checked by content, re-encoded without metadata,
kept in the database (`Upload`) and served by us at /uploads/<id>, so posts never need an
outside image (an outside server would learn who read the post, and when).

- The format comes from the bytes (Pillow's decoders for PNG, JPEG, GIF and WebP only), never
  from the file name or the browser's Content-Type.
- Size and pixel limits come before decoding: a 5 MB PNG can claim 50,000 × 50,000 pixels and
  would need gigabytes to decode (a decompression bomb).
- Re-encoding from the pixels alone drops EXIF (camera, GPS position, time), XMP, comments and
  colour profiles; a phone photo is first turned upright by its EXIF orientation. Animated
  images keep their first frame.
- Per member: at most UPLOADS_PER_DAY images and UPLOAD_BYTES_PER_DAY bytes in 24 hours; the
  same image uploaded twice is the same upload.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.database import write_transaction
from app.extensions import db
from app.models import Upload, User, utcnow
from app.services import permissions
from app.services.errors import NotFound, ValidationFailed

# Pillow format → the Content-Type we serve it with.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
ACCEPT = ",".join(FORMATS.values())  # the file input's accept attribute (a hint; the bytes decide)
JPEG_QUALITY = 85


@dataclass(frozen=True)
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed({"image": message})


def _too_many_pixels(max_pixels: int) -> ValidationFailed:
    return _refuse(_("画像の画素数が多すぎます。%(n)s画素（例: 6000×4000）以内に縮小してください。", n=f"{max_pixels:,}"))


def reencode(data: bytes, *, max_pixels: int) -> Encoded:
    """The image in `data` re-encoded in its own format from its pixels alone, or ValidationFailed."""
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 megapixels and refuses from 179; ours is lower, checked just below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                if image.width * image.height > max_pixels:  # from the header, before any decoding
                    raise _too_many_pixels(max_pixels)
                image_format = image.format
                pixels = ImageOps.exif_transpose(image)  # a copy, decoded: the first frame only
    except Image.DecompressionBombError:
        raise _too_many_pixels(max_pixels) from None
    except UnidentifiedImageError:
        raise _refuse(_("PNG・JPEG・GIF・WebP の画像ファイルを選んでください。")) from None
    except (OSError, SyntaxError, ValueError):  # truncated or corrupt image data
        raise _refuse(_("画像ファイルが壊れているため読み込めませんでした。")) from None
    return Encoded(_encode(pixels, image_format), FORMATS[image_format], pixels.width, pixels.height)


def _encode(pixels: Image.Image, image_format: str) -> bytes:
    options: dict = {}
    transparency = pixels.info.get("transparency")
    pixels.info = {}  # nothing of the original's metadata reaches the encoder
    if image_format == "JPEG":
        if pixels.mode not in ("RGB", "L"):
            pixels = pixels.convert("RGB")  # CMYK and YCCK scans
        options = {"quality": JPEG_QUALITY}
    elif image_format == "WEBP":
        options = {"quality": JPEG_QUALITY}
    elif transparency is not None and pixels.mode in ("P", "L", "RGB"):
        options = {"transparency": transparency}
    out = io.BytesIO()
    pixels.save(out, image_format, **options)
    return out.getvalue()


def store(user: User, data: bytes) -> Upload:
    """Check, re-encode and keep an image `user` uploads; ValidationFailed (field "image") says why not."""
    permissions.ensure_can_write(user)
    config = current_app.config
    if not data:
        raise _refuse(_("画像ファイルを選んでください。"))
    if len(data) > config["UPLOAD_MAX_BYTES"]:
        raise _refuse(_("画像は%(n)s MBまでです。", n=config["UPLOAD_MAX_BYTES"] // (1024 * 1024)))
    image = reencode(data, max_pixels=config["UPLOAD_MAX_PIXELS"])
    digest = hashlib.sha256(image.data).hexdigest()
    with write_transaction():
        db.session.refresh(user, with_for_update={"of": User})  # one member's uploads are counted one at a time
        same = db.session.scalar(sa.select(Upload).where(Upload.user_id == user.id, Upload.sha256 == digest))
        if same is not None:
            return same
        count, size = db.session.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Upload.size), 0)).where(
                Upload.user_id == user.id, Upload.created_at > utcnow() - timedelta(days=1)
            )
        ).one()
        if count >= config["UPLOADS_PER_DAY"] or size + len(image.data) > config["UPLOAD_BYTES_PER_DAY"]:
            raise _refuse(_("24時間にアップロードできる画像の上限に達しました。時間をおいてからお試しください。"))
        upload = Upload(
            user_id=user.id,
            sha256=digest,
            content_type=image.content_type,
            size=len(image.data),
            width=image.width,
            height=image.height,
            data=image.data,
        )
        db.session.add(upload)
    return upload


def get(upload_id: int) -> Upload:
    upload = db.session.get(Upload, upload_id)
    if upload is None:
        raise NotFound(upload_id)
    return upload


def markdown_for(upload: Upload, alt: str = "") -> str:
    """What the editor inserts: the image by our path (the sanitizer keeps only such images)."""
    return f"![{alt}](/uploads/{upload.id})"
