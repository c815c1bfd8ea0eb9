"""Where an index lives: generation directories, the ``current`` symlink, the meta file.

On disk, ``path/`` holds one directory per full build (``gen-<utc time>-<random>``) and a
``current`` symlink to the live one. A rebuild fills a new generation and swaps the symlink
with ``os.replace``, so readers see either the old index or the new one, never a mix.

Each generation carries ``zennin-meta.json``: the schema version it was built with (an
index from other analysis code must not be searched) and the outbox position applied.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh.filedb.filestore import FileStorage, RamStorage, Storage
from whoosh.util.filelock import FileLock, try_for

from search.errors import IndexLocked, SearchUnavailable
from search.schema import SCHEMA_VERSION, build_schema

META_FILE = "zennin-meta.json"
CURRENT = "current"
GENERATION_PREFIX = "gen-"


@dataclass(frozen=True)
class Meta:
    schema_version: str
    position: int = 0
    # The app's mark of the last change whose deleted documents were merged out of the files
    # (SearchIndex.apply with Batch.purged_through): 0 for a new or rebuilt index.
    purged_through: int = 0


class IsolatedRamStorage(RamStorage):
    """Whoosh's RamStorage, with scratch space of its own.

    Whoosh's in-memory writers spill to ``<tmp>/MAIN.tmp``, one folder shared by every
    process on the machine, and each commit deletes that folder: two processes committing
    to in-memory indexes at once (pytest -n 2) break each other's commits.
    """

    def __init__(self) -> None:
        super().__init__()
        self._scratch = f"zennin-{os.getpid()}-{secrets.token_hex(6)}"

    def temp_storage(self, name: str | None = None) -> FileStorage:
        return super().temp_storage(f"{self._scratch}-{name or 'tmp'}")


def read_meta(storage: Storage) -> Meta:
    try:
        with storage.open_file(META_FILE) as f:
            data = json.loads(f.read().decode("utf-8"))
        meta = Meta(
            schema_version=str(data["schema_version"]),
            position=int(data["position"]),
            purged_through=int(data.get("purged_through", 0)),
        )
    except Exception as error:  # missing, truncated, garbage: all mean "rebuild me"
        raise SearchUnavailable(f"index metadata unreadable: {error!r}") from error
    if meta.schema_version != SCHEMA_VERSION:
        raise SearchUnavailable(
            f"index built for {meta.schema_version!r}, this code needs {SCHEMA_VERSION!r}: rebuild it"
        )
    return meta


def write_meta(storage: Storage, meta: Meta) -> None:
    """Replace the meta file atomically (readers in other processes never see half of it)."""
    data = json.dumps(asdict(meta)).encode("utf-8")
    if isinstance(storage, FileStorage):
        final = Path(storage.folder) / META_FILE
        temporary = final.with_name(f".{META_FILE}.{secrets.token_hex(4)}")
        temporary.write_bytes(data)
        os.replace(temporary, final)
    else:
        with storage.create_file(META_FILE) as f:
            f.write(data)


def create_generation_in(storage: Storage, position: int = 0) -> None:
    storage.create_index(build_schema())
    write_meta(storage, Meta(SCHEMA_VERSION, position))


def acquire(lock, timeout: float, what: str) -> None:
    """Take a Whoosh lock (file lock on disk, thread lock in RAM) or raise IndexLocked."""
    if not try_for(lambda: lock.acquire(False), timeout=timeout, delay=0.05):
        raise IndexLocked(f"{what} is locked by another writer")


class IndexHome:
    """The directory that holds the generations of one index."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def current(self) -> Path | None:
        """The live generation, or None when there is none yet."""
        try:
            return self.root / os.readlink(self.root / CURRENT)
        except FileNotFoundError:
            return None
        except OSError as error:  # e.g. "current" is a plain file
            raise SearchUnavailable(f"{self.root / CURRENT} is not a symlink: {error}") from error

    def ensure_current(self) -> Path:
        """The live generation, creating an empty one if the directory has none."""
        current = self.current()
        if current is not None:
            return current
        self.root.mkdir(parents=True, exist_ok=True)
        lock = self.lock("publish")
        acquire(lock, timeout=10.0, what=str(self.root))
        try:
            current = self.current()  # another process may have won the race
            if current is None:
                current = self.new_generation()
                create_generation_in(FileStorage(str(current)))
                self.publish(current)
            return current
        finally:
            lock.release()

    def new_generation(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.root / f"{GENERATION_PREFIX}{stamp}-{secrets.token_hex(3)}"
        path.mkdir(parents=True)
        return path

    def publish(self, generation: Path) -> None:
        """Make ``generation`` live in one atomic step, then delete the one it replaces.

        Readers still holding files of the old generation keep them (POSIX unlink semantics);
        any that trip over a missing file retry, re-reading ``current``.
        """
        previous = self.current()
        link = self.root / f".{CURRENT}.{secrets.token_hex(4)}"
        os.symlink(generation.name, link)
        os.replace(link, self.root / CURRENT)
        if previous is not None and previous != generation:
            shutil.rmtree(previous, ignore_errors=True)

    def remove_stale_generations(self) -> None:
        """Delete generations that are not live (left by a crashed or cancelled rebuild)."""
        current = self.current()
        for path in self.root.glob(f"{GENERATION_PREFIX}*"):
            if path != current:
                shutil.rmtree(path, ignore_errors=True)

    def lock(self, name: str) -> FileLock:
        return FileLock(str(self.root / f".{name}.lock"))
