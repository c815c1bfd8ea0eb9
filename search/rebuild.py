"""Full rebuild: index every question into a new generation, in parallel, then swap it in.

Analysis (Sudachi) and Whoosh's posting writes are pure Python and CPU-bound, so the work
is spread over worker processes. Each worker writes its own segment of the new generation
(the approach of Whoosh's ``MultiSegmentWriter``, whose private hooks ``_lk=False`` and
``_finalize_segment()`` are used the same way here); the parent only feeds documents and
finally commits a table of contents listing the workers' segments. Nothing is analyzed or
copied twice. Workers are spawned, not forked: the parent may be a threaded web process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import shutil
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import chain, islice

from whoosh.filedb.filestore import FileStorage
from whoosh.index import Index

from search.codec import BulkWriter
from search.documents import QuestionDocument
from search.ja import analyzed_ahead
from search.meaning import Rarity
from search.schema import SCHEMA_VERSION, analyzed_texts, build_schema, document_fields
from search.storage import IndexHome, Meta, acquire, write_meta

BATCH_SIZE = 100  # documents per message to a worker, and analyzed ahead together
# The first documents, counted before the build, estimate each term's rarity (idf) for the
# meaning vectors (search.meaning.Rarity): the counts of all would take a second analysis.
RARITY_SAMPLE = 2_000
WRITER_MEMORY_MB = 256  # Whoosh's posting pool budget, shared by the workers

Progress = Callable[[int], None]


def rebuild_index(
    path: str | os.PathLike[str],
    docs: Iterable[QuestionDocument],
    *,
    position: int = 0,
    procs: int = 2,
    progress: Progress | None = None,
) -> int:
    """Index ``docs`` into a fresh generation under ``path`` and make it the live index.

    ``position`` is the outbox id the app read the documents at: take it BEFORE reading
    them, then drain the outbox from there afterwards (replays are harmless). Searches keep
    using the old generation until the swap, and open SearchIndex objects reopen on their
    next call. ``procs=1`` builds in this process. Returns the number of documents.
    Raises IndexLocked if another rebuild of ``path`` is running.
    """
    home = IndexHome(path)
    home.root.mkdir(parents=True, exist_ok=True)
    rebuild_lock = home.lock("rebuild")
    acquire(rebuild_lock, timeout=0, what=f"a rebuild of {path}")
    try:
        home.remove_stale_generations()
        generation = home.new_generation()
        try:
            storage = FileStorage(str(generation))
            ix = storage.create_index(build_schema())
            docs = iter(docs)
            sample = list(islice(docs, RARITY_SAMPLE))
            rarity = Rarity.of_texts(document_fields(doc)["text"] for doc in sample)
            build = _build_in_workers if procs > 1 else _build_here
            count = build(ix, chain(sample, docs), procs, progress or (lambda done: None), rarity)
            ix.close()
            write_meta(storage, Meta(SCHEMA_VERSION, position))
        except BaseException:
            shutil.rmtree(generation, ignore_errors=True)
            raise
        publish_lock = home.lock("publish")
        acquire(publish_lock, timeout=10.0, what=f"{path}")
        try:
            home.publish(generation)
        finally:
            publish_lock.release()
        return count
    finally:
        rebuild_lock.release()


def _build_here(ix: Index, docs: Iterable[QuestionDocument], procs: int, progress: Progress, rarity: Rarity) -> int:
    writer = BulkWriter(ix, limitmb=WRITER_MEMORY_MB, compound=False)
    count = 0
    try:
        with _rare_collections():
            for batch in _batches(docs, BATCH_SIZE):
                _add_batch(writer, batch, rarity)
                count += len(batch)
                progress(count)
            writer.commit(merge=False)
    except BaseException:
        writer.cancel()
        raise
    progress(count)
    return count


def _build_in_workers(
    ix: Index, docs: Iterable[QuestionDocument], procs: int, progress: Progress, rarity: Rarity
) -> int:
    context = multiprocessing.get_context("spawn")
    jobs = context.Queue(maxsize=procs * 2)  # back-pressure: the parent never runs far ahead
    events = context.Queue()
    folder = ix.storage.folder
    workers = [
        context.Process(
            target=_worker,
            args=(folder, jobs, events, WRITER_MEMORY_MB // procs, rarity),
            name=f"search-rebuild-{n}",
            daemon=True,
        )
        for n in range(procs)
    ]
    for worker in workers:
        worker.start()
    tracker = _Tracker(workers, events, progress)
    try:
        for batch in _batches(docs, BATCH_SIZE):
            tracker.sent += len(batch)
            while True:
                try:
                    jobs.put(batch, timeout=0.5)
                    break
                except queue.Full:
                    tracker.poll()
            tracker.poll(block=False)
        for _ in workers:
            jobs.put(None)
        segments = tracker.wait_for_segments()
        for worker in workers:
            worker.join()
    except BaseException:
        for worker in workers:
            worker.kill()
        raise
    # The parent's writer adds nothing itself: committing with a "merge policy" that
    # returns the workers' segments just writes the table of contents listing them.
    writer = ix.writer()
    writer.commit(mergetype=lambda _writer, existing: existing + segments)
    progress(tracker.done)
    return tracker.done


class _Tracker:
    """Reads worker events: progress counts, finished segments, failures."""

    def __init__(self, workers, events, progress: Progress):
        self.workers, self.events, self.progress = workers, events, progress
        self.sent = self.done = 0
        self.segments: list = []
        self.finished = 0

    def poll(self, block: bool = True) -> None:
        try:
            kind, value = self.events.get(timeout=0.5) if block else self.events.get_nowait()
        except queue.Empty:
            if any(w.exitcode not in (None, 0) for w in self.workers):
                raise RuntimeError("a search rebuild worker died") from None
            return
        if kind == "error":
            raise RuntimeError(f"search rebuild worker failed:\n{value}")
        if kind == "indexed":
            self.done += value
            self.progress(self.done)
        elif kind == "segment":
            self.finished += 1
            if value is not None:
                self.segments.append(value)

    def wait_for_segments(self) -> list:
        while self.finished < len(self.workers):
            self.poll()
        return self.segments


def _worker(folder: str, jobs, events, limitmb: int, rarity: Rarity) -> None:
    try:
        ix = FileStorage(folder).open_index()
        # _lk=False: the parent owns the index; each worker writes its own segment.
        writer = BulkWriter(ix, _lk=False, limitmb=limitmb, compound=False)
        with _rare_collections():
            while (batch := jobs.get()) is not None:
                _add_batch(writer, batch, rarity)
                events.put(("indexed", len(batch)))
            # An idle worker leaves its empty files to the parent's commit, which deletes
            # files of unlisted segments (cancel() would also empty the shared temp folder).
            segment = writer._finalize_segment() if writer._added else None
        events.put(("segment", segment))
    except BaseException:
        events.put(("error", traceback.format_exc()))


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Collect garbage every 50,000 net allocations instead of 700 while indexing.

    Indexing makes millions of short-lived objects and hardly any cycles; at Python's
    default, collections scanning the analyses held for a batch and the word cache took
    ~20 % of a rebuild (5,000 questions in one process: 113-119 -> 142-144 per CPU second).
    """
    previous = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _add_batch(writer: BulkWriter, docs: list[QuestionDocument], rarity: Rarity) -> None:
    batch = [document_fields(doc, rarity) for doc in docs]
    with analyzed_ahead(text for fields in batch for text in analyzed_texts(fields)):
        for fields in batch:
            writer.add_document(**fields)


def _batches(docs: Iterable[QuestionDocument], size: int) -> Iterator[list[QuestionDocument]]:
    iterator = iter(docs)
    while batch := list(islice(iterator, size)):
        yield batch
