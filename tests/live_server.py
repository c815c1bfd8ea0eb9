"""Real gunicorn processes serving tests/live_app.py, for tests that need real workers."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.browser import free_port

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def gunicorn(app, folder: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve `app`'s database, index and outbox with gunicorn (`args` added to its command line)
    until the block ends; yields the base URL once /healthz answers."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
        "MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
        "ZENNIN_INSTANCE_DIR": str(folder / "live-instance"),
        **(env or {}),
    }
    log_path = folder / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *args, "--bind", f"127.0.0.1:{port}", "tests.live_app:app"],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5):
                    break
            except OSError:  # refused while booting, or slow on a busy machine
                time.sleep(0.2)
        else:
            process.kill()
            raise RuntimeError(log_path.read_text())
        try:
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
