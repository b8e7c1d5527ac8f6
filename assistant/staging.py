"""A rebuild happens in a sibling folder ``.<name>.rebuilding-<pid>`` that replaces the index only once it
is complete (build.json, written last, says so); a kill loses nothing: the next load finishes the swap
of a complete rebuild, or clears an unfinished one.

>>> recover(Path("index/multilingual-e5-small-39e1e878"))   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from .index_check import BUILD_INFO

logger = logging.getLogger(__name__)

STAGING = ".rebuilding-"


def staging_folder(path: Path) -> Path:
    """This process's folder beside the index at ``path`` to rebuild it in."""
    return path.with_name(f".{path.name}{STAGING}{os.getpid()}")


def swap(staging: Path, path: Path) -> None:
    """Put the complete ``staging`` folder at ``path``. Between the two renames a kill leaves the complete
    staging folder and no index: ``recover`` finishes the move on the next load."""
    old = path.with_name(f".{path.name}.replaced-{os.getpid()}")
    if path.exists():
        path.rename(old)
    staging.rename(path)
    shutil.rmtree(old, ignore_errors=True)


def recover(path: Path) -> None:
    """Finish or clear what an interrupted rebuild left beside ``path``: a complete staging folder (it
    has build.json, written last) replaces the index; the rest is removed unless its process still runs."""
    for folder in sorted(path.parent.glob(f".{path.name}.*-*")) if path.parent.is_dir() else ():
        pid = folder.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or not left_over(int(pid)) or not folder.exists():
            continue
        if folder.name.startswith(f".{path.name}{STAGING}") and (folder / BUILD_INFO).is_file():
            logger.warning("%s: finishing an interrupted rebuild", path)
            swap(folder, path)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (one that is not ours to signal, or no valid pid, counts as
    running: what it left is not touched)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def left_over(pid: int) -> bool:
    """Whether a folder named with ``pid`` was left by a process that no longer works on it: a stopped one,
    or this one (which starts no rebuild or snapshot while another of its own is unfinished)."""
    return pid == os.getpid() or not alive(pid)
