"""Markdown → sanitized HTML, the only place that decides which HTML a user may write.

Python-Markdown is super-linear on some hostile inputs ("[" × 4000 takes seconds; deep nesting
raises RecursionError; SECURITY.md MDDOS-01..05), so rendering runs in a helper process that is
killed when it exceeds the time budget. Sanitizing is bleach with an explicit allowlist; links
get rel="nofollow noopener". The result is stored on the row at write time (`body_html`).

Images are kept only when we serve them (`/uploads/<id>`) or their https origin is on the
operator's IMAGE_SOURCES list; any other image becomes a plain link, so reading a post never
makes the reader's browser fetch from a server that could log who read it and when.
"""

import atexit
import html
import os
import re
import select
import struct
import subprocess
import sys
import threading
from functools import lru_cache, partial
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import bleach
import markdown
from bleach.html5lib_shim import Filter
from bleach.linkifier import LinkifyFilter
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

# mdx_truly_sane_lists nests list items indented by 2 spaces (as people write them on GitHub
# and Stack Overflow); Python-Markdown alone needs 4 and flattened 2-space lists.
MARKDOWN_EXTENSIONS = ("fenced_code", "tables", "nl2br", "sane_lists", "mdx_truly_sane_lists")
ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
     "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
     "del", "sup", "sub"}
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "img": ["src", "alt", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# Only ASCII URL characters: Japanese text usually follows a URL without a space
# (「https://example.jp/の資料」), and bleach's default pattern would swallow it.
_URL_RE = re.compile(
    r"\bhttps?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:[/?#][A-Za-z0-9\-._~:/?#@!$&'*+,;=%]*)?",
    re.IGNORECASE,
)


class RenderError(Exception):
    """The text could not be rendered within the limits; the message is shown to the writer."""


_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|1[.)])[ \t]+\S")


class _ListsInterruptParagraphs(Preprocessor):
    """Let a list start right under a paragraph line, as in GitHub-flavoured Markdown.

    People writing Japanese rarely leave a blank line before 「- 窓口」; Python-Markdown would
    otherwise fold the items into the paragraph text.
    """

    def run(self, lines: list[str]) -> list[str]:
        result: list[str] = []
        in_fence = False
        previous = ""
        for line in lines:
            if _FENCE.match(line):
                in_fence = not in_fence
            elif (
                not in_fence
                and _LIST_ITEM.match(line)
                and previous.strip()
                and not _LIST_ITEM.match(previous)
                and not previous.startswith((" ", "\t"))
            ):
                result.append("")
            result.append(line)
            previous = line
        return result


_ANY_LIST_ITEM = re.compile(r"^( *)(?:[-*+]|\d{1,9}[.)])[ \t]+\S")


class _ListIndentLevels(Preprocessor):
    """Re-indent nested list items to 2 spaces per level.

    mdx_truly_sane_lists reads every 2 spaces as one level, so an item indented by 4 (Python-
    Markdown's own style, and many older posts) would otherwise fall into its parent's text.
    An item's level is the number of open items indented less than it.
    """

    def run(self, lines: list[str]) -> list[str]:
        result: list[str] = []
        in_fence = False
        open_items: list[int] = []  # indents of the items enclosing the current line
        for line in lines:
            match = None if in_fence else _ANY_LIST_ITEM.match(line)
            if _FENCE.match(line):
                in_fence = not in_fence
            elif match and (open_items or len(match.group(1)) < 4):  # 4+ spaces outside a list: code
                indent = len(match.group(1))
                while open_items and open_items[-1] >= indent:
                    open_items.pop()
                line = "  " * len(open_items) + line[indent:]
                open_items.append(indent)
            elif line.strip() and not line.startswith((" ", "\t")):
                open_items = []
            result.append(line)
        return result


class _JapaneseWriting(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(_ListsInterruptParagraphs(md), "lists_interrupt_paragraphs", 27)
        md.preprocessors.register(_ListIndentLevels(md), "list_indent_levels", 26)


UPLOAD_PATH = re.compile(r"/uploads/[1-9][0-9]{0,17}")  # the route of app/uploads


def image_allowed(src: str, image_sources: frozenset[str]) -> bool:
    """An upload of ours (a bare /uploads/<id>) or an https origin the operator allows."""
    parts = urlsplit(src)
    if not (parts.scheme or parts.netloc):
        return bool(UPLOAD_PATH.fullmatch(parts.path)) and not (parts.query or parts.fragment)
    return parts.scheme == "https" and f"https://{parts.netloc}".lower() in image_sources


class _OurImagesOnly(Filter):
    """Every other <img> becomes a link to it (its alt text, else its address): nothing is fetched."""

    def __init__(self, source, image_sources: frozenset[str] = frozenset()):
        super().__init__(source)
        self.image_sources = image_sources

    def __iter__(self):
        in_link = 0
        for token in super().__iter__():
            if token.get("name") == "a" and token["type"] in ("StartTag", "EndTag"):
                in_link += 1 if token["type"] == "StartTag" else -1
            elif token["type"] in ("StartTag", "EmptyTag") and token["name"] == "img":
                src = token["data"].get((None, "src"), "")
                if not image_allowed(src, self.image_sources):
                    yield from _as_link(src, token["data"].get((None, "alt"), "").strip(), in_link > 0)
                    continue
            yield token


def _as_link(src: str, alt: str, in_link: bool):
    text = alt or src
    if in_link or not src:  # no link in a link; no src: the sanitizer dropped a javascript: address
        if text:
            yield {"type": "Characters", "data": text}
        return
    yield {"type": "StartTag", "name": "a", "data": {(None, "href"): src}}
    yield {"type": "Characters", "data": text}
    yield {"type": "EndTag", "name": "a", "data": {}}


def _set_rel(attrs, new=False):
    attrs[(None, "rel")] = "nofollow noopener"
    return attrs


@lru_cache(maxsize=8)
def _cleaner(image_sources: frozenset[str]) -> bleach.Cleaner:
    # One pass: sanitize, turn outside images into links, then linkify (which also sets rel on
    # those links). A separate Linker with skip_tags re-escapes the text inside <code>, so
    # `a < b` showed up as "a &lt; b".
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[
            partial(_OurImagesOnly, image_sources=image_sources),
            partial(LinkifyFilter, url_re=_URL_RE, callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False),
        ],
    )


def render_unbounded(text: str, image_sources: frozenset[str] = frozenset()) -> str:
    """Render and sanitize in this process. Only for trusted text or inside the helper process."""
    raw = markdown.markdown(text, extensions=[*MARKDOWN_EXTENSIONS, _JapaneseWriting()], output_format="html")
    return _cleaner(image_sources).clean(raw)


def _read_exact(stream, size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError
    return data


def _send(stream, status: bytes, payload: str) -> None:
    data = payload.encode("utf-8", "surrogatepass")
    stream.write(status + struct.pack(">I", len(data)) + data)
    stream.flush()


def _frame(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    return struct.pack(">I", len(data)) + data


def _read_frame(stream) -> str:
    (size,) = struct.unpack(">I", _read_exact(stream, 4))
    return _read_exact(stream, size).decode("utf-8", "surrogatepass")


def serve_renders(stdin, stdout) -> None:
    """The helper process's loop: the allowed image origins (one a line) and the Markdown in,
    each length-prefixed; status + HTML out.

    It first says it is ready, so start-up time never counts against a render's budget.
    """
    _send(stdout, b"R", "")
    while True:
        try:
            image_sources = frozenset(filter(None, _read_frame(stdin).split("\n")))
            text = _read_frame(stdin)
        except EOFError:
            return
        try:
            _send(stdout, b"K", render_unbounded(text, image_sources))
        except RecursionError:
            _send(stdout, b"E", "nesting")
        except Exception as error:  # report it and keep serving
            _send(stdout, b"E", type(error).__name__)


_START_TIMEOUT = 60.0


def _terminate(process: subprocess.Popen) -> None:
    process.kill()
    process.wait(timeout=5)
    for stream in (process.stdin, process.stdout):
        stream.close()


class _RenderWorker:
    """A long-lived helper process (python -m app.render_worker), killed and restarted when a
    render exceeds its time budget. A plain subprocess, not multiprocessing: it inherits no
    sockets or locks from a threaded web worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        root = str(Path(__file__).resolve().parent.parent)
        process = subprocess.Popen(
            [sys.executable, "-m", "app.render_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=root,
            env={**os.environ, "PYTHONPATH": root},
        )
        # Wait for "ready" (imports take a while on a busy machine) outside the render budget.
        ready, _, _ = select.select([process.stdout], [], [], _START_TIMEOUT)
        if not ready or _read_exact(process.stdout, 1) != b"R" or _read_exact(process.stdout, 4) != b"\0\0\0\0":
            _terminate(process)
            raise RenderError("crash")
        return process

    def _stop(self) -> None:
        if self._process is not None:
            _terminate(self._process)
        self._process = None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def render(self, text: str, timeout: float, image_sources: frozenset[str]) -> str:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._stop()
                self._process = self._start()
            process = self._process
            try:
                process.stdin.write(_frame("\n".join(sorted(image_sources))) + _frame(text))
                process.stdin.flush()
                ready, _, _ = select.select([process.stdout], [], [], timeout)
                if not ready:
                    raise RenderError("timeout")
                status = _read_exact(process.stdout, 1)
                (size,) = struct.unpack(">I", _read_exact(process.stdout, 4))
                payload = _read_exact(process.stdout, size).decode("utf-8", "surrogatepass")
            except RenderError:
                self._stop()
                raise
            except (BrokenPipeError, EOFError, OSError) as error:
                self._stop()
                raise RenderError("crash") from error
        if status != b"K":
            raise RenderError(payload)
        return payload


_worker = _RenderWorker()
atexit.register(_worker.close)


def render_markdown(text: str, *, max_chars: int, timeout: float, image_sources: frozenset[str] = frozenset()) -> str:
    """Render user Markdown to safe HTML, or raise RenderError("too_long" | "timeout" | …).
    `image_sources`: https origins (``https://host``) whose images may be shown."""
    if len(text) > max_chars:
        raise RenderError("too_long")
    return _worker.render(text, timeout, image_sources)


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "br", "li", "pre", "blockquote", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def plain_text(sanitized_html: str) -> str:
    """Visible text of sanitized HTML (for the search index and summaries)."""
    extractor = _TextExtractor()
    extractor.feed(sanitized_html)
    extractor.close()
    text = "".join(extractor.parts)
    return re.sub(r"\n{2,}", "\n", html.unescape(text)).strip()


def excerpt(sanitized_html: str, length: int = 140) -> str:
    text = " ".join(plain_text(sanitized_html).split())
    return text if len(text) <= length else text[: length - 1] + "…"
