"""The checks of an index folder that need Chroma, runnable as a script in a child process.

Chroma's native code can crash the whole process on damaged HNSW files (a segmentation fault), so
``store.check_index`` runs ``python index_check.py FOLDER`` with build.json's contents on stdin and reads
one JSON line (the problem, or null). This file imports nothing of the package, so the child starts fast.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

COLLECTION = "passages"
BUILD_INFO = "build.json"
VECTORS_DIGEST = "vectors_sha256"
_PAGE = 10_000


def vector_digest(collection) -> str:
    """sha256 of every record id and its float32 vector, in id order: a changed vector changes it."""
    ids: list[str] = []
    rows: list[np.ndarray] = []
    for offset in range(0, collection.count(), _PAGE):  # a page at a time (see VectorStore._pages)
        page = collection.get(include=["embeddings"], limit=_PAGE, offset=offset)
        ids += page["ids"]
        rows.append(np.asarray(page["embeddings"], dtype=np.float32).reshape(len(page["ids"]), -1))
    return records_digest(ids, np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32))


def records_digest(ids: list[str], vectors: np.ndarray) -> str:
    """``vector_digest`` of records in memory (``vectors[i]`` is the float32 vector of ``ids[i]``).

    One update per id and per vector, in id order. (Laying the bytes out with numpy instead, a block at a
    time, hashed the same bytes 1.5x slower: at 170k vectors this loop takes ~0.3 s, most of it sha256.)

    >>> records_digest([], np.zeros((0, 0), dtype=np.float32)) == hashlib.sha256().hexdigest()
    True
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    digest = hashlib.sha256()
    for index in sorted(range(len(ids)), key=ids.__getitem__):
        digest.update(ids[index].encode() + b"\0")
        digest.update(vectors[index])
    return digest.hexdigest()


def _check_records(path: Path, info: dict[str, Any]) -> str | None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = None
    try:
        client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False,
                                                                                 allow_reset=False))
        collection = client.get_collection(COLLECTION)
        count, expected = collection.count(), info.get("records")
        if isinstance(expected, int) and count != expected:
            return f"it holds {count} records where {BUILD_INFO} says {expected}"
        if count:
            probe = np.full(_dimension(collection), 1.0, dtype=np.float32)
            found = collection.query(query_embeddings=[probe / np.linalg.norm(probe)], n_results=count,
                                     include=["distances"])["ids"][0]
            if len(found) != count:
                return f"a search reaches {len(found)} of its {count} vectors"
        recorded = info.get(VECTORS_DIGEST)
        if recorded is not None and vector_digest(collection) != recorded:
            return f"its stored vectors do not match the checksum in {BUILD_INFO}"
    except Exception as exc:  # Chroma raises many unrelated types for damaged files
        return f"Chroma cannot read it ({type(exc).__name__}: {str(exc)[:160]})"
    finally:
        if client is not None:
            client.close()
    return None


def _dimension(collection) -> int:
    sample = collection.get(limit=1, include=["embeddings"])["embeddings"]
    return len(sample[0])


if __name__ == "__main__":
    print(json.dumps(_check_records(Path(sys.argv[1]), json.load(sys.stdin))))
