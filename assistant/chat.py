"""Conversation turns and follow-up handling, independent of any UI.

>>> turns = normalise_history([{"role": "user", "content": "Who verifies wages?"},
...                            {"role": "assistant", "content": "Ask a union. [1]"}])
>>> turns[0].question
'Who verifies wages?'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from .errors import QuestionError
from .text import STOPWORDS, tokenize

FOLLOW_UP_START = re.compile(
    r"^\s*(and|also|what about|how about|and what|who else|anything else|more|en|ook|wat als|en wat|wie nog|"
    r"nog meer|welke nog|wat nog|en in|en voor|and in|and for)\b",
    re.I,
)
FOLLOW_UP_MAX_WORDS = 4


@dataclass(frozen=True)
class Turn:
    """One exchange: the user's question and the assistant's answer (with the chunk ids it cited)."""

    question: str
    answer: str = ""
    cited: tuple[str, ...] = field(default=())


def normalise_history(history: Iterable[Any] | None) -> list[Turn]:
    """Accept Turns, (question, answer) pairs, or role/content messages (OpenAI and Gradio style)."""
    turns: list[Turn] = []
    for item in history or ():
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, dict):
            role, content = item.get("role"), item.get("content")
            text = content if isinstance(content, str) else " ".join(
                part.get("text", "") for part in content or () if isinstance(part, dict)
            )
            if role == "user":
                turns.append(Turn(text))
            elif role == "assistant" and turns:
                last = turns[-1]
                turns[-1] = Turn(last.question, (last.answer + "\n" + text).strip(), last.cited)
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            turns.append(Turn(str(item[0] or ""), str(item[1] or "")))
        else:
            raise QuestionError(f"history entries must be Turns, (question, answer) pairs or role/content dicts, not {item!r}")
    return [t for t in turns if t.question.strip()]


def is_follow_up(question: str, lang: str) -> bool:
    """Short or elliptic questions ("And in Pakistan?", "Wie nog meer?") lean on the previous turn."""
    content = [w for w in tokenize(question) if w not in STOPWORDS[lang]]
    return bool(FOLLOW_UP_START.match(question)) or len(content) <= 1 or (
        len(content) <= FOLLOW_UP_MAX_WORDS and len(tokenize(question)) <= FOLLOW_UP_MAX_WORDS + 1
    )


def retrieval_question(question: str, turns: list[Turn], lang: str) -> str:
    """The text to search with: a follow-up is read together with the previous question."""
    if not turns or not is_follow_up(question, lang):
        return question
    return f"{turns[-1].question} {question}"


def quoted_sentences(answer: str) -> frozenset[str]:
    r"""The corpus sentences an earlier answer quoted (its cited "- sentence [n]" lines); a quote under a
    heading ("Praktijkvoorbeeld: …") counts with and without it.

    >>> sorted(quoted_sentences("Intro:\n- Ask a union. [1]\n- Ask an NGO. [2]"))
    ['Ask a union.', 'Ask an NGO.']
    """
    from .citations import statements  # the one parser of answer lines

    found = set()
    for statement in statements(answer):
        if statement.item and statement.numbers:
            text = statement.text
            found.add(text)
            if re.match(r"^[^:]{1,40}: ", text) and len(text) > 60:
                found.add(text.split(": ", 1)[1])
    return frozenset(found)


def validate_question(question: Any, max_chars: int) -> str:
    """The question, trimmed; empty, over-long or binary input raises QuestionError with what to do."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = unicodedata.normalize("NFC", question).strip()
    if not text:
        raise QuestionError("the question is empty; type a question in Dutch or English")
    if len(text) > max_chars:
        raise QuestionError(f"the question is {len(text)} characters long; keep it under {max_chars}")
    controls = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\t\r")
    letters = sum(ch.isalpha() for ch in text)
    if "\x00" in text or controls > 0 or "\ufffd" in text or letters < max(1, len(text) // 5):
        raise QuestionError("the question looks like binary data or junk; type a question in Dutch or English")
    return text
