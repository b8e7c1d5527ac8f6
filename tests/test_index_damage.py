"""A damaged index is noticed on load, reported in one message and rebuilt beside it; the damaged folder
is replaced only by a complete rebuild, so a kill during the rebuild loses nothing.

Each case damages a real Chroma index (a one-document corpus, passages only, to keep rebuilds short)
the way a disk, an editor or a half-finished copy would, then loads it again with the real model.
"""

from __future__ import annotations

import json
import re
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from assistant.store import BUILD_INFO, check_index

from .conftest import CORPUS

pytestmark = pytest.mark.slow

DOCUMENT = "case-minimumloon-sindh.nl.txt"
SMALL = {"sentence_vectors": False}  # passages and their English renderings only: a rebuild takes seconds
QUESTION = "Wat is het minimumloon in Sindh?"


def small_corpus(target: Path) -> Path:
    """The Sindh case alone, with the glossary, vocabulary and its translations."""
    target.mkdir(parents=True)
    for name in (DOCUMENT, "glossary.tsv", "vocabulary.tsv"):
        shutil.copy(CORPUS / name, target / name)
    (target / "translations").mkdir()
    shutil.copy(CORPUS / "translations" / "case-minimumloon-sindh.tsv", target / "translations")
    (target / "manifest.toml").write_text(
        f'[[documents]]\nid = "case-minimumloon-sindh"\nfile = "{DOCUMENT}"\ntitle = "Casus minimumloon Sindh"\n'
        'language = "nl"\nkind = "case study"\npublisher = "SER"\n', encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path, str]:
    """A built index to copy: (corpus, index folder, the model's folder name in it)."""
    root = tmp_path_factory.mktemp("pristine")
    corpus = small_corpus(root / "corpus")
    built = Assistant.load(corpus_dir=corpus, index_dir=root / "index", **SMALL)
    built.store.close()
    return corpus, root / "index", built.store.path.name


@pytest.fixture
def index(pristine, tmp_path) -> tuple[Path, Path]:
    """A fresh copy of the built index: (corpus, the model's index folder)."""
    corpus, index_dir, name = pristine
    shutil.copytree(index_dir, tmp_path / "index")
    return corpus, tmp_path / "index" / name


def hnsw_folder(path: Path) -> Path:
    """Chroma's HNSW segment folder (named by the segment's UUID) in the index folder at ``path``."""
    return next(p for p in path.iterdir() if p.is_dir() and re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", p.name))


def overwrite(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def drop_records(path: Path) -> None:
    import chromadb

    client = chromadb.PersistentClient(path=str(path))
    collection = client.get_collection("passages")
    collection.delete(ids=collection.get(include=[])["ids"][:5])
    client.close()


def randomise_vectors(path: Path) -> None:
    import chromadb

    client = chromadb.PersistentClient(path=str(path))
    collection = client.get_collection("passages")
    ids = collection.get(include=[])["ids"]
    vectors = np.random.default_rng(7).normal(size=(len(ids), 384)).astype(np.float32)
    collection.update(ids=ids, embeddings=vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    client.close()


def build_json_folder(path: Path) -> None:
    (path / BUILD_INFO).unlink()
    (path / BUILD_INFO).mkdir()


DAMAGE = {
    "build.json is a folder": build_json_folder,
    "build.json is not JSON": lambda p: overwrite(p / BUILD_INFO, b"{\"records\": 3,"),
    "build.json holds a list": lambda p: overwrite(p / BUILD_INFO, b"[1, 2]"),
    "records missing": drop_records,
    "vectors replaced by random ones": randomise_vectors,
    "chroma.sqlite3 truncated": lambda p: overwrite(p / "chroma.sqlite3", (p / "chroma.sqlite3").read_bytes()[:40960]),
}
# Chroma writes its HNSW files (and their id map, index_metadata.pickle) only past 1,000 records; a smaller
# index is replayed from SQLite. These cases need the full corpus's index (1,448 records).
HNSW_DAMAGE = {
    "HNSW vectors truncated": lambda p: overwrite(hnsw_folder(p) / "data_level0.bin",
                                                  (hnsw_folder(p) / "data_level0.bin").read_bytes()[:1000]),
    "HNSW vectors zeroed": lambda p: overwrite(hnsw_folder(p) / "data_level0.bin",
                                              bytes(len((hnsw_folder(p) / "data_level0.bin").read_bytes()))),
    "HNSW header overwritten": lambda p: overwrite(hnsw_folder(p) / "header.bin", b"garbage"),
    "index_metadata.pickle corrupt": lambda p: overwrite(hnsw_folder(p) / "index_metadata.pickle", b"garbage"),
}


@pytest.fixture
def full_index(assistant, tmp_path) -> tuple[Path, Path]:
    """A copy of the session's full index: (corpus, the model's index folder)."""
    corpus = Path(assistant.settings.corpus_dir)
    shutil.copytree(assistant.store.path, tmp_path / "index" / assistant.store.path.name)
    return corpus, tmp_path / "index" / assistant.store.path.name


@pytest.mark.parametrize("damage", list(HNSW_DAMAGE))
def test_damaged_hnsw_files_are_noticed(full_index, damage):
    corpus, path = full_index
    assert (hnsw_folder(path) / "index_metadata.pickle").is_file()
    assert check_index(path) is None
    HNSW_DAMAGE[damage](path)
    assert "Chroma cannot read it" in check_index(path)


def test_a_damaged_full_index_is_rebuilt(full_index, caplog):
    corpus, path = full_index
    records = json.loads((path / BUILD_INFO).read_text())["records"]
    HNSW_DAMAGE["index_metadata.pickle corrupt"](path)
    with caplog.at_level(logging.WARNING, logger="assistant.store"):
        repaired = Assistant.load(corpus_dir=corpus, index_dir=path.parent)
    assert [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert repaired.report.embedded == records
    repaired.store.close()
    assert check_index(path) is None


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damage_is_reported_once_and_repaired(index, damage, caplog):
    corpus, path = index
    records = json.loads((path / BUILD_INFO).read_text())["records"]
    DAMAGE[damage](path)
    assert check_index(path) is not None

    with caplog.at_level(logging.WARNING, logger="assistant.store"):
        repaired = Assistant.load(corpus_dir=corpus, index_dir=path.parent, **SMALL)
    messages = [r.getMessage() for r in caplog.records if r.name == "assistant.store"]
    assert len(messages) == 1 and "damaged" in messages[0] and "rebuilding" in messages[0], messages
    assert repaired.report.embedded == repaired.report.records == records  # rebuilt from scratch
    assert repaired.store.path == path and repaired.report.path == str(path)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no staging or damaged folder left
    assert repaired.retrieve(QUESTION, k=1)[0].doc_id == "case-minimumloon-sindh"
    repaired.store.close()
    assert check_index(path) is None
    again = Assistant.load(corpus_dir=corpus, index_dir=path.parent, **SMALL)
    assert again.report.embedded == 0  # the repaired index is trusted next time
    again.store.close()


def test_a_sound_index_is_not_rebuilt(index, caplog):
    corpus, path = index
    assert check_index(path) is None
    with caplog.at_level(logging.WARNING, logger="assistant.store"):
        loaded = Assistant.load(corpus_dir=corpus, index_dir=path.parent, **SMALL)
    assert loaded.report.embedded == 0 and not [r for r in caplog.records if r.name == "assistant.store"]
    loaded.store.close()


def test_a_rebuild_stages_beside_the_index_and_replaces_it_when_complete(index):
    corpus, path = index
    before = json.loads((path / BUILD_INFO).read_text())
    rebuilt = Assistant.load(corpus_dir=corpus, index_dir=path.parent, rebuild=True, **SMALL)
    assert rebuilt.report.embedded == before["records"] and rebuilt.store.path == path
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert json.loads((path / BUILD_INFO).read_text())["vectors_sha256"] == before["vectors_sha256"]
    rebuilt.store.close()


def dead_pid() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(finished.stdout)


def test_an_unfinished_rebuild_of_a_dead_process_is_discarded(index):
    corpus, path = index
    staging = path.with_name(f".{path.name}.rebuilding-{dead_pid()}")
    shutil.copytree(path, staging)
    (staging / BUILD_INFO).unlink()  # build.json is written last: this rebuild did not finish
    (staging / "chroma.sqlite3").write_bytes(b"half")
    loaded = Assistant.load(corpus_dir=corpus, index_dir=path.parent, **SMALL)
    assert loaded.report.embedded == 0 and not staging.exists()
    loaded.store.close()


def test_a_rebuild_killed_between_its_two_renames_is_finished_on_the_next_load(index):
    """The complete rebuild is in its staging folder and the index folder is already moved aside."""
    corpus, path = index
    pid = dead_pid()
    staging = path.with_name(f".{path.name}.rebuilding-{pid}")
    path.rename(path.with_name(f".{path.name}.replaced-{pid}"))
    shutil.copytree(path.with_name(f".{path.name}.replaced-{pid}"), staging)
    loaded = Assistant.load(corpus_dir=corpus, index_dir=path.parent, **SMALL)
    assert loaded.report.embedded == 0  # nothing lost: the complete rebuild is put in place, not redone
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    loaded.store.close()


def test_kill_during_a_rebuild_loses_nothing(index):
    """kill -9 while `assistant index --rebuild` embeds: the old index is untouched and still loads."""
    corpus, path = index
    before = (path / BUILD_INFO).read_bytes()
    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(path.parent),
                        "ASSISTANT_SENTENCE_VECTORS": "false"}
    process = subprocess.Popen([sys.executable, "-m", "assistant", "index", "--rebuild"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not list(path.parent.glob(f".{path.name}.rebuilding-*/chroma.sqlite3")):
        assert process.poll() is None and time.monotonic() < deadline, "the rebuild never started staging"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Chroma rewrites its small HNSW scratch files whenever it opens an index, so the record of what the
    # index holds is what must be unchanged: build.json, with its checksum of every vector.
    assert (path / BUILD_INFO).read_bytes() == before and check_index(path) is None
    loaded = Assistant.load(corpus_dir=corpus, index_dir=path.parent, **SMALL)
    assert loaded.report.embedded == 0
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    loaded.store.close()
