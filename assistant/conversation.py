"""A chat session's conversation: the exchanges shown, kept apart from how any UI draws them.

>>> c = Conversation().add(Exchange("Who verifies wages?", error="try again"))
>>> len(c), c.history(), c.id == c.add(Exchange("Again?")).id, c.id == Conversation().id
(1, [], True, False)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from .answer import Answer
from .chat import Turn


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


@dataclass(frozen=True)
class Conversation:
    """The exchanges of one conversation, oldest first. Immutable: ``add`` returns a new Conversation
    with the same ``id``; a new conversation gets a new id (feedback tells conversations apart by it)."""

    exchanges: tuple[Exchange, ...] = ()
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __len__(self) -> int:
        return len(self.exchanges)

    def add(self, exchange: Exchange) -> Conversation:
        """This conversation with one more exchange.

        >>> len(Conversation().add(Exchange("Hoi?")))
        1
        """
        return Conversation(self.exchanges + (exchange,), self.id)

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
