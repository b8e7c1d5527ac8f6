"""What a load needs from an index folder, kept in it: every record's id, passage and kind with its vector
(``Contents``) and the passages' BM25 index (``LexicalIndex``), so a load reads no vector from Chroma and
builds no BM25.

Why by hand: Chroma hands its vectors over only through ``get`` by offset, a page at a time, and that read
grows faster than the index (111 s for 768k vectors, 5.5 s for 77k), and BM25 (bm25s) is rebuilt from the
stemmed passages at every start unless it is saved (26 s at 100k passages). The retriever searches the
vectors in memory anyway; here they are a numpy file, memory-mapped on load.

The snapshot is used only while it is provably the index's own: its key names the build it was taken of
and the code that made its BM25 index, and its records and vectors must match the checksum it keeps of
them (and build.json's, where the index keeps one). The key of an index folder (``folder_key``) is the
sha256 of ``build.json`` and Chroma's write position (nothing written since); of a collection on a Chroma
server (``served_key``), which keeps its own files and whose writes cannot be seen, the build info the
assistant's last sync wrote into it and its record count. The caller takes the key before it reads
the records, and keeps a snapshot only while the key is still the same (no write in between). Anything
else (no snapshot, another build, a damaged file) and the load reads Chroma as before; the snapshot is
then taken anew.

>>> kept = load(path / FOLDER, folder_key(path), build_info)        # doctest: +SKIP
>>> kept.contents.vectors.shape                                      # doctest: +SKIP
(1448, 384)
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import glossary, lexical, retrieval, text
from .index_check import BUILD_INFO, VECTORS_DIGEST
from .lexical import LexicalIndex
from .staging import left_over
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


def load(folder: Path, key: str | None, info: dict) -> Snapshot | None:
    """The snapshot in ``folder`` when it was taken under ``key`` and is sound, else None. ``info``: the
    index's build info (its record count and, in an index folder, the checksum of its vectors).

    The caller has finished or cleared an interrupted rebuild (``staging.recover``) first; opening the
    store still checks the rest (``store.open_store``: the HNSW files, a broken SQLite file).
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # none taken yet, or unreadable: the load reads Chroma
    if key is None or not isinstance(manifest, dict) or manifest.get("key") != key:
        logger.info("%s: the snapshot is of another build; reading the index", folder)
        return None
    try:
        records = json.loads((folder / "records.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        contents = Contents(records["ids"], records["chunk_ids"], records["kinds"], vectors)
        if not (len(contents.ids) == len(contents.chunk_ids) == len(contents.kinds) == len(vectors)):
            raise ValueError("records and vectors differ in number")
        if len(contents) != info.get("records", len(contents)):
            raise ValueError(f"it holds {len(contents)} records where the build info says {info.get('records')}")
        digest = contents.digest()
        if digest != manifest.get("digest") or digest != info.get(VECTORS_DIGEST, digest):
            raise ValueError("its records do not match their checksum")
        kept = Snapshot(contents, LexicalIndex.load(folder / "lexical"))
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:  # a damaged or partial file
        logger.warning("%s: the snapshot is unusable (%s); reading the index", folder, str(exc)[:160])
        return None
    return kept


def save(folder: Path, key: str | None, contents: Contents, lexical_index: LexicalIndex) -> None:
    """Keep the snapshot of an index in ``folder`` under ``key``. Written beside the old one and swapped in
    whole: a kill leaves the old snapshot or none. A folder it cannot write (read-only, full) costs the
    next load its speed, not its answers: a warning."""
    if key is None:
        return
    try:
        _write(folder, key, contents, lexical_index)
    except OSError as exc:
        logger.warning("%s: cannot keep a snapshot of the index (%s); the next load reads the index", folder, exc)


def _write(folder: Path, key: str, contents: Contents, lexical_index: LexicalIndex) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    for leftover in folder.parent.glob(f".{folder.name}-*"):  # of a process that was killed while writing
        if left_over(int(leftover.name.rsplit("-", 1)[-1])):
            shutil.rmtree(leftover, ignore_errors=True)
    staging = folder.with_name(f".{folder.name}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        np.save(staging / "vectors.npy", np.ascontiguousarray(contents.vectors, dtype=np.float32), allow_pickle=False)
        (staging / "records.json").write_text(json.dumps(
            {"ids": contents.ids, "chunk_ids": contents.chunk_ids, "kinds": contents.kinds}), encoding="utf-8")
        lexical_index.save(staging / "lexical")
        (staging / MANIFEST).write_text(json.dumps({"key": key, "digest": contents.digest()}), encoding="utf-8")
        if folder.exists():
            old = folder.with_name(f".{folder.name}-old-{os.getpid()}")
            folder.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        staging.rename(folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # a full disk keeps no half-written copy
        raise


def folder_key(path: Path) -> str | None:
    """The key of the index folder at ``path`` as it is now: its ``build.json`` and Chroma's write position
    (None when either cannot be read)."""
    position = write_position(path)
    try:
        build = (path / BUILD_INFO).read_bytes()
    except OSError:
        return None
    return None if position is None else _digest(build, f"position {position}")


def served_key(info: dict, count: int) -> str | None:
    """The key of a collection on a Chroma server as it is now: the build info the last sync wrote into it
    (with its time) and its record count (None before a build)."""
    if not info:
        return None
    return _digest(json.dumps(info, sort_keys=True).encode(), f"records {count}")


def served_folder(index_dir: Path, url: str, collection: str) -> Path:
    """Where this machine keeps the snapshot of ``collection`` on the Chroma server at ``url``.

    >>> served_folder(Path("index"), "http://127.0.0.1:8000", "e5-39e1")
    PosixPath('index/.served/127.0.0.1-8000/e5-39e1/snapshot')
    """
    place = re.sub(r"[^A-Za-z0-9._-]", "-", url.split("://", 1)[-1].rstrip("/"))
    return index_dir / ".served" / place / collection / FOLDER


def _digest(build: bytes, state: str) -> str:
    """A key: the build, the state of the store, the snapshot's layout and the code of its BM25 index."""
    digest = hashlib.sha256(build)
    digest.update(f"\0{state}\0{VERSION}\0".encode())
    digest.update(_lexical_code())
    return digest.hexdigest()


@functools.cache
def _lexical_code() -> bytes:
    """The source of the modules that make the BM25 index, read once a process (a load takes up to three
    keys); kept whole rather than as a digest of its own, so that the keys, and the snapshots kept under
    them, stay as they were."""
    return b"".join(Path(module.__file__).read_bytes() for module in _LEXICAL_CODE)


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
