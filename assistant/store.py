"""Chroma behind a small interface: content-addressed records, incremental sync, similarity query.

Nothing Chroma-specific leaves this module: callers see ids, vectors, metadata dicts and scores.

>>> store = VectorStore(Path("index/all-minilm-l6-v2-xxxx"))   # doctest: +SKIP
>>> VectorStore(Path("index/all-minilm-l6-v2-xxxx"), url="http://127.0.0.1:8000")   # doctest: +SKIP
>>> store.query(vector, n=5)                                   # doctest: +SKIP
[('met-wie-werk-je-samen:3f2a…', 0.61), …]
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from .errors import StoreError

logger = logging.getLogger(__name__)

COLLECTION = "passages"
BUILD_INFO = "build.json"
BUILD_INFO_KEY = "build_info"  # the collection metadata key of build.json on a Chroma server
_BATCH = 1000
_PAGE = 10_000


@dataclass(frozen=True)
class Record:
    """One vector in the store: a passage, or the cross-lingual gloss of one (``chunk_id`` says which)."""

    id: str
    document: str
    metadata: dict[str, Any]


class VectorStore:
    """The vectors of one model configuration: an embedded Chroma folder (``path``), or, with ``url``, a
    collection named after that folder on a Chroma server (``chroma run``) that several processes share.

    ``fresh``: start empty (``--rebuild``): the folder is deleted first, or the server collection emptied.
    """

    def __init__(self, path: Path, url: str = "", fresh: bool = False) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.path = path
        self.url = url.rstrip("/")
        # Chroma collection names: 3-512 of [a-zA-Z0-9._-], starting and ending with a letter or digit.
        self.collection = re.sub(r"[^A-Za-z0-9._-]", "-", path.name).strip("._-")[:512] if url else COLLECTION
        self.location = f"{self.url} (collection {self.collection})" if url else str(path)
        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if url:
                self._client = chromadb.HttpClient(**_server_address(url), settings=settings)
            else:
                if fresh and path.exists():
                    shutil.rmtree(path)
                path.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(path), settings=settings)
            # No embedding function: vectors always come from our own model, never a download.
            self._collection = self._client.get_or_create_collection(
                self.collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
            if url and fresh:  # emptied, not dropped: processes that share the collection keep their handle
                self.delete(sorted(self.ids()))
        except StoreError:
            raise
        except Exception as exc:  # chromadb raises many unrelated types for a broken folder or an absent server
            if url:
                raise StoreError(f"cannot use the Chroma server at {self.url} ({type(exc).__name__}: {exc}); start "
                                 "it with 'chroma run --path <folder> --host <host> --port <port>', or unset "
                                 "ASSISTANT_CHROMA_URL to use the embedded index folder") from exc
            raise StoreError(f"{path}: cannot open the index ({exc}); delete the folder and run 'assistant index'") from exc

    def ids(self) -> set[str]:
        return {rid for page in self._pages([]) for rid in page["ids"]}

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
        return {rid: meta for page in self._pages(["metadatas"]) for rid, meta in zip(page["ids"], page["metadatas"])}

    def _pages(self, include: list[str]):
        """Every record, a page at a time: one ``get`` of all records fails past ~32k ("too many SQL variables")."""
        for offset in range(0, self.count(), _PAGE):
            yield self._collection.get(include=include, limit=_PAGE, offset=offset)

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), _BATCH):
            self._collection.delete(ids=ids[start : start + _BATCH])

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """Every record id with its vector (rows in the same order), for exact search in memory."""
        ids: list[str] = []
        rows: list[np.ndarray] = []
        for page in self._pages(["embeddings"]):
            if page["embeddings"] is not None and len(page["ids"]):
                ids += page["ids"]
                rows.append(np.asarray(page["embeddings"], dtype=np.float32))
        return ids, (np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32))

    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(record id, cosine similarity), most similar first."""
        n = min(n, self.count())
        if n == 0:
            return []
        result = self._collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        return [(rid, 1.0 - float(dist)) for rid, dist in zip(result["ids"][0], result["distances"][0])]

    # What the index was built from, next to the vectors: build.json in the folder, or, on a server, the
    # collection's metadata (every process that shares the collection sees it).
    def read_build_info(self) -> dict[str, Any]:
        if self.url:
            metadata = self._client.get_collection(self.collection).metadata or {}  # fresh, not the cached copy
            try:
                return json.loads(metadata.get(BUILD_INFO_KEY, "{}"))
            except (TypeError, json.JSONDecodeError):
                logger.warning("%s: build info unreadable; the next build rewrites it", self.location)
                return {}
        path = self.path / BUILD_INFO
        try:
            return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except (OSError, json.JSONDecodeError):
            logger.warning("%s unreadable; the next build rewrites it", path)
            return {}

    def write_build_info(self, info: dict[str, Any]) -> None:
        text = json.dumps(info, indent=2, ensure_ascii=False, sort_keys=True)
        if self.url:
            self._collection.modify(metadata={BUILD_INFO_KEY: text})
            return
        path = self.path / BUILD_INFO
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)


def _server_address(url: str) -> dict[str, Any]:
    """HttpClient arguments for ``http(s)://host[:port]`` (Chroma's default port is 8000)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"ASSISTANT_CHROMA_URL {url!r} is not a server address like http://127.0.0.1:8000")
    return {"host": parts.hostname, "port": parts.port or 8000, "ssl": parts.scheme == "https"}

