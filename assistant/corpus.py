"""The corpus: a validated manifest plus the documents it names, read, cleaned and structured.

>>> docs = load_corpus(Path("corpus"))                     # doctest: +SKIP
>>> [d.id for d in docs][:1]                               # doctest: +SKIP
['met-wie-werk-je-samen']
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .cleaning import Section, mark_repeated_paragraphs, structure_text
from .errors import CorpusError

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.toml"
SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf")
LANGUAGES = ("nl", "en")


class DocumentEntry(BaseModel):
    """One ``[[documents]]`` table of the manifest, as a maintainer writes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,80}$")
    file: str = Field(min_length=1)
    title: str = Field(min_length=1)
    language: Literal["nl", "en"]
    kind: Literal["knowledge document", "tool", "pilot report", "case study"]
    publisher: str = Field(min_length=1)
    year: int | None = Field(None, ge=1950, le=2100)
    translation_of: str | None = None
    url: str | None = None

    @field_validator("file")
    @classmethod
    def _suffix(cls, value: str) -> str:
        if not value.lower().endswith(SUPPORTED_SUFFIXES):
            raise ValueError(f"must end in one of {', '.join(SUPPORTED_SUFFIXES)}")
        if escapes(value):
            raise ValueError("must be a path inside the corpus folder (relative, without '..')")
        return value

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not is_web_address(value):
            raise ValueError(f"{value!r} is not a web address; give the publication's full http(s) URL, "
                             "e.g. https://www.ser.nl/…")
        return value


def is_web_address(text: str) -> bool:
    """Whether ``text`` is an absolute http(s) URL with a host name and no spaces.

    >>> is_web_address("https://www.ser.nl/nl/thema/imvo/betekenisvolle-dialoog")
    True
    >>> is_web_address("www.ser.nl"), is_web_address("javascript:alert(1)"), is_web_address("https://ser nl")
    (False, False, False)
    """
    if not text or any(ch.isspace() or ch in "<>\"'`" for ch in text):
        return False
    parts = urllib.parse.urlsplit(text)
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and "." in host and re.fullmatch(r"[a-z0-9.-]+", host) is not None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    documents: list[DocumentEntry] = Field(min_length=1)


@dataclass(frozen=True)
class Document:
    """A cleaned, structured document ready for chunking."""

    id: str
    title: str
    lang: str
    kind: str
    publisher: str
    year: int | None
    translation_of: str | None
    file: str
    sha256: str
    sections: tuple[Section, ...]
    url: str | None = None


def escapes(relative: str) -> bool:
    """Whether a path written relative to a folder is absolute or climbs out of it with '..'.

    >>> escapes("translations/x.tsv"), escapes("../outside.txt"), escapes("/etc/passwd")
    (False, True, True)
    """
    path = Path(relative)
    return path.is_absolute() or bool(path.drive) or ".." in path.parts or "\\" in relative


def inside(folder: Path, relative: str) -> Path | None:
    """``folder / relative`` when it resolves (symlinks followed) inside ``folder``, else None."""
    path = folder / relative
    try:
        resolved, root = path.resolve(), folder.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None
    return path if not escapes(relative) and resolved.is_relative_to(root) else None


def read_manifest(corpus_dir: Path) -> Manifest:
    """Parse and validate ``manifest.toml``; every problem names the file, the entry and the field."""
    path = corpus_dir / MANIFEST_NAME
    if not path.is_file():
        raise CorpusError(f"{path}: manifest not found; create it (see README, 'Adding a document')")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: not valid TOML ({exc})") from exc
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise CorpusError(f"{path}: {_describe_location(raw, err['loc'])}: {err['msg']}") from exc
    _check_references(path, manifest)
    return manifest


def _describe_location(raw: dict, loc: tuple) -> str:
    """Turn pydantic's ('documents', 2, 'language') into 'entry 3 (id "x"), field "language"'."""
    if len(loc) >= 2 and loc[0] == "documents" and isinstance(loc[1], int):
        entries = raw.get("documents") or []
        entry = entries[loc[1]] if loc[1] < len(entries) and isinstance(entries[loc[1]], dict) else {}
        name = f'entry {loc[1] + 1} (id "{entry.get("id", "?")}")'
        field = ".".join(str(p) for p in loc[2:]) or "entry"
        return f'{name}, field "{field}"'
    return f'field "{".".join(str(p) for p in loc)}"'


def _check_references(path: Path, manifest: Manifest) -> None:
    ids = Counter(entry.id for entry in manifest.documents)
    for entry in manifest.documents:
        if ids[entry.id] > 1:
            raise CorpusError(f'{path}: entry id "{entry.id}", field "id": duplicate id; ids must be unique')
    files = Counter(entry.file for entry in manifest.documents)
    by_id = {entry.id: entry for entry in manifest.documents}
    for entry in manifest.documents:
        if files[entry.file] > 1:
            raise CorpusError(f'{path}: entry id "{entry.id}", field "file": {entry.file} is listed twice')
        if entry.translation_of is None:
            continue
        other = by_id.get(entry.translation_of)
        if other is None:
            raise CorpusError(
                f'{path}: entry id "{entry.id}", field "translation_of": no document with id "{entry.translation_of}"'
            )
        if other.language == entry.language:
            raise CorpusError(
                f'{path}: entry id "{entry.id}", field "translation_of": "{other.id}" has the same language'
            )


def read_text(path: Path) -> str:
    """The text of a .txt, .md or .pdf file; unreadable files raise CorpusError naming the file."""
    if not path.is_file():
        raise CorpusError(f'{path}: file not found (manifest field "file"); add the file or fix the entry')
    if path.suffix.lower() == ".pdf":
        return _read_pdf(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror}); check the file and its permissions") from exc


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        # A form feed between pages: the cleaner treats it as a paragraph break.
        return "\n\f\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, OSError, ValueError) as exc:
        raise CorpusError(f"{path}: unreadable PDF ({exc}); re-export it or supply a .txt") from exc


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_corpus(corpus_dir: Path) -> list[Document]:
    """Validate the manifest, read, clean and structure every document (in manifest order)."""
    manifest = read_manifest(corpus_dir)
    documents = [load_document(corpus_dir, entry) for entry in manifest.documents]
    return mark_repeated_paragraphs(documents)


def load_document(corpus_dir: Path, entry: DocumentEntry) -> Document:
    path = inside(corpus_dir, entry.file)
    if path is None:  # a symlink that leads out of the corpus folder
        raise CorpusError(f'{corpus_dir / MANIFEST_NAME}: entry id "{entry.id}", field "file": {entry.file} '
                          "leads outside the corpus folder; put the document inside it")
    text = read_text(path)
    if not re.search(r"\w{2,}", text):
        raise CorpusError(f'{path}: no text found (manifest entry "{entry.id}", field "file"); is it a scanned PDF?')
    sections = structure_text(text, entry.language)
    if not any(section.blocks for section in sections):
        raise CorpusError(f'{path}: no paragraphs left after cleaning (manifest entry "{entry.id}")')
    logger.debug("loaded %s: %d sections", entry.id, len(sections))
    return Document(
        id=entry.id,
        title=entry.title,
        lang=entry.language,
        kind=entry.kind,
        publisher=entry.publisher,
        year=entry.year,
        translation_of=entry.translation_of,
        file=entry.file,
        sha256=file_sha256(path),
        sections=tuple(sections),
        url=entry.url,
    )


def publication_links(documents: list[Document]) -> dict[str, str]:
    """Map doc id -> the web address of its SER publication, for the documents whose manifest entry has one.

    >>> publication_links([])
    {}
    """
    return {doc.id: doc.url for doc in documents if doc.url}


def translations(documents: list[Document]) -> dict[str, set[str]]:
    """Symmetric map doc id -> ids of the documents that translate it."""
    pairs: dict[str, set[str]] = {doc.id: set() for doc in documents}
    for doc in documents:
        if doc.translation_of and doc.translation_of in pairs:
            pairs[doc.id].add(doc.translation_of)
            pairs[doc.translation_of].add(doc.id)
    return pairs
