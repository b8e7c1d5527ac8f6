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

from .errors import InputError, QuestionError
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


#: Follow-ups read only the last turns (the previous question, and for a language model the last three
#: exchanges): older turns are dropped before anything else is done, so a turn costs the same after 150.
MAX_HISTORY_TURNS = 3
#: An earlier answer may be longer than a question (a list of partner types), not unboundedly so.
ANSWER_CHARS_PER_QUESTION_CHAR = 10
_ROLES = ("user", "assistant", "system")


def normalise_history(history: Iterable[Any] | None, max_chars: int = 2000) -> list[Turn]:
    """The last ``MAX_HISTORY_TURNS`` turns of ``history``: Turns, (question, answer) pairs, or role/content
    messages (OpenAI and Gradio style). A malformed entry raises InputError saying what is allowed; the
    texts of the turns kept are checked like a question (text, no lone surrogates, at most ``max_chars``).

    >>> [t.question for t in normalise_history([(f"q{n}", "a") for n in range(10)])]
    ['q7', 'q8', 'q9']
    >>> normalise_history(5)
    Traceback (most recent call last):
    ...
    assistant.errors.InputError: history must be a list of Turns, (question, answer) pairs or role/content messages, not int
    """
    if history is None:
        return []
    if isinstance(history, (str, bytes, dict)) or not isinstance(history, Iterable):
        raise InputError(f"history must be a list of {_HISTORY_SHAPES}, not {type(history).__name__}")
    turns: list[Turn] = []
    for number, item in enumerate(history, start=1):
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, dict):
            role, text = _message(item, number)
            if role == "user":
                turns.append(Turn(text))
            elif role == "assistant" and turns:
                last = turns[-1]
                turns[-1] = Turn(last.question, (last.answer + "\n" + text).strip(), last.cited)
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            turns.append(Turn(*(_text(value, f"history entry {number}") for value in item)))
        else:
            raise InputError(f"history entry {number} must be one of {_HISTORY_SHAPES}, not {_shape(item)}")
    kept = [t for t in turns if not (isinstance(t.question, str) and not t.question.strip())][-MAX_HISTORY_TURNS:]
    for turn in kept:
        _check_turn(turn, max_chars)
    return kept


_HISTORY_SHAPES = "Turns, (question, answer) pairs or role/content messages"


def _shape(item: Any) -> str:
    if isinstance(item, (tuple, list)):
        return f"a {type(item).__name__} of {len(item)} items"
    return type(item).__name__


def _text(value: Any, where: str) -> str:
    """A history text: a string, or None for none."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{where}: texts must be strings, not {type(value).__name__}")
    return value


def _message(item: dict, number: int) -> tuple[str, str]:
    """(role, text) of a role/content message; content may be a string or a list of {"text": ...} parts."""
    where = f"history entry {number}"
    role, content = item.get("role"), item.get("content")
    if role not in _ROLES:
        raise InputError(f"{where}: role must be one of {', '.join(_ROLES)}, not {role!r:.40}")
    if content is None or isinstance(content, str):
        return role, _text(content, where)
    if isinstance(content, dict):  # one multimodal part (a file in Gradio): its text, if any
        content = [content]
    if not isinstance(content, (list, tuple)):
        raise InputError(f"{where}: content must be a string or a list of {{'text': ...}} parts, "
                         f"not {type(content).__name__}")
    texts = [_text(part.get("text"), where) for part in content if isinstance(part, dict)]
    return role, " ".join(texts)


def _check_turn(turn: Turn, max_chars: int) -> None:
    """A kept turn's texts are checked like a question: strings, valid Unicode, bounded."""
    for name, value, limit in (("question", turn.question, max_chars),
                               ("answer", turn.answer, max_chars * ANSWER_CHARS_PER_QUESTION_CHAR)):
        where = f"history {name} {value[:40]!r}" if isinstance(value, str) else f"history {name}"
        if not isinstance(value, str):
            raise InputError(f"{where}: texts must be strings, not {type(value).__name__}")
        if len(value) > limit:
            raise InputError(f"{where}: {len(value)} characters long; keep history {name}s under {limit}")
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            raise InputError(f"history {name}: contains NUL or unpaired surrogate characters; send valid text")
    if not all(isinstance(chunk_id, str) for chunk_id in turn.cited):
        raise InputError("history: a Turn's cited passage ids must be strings")


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
