"""Look for text in files byte by byte, as someone holding a copy of the files would.

Whoosh zlib-compresses what it stores (each document's stored fields, posting blocks), so the
search also inflates every zlib stream found at any offset."""

import zlib
from pathlib import Path

# A zlib stream starts with 0x78 (deflate, 32K window) and a check byte making the pair a multiple of 31.
_HEADERS = [bytes([0x78, second]) for second in range(256) if (0x78 * 256 + second) % 31 == 0]


def _inflated(data: bytes) -> list[bytes]:
    found = []
    for header in _HEADERS:
        start = data.find(header)
        while start != -1:
            try:
                found.append(zlib.decompressobj().decompress(data[start:]))
            except zlib.error:
                pass
            start = data.find(header, start + 1)
    return found


def readable_bytes(folder: Path) -> bytes:
    """Every file under `folder`, raw and with its zlib streams inflated, joined."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            parts += [data, *_inflated(data)]
    return b"\n".join(parts)
