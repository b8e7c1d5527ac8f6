"""The conversations a browser keeps: a plain JSON value (Gradio's ``BrowserState`` stores it in the
browser's localStorage, never on the server), and pure functions to save, reopen, rename and delete.

>>> from assistant.conversation import Exchange
>>> kept = remember(EMPTY, Conversation((), "c1").add(Exchange("Wie verifieert lonen?", error="x")))
>>> choices(kept), current(kept).id
([('Wie verifieert lonen?', 'c1')], 'c1')
>>> choices(forget(kept, "c1"))
[]
"""

from __future__ import annotations

import logging
import time
from typing import Any

from .conversation import Conversation

logger = logging.getLogger(__name__)

EMPTY: dict = {"current": None, "conversations": []}
MAX_CONVERSATIONS = 50
#: The exchanges kept in all conversations together. An exchange with its sources is ~7 kB of JSON (up to
#: ~15 kB), localStorage holds ~5 MB per site, and the page hands the whole value to the app after every
#: answer: ~1.4 MB at most, in whole conversations, the most recently used first.
MAX_KEPT_EXCHANGES = 200


def _entries(kept: Any) -> list[dict]:
    """The stored conversations, newest first; anything malformed (an old format, a hand edit) is skipped."""
    if not isinstance(kept, dict) or not isinstance(kept.get("conversations"), list):
        return []
    return [c for c in kept["conversations"]
            if isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("exchanges"), list)]


def remember(kept: Any, conversation: Conversation) -> dict:
    """``kept`` with ``conversation`` saved (replacing its older version), first in the list and current;
    the least recently used conversations go when there are more than ``MAX_CONVERSATIONS`` or more than
    ``MAX_KEPT_EXCHANGES`` exchanges in all (the current one always stays: it keeps ``MAX_EXCHANGES``).

    A conversation without exchanges is not saved: "New conversation" leaves no empty entries behind.
    """
    others = [c for c in _entries(kept) if c["id"] != conversation.id]
    if not len(conversation):
        return {"current": None, "conversations": _bounded(others)}
    entry = conversation.to_dict() | {"updated": time.time()}
    return {"current": conversation.id, "conversations": _bounded([entry] + others)}


def _bounded(entries: list[dict]) -> list[dict]:
    """The first entries, as many as ``MAX_CONVERSATIONS`` and ``MAX_KEPT_EXCHANGES`` allow (at least one)."""
    bounded, exchanges = [], 0
    for entry in entries[:MAX_CONVERSATIONS]:
        exchanges += len(entry["exchanges"])
        if bounded and exchanges > MAX_KEPT_EXCHANGES:
            break
        bounded.append(entry)
    return bounded


def current(kept: Any) -> Conversation | None:
    """The conversation that was open when the page was left, or None."""
    wanted = kept.get("current") if isinstance(kept, dict) else None
    return find(kept, wanted) if wanted else None


def find(kept: Any, conversation_id: str | None) -> Conversation | None:
    """A saved conversation by id, with its sources, or None."""
    for entry in _entries(kept):
        if entry["id"] == conversation_id:
            try:
                return Conversation.from_dict(entry)
            except (TypeError, ValueError):  # a stored entry this version cannot read: treat it as gone
                logger.warning("a saved conversation could not be read; it is skipped")
                return None
    return None


def reopen(kept: Any, conversation_id: str) -> tuple[dict, Conversation | None]:
    """``kept`` with ``conversation_id`` current, and that conversation (None when it is gone)."""
    conversation = find(kept, conversation_id)
    if conversation is None:
        return ({"current": None, "conversations": _entries(kept)}, None)
    return {"current": conversation.id, "conversations": _entries(kept)}, conversation


def rename(kept: Any, conversation_id: str, title: str) -> dict:
    """``kept`` with the conversation under a new name (an empty name: named after its first question).

    >>> from assistant.conversation import Exchange
    >>> kept = remember(EMPTY, Conversation((), "c1").add(Exchange("Wie?", error="x")))
    >>> choices(rename(kept, "c1", "Lonen in Pakistan"))
    [('Lonen in Pakistan', 'c1')]
    """
    conversation = find(kept, conversation_id)
    if conversation is None:
        return {"current": kept.get("current") if isinstance(kept, dict) else None, "conversations": _entries(kept)}
    renamed = conversation.renamed(title).to_dict()
    entries = [({**entry, **renamed} if entry["id"] == conversation_id else entry) for entry in _entries(kept)]
    return {"current": kept.get("current"), "conversations": entries}


def forget(kept: Any, conversation_id: str) -> dict:
    """``kept`` without the conversation; when it was the current one, none is current."""
    was_current = isinstance(kept, dict) and kept.get("current") == conversation_id
    return {"current": None if was_current else kept.get("current"),
            "conversations": [c for c in _entries(kept) if c["id"] != conversation_id]}


def choices(kept: Any) -> list[tuple[str, str]]:
    """(name, id) of every saved conversation, most recently used first, for the list in the app."""
    out = []
    for entry in _entries(kept):
        title = str(entry.get("title") or "")
        if not title:
            title = Conversation.from_dict({"id": entry["id"], "exchanges": entry.get("exchanges", [])[:1]}).name
        out.append((title or "…", entry["id"]))
    return out
