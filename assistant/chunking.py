"""Documents -> structure-aware chunks sized for citation, with stable content-derived ids.

>>> from assistant.cleaning import Block, Section
>>> sec = Section(("Tips",), (Block("One. " * 10),))
>>> [c.section for c in chunk_sections("doc", "Title", "en", [sec])]
[('Tips',)]
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Iterable

from .cleaning import Block, Section
from .corpus import Document

SECTION_SEPARATOR = " > "
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'‘“(]?[A-ZÀ-Ý0-9])")


@dataclass(frozen=True)
class ChunkSettings:
    min_chars: int = 300
    target_chars: int = 800
    max_chars: int = 1500

    @classmethod
    def from_settings(cls, settings) -> ChunkSettings:
        """The chunk sizes of the assistant's Settings."""
        return cls(settings.chunk_min_chars, settings.chunk_target_chars, settings.chunk_max_chars)


@dataclass(frozen=True)
class Chunk:
    """A passage: the unit of retrieval and citation."""

    id: str
    doc_id: str
    title: str
    lang: str
    section: tuple[str, ...]
    text: str
    role: str
    ordinal: int
    kind: str = ""
    #: The text without its navigation (list items that only name another section, as in "the seven
    #: purposes: 1. Gathering knowledge …"): what is searched. Empty when the text has none.
    searchable: str = ""

    @property
    def section_label(self) -> str:
        return SECTION_SEPARATOR.join(self.section)

    @property
    def representation(self) -> str:
        """What is embedded and searched: the passage with its context (document title, kind, section)."""
        title = f"{self.title} ({self.kind})" if self.kind else self.title
        text = self.searchable or self.text
        return f"{title}. {self.section_label}.\n{text}" if self.section else f"{title}.\n{text}"


MIN_SENTENCE_CHARS = 25  # shorter units ("Praktijk", "ngo’s") say too little to quote or embed alone


def split_sentences(text: str) -> list[str]:
    """Split running text at sentence ends.

    >>> split_sentences("Eerst dit. Dan dat? Ja.")
    ['Eerst dit.', 'Dan dat?', 'Ja.']
    """
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def _render(block: Block) -> str:
    return f"- {block.text}" if block.is_list_item else block.text


def _pieces(block: Block, settings: ChunkSettings) -> list[str]:
    """A block as one piece, or cut at sentence ends when it is longer than the maximum."""
    text = _render(block)
    if len(text) <= settings.max_chars:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        while len(sentence) > settings.max_chars:  # a "sentence" without ends: cut at a space
            cut = sentence.rfind(" ", 0, settings.target_chars) or settings.target_chars
            pieces.append((current + " " + sentence[:cut]).strip())
            current, sentence = "", sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > settings.target_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def _pack(pieces: list[str], settings: ChunkSettings) -> list[str]:
    """Greedy packing: grow to the target size, past it only while the chunk is below the minimum."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        joined = f"{current}\n{piece}" if current else piece
        fits_target = len(joined) <= settings.target_chars
        too_small = len(current) < settings.min_chars and len(joined) <= settings.max_chars
        if not current or fits_target or too_small:
            current = joined
        else:
            chunks.append(current)
            current = piece
    if current:
        if chunks and len(current) < settings.min_chars and len(chunks[-1]) + 1 + len(current) <= settings.max_chars:
            chunks[-1] = f"{chunks[-1]}\n{current}"
        else:
            chunks.append(current)
    return chunks


def _runs_by_role(blocks: Iterable[Block]) -> list[tuple[str, list[Block]]]:
    runs: list[tuple[str, list[Block]]] = []
    for block in blocks:
        if runs and runs[-1][0] == block.role:
            runs[-1][1].append(block)
        else:
            runs.append((block.role, [block]))
    return runs


def plain(text: str) -> str:
    """Letters only, case-folded: "- 3. Organising the logistics" and "Organising the logistics" compare equal."""
    return " ".join(re.findall(r"[^\W\d_]+", text.casefold()))


def without_navigation(text: str, headings: frozenset[str]) -> str:
    """``text`` without the list items that are the title of a section (a table of contents names every
    topic and treats none: searched, it would match every question about any of them); "" if it has none."""
    lines = text.split("\n")
    kept = [line for line in lines if not (line.startswith("- ") and plain(line) in headings)]
    return "\n".join(kept) if len(kept) < len(lines) else ""


def chunk_id(doc_id: str, representation: str) -> str:
    """Derived from what is embedded, so an unchanged passage keeps its id (and its vector) across builds,
    and any change to it (text, section or document title) gets a new id and a new vector."""
    return f"{doc_id}:{hashlib.sha256(representation.encode()).hexdigest()[:16]}"


def chunk_sections(
    doc_id: str, title: str, lang: str, sections: Iterable[Section], settings: ChunkSettings = ChunkSettings(),
    kind: str = "",
) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: set[str] = set()
    sections = list(sections)
    headings = frozenset(plain(heading) for section in sections for heading in section.path)
    for section in sections:
        for role, blocks in _runs_by_role(section.blocks):
            pieces = [p for block in blocks for p in _pieces(block, settings)]
            for text in _pack(pieces, settings):
                chunk = Chunk("", doc_id, title, lang, section.path, text, role, len(chunks), kind,
                              without_navigation(text, headings))
                cid = chunk_id(doc_id, chunk.representation)
                if cid in seen:  # the same text twice in one section: keep both, apart
                    cid = f"{cid}-{len(chunks)}"
                seen.add(cid)
                chunks.append(replace(chunk, id=cid))
    return chunks


def chunk_document(document: Document, settings: ChunkSettings = ChunkSettings()) -> list[Chunk]:
    """All chunks of a document, in reading order.

    >>> chunk_document(doc)[0].doc_id                       # doctest: +SKIP
    'met-wie-werk-je-samen'
    """
    return chunk_sections(document.id, document.title, document.lang, document.sections, settings, document.kind)
