"""Answers: the extractive default (no LLM needed) behind an interface a LangChain answerer can fill.

The extractive answerer quotes the best sentences of the retrieved passages, each followed by a
numbered citation [n] to its passage; the only text it adds is fixed connecting phrases.

>>> answer = ExtractiveAnswerer(embedder, settings).answer(query, passages)   # doctest: +SKIP
>>> answer.text                                                                # doctest: +SKIP
'According to the SER documents:\\n- Contact an international or local trade union. [1]'
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from .chunking import MIN_SENTENCE_CHARS, split_sentences
from .cleaning import FURNITURE_ROLES
from .items import item_references
from .retrieval import Passage, Query, asking_sentence
from .text import lexical_terms, stem_words, tokenize

logger = logging.getLogger(__name__)

PHRASES = {
    "en": {
        "intro": "According to the SER documents:",
        "intro_other": "According to the SER documents (quoted in Dutch, the language of the source):",
        "intro_translated": "According to the SER documents (Dutch sources, quoted in an unofficial English "
                            "translation; the originals are in the sources):",
        "intro_related": "The SER documents do not answer this directly; these passages are related:",
        "translated_mark": " (unofficial translation)",
        "original_mark": " (Dutch original; no translation available)",
        "partners": "For “{topic}”, the SER guidance points to these partners:",
        "overview": "“{topic}” in the SER documents:",
        "overview_other": "“{topic}” in the SER documents (quoted in Dutch, the language of the source):",
        "overview_translated": "“{topic}” in the SER documents (unofficial English translation of the Dutch source):",
        "abstain": "The SER documents I can search do not cover this question, so I cannot answer it. "
                   "Try asking about stakeholder dialogue, collaboration partners or due diligence in supply chains.",
    },
    "nl": {
        "intro": "Volgens de SER-documenten:",
        "intro_other": "Volgens de SER-documenten (geciteerd in het Engels, de taal van de bron):",
        "intro_translated": "Volgens de SER-documenten (geciteerd in het Engels, de taal van de bron):",
        "intro_related": "De SER-documenten beantwoorden dit niet rechtstreeks; deze passages gaan er wel over:",
        "translated_mark": " (onofficiële vertaling)",
        "original_mark": " (Engelstalig origineel)",
        "partners": "Voor “{topic}” wijst de SER-handreiking op deze partners:",
        "overview": "“{topic}” volgens de SER-documenten:",
        "overview_other": "“{topic}” volgens de SER-documenten (geciteerd in het Engels, de taal van de bron):",
        "overview_translated": "“{topic}” volgens de SER-documenten (geciteerd in het Engels, de taal van de bron):",
        "abstain": "De SER-documenten die ik kan doorzoeken gaan niet over deze vraag, dus ik kan die niet beantwoorden. "
                   "Stel gerust een vraag over stakeholderdialoog, samenwerkingspartners of due diligence in ketens.",
    },
}

# "Who should I partner with…", "Met wie werk ik samen…": a question about whom, not about collaboration.
PARTNER_QUESTION = re.compile(
    r"\bwho\b.{0,60}\b(partner|collaborat|cooperat|team up|join forces|work(?:ing)? (?:together )?with|contact|"
    r"approach|involve|engage|talk to|ask|help|assist|tell)|\bwho\b[^.?!]{0,80}\bwith\s*\?|\bwith whom\b|"
    r"\bwhich (?:partners?|organi[sz]ations?|parties)\b|"
    r"\bmet wie\b|\bwie\b.{0,60}\b(samenwerk|samen\s+werk|benader|inschakel|betrek|vragen)|"
    r"\bwelke (?:partners?|partij(?:en)?|organisaties?)\b",
    re.I,
)
# "List the 10 tips…", "Wat zijn de acht leerpunten?": a question for the parts of a section, not for one of them.
OVERVIEW_QUESTION = re.compile(
    r"\b(list|enumerate|overview|summari[sz]e|what are (?:the|all)|which are the|noem|geef (?:een )?overzicht|"
    r"opsomming|wat zijn (?:de|alle))\b.{0,60}\b(tips|lessons|learnings|factors|purposes|steps|"
    r"leerpunten|lessen|factoren|doelen|stappen)\b",
    re.I,
)
MIN_OVERVIEW_PARTS = 3
LIST_ITEMS = 8

# Answer types by question word: a "who" question is answered by a name, "how many" by a number.
ANSWER_TYPES = {
    "name": re.compile(r"^\W*(who|whom|which organi[sz]ations?|wie|welke organisaties?)\b", re.I),
    "amount": re.compile(r"\b(how much\b.{0,60}\b(cost|pay|charge)|how high|hoe hoog|what\b.{0,60}\bcosts?\b|price|fees?\b|fines?\b|"
                         r"penalt|boetes?\b|sancties?\b|kosten\b|"
                         r"(hoeveel|wat) kost|prijs|tarief)", re.I),
    "percentage": re.compile(r"\b(percent|percentage|procent)|%", re.I),
    "number": re.compile(r"\b(how (many|much|late|long|high)|hoeveel|hoe (veel|laat|lang|hoog))\b", re.I),
    # "When we set goals, …" asks about a situation, not a date: only questions for a year or a date count.
    "date": re.compile(r"\b(what|which|in welk|welk) (year|jaar|date|datum)\b|\b(since|sinds|vanaf) (when|wanneer)\b", re.I),
}
NUMBER_WORDS = r"\b(\d[\d.,]*|one|two|three|four|five|six|seven|eight|nine|ten|één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien)\b"
ANSWER_SHAPES = {
    "name": re.compile(r"(?<!^)(?<![.!?:] )\b[A-Z][\w&-]+(?: [A-Z][\w&-]+)*|\([A-Z]{2,}\)"),
    "amount": re.compile(r"[€$£]|\b(euros?|dollars?|rupees?|roepies?|EUR|USD|PKR|INR)\b", re.I),
    "percentage": re.compile(r"\d\s*%|\b(percent|procent)\b", re.I),
    "number": re.compile(NUMBER_WORDS, re.I),
    "date": re.compile(r"\b(19|20)\d\d\b|\b(januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|"
                       r"november|december|january|february|march|may|june|july|august|october)\b", re.I),
}


#: "Why does paying a fair price help…": a question for a reason, whatever quantity it names.
REASON_QUESTION = re.compile(r"\b(why|waarom|how come|hoe komt het)\b", re.I)


def answer_type(question: str) -> str | None:
    """The shape of answer a question asks for: a name, an amount of money, a number or a date; None for
    a question that asks why.

    >>> answer_type("Hoeveel pilots waren er?")
    'number'
    >>> answer_type("How much does a membership cost?")
    'amount'
    >>> answer_type("Waarom helpt het betalen van een eerlijke prijs?") is None
    True
    """
    if REASON_QUESTION.search(question):
        return None
    return next((name for name, pattern in ANSWER_TYPES.items() if pattern.search(question)), None)


@dataclass(frozen=True)
class Quote:
    """One quoted statement: what the answer shows, the SER's own words behind it, and its citation.

    ``translated``: ``text`` is the translation memory's unofficial English of the Dutch ``original``.
    """

    text: str
    original: str
    citation: int
    translated: bool = False


#: How strongly the passages answer the question (``Answer.confidence``).
DIRECT, RELATED = "direct", "related"


@dataclass(frozen=True)
class Answer:
    """What ``Assistant.ask`` returns. ``citations`` are the cited passages, in citation order.

    ``quotes``: the quoted statements, each with its original and citation number. ``confidence``:
    "direct" when a passage answers the question itself, "related" when the passages are only about
    its subject ("" for an abstention).
    """

    text: str
    lang: str
    citations: tuple[Passage, ...]
    abstained: bool
    question: str = ""
    passages: tuple[Passage, ...] = field(default=(), repr=False)
    notice: str = ""
    quotes: tuple[Quote, ...] = ()
    confidence: str = ""


class Answerer(Protocol):
    """Turns a question and its retrieved passages into an Answer (extractive now, an LLM later)."""

    def answer(self, query: Query, passages: list[Passage], family: list[Passage] | None = None) -> Answer: ...


def is_partner_question(question: str) -> bool:
    """Whether the question asks whom to work with.

    >>> is_partner_question("Met wie kan ik samenwerken om lonen te verifiëren?")
    True
    >>> is_partner_question("Who could we organise this with?")  # a "who ... with?" question
    True
    >>> is_partner_question("Hoe houd ik rekening met de beschikbaarheid van mijn samenwerkingspartner?")
    False
    """
    return PARTNER_QUESTION.search(question) is not None


def is_overview_question(question: str) -> bool:
    """
    >>> is_overview_question("Can you list the 10 tips for successful collaboration?")
    True
    >>> is_overview_question("Wat houdt de tip 'Avoid tight timelines' in?")
    False
    """
    return OVERVIEW_QUESTION.search(question) is not None


#: A question naming things no passage has (names, rare words) is declined unless a passage covers this much.
NAMED_UNKNOWN_COVERAGE = 0.8


def should_abstain(query: Query, passages: list[Passage], settings) -> bool:
    """Decline when no content passage is about what the question is about.

    Signals: the best passage's weighted share of the question's concepts (coverage); names, rare words
    or most of the words of the question appearing in no passage; and, for a question that asks for
    something specific (an amount, a number, a percentage, a date), whether a sentence that gives that
    kind of thing is also about what was asked: "the fine for paying less than the minimum wage" is
    not answered by a sentence with the minimum wage in rupees.

    Missing words are weak evidence when the model matches the question to a passage closely
    (``settings.sure_similarity``): a question in the asker's own words may share few words with the
    passage that answers it, and chat shorthand ("rly", "tbh") is no name the documents lack. The model does not
    overrule the checks for a specific thing asked (an amount, a date, a count): it cannot tell "the
    fine" from "the wage" in a sentence about both.
    """
    content = [p for p in passages if p.role not in FURNITURE_ROLES] or passages
    if not content or not query.concepts:
        return True
    wanted = answer_type(query.text)
    if wanted in SPECIFIC_TYPES and typed_coverage(query, content[:3], wanted) < settings.min_typed_coverage:
        return True
    counted = COUNTED.search(query.text) if wanted not in SPECIFIC_TYPES else None  # not "hoeveel kost(te)"
    if counted and not gives_count(query, content[:3], counted.group(1).lower()):
        return True
    if max(p.dense for p in content) >= settings.sure_similarity:
        return False
    coverage = max(p.coverage for p in content)
    named, unknown_share = _asked_unknown(query)
    if (named or unknown_share > 0.5) and coverage < NAMED_UNKNOWN_COVERAGE:
        return True
    return coverage < settings.min_term_coverage


#: "How many employees …", "hoeveel pensioenfondsen …": a question for the number of something.
COUNTED = re.compile(r"\b(?:how many|hoeveel)\s+(\w+)", re.I)
_NUMBER = re.compile(f"{NUMBER_WORDS}$", re.I)


def gives_count(query: Query, passages: list[Passage], noun: str) -> bool:
    """Whether a sentence of ``passages`` gives a number of ``noun`` (a number followed within three
    words by the noun or its translation: "in vier pilots", "two buying companies"); True when the noun
    is no concept of the question. "How many employees work at the supplier" is not answered by a
    passage about the supplier that counts nothing of the kind."""
    concept = next((c for c in query.concepts if c.word == noun), None)
    if concept is None:
        return True
    for candidate in _candidates(passages):
        words = tokenize(candidate.text)
        lang = passages[candidate.passage_rank].lang
        if any(_NUMBER.match(word) and concept.stems & set(stem_words(words[i + 1: i + 4], lang))
               for i, word in enumerate(words)):
            return True
    return False


#: A question that opens with its situation in a clause of its own ("Before we sign up an NGO in Ethiopia,
#: what should we ask?", "Als we in Vietnam inkopen, met wie …?"): group 1 is what it asks.
SITUATION_CLAUSE = re.compile(
    r"^\W*(?:before|after|if|when|as|since|now that|because|while|voordat|nadat|als|wanneer|nu|omdat|terwijl)\b"
    r"[^,?]{3,}?,\s*((?:what|how|who|whom|which|why|where|can|could|should|do|does|is|are|wat|hoe|wie|welke|"
    r"waarom|waar|kan|kunnen|moet|moeten|is|zijn|met wie)\b.*)$", re.I | re.S)


def _asking_part(question: str) -> str | None:
    """The sentence that asks, of a question of several sentences, or the clause after a situation clause
    of one sentence; None when the whole question asks."""
    if sentence := asking_sentence(question):
        return sentence[0]
    clause = SITUATION_CLAUSE.match(question)
    return clause.group(1) if clause else None


def _asked_unknown(query: Query) -> tuple[list[str], float]:
    """The unknown names among the words the question asks with, and the share of the question's words
    that are such unknown words: of a question told with its situation ("We source knitwear around
    Karachi. … From what amount to what amount?"), the words of the sentence that asks count as asked. A
    place or firm of the asker's own situation does not make the question one the documents cannot
    answer; a name in what is asked does ("What is the minimum wage in Punjab?")."""
    if not query.concepts:
        return [], 1.0
    asking = _asking_part(query.text)
    words = set(tokenize(asking)) if asking else None
    asked = [c for c in query.concepts if words is None or c.word in words]
    return [c.word for c in asked if c.salient], sum(c.unknown for c in asked) / len(query.concepts)


#: Answer types that a sentence must give itself (an amount, a percentage, a date). Not a name or a
#: number: they are everywhere in the documents, and on the dev split the coverage of the sentences that
#: have one did not tell answerable questions ("In how many pilots…") from others ("How many employees…").
SPECIFIC_TYPES = ("amount", "percentage", "date")


#: Nouns that name the quantity asked for ("the fine", "the fee"): the sentence giving the amount must name it too.
QUANTITY_NOUNS = re.compile(r"\b(fines?|penalt\w*|boetes?|sancties?|fees?|prices?|prijs|prijzen|tarie\w*|costs?|kosten|"
                            r"percentage|wages?|lonen|loon)\b", re.I)


def typed_coverage(query: Query, passages: list[Passage], wanted: str) -> float:
    """The best coverage of the question among the passages' sentences that have the wanted shape and name
    the quantity the question asks for, if it names one (0 if there is none)."""
    shape = ANSWER_SHAPES[wanted]
    asked = {m.lower() for m in QUANTITY_NOUNS.findall(query.text)}
    heads = [c.stems for c in query.concepts if c.word in asked]
    return max((query.coverage(set(c.terms)) for c in _candidates(passages)
                if shape.search(c.text) and all(stems & c.terms for stems in heads)), default=0.0)


@dataclass(frozen=True)
class _Candidate:
    passage_rank: int
    position: int
    text: str
    is_item: bool
    terms: frozenset[str]


# Sentences in a passage that address a model rather than the reader. Documents are data: such a sentence
# is never quoted, nor put in a prompt (a maintainer may add a document nobody has read closely).
INSTRUCTION_LIKE = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|rules|prompt|above)\b|\b(negeer|vergeet)\b.{0,40}"
    r"\b(instructies?|regels|opdracht)\b|\byou are now\b|\bsystem prompt\b|</?(passages?|question|system)\b",
    re.I,
)


def _candidates(passages: list[Passage]) -> list[_Candidate]:
    out = []
    for rank, passage in enumerate(passages):
        position = 0
        for line in passage.text.split("\n"):
            is_item = line.startswith("- ")
            units = [line[2:]] if is_item else split_sentences(line)
            for unit in units:
                if len(unit) >= (3 if is_item else MIN_SENTENCE_CHARS) and not INSTRUCTION_LIKE.search(unit):
                    out.append(_Candidate(rank, position, unit, is_item, frozenset(lexical_terms(unit, passage.lang))))
                    position += 1
    return out


def _redundant(candidate: _Candidate, chosen: list[_Candidate]) -> bool:
    """Says what a chosen sentence already says (most of its terms are shared)."""
    return any(candidate.text == o.text or
               len(candidate.terms & o.terms) > 0.6 * max(1, min(len(candidate.terms), len(o.terms))) for o in chosen)


def _opening(passage: Passage, sentences: int) -> str:
    """The first ``sentences`` sentences of a passage's first line (a subsection's opening words); an
    opening that ends in a colon brings the list items it announces."""
    lines = passage.text.split("\n")
    opening = " ".join(split_sentences(lines[0].removeprefix("- "))[:sentences])
    if opening.rstrip().endswith(":"):
        items = [line[2:].rstrip(" .;") for line in lines[1:] if line.startswith("- ")][:LIST_ITEMS]
        opening = f"{opening} {'; '.join(items)}." if items else opening
    return opening


class ExtractiveAnswerer:
    """Picks the sentences that best answer the question, cites each, adds only fixed phrases.

    ``retriever`` (optional) gives the model's question-to-sentence relevance and the translation
    memory, which shows an English reader the English of a Dutch-only source.
    """

    def __init__(self, settings, retriever=None) -> None:
        self.settings = settings
        self.retriever = retriever

    def answer(self, query: Query, passages: list[Passage], family: list[Passage] | None = None) -> Answer:
        lang = query.lang if query.lang in PHRASES else "en"
        if should_abstain(query, passages, self.settings):
            return Answer(PHRASES[lang]["abstain"], lang, (), True, query.text, tuple(passages))
        usable = [p for p in passages if p.role not in FURNITURE_ROLES] or passages
        if self.retriever is not None:  # quote the version in the asker's language of a translated document
            usable = self.retriever.in_language(usable, lang, query)
        if family and is_overview_question(query.text):
            answer = self._overview_answer(query, family, lang)
            if answer is not None:
                return replace(answer, confidence=DIRECT)
        if family and is_partner_question(query.text):
            answer = self._partner_answer(query, usable, family, lang)
            if answer is not None:
                return replace(answer, confidence=DIRECT)
        chosen = self._select(query, usable, self.settings.answer_sentences)
        other_language = bool(chosen) and all(usable[c.passage_rank].lang != lang for c in chosen)
        intro = PHRASES[lang]["intro_other" if other_language else "intro"]
        quotes = [(usable[c.passage_rank], c.text) for c in chosen]
        if quotes and item_references(query.text) and _is_item(quotes[0][0]) and \
                quotes[0][0].section_path[-1] not in quotes[0][0].text:
            quotes.insert(0, (quotes[0][0], quotes[0][0].section_path[-1]))  # "6. Bespreek niet alles …" first
        quotes = self._with_announced(query, quotes)
        confident = self._confident(query, usable, chosen)
        if not confident:
            intro = PHRASES[lang]["intro_related"]
        shown = list(passages)
        shown += [p for p, _ in quotes if all(p.chunk_id != q.chunk_id for q in shown)]
        shown += [p for p in usable if all(p.chunk_id != q.chunk_id for q in shown)]
        answer = self._compose(query, intro, quotes, shown, lang)
        return replace(answer, confidence=DIRECT if confident else RELATED) if not answer.abstained else answer

    def _with_announced(self, query: Query, quotes: list[tuple[Passage, str]]) -> list[tuple[Passage, str]]:
        """A quoted sentence that ends its passage with a colon announces what the subsections under it
        say ("Three elements matter:" followed by the sections Commitment, Contact, Knowledge): each
        subsection follows it by its heading and opening sentence, as an item of a list would."""
        if self.retriever is None:
            return quotes
        announced: dict[int, list[tuple[Passage, str]]] = {}
        for index, (passage, text) in enumerate(quotes):
            if text.rstrip().endswith(":") and passage.text.rstrip().endswith(text.strip()):
                parts = []
                for part in self.retriever.subsections(passage, query)[:LIST_ITEMS]:
                    own = [t for p, t in quotes if p.chunk_id == part.chunk_id] or [_opening(part, 1)]
                    if own[0] and own[0] not in query.avoid:
                        parts += [(part, f"{part.section_path[-1]}: {own[0]}")] + [(part, t) for t in own[1:]]
                announced[index] = parts
        # A subsection the answer quotes anyway moves under the introduction that announces it.
        moved = {p.chunk_id for parts in announced.values() for p, _ in parts}
        out: list[tuple[Passage, str]] = []
        for index, (passage, text) in enumerate(quotes):
            if passage.chunk_id not in moved:
                out += [(passage, text)] + announced.get(index, [])
        return out

    def _confident(self, query: Query, passages: list[Passage], chosen: list[_Candidate]) -> bool:
        """Whether a quoted sentence answers the question itself (the model's relevance, calibrated on the
        dev split), rather than the passages only sharing its subject."""
        if self.retriever is None or not chosen:
            return True
        best = max((self.retriever.sentence_similarity(query, passages[c.passage_rank], c.text) or 0.0)
                   for c in chosen)
        return best >= self.settings.min_answer_similarity

    # --- selection -----------------------------------------------------------------------------

    def _scores(self, query: Query, candidates: list[_Candidate],
                ranked: bool = True) -> np.ndarray:
        """Coverage of the question's weighted concepts, a prior for the passage's rank, and a bonus when
        the sentence has the shape of the expected answer (a name, a number, a date).

        (The model's question-to-sentence relevance was tried beside coverage, at weights 0.3-10, scaled
        and raw: must-mention on the dev split fell from 0.757 to 0.70-0.74; it decides confidence instead.)
        """
        coverage = np.array([query.coverage(set(c.terms)) for c in candidates])
        prior = np.array([1.0 / (1 + c.passage_rank) if ranked else 1.0 for c in candidates])
        wanted = answer_type(query.text)
        shape = ANSWER_SHAPES.get(wanted) if wanted else None
        typed = np.array([0.3 if shape and shape.search(c.text) else 0.0 for c in candidates])
        shown = np.array([1.0 if c.text in query.avoid else 0.0 for c in candidates])  # a follow-up wants news
        return coverage + 0.5 * prior + typed - shown

    def _select(self, query: Query, passages: list[Passage], limit: int, anchors: int = 3) -> list[_Candidate]:
        """The best sentence of the best passages, each with the sentence before it and the one(s) after it.

        The sentence that echoes the question is often not the one that answers it: the answer may
        follow it ("… X matters. Because Y.") or precede it ("X requires Y. That is hard from afar."),
        so each anchor brings its neighbours along while the budget lasts. An anchor in a numbered item
        (a tip, a lesson) brings the whole item.
        """
        candidates = _candidates(passages)
        if not candidates:
            return []
        scores = self._scores(query, candidates)
        chosen: list[_Candidate] = []
        used_passages: list[int] = []
        for index in np.argsort(-scores):
            anchor = candidates[index]
            if anchor.passage_rank in used_passages or _redundant(anchor, chosen):
                continue
            used_passages.append(anchor.passage_rank)
            chosen.append(anchor)
            same = [c for c in candidates if c.passage_rank == anchor.passage_rank]
            following = [c for c in same if c.position > anchor.position]
            if _is_item(passages[anchor.passage_rank]) and len(same) <= LIST_ITEMS:
                chosen += [c for c in same if c is not anchor and not _redundant(c, chosen)]
            elif anchor.text.rstrip().endswith(":"):  # a sentence that opens a list brings the list along
                chosen += [c for c in following if c.is_item][:LIST_ITEMS]
            else:  # the best passage gets more room: two sentences after its anchor, others one
                preceding = [c for c in same if c.position == anchor.position - 1 and not c.is_item]
                for neighbour in preceding + following[: 2 if len(used_passages) == 1 else 1]:
                    if len(chosen) < limit and not _redundant(neighbour, chosen):
                        chosen.append(neighbour)
            if len(chosen) >= limit or len(used_passages) >= anchors:
                break
        return sorted(chosen[: max(limit, LIST_ITEMS + 1)], key=lambda c: (c.passage_rank, c.position))

    def _partner_answer(self, query: Query, passages: list[Passage], family: list[Passage], lang: str) -> Answer | None:
        """'Who should I partner with for X?': the concrete partner types of X's section, and its example.

        The list items of the section family carry the partner types; the last subsection's opening
        sentences (the section's practical example in the SER documents) follow under its own heading.
        """
        items = [(p, c) for p in family for c in _candidates([p]) if c.is_item and c.text not in query.avoid]
        if len(items) > 5:
            scores = self._scores(query, [c for _, c in items], ranked=False)
            items = [items[i] for i in sorted(np.argsort(-scores)[:5])]
        quotes = [(p, c.text) for p, c in items]
        if not quotes:  # a section without a list of partners (a case study): answered like any question
            return None
        last = family[-1]
        if len(last.section_path) > 1 and all(p.chunk_id != last.chunk_id for p, _ in quotes) and not any(
                s in last.text for s in query.avoid):
            quotes.append((last, f"{last.section_path[-1]}: {_opening(last, 2)}"))
        if not quotes:
            return None
        intro = PHRASES[lang]["partners"].format(topic=family[0].section_path[0])
        return self._compose(query, intro, quotes, passages + family, lang)

    def _overview_answer(self, query: Query, family: list[Passage], lang: str) -> Answer | None:
        """'List the 10 tips…': each subsection of the best passage's section, by its heading and opening."""
        firsts: dict[str, Passage] = {}
        for passage in family:  # in document order
            if len(passage.section_path) > 1:
                firsts.setdefault(passage.section_path[1], passage)
        if len(firsts) < MIN_OVERVIEW_PARTS:
            return None
        quotes = [(p, f"{heading}: {_opening(p, 1)}") for heading, p in firsts.items() if _opening(p, 1)]
        key = "overview" if family[0].lang == lang else "overview_other"
        intro = PHRASES[lang][key].format(topic=family[0].section_path[0])
        return self._compose(query, intro, quotes, family, lang)

    # --- composition ---------------------------------------------------------------------------

    def _shown(self, passage: Passage, text: str, lang: str) -> tuple[str, bool, str]:
        """What an answer in ``lang`` shows for a quote: (text, translated, mark). An English reader gets the
        translation memory's English of a Dutch-only source, marked; a quote with none stays Dutch, noted."""
        if passage.lang == lang:
            return text, False, ""
        english = self.retriever.glossary.translation(text) if self.retriever and lang == "en" else None
        if english:
            return english, True, PHRASES[lang]["translated_mark"]
        return text, False, PHRASES[lang]["original_mark"] if lang == "en" else ""

    def _compose(self, query: Query, intro: str, quotes: list[tuple[Passage, str]], retrieved: list[Passage],
                 lang: str) -> Answer:
        citations: list[Passage] = []
        shown: list[Quote] = []
        lines = []
        for passage, text in quotes:
            if passage.chunk_id not in [c.chunk_id for c in citations]:
                citations.append(passage)
            number = [c.chunk_id for c in citations].index(passage.chunk_id) + 1
            display, translated, mark = self._shown(passage, text, lang)
            shown.append(Quote(display, text, number, translated))
            lines.append(f"- {display}{mark} [{number}]")
        if not citations:
            return Answer(PHRASES[lang]["abstain"], lang, (), True, query.text, tuple(retrieved))
        if any(q.translated for q in shown):
            intro = _translated_intro(intro, lang)
        return Answer("\n".join([intro] + lines), lang, tuple(citations), False, query.text, tuple(retrieved),
                      quotes=tuple(shown))


def _translated_intro(intro: str, lang: str) -> str:
    """The intro for quotes shown in translation (the "quoted in Dutch" intros no longer hold)."""
    for key, translated in (("intro_other", "intro_translated"), ("intro", "intro_translated")):
        if intro == PHRASES[lang][key]:
            return PHRASES[lang][translated]
    overview = PHRASES[lang]["overview_other"].split("{topic}")[1]
    if intro.endswith(overview):
        return intro[: -len(overview)] + PHRASES[lang]["overview_translated"].split("{topic}")[1]
    return intro


def _is_item(passage: Passage) -> bool:
    """A numbered subsection ("6. Bespreek niet alles in één keer…", "3. Build trust"): a tip or lesson."""
    return len(passage.section_path) > 1 and re.match(r"\d{1,2}\.\s", passage.section_path[-1]) is not None
