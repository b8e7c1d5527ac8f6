"""The snapshot of an index (its records, vectors and BM25 index, kept in the folder): a load that finds it
sound reads no vector from Chroma and builds no BM25, and answers as a load without it does; a snapshot
of another state of the index, or a damaged one, is not used, and is taken anew. Real Chroma indexes of
the one-document corpus (test_index_damage), the real model."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, snapshot
from assistant.store import VectorStore

from .test_index_damage import QUESTION, SMALL
from .test_index_load import small  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow


def load(corpus: Path, path: Path) -> Assistant:
    return Assistant.load(corpus_dir=corpus, index_dir=path.parent, **SMALL)


def ranking(assistant: Assistant) -> list[tuple[str, float]]:
    return [(p.chunk_id, round(p.score, 6)) for p in assistant.retrieve(QUESTION, k=5)]


def test_a_load_with_the_snapshot_reads_no_vector_and_builds_no_bm25_and_ranks_the_same(small, reads):
    corpus, path = small
    assert (path / snapshot.FOLDER / snapshot.MANIFEST).is_file()  # taken by the build
    kept = load(corpus, path)
    assert reads == {"chroma": 0, "bm25": 0}
    assert not kept.report.synced and kept.retrieve(QUESTION, k=1)[0].doc_id == "case-minimumloon-sindh"
    with_snapshot = ranking(kept)
    kept.store.close()

    shutil.rmtree(path / snapshot.FOLDER)
    read = load(corpus, path)
    assert reads == {"chroma": 1, "bm25": 1}
    assert ranking(read) == with_snapshot
    read.store.close()
    assert (path / snapshot.FOLDER / snapshot.MANIFEST).is_file()  # taken again


def test_a_write_to_chroma_since_the_snapshot_is_noticed(small, reads):
    corpus, path = small
    import chromadb

    client = chromadb.PersistentClient(path=str(path))
    collection = client.get_collection("passages")
    first = collection.get(limit=1, include=["metadatas"])
    collection.update(ids=first["ids"], metadatas=first["metadatas"])  # the same values, but a write
    client.close()

    after_write = load(corpus, path)
    assert reads["chroma"] == 1 and not after_write.report.synced  # read from Chroma; still sound
    after_write.store.close()
    again = load(corpus, path)
    assert reads["chroma"] == 1  # the snapshot taken after the write is used
    again.store.close()


def change_vectors(folder: Path) -> None:
    vectors = np.load(folder / "vectors.npy")
    np.save(folder / "vectors.npy", vectors[::-1].copy())  # the same shape and values, in other rows


DAMAGE = {
    "vectors in other rows": change_vectors,
    "records truncated": lambda f: (f / "records.json").write_bytes((f / "records.json").read_bytes()[:100]),
    "vectors truncated": lambda f: (f / "vectors.npy").write_bytes((f / "vectors.npy").read_bytes()[:200]),
    "BM25 file missing": lambda f: next((f / "lexical").rglob("*.npy")).unlink(),
    "term matrix garbage": lambda f: (f / "lexical" / "terms.npz").write_bytes(b"garbage"),
    "manifest garbage": lambda f: (f / snapshot.MANIFEST).write_bytes(b"{"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_snapshot_is_not_used_and_is_taken_anew(small, reads, damage, caplog):
    corpus, path = small
    sound = load(corpus, path)
    expected = ranking(sound)
    sound.store.close()

    DAMAGE[damage](path / snapshot.FOLDER)
    with caplog.at_level(logging.INFO, logger="assistant.snapshot"):
        loaded = load(corpus, path)
    assert reads["chroma"] == 1 and not loaded.report.synced  # the index itself is sound: read, not rebuilt
    assert ranking(loaded) == expected
    loaded.store.close()
    if damage != "manifest garbage":
        assert [r for r in caplog.records if "snapshot is unusable" in r.getMessage()]

    again = load(corpus, path)
    assert reads["chroma"] == 1 and ranking(again) == expected  # the snapshot was taken anew
    again.store.close()


def test_the_write_position_moves_with_every_write_and_only_then(small):
    _, path = small
    manifest = json.loads((path / snapshot.FOLDER / snapshot.MANIFEST).read_text())
    assert manifest["key"] == snapshot.folder_key(path)  # taken of the index as it is
    before = snapshot.write_position(path)
    store = VectorStore(path)
    store.count(), store.contents(), store.query(np.full(384, 1 / np.sqrt(384), dtype=np.float32), 3)
    assert snapshot.write_position(path) == before  # opening, reading and searching write nothing
    record = store.metadata()
    rid = next(iter(record))
    store._collection.update(ids=[rid], metadatas=[record[rid]])
    assert snapshot.write_position(path) > before
    store.close()
    assert snapshot.write_position(path.parent / "nothing-here") is None
    assert manifest["key"] != snapshot.folder_key(path)  # no longer the index's own


def test_sentence_vectors_are_left_out_of_a_corpus_beyond_the_auto_limit(tmp_path, monkeypatch):
    from assistant import indexing

    from .test_index_damage import small_corpus

    corpus = small_corpus(tmp_path / "corpus")
    with_sentences = Assistant.load(corpus_dir=corpus, index_dir=tmp_path / "small", sentence_vectors="auto")
    passages = len(with_sentences.chunks)
    kinds = set(with_sentences.store.contents().kinds)
    with_sentences.store.close()
    assert "sentence" in kinds

    monkeypatch.setattr(indexing, "SENTENCE_VECTOR_PASSAGES", passages - 1)  # this corpus is now "large"
    large = Assistant.load(corpus_dir=corpus, index_dir=tmp_path / "large", sentence_vectors="auto")
    assert not {kind for kind in large.store.contents().kinds if kind.startswith("sentence")}
    assert json.loads((large.store.path / "build.json").read_text())["sentence_vectors"] is False
    assert large.retrieve(QUESTION, k=1)[0].doc_id == "case-minimumloon-sindh"
    large.store.close()


def _immutable(folder: Path, on: bool) -> bool:
    """Make ``folder`` unchangeable even for root (``chattr +i``); False where the file system cannot."""
    import subprocess

    if shutil.which("chattr") is None:
        return False
    done = subprocess.run(["chattr", "+i" if on else "-i", str(folder)], capture_output=True).returncode == 0
    if on and done:
        try:
            (folder / "probe").touch()
        except OSError:
            return True
        (folder / "probe").unlink()
        _immutable(folder, False)
        return False
    return done


def test_a_snapshot_that_cannot_be_written_costs_speed_not_answers(small, reads, caplog):
    corpus, path = small
    first = load(corpus, path)
    expected = ranking(first)
    first.store.close()
    import chromadb

    client = chromadb.PersistentClient(path=str(path))  # a write: the snapshot is out of date
    collection = client.get_collection("passages")
    record = collection.get(limit=1, include=["metadatas"])
    collection.update(ids=record["ids"], metadatas=record["metadatas"])
    client.close()

    folder = path / snapshot.FOLDER
    if not _immutable(folder, True):
        pytest.skip("chattr +i is not available here")
    try:
        with caplog.at_level(logging.WARNING, logger="assistant.snapshot"):
            loaded = load(corpus, path)
        assert reads["chroma"] == 1 and ranking(loaded) == expected  # read from Chroma, the same answers
        loaded.store.close()
        assert [r for r in caplog.records if "cannot keep a snapshot" in r.getMessage()]
        assert not list(path.glob(f".{snapshot.FOLDER}-*"))  # no half-written copy left behind
    finally:
        _immutable(folder, False)
    again = load(corpus, path)
    assert reads["chroma"] == 2 and ranking(again) == expected  # still out of date: read again, then taken
    again.store.close()
    third = load(corpus, path)
    assert reads["chroma"] == 2
    third.store.close()
