"""The on-disk index: generations, positions, locks, damage, rebuilds."""

import gc
import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from search import IndexLocked, SearchIndex, SearchUnavailable, rebuild_index
from search.storage import CURRENT, META_FILE
from tests.forensics import readable_bytes
from tests.search.test_index import DOCS, question


def live_generation(path: Path) -> Path:
    return path / os.readlink(path / CURRENT)


@pytest.fixture
def index_dir(tmp_path) -> Path:
    path = tmp_path / "index"
    with SearchIndex.open(path) as index:
        index.apply(DOCS, [], position=3)
    return path


def test_a_new_directory_gets_an_empty_index(tmp_path):
    with SearchIndex.open(tmp_path / "new" / "index") as index:
        assert (index.doc_count(), index.position) == (0, 0)
        assert index.search("住民税").total == 0


def test_reopen_after_close_keeps_documents_and_position(index_dir):
    with SearchIndex.open(index_dir) as index:
        assert index.doc_count() == len(DOCS)
        assert index.position == 3
        index.apply([question(99, "公印の管理", "公印規程の改正")], [], position=8)
    with SearchIndex.open(index_dir) as index:
        assert index.position == 8
        assert [hit.question_id for hit in index.search("公印").hits] == [99]


def test_index_locked_while_another_writer_holds_the_lock(index_dir):
    other = whoosh_index.open_dir(str(live_generation(index_dir)))
    writer = other.writer()  # a real second writer, as another process's would be
    try:
        with SearchIndex.open(index_dir) as index:
            with pytest.raises(IndexLocked):
                index.apply([question(99, "公印の管理", "公印規程")], [], position=9, timeout=0.2)
            assert index.position == 3
            assert index.search("住民税").total == 1  # reading is never blocked
    finally:
        writer.cancel()
    with SearchIndex.open(index_dir) as index:
        index.apply([question(99, "公印の管理", "公印規程")], [], position=9, timeout=0.2)
        assert index.position == 9


def test_a_writer_in_another_search_index_is_waited_for_then_reported(index_dir):
    first, second = SearchIndex.open(index_dir), SearchIndex.open(index_dir)
    try:
        lock = first._index().storage.lock("ZENNIN_APPLY")
        assert lock.acquire(False)
        try:
            with pytest.raises(IndexLocked):
                second.apply([], [1], timeout=0.1)
        finally:
            lock.release()
        second.apply([], [1], timeout=0.1)
        assert first.doc_count() == len(DOCS) - 1
    finally:
        first.close()
        second.close()


# Whoosh leaves a file open when it fails on a damaged index (SearchIndex closes it at once by
# releasing the failing frames); the ResourceWarning that follows is Whoosh's, not a leak of ours.
whoosh_leaks_on_damage = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def corrupt_toc(generation: Path) -> None:
    (toc,) = generation.glob("_MAIN_*.toc")
    toc.write_bytes(toc.read_bytes()[:40])


def corrupt_segments(generation: Path) -> None:
    for path in generation.glob("MAIN_*"):
        if path.stat().st_size > 100:
            data = bytearray(path.read_bytes())
            data[8:] = bytes(len(data) - 8)
            path.write_bytes(bytes(data))


def remove_meta(generation: Path) -> None:
    (generation / META_FILE).unlink()


def other_schema_version(generation: Path) -> None:
    meta = json.loads((generation / META_FILE).read_text())
    (generation / META_FILE).write_text(json.dumps({**meta, "schema_version": "zennin-questions-0/ja-0"}))


def remove_generation(generation: Path) -> None:
    shutil.rmtree(generation)


@whoosh_leaks_on_damage
@pytest.mark.parametrize(
    "damage", [corrupt_toc, corrupt_segments, remove_meta, other_schema_version, remove_generation]
)
def test_damage_is_reported_as_search_unavailable(index_dir, damage):
    damage(live_generation(index_dir))
    with pytest.raises(SearchUnavailable):
        with SearchIndex.open(index_dir) as index:
            index.search("住民税")


@whoosh_leaks_on_damage
@pytest.mark.parametrize("damage", [corrupt_segments, remove_generation])
def test_damage_under_an_open_index_is_reported_too(index_dir, damage):
    with SearchIndex.open(index_dir) as index:
        assert index.search("住民税").total == 1
        index.apply([question(99, "公印の管理", "公印規程")], [])  # a new segment to read next
        damage(live_generation(index_dir))
        with pytest.raises(SearchUnavailable):
            index.search("住民税")
            index.search("公印")


def test_rebuild_swaps_under_an_open_reader(index_dir):
    reader = SearchIndex.open(index_dir)
    try:
        assert reader.search("住民税").total == 1
        old_generation = live_generation(index_dir)
        seen_during_rebuild: list[int] = []

        def progress(done: int) -> None:  # mid-rebuild, the old generation still answers
            seen_during_rebuild.append(reader.search("住民税").total + reader.search("公印").total)

        fresh = [question(n, f"公印の管理 その{n}", "公印規程の改正について") for n in range(100, 110)]
        assert rebuild_index(index_dir, fresh, position=77, procs=1, progress=progress) == 10
        assert seen_during_rebuild and set(seen_during_rebuild) == {1}
        assert not old_generation.exists()
        assert reader.search("住民税").total == 0
        assert reader.search("公印").total == 10
        assert (reader.doc_count(), reader.position) == (10, 77)
    finally:
        reader.close()


def test_parallel_rebuild_finds_what_a_single_process_rebuild_finds(tmp_path):
    docs = DOCS * 30  # ids repeat: a rebuild takes documents as given
    progress: list[int] = []
    collecting = gc.get_threshold()
    assert rebuild_index(tmp_path / "serial", docs, procs=1) == len(docs)
    assert gc.get_threshold() == collecting  # a one-process build restores the collector's pace
    assert rebuild_index(tmp_path / "parallel", docs, procs=2, progress=progress.append) == len(docs)
    assert progress[-1] == len(docs) and progress == sorted(progress)
    with SearchIndex.open(tmp_path / "serial") as serial, SearchIndex.open(tmp_path / "parallel") as parallel:
        for query in ("住民税", "ごみ", "[国民健康保険]", '"税額通知"', "user:20 is:answer"):
            assert parallel.search(query).total == serial.search(query).total > 0


def test_a_second_rebuild_at_the_same_time_is_refused(index_dir):
    def rebuild_again(count: int) -> None:
        if count == 1:
            with pytest.raises(IndexLocked):
                rebuild_index(index_dir, DOCS, procs=1)

    def docs():
        for n, doc in enumerate(DOCS, 1):
            rebuild_again(n)
            yield doc

    assert rebuild_index(index_dir, docs(), procs=1) == len(DOCS)


def test_a_failed_rebuild_leaves_the_live_index_alone(index_dir):
    def broken():
        yield DOCS[0]
        raise RuntimeError("database went away")

    before = live_generation(index_dir)
    with pytest.raises(RuntimeError):
        rebuild_index(index_dir, broken(), procs=1)
    assert live_generation(index_dir) == before
    assert sorted(p.name for p in index_dir.glob("gen-*")) == [before.name]
    with SearchIndex.open(index_dir) as index:
        assert index.doc_count() == len(DOCS)


def test_a_failing_worker_fails_the_parallel_rebuild_and_leaves_the_live_index_alone(index_dir):
    broken = question(98, "壊れた文書", "作成日時が日付ではない")
    broken = type(broken)(**{**broken.__dict__, "created_at": "昨日"})
    before = live_generation(index_dir)
    with pytest.raises(RuntimeError, match="worker failed"):
        rebuild_index(index_dir, [*DOCS, broken], procs=2)
    assert live_generation(index_dir) == before
    assert sorted(p.name for p in index_dir.glob("gen-*")) == [before.name]


def test_searches_keep_working_while_another_writer_commits_and_merges(index_dir):
    """IDX-05: commits (and their segment merges) delete files under open readers."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        with SearchIndex.open(index_dir) as writer:
            for n in range(15):
                writer.apply([question(200 + n, f"公印の管理 その{n}", "公印規程の改正について")], [], timeout=5)
        stop.set()

    thread = threading.Thread(target=write)
    thread.start()
    searches = 0
    with SearchIndex.open(index_dir) as reader:
        while not stop.is_set() or searches < 20:
            try:
                assert reader.search("住民税").total == 1
                reader.search("公印")
            except BaseException as error:  # anything at all is a failure here
                failures.append(error)
            searches += 1
        thread.join()
        assert reader.search("公印").total == 15
    assert failures == []


def test_threads_share_one_index(index_dir):
    queries = ["住民税", "ｶﾞｲﾄﾞﾗｲﾝ", "ごみ", "[国民健康保険]", '"税額通知"', "予防接種 ワクチン"]
    with SearchIndex.open(index_dir) as index:
        expected = [[hit.question_id for hit in index.search(q).hits] for q in queries]
        results: list[list[list[int]]] = []

        def work() -> None:
            results.append([[hit.question_id for hit in index.search(q).hits] for q in queries * 5])

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [expected * 5] * 4


def test_in_memory_indexes_keep_their_scratch_space_apart():
    """Whoosh spills every in-memory commit to <tmp>/MAIN.tmp and deletes it afterwards;
    two indexes (two pytest workers) must not share that folder."""
    scratch = set()
    for _ in range(2):
        with SearchIndex.in_memory() as index:
            storage = index._index().storage.temp_storage("MAIN.tmp")
            scratch.add(Path(storage.folder).name)
            storage.destroy()
    assert len(scratch) == 2 and "MAIN.tmp" not in scratch


def test_a_purging_batch_leaves_no_byte_of_replaced_or_removed_documents(index_dir):
    secret, gone = "滞納者ZQX川崎七郎4471", "ｶﾜｻｷ一郎QWV"
    with SearchIndex.open(index_dir) as index:
        index.apply([question(50, "分納の相談", f"{secret}の分納について"), question(51, "別件", gone)], [], position=4)
        index.apply([question(50, "分納の相談", "（個人情報のため削除されました）の分納について")], [51], position=5)
        # An update only flags the old document deleted: its stored text stays in the files.
        assert secret.encode() in readable_bytes(index_dir) and gone.encode() in readable_bytes(index_dir)
        assert index.search("ZQX").total == 0
        index.apply([], [], purged_through=7)
        stored = readable_bytes(index_dir)
        for text in (secret, "zqx", "4471", gone, "qwv"):
            assert text.encode() not in stored
        assert index.search("分納").total == 1 and index.doc_count() == len(DOCS) + 1
        assert (index.position, index.purged_through) == (5, 7)
        index.apply([], [], position=6, purged_through=2)  # neither mark moves back
        assert (index.position, index.purged_through) == (6, 7)
