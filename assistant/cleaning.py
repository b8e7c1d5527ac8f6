"""Raw PDF/markdown extraction -> clean paragraphs grouped into sections with a heading path.

The source texts are PDF extractions: hard-wrapped lines, words split at line ends, bullet glyphs
lost to leading spaces, URL-only lines, navigation bars and repeated boilerplate. No library turns
such text back into a document tree (PDF layout tools need the PDF itself, which we do not have),
so the reconstruction below is our own; every rule is about layout, never about particular words.

>>> sections = structure_text("Intro\\nSome text that goes on for a while here.\\n", "en")
>>> [(s.path, s.blocks[0].text) for s in sections]
[(('Intro',), 'Some text that goes on for a while here.')]
"""

from __future__ import annotations

import logging
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from wordfreq import zipf_frequency

from .text import stem_words

if TYPE_CHECKING:
    from .corpus import Document

logger = logging.getLogger(__name__)

Role = Literal["content", "boilerplate", "disclaimer", "colophon"]
#: Roles that stay indexed but must not crowd out real answers.
FURNITURE_ROLES = frozenset({"boilerplate", "disclaimer", "colophon"})


@dataclass(frozen=True)
class Block:
    """A paragraph or list item of running text."""

    text: str
    is_list_item: bool = False
    role: Role = "content"


@dataclass(frozen=True)
class Section:
    """Consecutive blocks under one heading path, e.g. ('Kennis ophalen of informatie verifiëren', 'De theorie')."""

    path: tuple[str, ...]
    blocks: tuple[Block, ...]


# --- line level -------------------------------------------------------------------------------

URL_LINE = re.compile(r"^(?:<?https?://|www\.)\S+>?$", re.I)
LINK_ONLY_LINE = re.compile(r"^(?:\[[^\]]*\]\([^)]*\)\s*)+$")
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
PAGE_NUMBER_LINE = re.compile(r"^\d+\s*(?:van|of|/)\s*\d+\b", re.I)
# An en dash at a line start is a parenthetical dash moved there by line wrapping, never a bullet.
BULLET_GLYPH = re.compile(r"^[•\uf0b7\u25aa\u25cf\u25e6\u2022·▪◦*\-]\s+")
NUMBERED = re.compile(r"^\d{1,2}[.)]\s+")
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
LINE_END_HYPHEN = re.compile(r"([A-Za-zÀ-ÿ’']+)-$")
LEADING_FRAGMENT = re.compile(r"^([a-zà-ÿ0-9][\w’']*)(\S*)(.*)$")
TERMINAL = ".!?:;"
VOWELS = set("aeiouy")


@dataclass
class _Line:
    text: str
    indent: int
    blanks_before: int

    @property
    def starts_lower(self) -> bool:
        return self.text[:1].islower()

    @property
    def bullet(self) -> str | None:
        if BULLET_GLYPH.match(self.text):
            return "glyph"
        if NUMBERED.match(self.text):
            return "number"
        return None


def _normalise(raw: str) -> list[str]:
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\f", "\n\n").replace("\u00a0", " ").replace("\u00ad", "")
    return [line.replace("\t", " ").rstrip() for line in text.split("\n")]


def is_furniture_line(line: str) -> bool:
    """Navigation bars, page numbers, URL-only lines, link menus and all-capital running heads."""
    s = line.strip()
    if not s:
        return False
    if URL_LINE.match(s) or LINK_ONLY_LINE.match(s) or s.count("|") >= 2 or PAGE_NUMBER_LINE.match(s):
        return True
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 3 and len(s) <= 60 and all(c.isupper() for c in letters)


@lru_cache(maxsize=65536)
def _zipf(word: str, lang: str) -> float:
    return zipf_frequency(word, lang)


def keep_hyphen(left: str, right: str, lang: str, vocabulary: frozenset[str], hyphenated: frozenset[str]) -> bool:
    """Decide whether ``left-`` + ``right`` split at a line end keeps its hyphen.

    Evidence first from the document itself (the word written elsewhere, joined or hyphenated),
    then from the wordfreq lexicon; Dutch writes unknown compounds as one word unless the first
    part is an acronym, an English word ("due diligence-proces") or the parts clash on a vowel.

    >>> keep_hyphen("samen", "werking", "nl", frozenset(), frozenset())
    False
    >>> keep_hyphen("diligence", "proces", "nl", frozenset(), frozenset())
    True
    """
    if len(left) > 1 and left.isupper():
        return True
    joined = (left + right).lower()
    if f"{left}-{right}".lower() in hyphenated:
        return True
    if joined in vocabulary or _zipf(joined, lang) > 0:
        return False
    if lang != "nl":
        return True
    english, dutch = _zipf(left.lower(), "en"), _zipf(left.lower(), "nl")
    if english >= 3.0 and english > dutch + 0.5:
        return True
    return left[-1].lower() in VOWELS and right[0].lower() in VOWELS


def dehyphenate(lines: list[str], lang: str) -> list[str]:
    """Join words split by a hyphen at a line end, moving the fragment up (blank lines between are artefacts)."""
    words = re.findall(r"[\w’']+(?:-[\w’']+)*", "\n".join(lines))
    vocabulary = frozenset(w.lower() for w in words if "-" not in w)
    hyphenated = frozenset(w.lower() for w in words if "-" in w)
    out = list(lines)
    for i, line in enumerate(out):
        if line is None:
            continue
        match = LINE_END_HYPHEN.search(line.rstrip())
        if not match or (line.rstrip().endswith(" -")):
            continue
        j = i + 1
        while j < len(out) and not (out[j] or "").strip():
            j += 1
        if j >= len(out):
            continue
        fragment = LEADING_FRAGMENT.match(out[j].strip())
        if not fragment:
            continue
        left, right, rest = match.group(1).split("-")[-1], fragment.group(1), fragment.group(3)
        keep = keep_hyphen(left, right.rstrip("’'"), lang, vocabulary, hyphenated)
        head = out[i].rstrip()
        out[i] = (head if keep else head[:-1]) + right + fragment.group(2)
        out[j] = " " * (len(out[j]) - len(out[j].lstrip())) + rest.lstrip() if rest.strip() else ""
        for k in range(i + 1, j):
            out[k] = None  # blank lines inside a split word were never paragraph breaks
        if not out[j]:
            out[j] = None
    return [line for line in out if line is not None]


def _lines(raw: str, lang: str) -> list[_Line]:
    kept = ["" if is_furniture_line(line) else MARKDOWN_LINK.sub(r"\1", line) for line in _normalise(raw)]
    result: list[_Line] = []
    blanks = 0
    for line in dehyphenate(kept, lang):
        if not line.strip():
            blanks += 1
            continue
        result.append(_Line(re.sub(r"\s+", " ", line.strip()), len(line) - len(line.lstrip()), blanks))
        blanks = 0
    return result


# --- paragraphs -------------------------------------------------------------------------------


@dataclass
class _Para:
    text: str
    indent: int
    blanks_before: int
    bullet: str | None
    md_level: int = 0
    kind: str = "body"  # body | heading | list
    level: int = 0
    lines: list[str] = field(default_factory=list)


def _wrap_width(lines: list[_Line]) -> float:
    """Typical width of hard-wrapped lines; infinite when the text is not hard-wrapped."""
    followed = [a for a, b in zip(lines, lines[1:]) if b.blanks_before == 0]
    if len(followed) < max(5, len(lines) // 5):
        return float("inf")
    return statistics.quantiles([len(a.text) for a in followed], n=10)[-1]


def _ends_terminal(text: str) -> bool:
    return text.rstrip("”\"’') ")[-1:] in TERMINAL


def _paragraphs(lines: list[_Line]) -> list[_Para]:
    width = _wrap_width(lines)
    paras: list[_Para] = []
    prev: _Line | None = None
    for line in lines:
        md = MARKDOWN_HEADING.match(line.text)
        starts_new = (
            prev is None
            or md is not None
            or line.bullet is not None
            or (line.blanks_before > 0 and not (
                not _ends_terminal(paras[-1].text) and (line.starts_lower or len(prev.text) >= 0.75 * width)))
            or (line.indent > 0 and not line.starts_lower)
            or (len(prev.text) < 0.75 * width and not line.starts_lower)
            or (prev.bullet == "number" and len(paras[-1].lines) == 1 and not _ends_terminal(prev.text)
                and not prev.text.endswith(",") and re.match(r"[A-Z][a-z]", line.text) is not None)
        )
        if md:
            paras.append(_Para(md.group(2).strip(), line.indent, line.blanks_before, None, len(md.group(1))))
        elif starts_new:
            paras.append(_Para(line.text, line.indent, line.blanks_before, line.bullet, lines=[line.text]))
        else:
            paras[-1].text += " " + line.text
            paras[-1].lines.append(line.text)
        prev = line
    return paras


def _is_heading_candidate(p: _Para) -> bool:
    if p.md_level:
        return True
    text = p.text
    limit = 160 if p.bullet == "number" else 120
    return (
        p.bullet != "glyph"
        and len(text) <= limit
        and (text[:1].isupper() or text[:1].isdigit())
        and text.rstrip()[-1:] not in ".,;:!"
        and any(c.isalpha() for c in text)
    )


def _classify(paras: list[_Para]) -> list[_Para]:
    """Mark headings and list items; merge runs of short lines (address blocks) into one paragraph."""
    candidate = [_is_heading_candidate(p) for p in paras]
    for i, p in enumerate(paras):  # numbered items followed by another numbered item form a list
        if p.bullet == "number" and i + 1 < len(paras) and paras[i + 1].bullet == "number":
            candidate[i] = candidate[i + 1] = False
    out: list[_Para] = []
    i = 0
    while i < len(paras):
        if not candidate[i]:
            out.append(paras[i])
            i += 1
            continue
        j = i
        while j < len(paras) and candidate[j]:
            j += 1
        followed_by_body = j < len(paras)
        out.extend(_resolve_run(paras[i:j], followed_by_body))
        i = j
    return out


def _resolve_run(run: list[_Para], followed_by_body: bool) -> list[_Para]:
    """A run of heading candidates: at most two in a row are headings; longer runs are short-line blocks."""
    groups: list[list[_Para]] = []
    for p in run:
        if not groups or p.blanks_before >= 2 or p.md_level:
            groups.append([p])
        else:
            groups[-1].append(p)
    out: list[_Para] = []
    for n, group in enumerate(groups):
        last = n == len(groups) - 1
        if len(group) >= 3 or (len(group) == 1 and out and out[-1].kind == "block" and not group[0].md_level):
            if out and out[-1].kind == "block":
                out[-1].text += " · " + " · ".join(p.text for p in group)
            else:
                merged = group[0]
                merged.text = " · ".join(p.text for p in group)
                merged.kind = "block"
                out.append(merged)
        else:
            for p in group:
                p.kind = "heading" if (followed_by_body or not last) else "body"
                out.append(p)
    for p in out:
        if p.kind == "block":
            p.kind = "body"
    return out


def _heading_key(text: str, lang: str) -> str:
    # Stems cut to six letters, so "Voorbeeld" and "Voorbeelden" count as the same heading.
    return " ".join(stem[:6] for stem in stem_words(re.findall(r"\w+", text.lower()), lang))


def _assign_levels(paras: list[_Para], lang: str) -> None:
    """Numbered and recurring headings ("De theorie" under every purpose) are level 2, others level 1."""
    counts = Counter(_heading_key(p.text, lang) for p in paras if p.kind == "heading")
    for p in paras:
        if p.kind != "heading" or p.level:
            continue
        if p.md_level:
            p.level = min(p.md_level, 2)
        elif p.bullet == "number" or counts[_heading_key(p.text, lang)] > 1:
            p.level = 2
        else:
            p.level = 1


RUN_IN_HEADING = re.compile(r"^([A-ZÀ-Ý][\w’'-]*(?: [\w’'-]+){0,2})\. (?=[A-ZÀ-Ý])")


def _split_run_in_headings(paras: list[_Para]) -> list[_Para]:
    """'Commitment. Het is goed…' 'Contact. De vorm…': two or more in a row are level-2 headings."""
    matches = [RUN_IN_HEADING.match(p.text) if p.kind == "body" and not p.bullet else None for p in paras]
    out: list[_Para] = []
    for i, p in enumerate(paras):
        neighbour = (i > 0 and matches[i - 1]) or (i + 1 < len(paras) and matches[i + 1])
        m = matches[i]
        if m and neighbour:
            out.append(_Para(m.group(1), p.indent, p.blanks_before, None, kind="heading", level=2))
            p.text = p.text[m.end():]
        out.append(p)
    return out


def _mark_lists(paras: list[_Para]) -> None:
    prev_body: _Para | None = None
    for p in paras:
        if p.kind == "heading":
            prev_body = None
            continue
        if p.bullet:
            p.kind = "list"
        elif p.indent > 0 and prev_body is not None and (prev_body.kind == "list" or prev_body.text.endswith(":")):
            p.kind = "list"  # a bullet whose glyph the extraction lost
        prev_body = p


# --- sections and roles -----------------------------------------------------------------------

COLOPHON_HEADING = re.compile(r"^(colofon|colophon|publicatie|publication|impressum)$", re.I)
CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.\w+|\+?\d[\d ]{8,}\d|\b\d{4} ?[A-Z]{2}\b|©")
DISCLAIMER = re.compile(
    r"niet aansprakelijk|geen rechten .{0,40}ontleend|not liable|no rights can be derived|"
    r"kan desondanks onjuistheden|may nevertheless contain inaccuracies",
    re.I,
)


def _role(text: str, in_colophon: bool) -> Role:
    if DISCLAIMER.search(text):
        return "disclaimer"
    if in_colophon or CONTACT.search(text):
        return "colophon"
    return "content"


def _clean_item(p: _Para) -> str:
    return BULLET_GLYPH.sub("", p.text).strip() if p.bullet == "glyph" else p.text.strip()


def structure_text(raw: str, lang: str) -> list[Section]:
    """Clean an extraction and split it into sections of paragraphs and list items."""
    paras = _split_run_in_headings(_classify(_paragraphs(_lines(raw, lang))))
    _assign_levels(paras, lang)
    _mark_lists(paras)
    sections: list[Section] = []
    path: tuple[str, ...] = ()
    blocks: list[Block] = []
    in_colophon = False

    def flush() -> None:
        if blocks:
            sections.append(Section(path, tuple(blocks)))
            blocks.clear()

    for p in paras:
        if p.kind == "heading":
            flush()
            title = re.sub(r"\s+", " ", p.text).strip()
            if p.level == 1 or not path:
                path = (title,)
                in_colophon = bool(COLOPHON_HEADING.match(title))
            else:
                path = (path[0], title)
            continue
        text = _clean_item(p)
        if text:
            blocks.append(Block(text, p.kind == "list", _role(text, in_colophon)))
    flush()
    return _absorb_colophon_tail(sections)


def _absorb_colophon_tail(sections: list[Section]) -> list[Section]:
    """A section after the colophon with nothing substantial ("Photo …", "©") belongs to the colophon."""
    out: list[Section] = []
    for section in sections:
        prev = out[-1] if out else None
        trivial = all(b.role != "content" or len(b.text) < 100 for b in section.blocks)
        if prev and trivial and prev.blocks and all(b.role != "content" for b in prev.blocks):
            blocks = tuple(b if b.role != "content" else replace(b, role="colophon") for b in section.blocks)
            out[-1] = Section(prev.path, prev.blocks + ((Block(section.path[-1], role="colophon"),) + blocks))
        else:
            out.append(section)
    return out


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def mark_repeated_paragraphs(documents: list[Document], threshold: float = 0.5) -> list[Document]:
    """Mark as boilerplate every paragraph that (nearly) repeats another one, within or across documents.

    Near-duplication: at least ``threshold`` of the smaller paragraph's word 3-grams occur in the other.
    """
    owners: dict[tuple, set[tuple[int, int, int]]] = defaultdict(set)
    shingles: dict[tuple[int, int, int], set] = {}
    for d, doc in enumerate(documents):
        for s, section in enumerate(doc.sections):
            for b, block in enumerate(section.blocks):
                grams = _shingles(block.text)
                if len(grams) >= 10:
                    shingles[(d, s, b)] = grams
                    for g in grams:
                        owners[g].add((d, s, b))
    repeated: set[tuple[int, int, int]] = set()
    for key, grams in shingles.items():
        overlap: Counter = Counter()
        for g in grams:
            overlap.update(owners[g] - {key})
        for other, count in overlap.items():
            if count >= threshold * min(len(grams), len(shingles[other])):
                repeated.update((key, other))
    if not repeated:
        return documents
    result = []
    for d, doc in enumerate(documents):
        sections = tuple(
            replace(
                section,
                blocks=tuple(
                    replace(block, role="boilerplate") if (d, s, b) in repeated and block.role == "content" else block
                    for b, block in enumerate(section.blocks)
                ),
            )
            for s, section in enumerate(doc.sections)
        )
        result.append(replace(doc, sections=sections))
    return result
