"""What an answer says and where: its cited statements, the quoted sentence inside each passage, full sections.

An answer's text is an intro line followed by ``- statement [n]`` lines (a language model may also put
markers inside a line); ``[n]`` points at ``answer.citations[n - 1]``. Everything here is pure and shared
by the chat UI and the trainer export.

>>> statements("According to the SER documents:\\n- Ask a union. [1]\\n- Or an NGO. [1] [2]")
[Statement(text='According to the SER documents:', numbers=(), item=False), \
Statement(text='Ask a union.', numbers=(1,), item=True), Statement(text='Or an NGO.', numbers=(1, 2), item=True)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from .chunking import Chunk
from .retrieval import Passage

MARKER = re.compile(r"\[(\d+)\]")
MARKERS = re.compile(r"(?:\s*\[\d+\])+")


@dataclass(frozen=True)
class Statement:
    """One line of an answer without its markers, the citation numbers (1-based) it carries (``()`` for
    the intro), and whether it is a list item."""

    text: str
    numbers: tuple[int, ...] = ()
    item: bool = False


def pieces(line: str) -> list[str | int]:
    """A line cut into its text and its citation markers (as numbers), in order.

    >>> pieces("Ask a union [1] or an NGO [2][3].")
    ['Ask a union ', 1, ' or an NGO ', 2, 3, '.']
    """
    out: list[str | int] = []
    cursor = 0
    for match in MARKER.finditer(line):
        if match.start() > cursor:
            out.append(line[cursor:match.start()])
        out.append(int(match[1]))
        cursor = match.end()
    if cursor < len(line):
        out.append(line[cursor:])
    return out


def _strip_markers(line: str) -> str:
    return re.sub(r"\s{2,}", " ", MARKERS.sub("", line)).strip()


def statements(answer_text: str) -> list[Statement]:
    """The answer's non-empty lines, each with the citation numbers it carries.

    >>> statements("- Contact a local trade union. [2]")
    [Statement(text='Contact a local trade union.', numbers=(2,), item=True)]
    """
    out = []
    for line in answer_text.splitlines():
        if not line.strip():
            continue
        item = line.startswith("- ")
        body = line[2:] if item else line
        numbers = tuple(int(n) for n in MARKER.findall(body))
        out.append(Statement(_strip_markers(body), numbers, item))
    return out


def quotes_by_citation(answer_text: str) -> dict[int, tuple[str, ...]]:
    """For each citation number, the text it stands behind (its supporting sentences): the text before
    the marker, back to the previous marker or the start of the line.

    >>> quotes_by_citation("Intro:\\n- A. [1]\\n- B. [2]\\n- C. [1]")
    {1: ('A.', 'C.'), 2: ('B.',)}
    >>> quotes_by_citation("Ask a union [1]. Or an NGO [2][1].")
    {1: ('Ask a union', 'Or an NGO'), 2: ('Or an NGO',)}
    """
    quotes: dict[int, list[str]] = {}
    for line in answer_text.splitlines():
        text, cited = "", False
        for piece in pieces(line[2:] if line.startswith("- ") else line):
            if isinstance(piece, str):
                text = piece if cited else text + piece
                cited = False
                continue
            cited = True
            quote = text.strip().lstrip(".,;:) ").strip()
            if quote and quote not in quotes.setdefault(piece, []):
                quotes[piece].append(quote)
    return {number: tuple(texts) for number, texts in sorted(quotes.items()) if texts}


def _pattern(quote: str) -> re.Pattern[str]:
    """The quote with any run of whitespace matching any other (passages keep their line breaks)."""
    return re.compile(r"\s+".join(re.escape(word) for word in quote.split()))


def quote_spans(text: str, quotes: Iterable[str], section_path: Sequence[str] = ()) -> list[tuple[int, int]]:
    """Where the quotes occur in ``text``: sorted, merged ``(start, end)`` character spans.

    A quote may carry its section heading as a prefix ("Practical example: In Pakistan …"); the
    heading is not part of the passage, so it is dropped before searching. A quote that is not found
    (an answerer that paraphrases) is skipped rather than guessed.

    >>> quote_spans("One. Two words here. Three.", ["Two  words here."])
    [(5, 20)]
    >>> quote_spans("In Pakistan, wages rose.", ["Example: In Pakistan, wages rose."], ("X", "Example"))
    [(0, 24)]
    """
    spans = []
    headings = [h for h in section_path if h]
    for quote in quotes:
        candidates = [quote] + [quote[len(h) + 2:] for h in headings if quote.startswith(f"{h}: ")]
        for candidate in candidates:
            if not candidate.strip():
                continue
            match = _pattern(candidate).search(text)
            if match:
                spans.append((match.start(), match.end()))
                break
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def section_chunks(chunks: Iterable[Chunk], doc_id: str, section_path: Sequence[str]) -> list[Chunk]:
    """Every chunk of exactly this section of this document, in reading order."""
    path = tuple(section_path)
    return sorted((c for c in chunks if c.doc_id == doc_id and c.section == path), key=lambda c: c.ordinal)


def full_section(chunks: Iterable[Chunk], passage: Passage) -> str:
    """The whole text of the section a passage comes from (the passage is one piece of it).

    >>> full_section(a.chunks, a.retrieve("vakbondsvrijheid")[0]).startswith(...)   # doctest: +SKIP
    """
    pieces = section_chunks(chunks, passage.doc_id, passage.section_path)
    return "\n".join(c.text for c in pieces) if pieces else passage.text


def passage_from_chunk(chunk: Chunk) -> Passage:
    """A chunk as a citable Passage (score 0), for citing structure rather than search results."""
    return Passage.from_chunk(chunk)
