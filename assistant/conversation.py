"""A chat session's conversation: the exchanges shown, kept apart from how any UI draws them.

>>> c = Conversation().add(Exchange("Who verifies wages?", error="try again"))
>>> len(c), c.history(), c.id == c.add(Exchange("Again?")).id, c.id == Conversation().id
(1, [], True, False)
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any

from .answer import Answer, Quote
from .chat import Turn
from .retrieval import Passage

JSON_SCALARS = (str, int, float, bool, type(None))
TITLE_CHARS = 70
#: A conversation keeps its last exchanges, each with its sources. What the chat shows, what the browser
#: stores and what a turn costs the app stay bounded however long a conversation runs (the answer path
#: itself reads only the last three turns).
MAX_EXCHANGES = 30


@dataclass(frozen=True)
class Exchange:
    """One question and what came back: an Answer, or a friendly ``error`` when answering failed."""

    question: str
    answer: Answer | None = None
    error: str = ""

    @property
    def text(self) -> str:
        """What the assistant said (the answer, or the error message)."""
        return self.answer.text if self.answer is not None else self.error

    def to_dict(self) -> dict:
        """The exchange as JSON-ready data, the cited passages in full (the retrieved ones are left out).

        >>> Exchange("Hoi?", error="Sorry").to_dict()
        {'question': 'Hoi?', 'answer': None, 'error': 'Sorry'}
        """
        return {"question": self.question, "answer": _answer_to_dict(self.answer) if self.answer else None,
                "error": self.error}

    @classmethod
    def from_dict(cls, data: dict) -> Exchange:
        """The exchange ``to_dict`` gave; unknown keys are ignored, so older or newer data still loads.

        >>> Exchange.from_dict({"question": "Hoi?", "answer": None, "error": "Sorry"})
        Exchange(question='Hoi?', answer=None, error='Sorry')
        """
        answer = data.get("answer")
        return cls(str(data.get("question", "")), _answer_from_dict(answer) if isinstance(answer, dict) else None,
                   str(data.get("error", "")))


def _scalars(obj: Any, skip: tuple[str, ...] = ()) -> dict:
    """The JSON-ready fields of a dataclass (tuples of strings as lists), others left out."""
    out = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name in skip:
            continue
        if isinstance(value, JSON_SCALARS):
            out[f.name] = value
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            out[f.name] = list(value)
    return out


def _known(cls: type, data: dict) -> dict:
    """The entries of ``data`` that are fields of ``cls`` (lists back to tuples)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}


def _answer_to_dict(answer: Answer) -> dict:
    return _scalars(answer, skip=("citations", "passages", "quotes")) | {
        "citations": [_scalars(p) for p in answer.citations], "quotes": [_scalars(q) for q in answer.quotes]}


def _answer_from_dict(data: dict) -> Answer:
    citations = tuple(Passage(**_known(Passage, p)) for p in data.get("citations") or () if isinstance(p, dict))
    quotes = tuple(Quote(**_known(Quote, q)) for q in data.get("quotes") or () if isinstance(q, dict))
    fields = _known(Answer, {k: v for k, v in data.items() if k not in ("citations", "passages", "quotes")})
    return Answer(**fields | {"citations": citations, "quotes": quotes})


@dataclass(frozen=True)
class Conversation:
    """The exchanges of one conversation, oldest first: the last ``MAX_EXCHANGES``, after ``dropped``
    earlier ones that are no longer kept. Immutable: ``add`` returns a new Conversation with the same
    ``id``; a new conversation gets a new id (feedback tells conversations apart by it)."""

    exchanges: tuple[Exchange, ...] = ()
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    title: str = ""  # given by the user; empty: the first question names the conversation
    dropped: int = 0  # earlier exchanges no longer kept: ``exchanges[0]`` is turn ``dropped`` (0-based)

    def __len__(self) -> int:
        return len(self.exchanges)

    def add(self, exchange: Exchange) -> Conversation:
        """This conversation with one more exchange; past ``MAX_EXCHANGES`` the oldest one is dropped (an
        unnamed conversation keeps the name its first question gave it).

        >>> len(Conversation().add(Exchange("Hoi?")))
        1
        >>> c = Conversation()
        >>> for n in range(MAX_EXCHANGES + 2): c = c.add(Exchange(f"Vraag {n}?"))
        >>> len(c), c.dropped, c.exchanges[0].question, c.name, c.turn(-1)
        (30, 2, 'Vraag 2?', 'Vraag 0?', 31)
        """
        return _capped(self.exchanges + (exchange,), self.id, self.title, self.dropped)

    def renamed(self, title: str) -> Conversation:
        """This conversation under another name (an empty one: named after its first question again).

        >>> Conversation().add(Exchange("Wie verifieert lonen?")).renamed("  Lonen  ").name
        'Lonen'
        """
        return Conversation(self.exchanges, self.id, " ".join(title.split())[:TITLE_CHARS], self.dropped)

    def turn(self, index: int) -> int:
        """The turn number (0-based, counting dropped exchanges) of the exchange at ``index`` of those kept
        (negative counts from the end): what anchors and ratings name an exchange by, so they stay put
        when older exchanges are dropped.

        >>> Conversation((Exchange("a?"), Exchange("b?")), "c1", dropped=5).turn(-1)
        6
        """
        return self.dropped + (index if index >= 0 else len(self) + index)

    @property
    def name(self) -> str:
        """How the list of past conversations names it: its title, else its first question (shortened).

        >>> Conversation().add(Exchange("Met wie werk ik samen om lonen te verifiëren in Pakistan, India en Bangladesh?")).name
        'Met wie werk ik samen om lonen te verifiëren in Pakistan, India en…'
        """
        if self.title:
            return self.title
        first = " ".join(self.exchanges[0].question.split()) if self.exchanges else ""
        return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"

    def to_dict(self) -> dict:
        """The conversation as JSON-ready data (what the browser keeps).

        >>> Conversation((), "c1", "Lonen").to_dict()
        {'id': 'c1', 'title': 'Lonen', 'dropped': 0, 'exchanges': []}
        """
        return {"id": self.id, "title": self.title, "dropped": self.dropped,
                "exchanges": [e.to_dict() for e in self.exchanges]}

    @classmethod
    def from_dict(cls, data: dict) -> Conversation:
        """The conversation ``to_dict`` gave, sources and all (kept to its last ``MAX_EXCHANGES``, whoever
        stored more).

        >>> c = Conversation().add(Exchange("Hoi?", error="Sorry"))
        >>> Conversation.from_dict(c.to_dict()) == c
        True
        """
        exchanges = tuple(Exchange.from_dict(e) for e in data.get("exchanges") or () if isinstance(e, dict))
        dropped = data.get("dropped")
        dropped = dropped if isinstance(dropped, int) and not isinstance(dropped, bool) and dropped > 0 else 0
        return _capped(exchanges, str(data.get("id") or uuid.uuid4().hex), str(data.get("title") or ""), dropped)

    def history(self) -> list[Turn]:
        """The answered turns, as ``Assistant.ask`` takes them (with the passages each one cited).

        Failed exchanges are left out: a follow-up should lean on the last real answer.

        >>> Conversation().history()
        []
        """
        return [
            Turn(e.question, e.answer.text, tuple(p.chunk_id for p in e.answer.citations))
            for e in self.exchanges if e.answer is not None
        ]

    def exchange(self, index: int) -> Exchange | None:
        """The exchange at ``index`` (negative counts from the end), or None when there is none."""
        try:
            return self.exchanges[index]
        except IndexError:
            return None


def _capped(exchanges: tuple[Exchange, ...], conversation_id: str, title: str, dropped: int) -> Conversation:
    """A Conversation of the last ``MAX_EXCHANGES`` of ``exchanges``; the first dropped question names it
    when nobody did."""
    extra = max(0, len(exchanges) - MAX_EXCHANGES)
    if extra and not title:
        title = Conversation(exchanges).name
    return Conversation(exchanges[extra:], conversation_id, title, dropped + extra)
