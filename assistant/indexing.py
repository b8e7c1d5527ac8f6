"""Build or update the index incrementally: content-addressed records decide what is (re-)embedded.

A passage's id is a hash of its content, so an unchanged corpus embeds nothing, a changed document
embeds only its changed passages, and passages that are gone are deleted.

>>> report = sync_index(store, chunks, embedder, glossary, build_info)   # doctest: +SKIP
>>> report.embedded                                                       # doctest: +SKIP
0
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .chunking import Chunk
from .embedding import Embedder
from .glossary import Glossary
from .retrieval import GLOSS_SUFFIX
from .store import Record, VectorStore

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
EMBED_BATCH = 64
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w&-]+(?:\s+[A-Z][\w&-]+)*")


@dataclass(frozen=True)
class BuildReport:
    path: str
    documents: int
    passages: int
    records: int
    embedded: int
    deleted: int
    updated: int
    seconds: float

    def summary(self) -> str:
        return (
            f"index {self.path}: {self.documents} documents, {self.passages} passages "
            f"({self.embedded} embedded, {self.deleted} deleted, {self.updated} updated) in {self.seconds:.1f}s"
        )


def _metadata(chunk: Chunk, kind: str) -> dict[str, Any]:
    return {
        "kind": kind, "chunk_id": chunk.id, "doc_id": chunk.doc_id, "title": chunk.title, "lang": chunk.lang,
        "section": json.dumps(list(chunk.section), ensure_ascii=False), "role": chunk.role, "ordinal": chunk.ordinal,
    }


def gloss_text(chunk: Chunk, glossary: Glossary) -> str:
    """English stand-in for a non-English passage: its glossary terms and the names it mentions."""
    terms = glossary.gloss(chunk.representation, chunk.lang)
    names = ", ".join(dict.fromkeys(m.group(0) for m in _NAME.finditer(chunk.text)))
    return f"{terms}. {names}".strip(". ") if terms or names else ""


def records_for(chunks: list[Chunk], glossary: Glossary, with_gloss: bool) -> list[Record]:
    records = []
    for chunk in chunks:
        records.append(Record(chunk.id, chunk.representation, _metadata(chunk, "passage")))
        if with_gloss and chunk.lang != "en":
            gloss = gloss_text(chunk, glossary)
            if gloss:
                digest = hashlib.sha256(gloss.encode()).hexdigest()[:10]
                records.append(Record(f"{chunk.id}{GLOSS_SUFFIX}{digest}", gloss, _metadata(chunk, "gloss")))
    return records


def sync_index(
    store: VectorStore,
    chunks: list[Chunk],
    embedder: Embedder,
    glossary: Glossary,
    build_info: dict[str, Any],
    with_gloss: bool = True,
    progress: Progress | None = None,
) -> BuildReport:
    """Make ``store`` hold exactly the records for ``chunks``; embed only what it lacks."""
    started = time.perf_counter()
    desired = records_for(chunks, glossary, with_gloss)
    existing = store.metadata()
    missing = [r for r in desired if r.id not in existing]
    changed = [r for r in desired if r.id in existing and existing[r.id] != r.metadata]
    wanted = {r.id for r in desired}
    gone = [rid for rid in existing if rid not in wanted]
    if progress:
        progress(0, len(missing))
    for start in range(0, len(missing), EMBED_BATCH):
        batch = missing[start : start + EMBED_BATCH]
        vectors = embedder.embed_passages([r.document for r in batch])
        store.add(batch, np.asarray(vectors))
        if progress:
            progress(min(start + EMBED_BATCH, len(missing)), len(missing))
    store.delete(gone)
    store.update_metadata(changed)
    store.write_build_info(build_info | {"records": len(desired), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    report = BuildReport(
        str(store.path), len(build_info.get("documents", {})), len(chunks), len(desired),
        len(missing), len(gone), len(changed), time.perf_counter() - started,
    )
    logger.info(report.summary())
    return report
