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
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import numpy as np

from . import index_check, verified
from .errors import StoreError
from .index_check import _PAGE, BUILD_INFO, COLLECTION, VECTORS_DIGEST, records_digest, vector_digest
from .staging import staging_folder, swap

logger = logging.getLogger(__name__)

BUILD_INFO_KEY = "build_info"  # the collection metadata key of build.json on a Chroma server
#: A record's passage and kind as its id tells them, or None when only its metadata does.
Owner = Callable[[str], "tuple[str, str] | None"]
_BATCH = 1000
#: Records whose metadata one ``get`` by id reads: 10,000 ids at once took 5 s, ten gets of 1,000 0.3 s.
_BY_ID = 1000


@dataclass(frozen=True)
class Record:
    """One vector in the store: a passage, or the cross-lingual gloss of one (``chunk_id`` says which)."""

    id: str
    document: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Contents:
    """Every record of a store, from one paged read: its id, the passage it belongs to (``chunk_ids``), its
    kind ("passage", "gloss", "sentence", "sentence gloss") and its vector (row ``i`` of ``vectors``, float32).

    >>> Contents.empty().digest() == records_digest([], np.zeros((0, 0), dtype=np.float32))
    True
    """

    ids: list[str]
    chunk_ids: list[str]
    kinds: list[str]
    vectors: np.ndarray

    @classmethod
    def empty(cls) -> Contents:
        return cls([], [], [], np.zeros((0, 0), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    def digest(self) -> str:
        """The checksum build.json keeps of the vectors (``vectors_sha256``)."""
        return records_digest(self.ids, self.vectors)


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
            if hasattr(self, "_client"):
                self._client.close()
            else:
                _forget_failed_client(path)
            raise StoreError(f"{path}: cannot open the index ({exc}); delete the folder and run 'assistant index'") from exc

    def ids(self) -> set[str]:
        return {rid for page in self._pages([]) for rid in page["ids"]}

    def count(self) -> int:
        try:
            return self._collection.count()
        except Exception as exc:  # chromadb raises many unrelated types for damaged files
            raise StoreError(f"{self.location}: cannot read the index ({type(exc).__name__}: {str(exc)[:160]})") from exc

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

    def _pages(self, include: list[str], total: int | None = None):
        """Every record, a page at a time: one ``get`` of all records fails past ~32k ("too many SQL variables")."""
        for offset in range(0, self.count() if total is None else total, _PAGE):
            try:
                page = self._collection.get(include=include, limit=_PAGE, offset=offset)
            except Exception as exc:  # chromadb raises many unrelated types for damaged files
                raise StoreError(f"{self.location}: cannot read the index ({type(exc).__name__}: "
                                 f"{str(exc)[:160]})") from exc
            yield page

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), _BATCH):
            self._collection.delete(ids=ids[start : start + _BATCH])

    def contents(self, owner: Owner | None = None) -> Contents:
        """Every record with its passage, kind and vector, read a page at a time. Each page's vectors go
        straight into one float32 matrix (Chroma hands them over as float64), and of the metadata only the
        passage and kind are kept: at 100k passages the whole metadata dicts alone took hundreds of MB.

        ``owner``: a record's passage and kind from its id where the id tells them; only the other
        records' metadata is read (at 170k records, reading all metadata took 13 s of a 21 s read).
        """
        total = self.count()
        ids: list[str] = []
        chunk_ids: list[str] = []
        kinds: dict[str, str] = {}  # one string object per kind
        record_kinds: list[str] = []
        unknown: list[int] = []  # rows whose passage and kind only the metadata tells
        matrix: np.ndarray | None = None
        for page in self._pages(["embeddings"], total):
            start, count = len(ids), len(page["ids"])
            if not count:
                continue
            vectors = np.asarray(page["embeddings"], dtype=np.float32).reshape(count, -1)
            if matrix is None or start + count > len(matrix):  # the first page (or records added meanwhile)
                grown = np.empty((max(total, start + count), vectors.shape[1]), dtype=np.float32)
                if matrix is not None:
                    grown[:start] = matrix[:start]
                matrix = grown
            matrix[start : start + count] = vectors
            for row, rid in enumerate(page["ids"], start):
                chunk_id, kind = (owner(rid) if owner else None) or (rid, "")
                if not kind:
                    unknown.append(row)
                ids.append(rid)
                chunk_ids.append(chunk_id)
                record_kinds.append(kinds.setdefault(kind, kind))
        for start in range(0, len(unknown), _BY_ID):
            rows = unknown[start : start + _BY_ID]
            for row, meta in zip(rows, self._metadata_of([ids[row] for row in rows])):
                chunk_ids[row] = meta.get("chunk_id", ids[row])
                kind = str(meta.get("kind", "passage"))
                record_kinds[row] = kinds.setdefault(kind, kind)
        if matrix is None:
            return Contents.empty()
        return Contents(ids, chunk_ids, record_kinds, matrix[: len(ids)])

    def _metadata_of(self, ids: list[str]) -> list[dict[str, Any]]:
        """The metadata of the records ``ids`` ({} for one that is gone), in that order."""
        try:
            page = self._collection.get(ids=ids, include=["metadatas"])
        except Exception as exc:  # chromadb raises many unrelated types for damaged files
            raise StoreError(f"{self.location}: cannot read the index ({type(exc).__name__}: {str(exc)[:160]})") from exc
        found = dict(zip(page["ids"], page["metadatas"]))
        return [found.get(rid) or {} for rid in ids]

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
        """Record what the index was built from, with a checksum of its vectors (``check_index`` reads both)."""
        if self.url:  # a server keeps its own files; the build info lives in the collection's metadata
            self._collection.modify(metadata={BUILD_INFO_KEY: json.dumps(info, ensure_ascii=False, sort_keys=True)})
            return
        path = self.path / BUILD_INFO
        tmp = path.with_suffix(".tmp")
        info = info | {VECTORS_DIGEST: vector_digest(self._collection)}
        tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(path)

    def close(self) -> None:
        """Release Chroma's hold on the folder (needed before it is moved)."""
        self._client.close()


def _forget_failed_client(path: Path) -> None:
    """Chroma keeps one client system per folder in the process and keeps it even when starting it failed
    (as on a damaged chroma.sqlite3): every later client of that folder, such as the index rebuilt there,
    would then fail too ("'RustBindingsAPI' object has no attribute 'bindings'"). Drop the failed one,
    unless a working client holds it."""
    from chromadb.api.shared_system_client import SharedSystemClient

    if not SharedSystemClient._identifier_to_refcount.get(str(path)):
        SharedSystemClient._identifier_to_system.pop(str(path), None)


def _server_address(url: str) -> dict[str, Any]:
    """HttpClient arguments for ``http(s)://host[:port]`` (Chroma's default port is 8000)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"ASSISTANT_CHROMA_URL {url!r} is not a server address like http://127.0.0.1:8000")
    return {"host": parts.hostname, "port": parts.port or 8000, "ssl": parts.scheme == "https"}

# --- the index checks itself on load, and a damaged one is rebuilt beside it ----------------------


def check_index(path: Path) -> str | None:
    """What is wrong with the index folder at ``path``, or None when it is sound or not built yet.

    Reads build.json, opens Chroma, compares the record count with build.json's, searches every vector
    (this loads the HNSW files) and compares the vectors' checksum with build.json's.

    >>> check_index(Path("/nonexistent"))
    """
    info, problem = recorded_build(path)
    if problem or not info:
        return problem  # no build.json: a first build that did not finish, which the next sync completes
    return _check_records_apart(path, info)


def recorded_build(path: Path) -> tuple[dict[str, Any], str | None]:
    """build.json of the index folder at ``path`` ({} when there is none), or what is wrong with it."""
    if not path.exists():
        return {}, None
    if not path.is_dir():
        return {}, "it is not a folder"
    info_path = path / BUILD_INFO
    if not info_path.exists():
        return {}, None
    if not info_path.is_file():
        return {}, f"{BUILD_INFO} is not a file"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, f"{BUILD_INFO} is unreadable ({type(exc).__name__})"
    if not isinstance(info, dict):
        return {}, f"{BUILD_INFO} holds no object"
    return info, None


def _check_records_apart(path: Path, info: dict[str, Any]) -> str | None:
    """``_check_records`` in a child process: Chroma's native code can crash the whole process on damaged
    HNSW files (a segmentation fault, seen in CI), and an app must survive reading its own damaged index."""
    try:
        done = subprocess.run([sys.executable, index_check.__file__, str(path)], input=json.dumps(info), text=True,
                              capture_output=True, timeout=600)
    except subprocess.TimeoutExpired:
        return "Chroma did not finish reading it in 10 minutes"
    if done.returncode != 0:
        return f"Chroma crashed reading it (exit status {done.returncode})"
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return "Chroma's check printed nothing readable"


def _contents_problem(contents: Contents, info: dict[str, Any]) -> str | None:
    """What the records read in-process contradict in build.json: its record count or its vectors' checksum."""
    expected = info.get("records")
    if isinstance(expected, int) and len(contents) != expected:
        return f"it holds {len(contents)} records where {BUILD_INFO} says {expected}"
    recorded = info.get(VECTORS_DIGEST)
    if recorded is not None and contents.digest() != recorded:
        return f"its stored vectors do not match the checksum in {BUILD_INFO}"
    return None


def _open_sound(path: Path, owner: Owner | None, known: Contents | None = None
                ) -> tuple[VectorStore | None, Contents, str | None]:
    """The index at ``path`` with its records when it is sound (or not built yet), else what is wrong.

    The child-process check (``check_index``) runs unless the HNSW files are as last verified; the record
    count and the vectors' checksum are compared with build.json in-process every time (the read that
    gives them is the one the retriever needs anyway), unless the records are ``known`` (the index's
    snapshot, which ``snapshot.load`` checked the same way against build.json and Chroma's write position).
    A passing check stamps the folder as verified.
    """
    info, problem = recorded_build(path)
    stamped = bool(info) and not problem and verified.matches(path)
    if info and not problem and not stamped:
        problem = _check_records_apart(path, info)
    if problem:
        return None, Contents.empty(), problem
    store = None
    try:
        store = VectorStore(path)
        contents = known if known is not None else store.contents(owner)
    except StoreError as exc:  # a broken SQLite file (the stamp covers only the HNSW files)
        if store is not None:
            store.close()
        cause = exc.__cause__ or exc
        return None, Contents.empty(), f"Chroma cannot read it ({type(cause).__name__}: {str(cause)[:160]})"
    problem = _contents_problem(contents, info) if info and known is None else None
    if problem:
        store.close()
        return None, Contents.empty(), problem
    if info and not stamped:
        verified.record(path)
    return store, contents, None


def open_store(path: Path, rebuild: bool = False, owner: Owner | None = None,
               known: Contents | None = None) -> tuple[VectorStore, Contents]:
    """The store to sync, with its records: the index at ``path`` when it is sound, else a fresh staging
    folder beside it (also for ``rebuild``). ``commit_store`` puts a staged store in place once the sync is
    complete, so a damaged or old index stays as it was until its replacement is whole, and a kill loses
    nothing. (A collection on a Chroma server is opened as ``VectorStore(path, url=…)``: the server keeps
    its files, and there is nothing to check.) ``owner``: see ``VectorStore.contents``. ``known``: the records of the
    index at ``path`` as its snapshot keeps them (then none is read from Chroma when the index is sound).
    The caller has finished or cleared an interrupted rebuild first (``staging.recover``, as ``core.open_index``
    does before it looks at the snapshot).

    >>> recover(path)                                                   # doctest: +SKIP
    >>> store, contents = open_store(path)                              # doctest: +SKIP
    >>> store = commit_store(sync(store), path)                         # doctest: +SKIP
    """
    if not (rebuild and path.exists()):  # a rebuild replaces the index whatever its state: no need to check it
        store, contents, problem = _open_sound(path, owner, known)
        if store is not None:
            return store, contents
        logger.warning("%s: the index is damaged (%s); rebuilding it in a fresh folder", path, problem)
    staging = staging_folder(path)
    if staging.exists():
        shutil.rmtree(staging)
    return VectorStore(staging), Contents.empty()


def mark_verified(store: VectorStore) -> None:
    """Stamp the folder of ``store`` as verified after this process wrote it (a sync): the next load skips
    the child-process check until the HNSW files change. Nothing to stamp on a Chroma server."""
    if not store.url:
        verified.record(store.path)


def commit_store(store: VectorStore, path: Path) -> VectorStore:
    """``store`` when it is the index at ``path``; a complete staged store replaces the index there."""
    if store.path == path:
        return store
    store.close()
    swap(store.path, path)
    logger.info("%s: rebuilt index in place", path)
    return VectorStore(path)
