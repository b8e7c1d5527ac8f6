"""Build or update the index incrementally: content-addressed records decide what is (re-)embedded.

A passage's id is a hash of its content, so an unchanged corpus embeds nothing, a changed document
embeds only its changed passages, and passages that are gone are deleted. When the build info (every
input the records are made from) and the record count are as recorded, nothing is read or written.

>>> report = sync_index(store, chunks, embedder, glossary, build_info)   # doctest: +SKIP
>>> report.embedded                                                       # doctest: +SKIP
0
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .chunking import MIN_SENTENCE_CHARS, Chunk, plain, split_sentences
from .embedding import Embedder
from .glossary import Glossary
from .index_check import VECTORS_DIGEST
from .store import Record, VectorStore

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
EMBED_BATCH = 64
# Record ids: a passage's own id; its gloss's, the passage id + GLOSS_SUFFIX + a digest of the gloss; a
# sentence's, the document id + SENTENCE_SUFFIX + a digest of the text. Every record's metadata names
# its passage ("chunk_id") and its kind ("passage", "gloss", "sentence", "sentence gloss").
GLOSS_SUFFIX = "~gloss-"
SENTENCE_SUFFIX = "~sent-"
#: Keys of the recorded build info that describe the result, not the inputs.
RESULT_KEYS = ("built_at", "records", VECTORS_DIGEST)
#: Sentence vectors are on by default up to this many passages. They cost 6.7 vectors a passage: up to
#: here all vectors (~7.7 a passage) stay within the in-memory search (retrieval.MAX_EXACT_RECORDS) and
#: embedding them takes under an hour on a laptop; at 100k passages it would take ~7 hours and 4 GB.
SENTENCE_VECTOR_PASSAGES = 20_000


def with_sentence_vectors(setting: bool | str, passages: int) -> bool:
    """Whether the index holds sentence vectors: as set, or with "auto", for a corpus of up to
    SENTENCE_VECTOR_PASSAGES passages.

    >>> with_sentence_vectors("auto", 168), with_sentence_vectors("auto", 100_000), with_sentence_vectors(True, 10**6)
    (True, False, True)
    """
    return setting if isinstance(setting, bool) else passages <= SENTENCE_VECTOR_PASSAGES


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
    #: False when the index was already up to date (same build info and record count): nothing was read or written.
    synced: bool = True

    def summary(self) -> str:
        return (
            f"index {self.path}: {self.documents} documents, {self.passages} passages "
            f"({self.embedded} embedded, {self.deleted} deleted, {self.updated} updated) in {self.seconds:.1f}s"
        )


def record_owner(record_id: str) -> tuple[str, str] | None:
    """A record's passage and kind as its id tells them: a passage's record has the passage's id, a gloss's
    the passage's id + GLOSS_SUFFIX + a digest; None for a sentence record (keyed by document and text,
    only its metadata names its passage).

    >>> record_owner("doc:ab12"), record_owner("doc:ab12~gloss-0f1e"), record_owner("doc~sent-0f1e")
    (('doc:ab12', 'passage'), ('doc:ab12', 'gloss'), None)
    """
    if SENTENCE_SUFFIX in record_id:
        return None
    passage, gloss, _ = record_id.partition(GLOSS_SUFFIX)
    return passage, "gloss" if gloss else "passage"


def _metadata(chunk: Chunk, kind: str) -> dict[str, Any]:
    return {
        "kind": kind, "chunk_id": chunk.id, "doc_id": chunk.doc_id, "title": chunk.title, "lang": chunk.lang,
        "section": json.dumps(list(chunk.section), ensure_ascii=False), "role": chunk.role, "ordinal": chunk.ordinal,
    }


def gloss_text(text: str, lang: str, glossary: Glossary) -> str:
    """English stand-in for non-English text: its word-by-word glossary rendering, names kept.

    (A bag of its glossary terms was embedded before: rendered in the text's word order, dense-only
    Recall@5 on the dev split rose from 0.69 to 0.80.)
    """
    return glossary.render(text, lang)


def passage_sentences(chunk: Chunk, headings: frozenset[str] = frozenset()) -> list[str]:
    """The sentences and list items of a passage long enough to embed on their own.

    A list item that is the title of a section (``plain`` in ``headings``) is a table of contents
    entry: embedded alone it would match every question about that section, so it is left out.
    """
    units = [u for line in chunk.text.split("\n") for u in split_sentences(line.removeprefix("- "))]
    return [u for u in dict.fromkeys(units) if len(u) >= MIN_SENTENCE_CHARS and plain(u) not in headings]


def record_id(owner: str, suffix: str, text: str) -> str:
    """The id of a derived record: its owner (passage or document), its kind's suffix, a digest of its text."""
    return f"{owner}{suffix}{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def _record(owner: str, chunk: Chunk, suffix: str, text: str, kind: str) -> Record:
    return Record(record_id(owner, suffix, text), text, _metadata(chunk, kind))


def records_for(chunks: list[Chunk], glossary: Glossary, with_gloss: bool, with_sentences: bool = False) -> list[Record]:
    """What the store holds for ``chunks``: each passage, and optionally its gloss and its sentences."""
    records = []
    headings = frozenset(plain(title) for chunk in chunks for title in chunk.section)
    for chunk in chunks:
        records.append(Record(chunk.id, chunk.representation, _metadata(chunk, "passage")))
        gloss_it = with_gloss and chunk.lang != "en"
        if gloss_it and (gloss := gloss_text(chunk.representation, chunk.lang, glossary)):
            records.append(_record(chunk.id, chunk, GLOSS_SUFFIX, gloss, "gloss"))
        if with_sentences:
            # Keyed by document and text, not by passage: editing one sentence re-embeds that sentence
            # only, and its neighbours' records just get the passage's new id in their metadata.
            for sentence in passage_sentences(chunk, headings):
                records.append(_record(chunk.doc_id, chunk, SENTENCE_SUFFIX, sentence, "sentence"))
                if gloss_it and (gloss := gloss_text(sentence, chunk.lang, glossary)):
                    records.append(_record(chunk.doc_id, chunk, SENTENCE_SUFFIX, gloss, "sentence gloss"))
    unique: dict[str, Record] = {}
    for record in records:  # a sentence repeated within a document is one record, for its first passage
        unique.setdefault(record.id, record)
    return list(unique.values())


def passages_digest(chunks: list[Chunk]) -> str:
    """A checksum of the passages as the store records them (id, language, role, position): with the
    documents' checksums in the build info it also covers what the manifest adds (a title, a kind) and
    any change of cleaning or chunking.

    >>> passages_digest([]) == hashlib.sha256().hexdigest()
    True
    """
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(f"{chunk.id}\t{chunk.lang}\t{chunk.role}\t{chunk.ordinal}\n".encode())
    return digest.hexdigest()


def up_to_date(recorded: dict[str, Any], build_info: dict[str, Any]) -> bool:
    """Whether the recorded build info says the index was built from ``build_info`` (its results aside).

    >>> up_to_date({"model": "m", "records": 3, "built_at": "2026-01-01"}, {"model": "m"})
    True
    """
    inputs = {key: value for key, value in recorded.items() if key not in RESULT_KEYS}
    return inputs == json.loads(json.dumps(build_info))  # as JSON: tuples are lists there


def sync_index(
    store: VectorStore,
    chunks: list[Chunk],
    embedder: Embedder,
    glossary: Glossary,
    build_info: dict[str, Any],
    with_gloss: bool = True,
    progress: Progress | None = None,
    with_sentences: bool = False,
) -> BuildReport:
    """Make ``store`` hold exactly the records for ``chunks``; embed only what it lacks.

    ``build_info`` must name every input of the records besides ``chunks`` (model, glossary, translations,
    settings): when it equals the recorded build info and the store holds the recorded number of records,
    the store is up to date and is left alone (records are content-addressed from those inputs).
    """
    started = time.perf_counter()
    build_info = build_info | {"passages": passages_digest(chunks)}
    recorded = store.read_build_info()
    if up_to_date(recorded, build_info) and store.count() == recorded.get("records"):
        report = BuildReport(store.location, len(build_info.get("documents", {})), len(chunks), recorded["records"],
                             0, 0, 0, time.perf_counter() - started, synced=False)
        logger.info(report.summary())
        return report
    desired = records_for(chunks, glossary, with_gloss, with_sentences)
    existing = store.metadata()
    # Shortest first: a model pads each batch to its longest text, so similar lengths batch cheaply.
    missing = sorted((r for r in desired if r.id not in existing), key=lambda r: len(r.document))
    changed = [r for r in desired if r.id in existing and existing[r.id] != r.metadata]
    wanted = {r.id for r in desired}
    gone = [rid for rid in existing if rid not in wanted]
    del existing  # every record's metadata: a large dict at 100k passages
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
        store.location, len(build_info.get("documents", {})), len(chunks), len(desired),
        len(missing), len(gone), len(changed), time.perf_counter() - started,
    )
    logger.info(report.summary())
    return report
