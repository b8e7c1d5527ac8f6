"""Chroma behind a small interface: content-addressed records, incremental sync, similarity query.

Nothing Chroma-specific leaves this module: callers see ids, vectors, metadata dicts and scores.

>>> store = VectorStore(Path("index/all-minilm-l6-v2-xxxx"))   # doctest: +SKIP
>>> store.query(vector, n=5)                                   # doctest: +SKIP
[('met-wie-werk-je-samen:3f2a…', 0.61), …]
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import StoreError

logger = logging.getLogger(__name__)

COLLECTION = "passages"
BUILD_INFO = "build.json"
_BATCH = 1000


@dataclass(frozen=True)
class Record:
    """One vector in the store: a passage, or the cross-lingual gloss of one (``chunk_id`` says which)."""

    id: str
    document: str
    metadata: dict[str, Any]


class VectorStore:
    def __init__(self, path: Path) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.path = path
        try:
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(
                path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            )
            # No embedding function: vectors always come from our own model, never a download.
            self._collection = self._client.get_or_create_collection(
                COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
        except Exception as exc:  # chromadb raises many unrelated types for a broken folder
            raise StoreError(f"{path}: cannot open the index ({exc}); delete the folder and run 'assistant index'") from exc

    def ids(self) -> set[str]:
        return set(self._collection.get(include=[])["ids"])

    def count(self) -> int:
        return self._collection.count()

    def add(self, records: list[Record], vectors: np.ndarray) -> None:
        for start in range(0, len(records), _BATCH):
            batch = records[start : start + _BATCH]
            self._collection.upsert(
                ids=[r.id for r in batch],
                embeddings=vectors[start : start + _BATCH],
                documents=[r.document for r in batch],
                metadatas=[r.metadata for r in batch],
            )

    def update_metadata(self, records: list[Record]) -> None:
        for start in range(0, len(records), _BATCH):
            batch = records[start : start + _BATCH]
            self._collection.update(ids=[r.id for r in batch], metadatas=[r.metadata for r in batch])

    def metadata(self) -> dict[str, dict[str, Any]]:
        got = self._collection.get(include=["metadatas"])
        return dict(zip(got["ids"], got["metadatas"]))

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), _BATCH):
            self._collection.delete(ids=ids[start : start + _BATCH])

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """Every record id with its vector (rows in the same order), for exact search in memory."""
        got = self._collection.get(include=["embeddings"])
        embeddings = got["embeddings"]
        if embeddings is None or len(got["ids"]) == 0:
            return [], np.zeros((0, 0), dtype=np.float32)
        return list(got["ids"]), np.asarray(embeddings, dtype=np.float32)

    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(record id, cosine similarity), most similar first."""
        n = min(n, self.count())
        if n == 0:
            return []
        result = self._collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        return [(rid, 1.0 - float(dist)) for rid, dist in zip(result["ids"][0], result["distances"][0])]

    # What the index was built from, next to the vectors.
    def read_build_info(self) -> dict[str, Any]:
        path = self.path / BUILD_INFO
        try:
            return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except (OSError, json.JSONDecodeError):
            logger.warning("%s unreadable; the next build rewrites it", path)
            return {}

    def write_build_info(self, info: dict[str, Any]) -> None:
        path = self.path / BUILD_INFO
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
