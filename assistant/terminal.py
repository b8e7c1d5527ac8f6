"""Answers in the terminal: questions read from a file, answers as text or JSON Lines, and the
interactive chat loop with follow-ups. The CLI (``assistant ask``, ``assistant chat``) is a thin layer on it.

>>> read_questions_text("Wie helpt?\\n\\n  Who verifies wages?  \\n")
['Wie helpt?', 'Who verifies wages?']
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .answer import Answer
from .chat import validate_question
from .conversation import Conversation, Exchange
from .errors import AssistantError, QuestionError

NEW_COMMANDS = ("/new", "/nieuw")
QUIT_COMMANDS = ("/quit", "/exit", "/stop")


def read_questions_text(text: str) -> list[str]:
    """The questions of a file's text: one per line, blank lines skipped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def read_questions(path: Path) -> list[str]:
    """The questions in a UTF-8 file, one per line; a missing, unreadable or empty file is an error naming it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise QuestionError(f"{path}: file not found (--file)") from exc
    except UnicodeDecodeError as exc:
        raise QuestionError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
    except OSError as exc:
        raise QuestionError(f"{path}: cannot read it ({exc.strerror})") from exc
    questions = read_questions_text(text)
    if not questions:
        raise QuestionError(f"{path}: no questions in it (one question per line)")
    return questions


def check_questions(questions: Sequence[str], max_chars: int, source: str | None = None) -> None:
    """Validate every question before the model is loaded; the error names the question's place.

    >>> check_questions(["Wie?", ""], 2000, "q.txt")
    Traceback (most recent call last):
    assistant.errors.QuestionError: q.txt, line 2: the question is empty; type a question in Dutch or English
    """
    for number, question in enumerate(questions, start=1):
        try:
            validate_question(question, max_chars)
        except QuestionError as exc:
            if len(questions) == 1 and source is None:
                raise
            where = f"{source}, line {number}" if source else f"question {number}"
            raise QuestionError(f"{where}: {exc}") from exc


def _passage_json(passage) -> dict:
    return {k: v for k, v in asdict(passage).items() if k != "section_path"} | {
        "section_path": list(passage.section_path)}


def answer_record(answer: Answer) -> dict:
    """One answer as a JSON object (one line of ``assistant ask --json``)."""
    return {"question": answer.question, "lang": answer.lang, "abstained": answer.abstained, "text": answer.text,
            "citations": [_passage_json(p) for p in answer.citations]}


def answer_json_line(answer: Answer) -> str:
    return json.dumps(answer_record(answer), ensure_ascii=False)


def answer_lines(answer: Answer) -> list[str]:
    """An answer for people: its text, then its numbered sources."""
    lines = [answer.text]
    if answer.notice:
        lines.append(f"({answer.notice})")
    if answer.citations:
        lines += ["", "Sources:"]
        lines += [f"[{n}] {p.label} ({p.lang})" for n, p in enumerate(answer.citations, start=1)]
    return lines


def chat_loop(assistant, lines: Iterable[str], write: Callable[[str], None], prompt: Callable[[], None],
              max_chars: int) -> Conversation:
    """Answer each line in one conversation (follow-ups use it) until ``/quit`` or the end of the input.

    ``/new`` starts a new conversation. A question that cannot be asked gets an ``error:`` line and the
    conversation goes on. Returns the last conversation.
    """
    conversation = Conversation()
    prompt()
    for raw in lines:
        line = raw.strip()
        if line.lower() in QUIT_COMMANDS:
            break
        if line.lower() in NEW_COMMANDS:
            conversation = Conversation()
            write("(new conversation)")
        elif line:
            try:
                validate_question(line, max_chars)
                answer = assistant.ask(line, history=conversation.history())
            except AssistantError as exc:
                write(f"error: {exc}")
            else:
                conversation = conversation.add(Exchange(line, answer))
                write("\n".join(answer_lines(answer)))
            write("")
        prompt()
    return conversation
