"""What a load needs from an index folder, kept in it: every record's id, passage and kind with its vector
(``Contents``) and the passages' BM25 index (``LexicalIndex``), so a load reads no vector from Chroma and
builds no BM25.

Why by hand: Chroma hands its vectors over only through ``get`` by offset, a page at a time, and that read
grows faster than the index (111 s for 768k vectors, 5.5 s for 77k), and BM25 (bm25s) is rebuilt from the
stemmed passages at every start unless it is saved (26 s at 100k passages). The retriever searches the
vectors in memory anyway; here they are a numpy file, memory-mapped on load.

The snapshot is used only while it is provably the index's own: it names the build it was taken of (the
sha256 of ``build.json``, which build.json's vectors checksum and record count are part of), Chroma's
write position (nothing written since) and the code that made its BM25 index; and on every load its
records and vectors are checked against build.json's checksum, as the records read from Chroma were.
Anything else (no snapshot, another build, a damaged file) and the load reads Chroma as before; the
snapshot is then taken anew.

>>> kept = load(Path("index/multilingual-e5-small-39e1e878"))     # doctest: +SKIP
>>> kept.contents.vectors.shape                                      # doctest: +SKIP
(1448, 384)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import glossary, lexical, retrieval, text
from .index_check import BUILD_INFO, VECTORS_DIGEST
from .lexical import LexicalIndex
from .staging import running
from .store import Contents

logger = logging.getLogger(__name__)

FOLDER = "snapshot"
MANIFEST = "manifest.json"
#: Bump when the files' layout changes.
VERSION = 1
#: The modules whose code makes the BM25 index: a changed tokenizer, stemmer or rendering never meets an old one.
_LEXICAL_CODE = (text, lexical, glossary, retrieval)


@dataclass(frozen=True)
class Snapshot:
    contents: Contents
    lexical: LexicalIndex


def load(path: Path) -> Snapshot | None:
    """The snapshot of the index folder at ``path`` when it is that index's own and sound, else None.

    The caller has finished or cleared an interrupted rebuild (``staging.recover``) first; opening the
    store still checks the rest (``store.open_store``: the HNSW files, a broken SQLite file).
    """
    folder = path / FOLDER
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        info = json.loads((path / BUILD_INFO).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # none taken yet, or unreadable: the load reads Chroma
    if not isinstance(manifest, dict) or not isinstance(info, dict):
        return None
    if manifest.get("key") != _key(path):
        logger.info("%s: the snapshot is of another build; reading the index", path)
        return None
    try:
        records = json.loads((folder / "records.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        contents = Contents(records["ids"], records["chunk_ids"], records["kinds"], vectors)
        if not (len(contents.ids) == len(contents.chunk_ids) == len(contents.kinds) == len(vectors)):
            raise ValueError("records and vectors differ in number")
        if len(contents) != info.get("records") or contents.digest() != info.get(VECTORS_DIGEST):
            raise ValueError(f"its records do not match the checksum in {BUILD_INFO}")
        kept = Snapshot(contents, LexicalIndex.load(folder / "lexical"))
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:  # a damaged or partial file
        logger.warning("%s: the snapshot is unusable (%s); reading the index", path, str(exc)[:160])
        return None
    return kept


def save(path: Path, contents: Contents, lexical_index: LexicalIndex) -> None:
    """Take the snapshot of the index folder at ``path`` (its ``build.json`` as written, Chroma as it is
    now). Written beside the old one and swapped in whole: a kill leaves the old snapshot or none. A
    folder it cannot write (read-only, full) costs the next load its speed, not its answers: a warning."""
    key = _key(path)
    if key is None:
        return
    try:
        _write(path, key, contents, lexical_index)
    except OSError as exc:
        logger.warning("%s: cannot keep a snapshot of the index (%s); the next load reads the index", path, exc)


def _write(path: Path, key: str, contents: Contents, lexical_index: LexicalIndex) -> None:
    for leftover in path.glob(f".{FOLDER}-*"):  # of a process that was killed while writing
        if not running(int(leftover.name.rsplit("-", 1)[-1])):
            shutil.rmtree(leftover, ignore_errors=True)
    staging = path / f".{FOLDER}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    np.save(staging / "vectors.npy", np.ascontiguousarray(contents.vectors, dtype=np.float32), allow_pickle=False)
    (staging / "records.json").write_text(json.dumps(
        {"ids": contents.ids, "chunk_ids": contents.chunk_ids, "kinds": contents.kinds}), encoding="utf-8")
    lexical_index.save(staging / "lexical")
    (staging / MANIFEST).write_text(json.dumps({"key": key}), encoding="utf-8")
    target = path / FOLDER
    if target.exists():
        old = path / f".{FOLDER}-old-{os.getpid()}"
        target.rename(old)
        shutil.rmtree(old, ignore_errors=True)
    staging.rename(target)


def _key(path: Path) -> str | None:
    """What the snapshot of the index at ``path`` must have been taken of: the build (``build.json``),
    Chroma's write position, the snapshot's layout and the code of its BM25 index."""
    position = write_position(path)
    try:
        build = (path / BUILD_INFO).read_bytes()
    except OSError:
        return None
    if position is None:
        return None
    digest = hashlib.sha256(build)
    digest.update(f"\0{position}\0{VERSION}\0".encode())
    for module in _LEXICAL_CODE:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def write_position(path: Path) -> int | None:
    """The sequence number of the last write Chroma logged in the index folder at ``path``, None when it
    cannot be read.

    Why by hand: Chroma has no public marker of the last write. Every add, update and delete appends to
    its write-ahead log (the ``embeddings_queue`` table of chroma.sqlite3) with a larger sequence number,
    and each segment records the last number it applied (``max_seq_id``); opening, counting and
    searching write neither. A read-only query of both tells that nothing was written since. A Chroma
    whose tables differ makes it None, and the load reads every record as before.
    """
    database = path / "chroma.sqlite3"
    if not database.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            logged = connection.execute("SELECT max(seq_id) FROM embeddings_queue").fetchone()[0]
            applied = connection.execute("SELECT max(seq_id) FROM max_seq_id").fetchone()[0]
        connection.close()
    except sqlite3.Error:
        return None
    numbers = [n for n in (logged, applied) if isinstance(n, int)]
    return max(numbers) if numbers else None
