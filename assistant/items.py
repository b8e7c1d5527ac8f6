"""Numbered items of the documents' lists: "leerpunt 6", "lesson 6", "tip 3 of the ten tips", "het derde element".

A list is a section whose subsections are its items, in document order ("Acht leerpunten uit de pilot" >
"1. Een commercieel belang …"). A question that names an item by number or ordinal is about that one
item; its words seldom match the item's own text, so search finds the list by the noun ("leerpunt",
"tip") and the rest of the question, and the item by its position.

Hand-written because this is the structure of these documents (sections from cleaning.py), which no
retrieval library knows about.

>>> item_references("Kun je leerpunt 6 wat meer uitleggen?")
[ItemReference(noun='leerpunt', number=6, count=None)]
>>> item_references("What is tip 3 of the ten tips?")
[ItemReference(noun='tip', number=3, count=10)]
>>> item_references("Wat is het derde element van een betekenisvolle dialoog?")
[ItemReference(noun='element', number=3, count=None)]
>>> item_references("Wat zijn de 10 tips?")   # a count, not an item
[]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from .chunking import Chunk
from .text import stem_words

_NUMBERS = {
    "en": ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"],
    "nl": ["eerste", "tweede", "derde", "vierde", "vijfde", "zesde", "zevende", "achtste", "negende", "tiende"],
}
ORDINALS = {word: n for words in _NUMBERS.values() for n, word in enumerate(words, start=1)}
ORDINALS |= {f"{n}{suffix}": n for n in range(1, 11) for suffix in ("st", "nd", "rd", "th", "e", "ste", "de")}
CARDINALS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
             "ten": 10, "een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8,
             "negen": 9, "tien": 10} | {str(n): n for n in range(1, 21)}

#: The nouns that name an item of a list, each with the words that name the same kind of item in
#: either language (a question says "lesson", the heading "leerpunten").
NOUN_FAMILIES = [
    {"lesson", "learning", "leerpunt", "les", "lesson learned"},
    {"tip"},
    {"element", "onderdeel"},
    {"factor"},
    {"purpose", "doel", "reason", "reden"},
    {"step", "stap"},
    {"point", "punt"},
]
_NOUN = "|".join(sorted({word for family in NOUN_FAMILIES for word in family}, key=len, reverse=True))
# "leerpunt 6", "lesson #6", "tip nr. 3", "tip number 3"; a number before the noun counts ("10 tips").
_BY_NUMBER = re.compile(rf"\b({_NOUN})(?:en|s)?\s*(?:#|nr\.?|no\.?|number|nummer)?\s*(\d{{1,2}})\b(?![.,]\d)", re.I)
_BY_ORDINAL = re.compile(rf"\b({'|'.join(ORDINALS)})\s+({_NOUN})\b", re.I)
_COUNT = re.compile(rf"\b({'|'.join(CARDINALS)})\s+(?:\w+\s+)?({_NOUN})(?:en|s)\b", re.I)


@dataclass(frozen=True)
class ItemReference:
    noun: str
    number: int
    #: The list's length when the question names it ("tip 3 of the ten tips").
    count: int | None = None


def item_references(question: str) -> list[ItemReference]:
    """The list items a question names by number or ordinal."""
    counts = [CARDINALS[m.group(1).lower()] for m in _COUNT.finditer(question)]
    count = counts[0] if len(counts) == 1 else None
    found = [(m.group(1).lower(), int(m.group(2))) for m in _BY_NUMBER.finditer(question)]
    found += [(m.group(2).lower(), ORDINALS[m.group(1).lower()]) for m in _BY_ORDINAL.finditer(question)]
    return [ItemReference(noun, number, count) for noun, number in dict.fromkeys(found) if 1 <= number <= 20]


def _family_stems(noun: str) -> set[str]:
    family = next((f for f in NOUN_FAMILIES if noun in f), {noun})
    return {stem for word in family for lang in ("nl", "en") for stem in stem_words(word.split(), lang)}


@dataclass(frozen=True)
class ItemList:
    """A section and its subsections in order; ``text`` is the heading and opening of the section."""

    doc_id: str
    lang: str
    heading: str
    items: tuple[tuple[str, ...], ...]  # the section path of each item
    text: str

    def names(self, noun: str) -> float:
        """How the list calls its items ``noun`` (either language): 2 in its heading, 1 in its opening, else 0."""
        family = _family_stems(noun)
        for weight, text in ((2.0, self.heading), (1.0, self.text)):
            words = set(re.findall(r"[^\W\d_]+", text.lower()))
            # Plurals by hand too: the Dutch stemmer makes "factoren" "factoor", not "factor".
            words |= {w[:-2] for w in words if w.endswith("en")} | {w[:-1] for w in words if w.endswith("s")}
            if family & ({s for lang in ("nl", "en") for s in stem_words(sorted(words), lang)} | words):
                return weight
        return 0.0


def item_lists(chunks: Iterable[Chunk], min_items: int = 3) -> list[ItemList]:
    """Every section with at least ``min_items`` subsections, its items in document order."""
    ordered = sorted((c for c in chunks if c.role == "content"), key=lambda c: (c.doc_id, c.ordinal))
    children: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    openings: dict[tuple[str, str], str] = {}
    for chunk in ordered:
        if not chunk.section:
            continue
        key = (chunk.doc_id, chunk.section[0])
        openings.setdefault(key, f"{chunk.section[0]}\n{chunk.text if len(chunk.section) == 1 else ''}")
        if len(chunk.section) > 1 and chunk.section[:2] not in children.setdefault(key, []):
            children[key].append(chunk.section[:2])
    langs = {c.doc_id: c.lang for c in ordered}
    return [ItemList(doc_id, langs[doc_id], heading, tuple(items), openings[(doc_id, heading)])
            for (doc_id, heading), items in children.items() if len(items) >= min_items]


def resolve(reference: ItemReference, lists: list[ItemList], affinity: dict[tuple[str, str], float],
            lang: str) -> tuple[str, tuple[str, ...]] | None:
    """The (document, item section path) a reference names, or None when no list fits.

    ``affinity`` scores each (document, list heading) by how well the rest of the question matches it
    (the retrieval scores of its passages); a list must call its items by the reference's noun or have
    the length the question names; of a list in two languages, the question's wins.
    """
    fitting = []
    for item_list in lists:
        if reference.number > len(item_list.items):
            continue
        named = item_list.names(reference.noun)
        counted = reference.count == len(item_list.items)
        if not (named or counted):
            continue
        score = affinity.get((item_list.doc_id, item_list.heading), 0.0) + named + 2 * counted
        score += 0.5 * (item_list.lang == lang)
        fitting.append((score, item_list))
    if not fitting:
        return None
    best = max(fitting, key=lambda pair: pair[0])[1]
    return best.doc_id, best.items[reference.number - 1]
