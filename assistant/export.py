"""Trainer export: a conversation, or a topic's passages, as Markdown and Word (DOCX) for workshop material.

Each question comes with its answer and the full text of every cited passage, its document, section
and language; the sentences an answer quotes are marked in the passage (bold in Markdown,
highlighted in Word).

>>> report = conversation_report(conversation, "nl")                    # doctest: +SKIP
>>> to_markdown(report).splitlines()[0]                                 # doctest: +SKIP
'# Gesprek met de SER-dialoogassistent'
>>> write_docx(report, Path("gesprek.docx"))                            # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

from .citations import pieces, quote_spans, quotes_by_citation
from .conversation import Conversation
from .labels import label, language_name
from .retrieval import Passage

logger = logging.getLogger(__name__)

#: python-docx refuses a core-properties title over 255 characters.
WORD_TITLE_CHARS = 255
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


@dataclass(frozen=True)
class Entry:
    """A question (or a topic) with its answer text (empty for a topic) and the passages it cites."""

    question: str
    answer: str
    citations: tuple[Passage, ...]
    abstained: bool = False


@dataclass(frozen=True)
class Report:
    """What is exported: a title, the interface language of the headings, the entries and when."""

    title: str
    lang: str
    entries: tuple[Entry, ...]
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    version: str = ""
    links: Mapping[str, str] = field(default_factory=dict)  # doc id -> web address of its SER publication


def _version() -> str:
    from . import __version__

    return __version__


def conversation_report(conversation: Conversation, lang: str, links: Mapping[str, str] | None = None) -> Report:
    """The answered exchanges of a conversation (failed ones are left out); ``links`` maps doc ids to
    the web addresses of their SER publications.

    >>> conversation_report(Conversation(), "en").entries
    ()
    """
    entries = tuple(Entry(e.question, e.answer.text, e.answer.citations, e.answer.abstained)
                    for e in conversation.exchanges if e.answer is not None)
    return Report(label(lang, "export_title"), lang, entries, version=_version(), links=dict(links or {}))


#: A title names the topic in at most this many characters (Word limits a title to 255); the entry keeps it whole.
TITLE_TOPIC_CHARS = 120


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word end to at most ``limit`` characters, with "…" when cut.

    >>> shorten("freedom of association in factories", 20)
    'freedom of…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut).rstrip(" ,;:.") + "…"


def topic_report(topic: str, passages: Sequence[Passage], lang: str,
                 links: Mapping[str, str] | None = None) -> Report:
    """The passages found for a topic, best first, as one entry without an answer; a long topic is
    shortened in the title (the entry keeps it whole).

    >>> topic_report("trust", [], "en").title
    'Passages on “trust”'
    >>> len(topic_report("trust " * 300, [], "en").title) < 140
    True
    """
    title = label(lang, "topic_export_title", topic=shorten(topic, TITLE_TOPIC_CHARS))
    return Report(title, lang, (Entry(topic, "", tuple(passages)),), version=_version(), links=dict(links or {}))


# --- Markdown ---------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _md_marked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Escaped text with the spans in bold (a span never crosses a line)."""
    out, cursor = [], 0
    for start, end in spans:
        out.append(_md(text[cursor:start]))
        out.append(f"**{_md(text[start:end]).strip()}**")
        cursor = end
    out.append(_md(text[cursor:]))
    return "".join(out)


def _source_meta(passage: Passage, lang: str) -> str:
    section = " › ".join(passage.section_path)
    return (f"{label(lang, 'doc_document')}: {passage.title} · {label(lang, 'doc_section')}: {section or '—'} · "
            f"{label(lang, 'doc_language')}: {language_name(passage.lang, lang)}")


def _answer_lines(answer: str) -> list[str]:
    return [line for line in answer.splitlines() if line.strip()]


def to_markdown(report: Report) -> str:
    """The report as Markdown; every passage is quoted in full.

    >>> to_markdown(Report("T", "en", (), version="1")).splitlines()[0]
    '# T'
    """
    lang = report.lang
    exported = label(lang, "exported_on", date=report.created.strftime("%Y-%m-%d %H:%M UTC"), version=report.version)
    lines = [f"# {_md(report.title)}", "", f"_{exported}_", ""]
    for number, entry in enumerate(report.entries, start=1):
        if entry.answer:
            lines += [f"## {number}. {_md(entry.question)}", "", f"### {label(lang, 'doc_answer')}", ""]
            for line in _answer_lines(entry.answer):
                item = line.startswith("- ")
                text = "".join(f"[{p}]" if isinstance(p, int) else _md(p)  # plain: "[1]" is no Markdown link
                               for p in pieces(line[2:] if item else line))
                lines.append(("- " if item else "") + text)
            lines.append("")
        if entry.citations:
            lines += [f"### {label(lang, 'doc_sources')}", ""]
        elif entry.abstained:
            lines += [f"_{label(lang, 'sources_none')}_", ""]
        quotes = quotes_by_citation(entry.answer)
        for n, passage in enumerate(entry.citations, start=1):
            text = passage.text
            spans = quote_spans(text, quotes.get(n, ()), passage.section_path)
            lines += [f"#### [{n}] {_md(passage.title)}", "", f"_{_md(_source_meta(passage, lang))}_", ""]
            url = report.links.get(passage.doc_id)
            if url:
                lines += [f"[{label(lang, 'open_publication')}](<{url}>)", ""]
            offset = 0
            for raw in text.split("\n"):
                line_spans = [(max(s, offset) - offset, min(e, offset + len(raw)) - offset)
                              for s, e in spans if s < offset + len(raw) and e > offset]
                offset += len(raw) + 1
                if raw.strip():
                    lines.append(f"> {_md_marked(raw, line_spans)}")
                    lines.append(">")
            if lines[-1] == ">":
                lines.pop()
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- DOCX -------------------------------------------------------------------------------------------


def write_docx(report: Report, path: Path) -> Path:
    """Write the report as a Word document (python-docx); returns ``path``.

    >>> write_docx(report, Path("/tmp/x.docx")).suffix                  # doctest: +SKIP
    '.docx'
    """
    from docx import Document as WordDocument
    from docx.enum.text import WD_COLOR_INDEX

    lang = report.lang
    document = WordDocument()
    document.core_properties.title = shorten(report.title, WORD_TITLE_CHARS)
    document.core_properties.language = lang
    document.add_heading(report.title, level=0)
    intro = document.add_paragraph()
    intro.add_run(label(lang, "exported_on", date=report.created.strftime("%Y-%m-%d %H:%M UTC"),
                        version=report.version)).italic = True
    for number, entry in enumerate(report.entries, start=1):
        if entry.answer:
            document.add_heading(f"{number}. {entry.question}", level=1)
            document.add_heading(label(lang, "doc_answer"), level=2)
            for line in _answer_lines(entry.answer):
                item = line.startswith("- ")
                document.add_paragraph(line[2:] if item else line, style="List Bullet" if item else None)
        if entry.citations:
            document.add_heading(label(lang, "doc_sources"), level=2)
        elif entry.abstained:
            document.add_paragraph().add_run(label(lang, "sources_none")).italic = True
        quotes = quotes_by_citation(entry.answer)
        for n, passage in enumerate(entry.citations, start=1):
            document.add_heading(f"[{n}] {passage.title}", level=3)
            document.add_paragraph().add_run(_source_meta(passage, lang)).italic = True
            url = report.links.get(passage.doc_id)
            if url:
                _add_hyperlink(document.add_paragraph(), label(lang, "open_publication"), url)
            spans = quote_spans(passage.text, quotes.get(n, ()), passage.section_path)
            offset = 0
            for raw in passage.text.split("\n"):
                start, offset = offset, offset + len(raw) + 1
                if not raw.strip():
                    continue
                is_item = raw.startswith("- ")
                paragraph = document.add_paragraph(style="List Bullet" if is_item else "Quote")
                body_start = start + 2 if is_item else start
                cursor = body_start
                for s, e in spans:
                    lo, hi = max(s, body_start), min(e, start + len(raw))
                    if lo >= hi:
                        continue
                    paragraph.add_run(passage.text[cursor:lo])
                    marked = paragraph.add_run(passage.text[lo:hi])
                    marked.bold = True
                    marked.font.highlight_color = WD_COLOR_INDEX.YELLOW
                    cursor = hi
                paragraph.add_run(passage.text[cursor:start + len(raw)])
    path = Path(path)
    document.save(path)
    logger.info("exported %d entries to %s", len(report.entries), path)
    return path


def _add_hyperlink(paragraph, text: str, url: str) -> None:
    """A clickable link in a Word paragraph (python-docx has no API for it: the relationship and the
    ``w:hyperlink`` element are added by hand), blue and underlined as Word shows links."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    for tag, attr in (("w:color", "0563C1"), ("w:u", "single")):
        element = OxmlElement(tag)
        element.set(qn("w:val"), attr)
        props.append(element)
    run.append(props)
    text_element = OxmlElement("w:t")
    text_element.text = text
    run.append(text_element)
    link.append(run)
    paragraph._p.append(link)


def write_exports(report: Report, folder: Path, stem: str) -> tuple[Path, Path]:
    """Both files of a report in ``folder``: ``stem.md`` and ``stem.docx``.

    >>> write_exports(report, Path("/tmp/out"), "gesprek")               # doctest: +SKIP
    (PosixPath('/tmp/out/gesprek.md'), PosixPath('/tmp/out/gesprek.docx'))
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    markdown = folder / f"{stem}.md"
    markdown.write_text(to_markdown(report), encoding="utf-8")
    return markdown, write_docx(report, folder / f"{stem}.docx")


def file_stem(title: str, created: datetime) -> str:
    """A safe file name for an export.

    >>> file_stem("Passages on “trust & ngo's”", datetime(2025, 1, 2, 3, 4))
    'passages-on-trust-ngo-s-20250102-0304'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "export"
    return f"{slug}-{created.strftime('%Y%m%d-%H%M')}"
