"""The stamp of an index folder as last verified: the size and modification time of its HNSW files.

Checking an index runs Chroma in a child process (``store.check_index``, ~1 s, most of it importing
Chroma there), because Chroma's native code can crash on damaged HNSW files. Chroma rewrites
``chroma.sqlite3`` whenever it opens an index, but leaves the HNSW segment files alone until it writes
vectors; when they are as they were after the last check that passed (or the last sync that wrote
them), that check is skipped. What the stamp cannot see, the SQLite file and the vectors' values, the
load checks in-process on every start: the record count and the checksum of every vector.

>>> record(folder); matches(folder)          # doctest: +SKIP
True
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .index_check import BUILD_INFO

logger = logging.getLogger(__name__)

STAMP = "verified.json"
#: Files of the folder that are not HNSW segment files: Chroma's SQLite database (and its journal
#: files), build.json, the stamp itself, the temporary files these two are written through, and the
#: snapshot of the records (``snapshot``, which checks itself) with the folders it is written through.
_NOT_STAMPED_PREFIXES = ("chroma.sqlite3", BUILD_INFO, STAMP, Path(BUILD_INFO).stem + ".tmp", Path(STAMP).stem + ".tmp",
                         "snapshot/", ".snapshot-")


def segment_files(path: Path) -> dict[str, list[int]]:
    """``relative path -> [size, mtime_ns]`` of every file in the folder ``path`` but those above."""
    files = {}
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path).as_posix()
        if file.is_file() and not relative.startswith(_NOT_STAMPED_PREFIXES):
            stat = file.stat()
            files[relative] = [stat.st_size, stat.st_mtime_ns]
    return files


def matches(path: Path) -> bool:
    """Whether the HNSW files of the index at ``path`` are exactly as stamped (False without a stamp)."""
    try:
        stamped = json.loads((path / STAMP).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    try:
        return isinstance(stamped, dict) and stamped.get("files") == segment_files(path)
    except OSError:  # a file went away while it was listed
        return False


def record(path: Path) -> None:
    """Stamp the index at ``path`` as verified (written atomically: a kill leaves the old stamp or the new)."""
    stamp = path / STAMP
    tmp = stamp.with_suffix(".tmp")
    tmp.write_text(json.dumps({"files": segment_files(path)}, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(stamp)
    logger.debug("%s: stamped as verified", path)
