"""The partner finder: the "Who to partner up with?" guidance as a guided choice, read from the index.

The knowledge documents are built the same way: a few top-level sections (the collaboration
purposes) share the same subsections (theory, practice, practical example), and other top-level
sections hold numbered tips. Nothing here names a heading: purposes are the top-level sections
whose subsection headings recur under other top-level sections; the subsection with the most
list items is the practice (partner types), the last recurring one the practical example; tips are
the subsections of the remaining top-level sections.

>>> guide = PartnerGuide.build(a.chunks, a.documents)                     # doctest: +SKIP
>>> [p.title for p in guide.purposes("en")][:1]                           # doctest: +SKIP
['Gathering knowledge or verifying information']
>>> find_partners(a, guide, 0, "en", topic="trade union").partners[0].text   # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from .chunking import Chunk, split_sentences
from .citations import passage_from_chunk
from .cleaning import FURNITURE_ROLES
from .corpus import Document
from .retrieval import Passage
from .text import lexical_terms

logger = logging.getLogger(__name__)

KNOWLEDGE_KIND = "knowledge document"
MAX_TIPS = 4
MAX_PRACTICE_SENTENCES = 4
#: Share of the topic's (weighted) concepts a text must mention to count as being about it.
MIN_TOPIC_COVERAGE = 0.5

#: text -> share of the stakeholder or topic it mentions (0 to 1).
Matcher = Callable[[str], float]


@dataclass(frozen=True)
class Cited:
    """One item shown to the user, with the passage it is quoted from."""

    text: str
    passage: Passage
    matches_topic: bool = False


@dataclass(frozen=True)
class Purpose:
    """A collaboration purpose: a top-level section of a knowledge document. ``index`` is its position
    among the purposes, the same in a document and its translation."""

    index: int
    title: str
    doc_id: str
    lang: str


@dataclass(frozen=True)
class Recommendation:
    """What the partner finder shows for one purpose (and optional stakeholder or topic)."""

    purpose: Purpose
    topic: str
    partners: tuple[Cited, ...]
    partners_are_list: bool
    example: tuple[Cited, ...]
    tips: tuple[Cited, ...]
    tips_match_topic: bool

    @property
    def citations(self) -> tuple[Passage, ...]:
        """Every passage shown, once, in the order they first appear (their numbers are 1-based)."""
        seen: dict[str, Passage] = {}
        for item in self.partners + self.example + self.tips:
            seen.setdefault(item.passage.chunk_id, item.passage)
        return tuple(seen.values())

    def number(self, item: Cited) -> int:
        """The citation number of an item's passage."""
        return [p.chunk_id for p in self.citations].index(item.passage.chunk_id) + 1


@dataclass(frozen=True)
class _DocumentGuide:
    purposes: tuple[Purpose, ...]
    practice: dict[int, tuple[Chunk, ...]]
    example: dict[int, tuple[Chunk, ...]]
    tips: tuple[Chunk, ...]


def _list_items(chunk: Chunk) -> list[str]:
    return [line[2:].strip() for line in chunk.text.split("\n") if line.startswith("- ")]


def _document_guide(doc_chunks: list[Chunk]) -> _DocumentGuide | None:
    content = [c for c in doc_chunks if c.role not in FURNITURE_ROLES]
    tops: dict[str, list[Chunk]] = {}
    for chunk in content:
        if chunk.section:
            tops.setdefault(chunk.section[0], []).append(chunk)
    subheadings = {top: list(dict.fromkeys(c.section[1] for c in cs if len(c.section) > 1)) for top, cs in tops.items()}
    counts = Counter(h for heads in subheadings.values() for h in heads)
    recurring = [h for h in dict.fromkeys(h for heads in subheadings.values() for h in heads) if counts[h] > 1]
    purpose_tops = [top for top, heads in subheadings.items() if sum(h in recurring for h in heads) >= 2]
    if len(recurring) < 2 or len(purpose_tops) < 2:
        return None
    example_heading = recurring[-1]
    items = Counter()
    for chunk in content:
        if len(chunk.section) > 1 and chunk.section[1] in recurring[:-1]:
            items[chunk.section[1]] += len(_list_items(chunk))
    practice_heading = max(recurring[:-1], key=lambda h: (items[h], -recurring.index(h)))
    purposes, practice, example = [], {}, {}
    for index, top in enumerate(purpose_tops):
        chunks = tops[top]
        purposes.append(Purpose(index, top, chunks[0].doc_id, chunks[0].lang))
        practice[index] = tuple(c for c in chunks if c.section[1:2] == (practice_heading,))
        example[index] = tuple(c for c in chunks if c.section[1:2] == (example_heading,))
    tips = tuple(c for top, cs in tops.items() if top not in purpose_tops and subheadings[top]
                 for c in cs if len(c.section) > 1)
    return _DocumentGuide(tuple(purposes), practice, example, tips)


class PartnerGuide:
    """The collaboration purposes of the knowledge documents, per language, and what each recommends."""

    def __init__(self, guides: dict[str, _DocumentGuide]) -> None:
        self._guides = dict(guides)

    @classmethod
    def build(cls, chunks: Iterable[Chunk], documents: Iterable[Document]) -> PartnerGuide:
        """Read the purposes from the index's chunks; one guide per language (the first document wins).

        >>> PartnerGuide.build(a.chunks, a.documents).languages          # doctest: +SKIP
        ('nl', 'en')
        """
        all_chunks = sorted(chunks, key=lambda c: c.ordinal)
        guides: dict[str, _DocumentGuide] = {}
        for document in documents:
            if document.kind != KNOWLEDGE_KIND or document.lang in guides:
                continue
            guide = _document_guide([c for c in all_chunks if c.doc_id == document.id])
            if guide is None:
                logger.info("knowledge document %s has no purpose sections; not in the partner finder", document.id)
            else:
                guides[document.lang] = guide
        return cls(guides)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages that have a guide."""
        return tuple(self._guides)

    def _guide(self, lang: str) -> _DocumentGuide | None:
        return self._guides.get(lang) or next(iter(self._guides.values()), None)

    def purposes(self, lang: str) -> tuple[Purpose, ...]:
        """The purposes in ``lang`` (or in another language when no knowledge document has ``lang``)."""
        guide = self._guide(lang)
        return guide.purposes if guide else ()

    def tips(self, lang: str) -> tuple[Chunk, ...]:
        """The tip passages of the guide in ``lang``, in reading order."""
        guide = self._guide(lang)
        return guide.tips if guide else ()

    def recommend(self, index: int, lang: str, topic: str = "", matches: Matcher | None = None,
                  tip_ranking: Sequence[str] = ()) -> Recommendation:
        """Partner types, the practical example and the relevant tips of purpose ``index``.

        ``matches`` scores a text against the stakeholder or topic (see ``topic_matcher``): partner
        types that mention it come first, and the tips that mention it are shown. Without a topic, or
        when no tip mentions it, the first tips of ``tip_ranking`` (chunk ids, best first) are shown.

        >>> guide.recommend(1, "nl").purpose.title                        # doctest: +SKIP
        'Toegang tot een netwerk of relevante stakeholders om inclusie en veiligheid te bevorderen'
        """
        guide = self._guide(lang)
        if guide is None or not 0 <= index < len(guide.purposes):
            raise IndexError(f"no purpose {index} in language {lang!r}")
        topic = topic.strip()
        score = matches if (matches is not None and topic) else (lambda text: 0.0)
        practice = guide.practice[index]
        items = [(text, chunk) for chunk in practice for text in _list_items(chunk)]
        if items:
            partners = [Cited(text, passage_from_chunk(c), score(text) >= MIN_TOPIC_COVERAGE) for text, c in items]
        else:  # a practice section without a list: its first sentences say what to do
            partners = [Cited(s, passage_from_chunk(c), score(s) >= MIN_TOPIC_COVERAGE) for c in practice[:1]
                        for s in split_sentences(c.text.replace("\n", " "))[:MAX_PRACTICE_SENTENCES]]
        partners.sort(key=lambda item: not item.matches_topic)  # stable: document order otherwise
        example = tuple(Cited(c.text, passage_from_chunk(c)) for c in guide.example[index])
        tip_scores = {c.id: score(f"{c.section_label}\n{c.text}") for c in guide.tips}
        matching = sorted((c for c in guide.tips if tip_scores[c.id] >= MIN_TOPIC_COVERAGE),
                          key=lambda c: -tip_scores[c.id])
        if matching:
            tips = [Cited(c.text, passage_from_chunk(c), True) for c in matching[:MAX_TIPS]]
        else:
            by_id = {c.id: c for c in guide.tips}
            ranked = [by_id[i] for i in dict.fromkeys(tip_ranking) if i in by_id]
            tips = [Cited(c.text, passage_from_chunk(c)) for c in ranked[:MAX_TIPS - 1]]
        return Recommendation(guide.purposes[index], topic, tuple(partners), bool(items), example, tuple(tips),
                              bool(matching))


def topic_matcher(assistant, topic: str) -> Matcher:
    """Scores a text by the share of the topic's concepts it mentions, with the retriever's analysis of the
    topic (stemming, Dutch compounds, the glossary: "vakbond" matches "trade union"). The topic is read
    as Dutch and as English, since a two-word topic says little about its language.

    >>> topic_matcher(a, "vakbond")("Collaborate with a local trade union.")   # doctest: +SKIP
    1.0
    """
    queries = [assistant.retriever.analyse(topic, lang) for lang in ("nl", "en")]

    def matches(text: str) -> float:
        terms = set(lexical_terms(text, "nl")) | set(lexical_terms(text, "en"))
        return max(query.coverage(terms) for query in queries)

    return matches


def find_partners(assistant, guide: PartnerGuide, index: int, lang: str, topic: str = "") -> Recommendation:
    """The partner finder's answer: ``guide.recommend`` with the topic matched and the tips ranked
    by the assistant's retriever (the purpose's title as the query).

    >>> find_partners(a, guide, 0, "en", "trade union").tips[0].passage.section   # doctest: +SKIP
    '7 tips for effective collaboration with partners in production countries > 3. Caution in the face of distrust'
    """
    purpose = guide.purposes(lang)[index]
    matches = topic_matcher(assistant, topic) if topic.strip() else None
    tip_ids = {c.id for c in guide.tips(lang)}
    # Every passage ranked: more than the public API's k allows, so through the retriever itself.
    passages = assistant.retriever.search(purpose.title, k=len(assistant.chunks), lang=purpose.lang)
    ranking = [p.chunk_id for p in passages if p.chunk_id in tip_ids]
    return guide.recommend(index, lang, topic, matches, ranking)
