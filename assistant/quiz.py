"""Workshop quizzes for trainers from the eval set: a question sheet and a separate answer key with the
passages that answer each question, as Markdown and Word (DOCX), in Dutch or English.

Only cases marked fit for a quiz (``"quiz": true`` in eval/cases.jsonl: formally phrased, answerable
questions) are used, unless the informal ones (chat style, typos) are asked for too; out-of-scope
questions never are.

>>> select([], lang="nl")
[]
>>> write_quiz(quiz, Path("out"), "quiz")                                     # doctest: +SKIP
[PosixPath('out/quiz-vragen.md'), PosixPath('out/quiz-vragen.docx'), PosixPath('out/quiz-antwoorden.md'), ...]
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

from .chunking import Chunk
from .evaluation import EvalCase, supports
from .labels import label, language_name

logger = logging.getLogger(__name__)

PASSAGES_PER_QUESTION = 2
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def fit_for_quiz(case: EvalCase) -> bool:
    """Whether the case is marked fit for a workshop quiz (the ``quiz`` field of eval/cases.jsonl)."""
    return bool((getattr(case, "__pydantic_extra__", None) or {}).get("quiz", False))


def select(cases: Sequence[EvalCase], lang: str | None = None, tag: str | None = None, doc: str | None = None,
           split: str = "all", informal: bool = False) -> list[EvalCase]:
    """The cases for a quiz: answerable, marked fit (or, with ``informal``, any answerable one), and
    matching the language of the question, a tag, a document and a split when given."""
    return [c for c in cases
            if not c.abstain and (fit_for_quiz(c) or informal)
            and (lang is None or c.lang == lang) and (tag is None or tag in c.tags)
            and (doc is None or doc in c.doc_ids) and (split == "all" or c.split == split)]


def tag_counts(cases: Sequence[EvalCase]) -> list[tuple[str, int]]:
    """Each tag with how many of ``cases`` carry it, most used first (what ``--list-tags`` prints).

    >>> tag_counts([])
    []
    """
    counts = Counter(tag for case in cases for tag in case.tags)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class QuizItem:
    """One question of the quiz, its reference answer and the passages that contain it."""

    question: str
    answer: str
    passages: tuple[Chunk, ...]


@dataclass(frozen=True)
class Quiz:
    title: str
    lang: str
    items: tuple[QuizItem, ...]
    links: Mapping[str, str] = field(default_factory=dict)
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


def build_quiz(cases: Sequence[EvalCase], chunks: Sequence[Chunk], lang: str, topic: str = "",
               links: Mapping[str, str] | None = None) -> Quiz:
    """The quiz over ``cases``: each question with the passages that hold its evidence (in the question's
    language first). ``lang`` is the language of the sheet's headings."""
    items = []
    for case in cases:
        found = [c for c in chunks if c.role == "content" and supports(c.text, case.evidence)] or \
                [c for c in chunks if supports(c.text, case.evidence)]
        found.sort(key=lambda c: c.lang != case.lang)  # stable: document order within a language
        items.append(QuizItem(case.question, case.answer, tuple(found[:PASSAGES_PER_QUESTION])))
    title = label(lang, "quiz_title", topic=topic) if topic else label(lang, "quiz_title_all")
    return Quiz(title, lang, tuple(items), dict(links or {}))


# --- Markdown ---------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def questions_markdown(quiz: Quiz) -> str:
    """The question sheet: the questions, numbered, with room to answer; no answers, no sources."""
    lang = quiz.lang
    lines = [f"# {_md(quiz.title)}", "", label(lang, "quiz_intro", count=len(quiz.items)), ""]
    for number, item in enumerate(quiz.items, start=1):
        lines += [f"## {number}. {_md(item.question)}", "", f"{label(lang, 'quiz_your_answer')}:", "", "", ""]
    return "\n".join(lines).rstrip() + "\n"


def answers_markdown(quiz: Quiz) -> str:
    """The answer key: each question with its reference answer and the passages that answer it."""
    lang = quiz.lang
    lines = [f"# {_md(label(lang, 'quiz_key_title', title=quiz.title))}", "",
             label(lang, "quiz_key_intro", count=len(quiz.items)), ""]
    for number, item in enumerate(quiz.items, start=1):
        lines += [f"## {number}. {_md(item.question)}", "", f"**{label(lang, 'doc_answer')}:** {_md(item.answer)}", ""]
        for chunk in item.passages:
            lines += [f"**{label(lang, 'quiz_source')}:** {_md(_source_line(chunk, lang))}", ""]
            url = quiz.links.get(chunk.doc_id)
            if url:
                lines += [f"[{label(lang, 'open_publication')}](<{url}>)", ""]
            lines += ["> " + _md(line) if line.strip() else ">" for line in chunk.text.split("\n")]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _source_line(chunk: Chunk, lang: str) -> str:
    section = " › ".join(chunk.section) or "—"
    return f"{chunk.title} — {section} ({language_name(chunk.lang, lang)})"


# --- DOCX -------------------------------------------------------------------------------------------


def _document(title: str, lang: str):
    from docx import Document as WordDocument

    document = WordDocument()
    document.core_properties.title = title
    document.core_properties.language = lang
    document.add_heading(title, level=0)
    return document


def write_questions_docx(quiz: Quiz, path: Path) -> Path:
    """The question sheet as Word, with empty lines to write the answers on."""
    document = _document(quiz.title, quiz.lang)
    document.add_paragraph(label(quiz.lang, "quiz_intro", count=len(quiz.items)))
    for number, item in enumerate(quiz.items, start=1):
        document.add_heading(f"{number}. {item.question}", level=1)
        document.add_paragraph(f"{label(quiz.lang, 'quiz_your_answer')}:")
        for _ in range(3):
            document.add_paragraph("_" * 60)
    document.save(path)
    return Path(path)


def write_answers_docx(quiz: Quiz, path: Path) -> Path:
    """The answer key as Word: reference answers and the passages, quoted in full."""
    from .export import _add_hyperlink

    lang = quiz.lang
    document = _document(label(lang, "quiz_key_title", title=quiz.title), lang)
    document.add_paragraph(label(lang, "quiz_key_intro", count=len(quiz.items)))
    for number, item in enumerate(quiz.items, start=1):
        document.add_heading(f"{number}. {item.question}", level=1)
        answer = document.add_paragraph()
        answer.add_run(f"{label(lang, 'doc_answer')}: ").bold = True
        answer.add_run(item.answer)
        for chunk in item.passages:
            source = document.add_paragraph()
            source.add_run(f"{label(lang, 'quiz_source')}: ").bold = True
            source.add_run(_source_line(chunk, lang)).italic = True
            url = quiz.links.get(chunk.doc_id)
            if url:
                _add_hyperlink(document.add_paragraph(), label(lang, "open_publication"), url)
            for line in chunk.text.split("\n"):
                if line.strip():
                    is_item = line.startswith("- ")
                    document.add_paragraph(line[2:] if is_item else line, style="List Bullet" if is_item else "Quote")
    document.save(path)
    return Path(path)


def write_quiz(quiz: Quiz, folder: Path, stem: str) -> list[Path]:
    """The four files: question sheet and answer key, each as Markdown and DOCX, named in the quiz's language
    (``quiz-vragen.md``, ``quiz-antwoorden.docx``; ``quiz-questions.md``, ``quiz-answers.docx``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    questions = f"{stem}-{label(quiz.lang, 'quiz_questions_file')}"
    answers = f"{stem}-{label(quiz.lang, 'quiz_answers_file')}"
    (folder / f"{questions}.md").write_text(questions_markdown(quiz), encoding="utf-8")
    (folder / f"{answers}.md").write_text(answers_markdown(quiz), encoding="utf-8")
    written = [folder / f"{questions}.md", write_questions_docx(quiz, folder / f"{questions}.docx"),
               folder / f"{answers}.md", write_answers_docx(quiz, folder / f"{answers}.docx")]
    logger.info("wrote a quiz of %d questions to %s", len(quiz.items), folder)
    return written


def corpus_passages(settings) -> tuple[list[Chunk], dict[str, str]]:
    """The corpus's passages, chunked as the index chunks them (without loading the model or the index),
    and the web addresses of the SER publications."""
    from .chunking import ChunkSettings, chunk_document
    from .corpus import load_corpus, publication_links

    documents = load_corpus(settings.corpus_dir)
    chunk_settings = ChunkSettings.from_settings(settings)
    return [chunk for doc in documents for chunk in chunk_document(doc, chunk_settings)], publication_links(documents)
