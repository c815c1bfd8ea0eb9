"""Image upload cost: re-encoding (app/services/uploads.py) a camera-sized JPEG, a screenshot
PNG, and refusing a decompression bomb.

    .venv/bin/python -m bench.upload_bench

The photo is synthetic (gradients plus sensor-like noise), sized like a 12-megapixel phone photo
with EXIF; each case is timed 5 times and the median printed.
"""

import io
import statistics
import time

from PIL import Image

from app import create_app
from app.services.errors import ValidationFailed
from app.services.uploads import reencode
from config import TestingConfig

MAX_PIXELS = TestingConfig.UPLOAD_MAX_PIXELS


def photo(width: int = 4000, height: int = 3000) -> bytes:
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 12)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[0x0110] = "bench camera"
    exif[0x0112] = 6  # upright only after rotating
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def screenshot(width: int = 1920, height: int = 1080) -> bytes:
    image = Image.new("RGB", (width, height), (245, 247, 250))
    for y in range(0, height, 24):
        image.paste((40, 40, 40), (40, y + 6, 40 + (y * 7) % (width - 80), y + 18))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")
    return out.getvalue()


def timed(data: bytes) -> tuple[float, str]:
    runs = []
    result = ""
    for _ in range(5):
        started = time.perf_counter()
        try:
            encoded = reencode(data, max_pixels=MAX_PIXELS)
            result = f"{encoded.width}×{encoded.height}, {len(encoded.data) / 1e6:.2f} MB out"
        except ValidationFailed:
            result = "refused"
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), result


def main() -> None:
    with create_app(TestingConfig).test_request_context():
        for name, data in [("4000×3000 JPEG photo", photo()), ("1920×1080 PNG screenshot", screenshot()), ("20000×20000 PNG bomb", bomb())]:
            seconds, result = timed(data)
            print(f"{name:26} {len(data) / 1e6:6.2f} MB in  {seconds * 1000:8.1f} ms  ({result})")


if __name__ == "__main__":
    main()
