"""The only place where ranking lives: dense + BM25, fused by reciprocal rank, language-aware.

>>> hits = retriever.search("Who can verify wage information in Pakistan?", k=3)   # doctest: +SKIP
>>> hits[0].title                                                                   # doctest: +SKIP
'Meaningful stakeholder dialogue: Who to partner up with?'
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from functools import cache
from typing import Any, Literal

import numpy as np
from threadpoolctl import ThreadpoolController
from wordfreq import zipf_frequency

from .chunking import Chunk, split_sentences
from .cleaning import FURNITURE_ROLES
from .embedding import Embedder
from .glossary import Glossary
from .indexing import SENTENCE_SUFFIX, record_id, record_owner
from .items import item_lists, item_references, resolve
from .lexical import LexicalIndex, query_terms, translated_terms
from .store import Contents, VectorStore
from .text import (LANGUAGES, STOPWORDS, detect_language, is_everyday, label_term, labelled_mentions,
                   lexical_terms, split_compound, stem_words, tokenize)

logger = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]
MIN_DENSE_RECORDS = 2000  # vectors scored per dense query at the least, when Chroma searches
#: Up to this many vectors are searched exactly, as one matrix product in memory (a few thousand take
#: microseconds, where Chroma's HNSW asked for every record took ~10 ms); a larger index asks Chroma.
MAX_EXACT_RECORDS = 200_000


#: Added to the model's similarity of two passages that are items of the same number, when aligning a
#: document with its translation (the model's similarities of passages of one document lie within ~0.1).
ITEM_NUMBER_BONUS = 0.05


def _item_number(chunk: Chunk) -> str | None:
    """The number of a numbered item's heading ("10. Vermijd een krappe tijdlijn" -> "10")."""
    match = re.match(r"(\d+)[.)]\s", chunk.section[-1]) if len(chunk.section) > 1 else None
    return match.group(1) if match else None


def monotone_alignment(similarity: np.ndarray) -> list[int]:
    """For each row, a column, never decreasing from row to row, so that the summed similarity is the
    highest (several rows may share a column, and columns may be skipped: the versions of a document
    keep its order but not always its passage boundaries).

    A small dynamic programme, O(rows x columns), written here because the libraries for sequence
    alignment (DTW and the like) force every row and column to be matched.

    >>> monotone_alignment(np.array([[0.9, 0.1, 0.0], [0.2, 0.1, 0.8], [0.0, 0.7, 0.6]]))
    [0, 2, 2]
    """
    rows, columns = similarity.shape
    if not rows or not columns:
        return [0] * rows
    best = similarity[0].copy()
    back = np.zeros((rows, columns), dtype=np.int64)
    for row in range(1, rows):
        # the best end so far at or before each column (and where it is)
        where = np.zeros(columns, dtype=np.int64)
        for column in range(1, columns):
            where[column] = column if best[column] >= best[where[column - 1]] else where[column - 1]
        back[row] = where
        best = similarity[row] + best[where]
    path = [int(np.argmax(best))]
    for row in range(rows - 1, 0, -1):
        path.append(int(back[row][path[-1]]))
    return path[::-1]


@cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread():
    """A context in which numpy's BLAS uses one thread. A question's products are small (a vector against
    at most a few hundred thousand rows), and OpenBLAS splitting one over both cores of a busy 2-core
    machine made it 100x slower (8 ms instead of 0.08 ms for 1,448 rows), the threads waiting on each
    other and on the model's; one thread was faster at 169k rows too. Scoped, so a caller's own numpy
    work keeps its threads."""
    return _blas().limit(limits=1, user_api="blas")


def _grouped_rows(row_chunk: np.ndarray, selected: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``selected`` rows ordered by their passage (``row_chunk``), where each passage's run starts, and
    which passage each run is: ``np.maximum.reduceat`` over them gives each passage's best row at once
    (``np.maximum.at`` row by row took ~10 ms a question at 170k vectors)."""
    rows = np.flatnonzero(selected)
    rows = rows[np.argsort(row_chunk[rows], kind="stable")]
    owners = row_chunk[rows]
    starts = np.flatnonzero(np.concatenate(([True], owners[1:] != owners[:-1]))) if len(rows) else rows
    return rows, starts, owners[starts]


@dataclass(frozen=True)
class Passage:
    """A retrieved passage, best first. ``section`` is the path joined with ' > '."""

    text: str
    doc_id: str
    title: str
    lang: str
    section: str
    score: float
    chunk_id: str
    role: str
    section_path: tuple[str, ...]
    dense: float = 0.0
    lexical: float = 0.0
    coverage: float = 0.0

    @classmethod
    def from_chunk(cls, chunk: Chunk, score: float = 0.0, **signals: float) -> Passage:
        """A chunk as a citable Passage; ``signals`` are the retrieval scores (dense, lexical, coverage)."""
        return cls(text=chunk.text, doc_id=chunk.doc_id, title=chunk.title, lang=chunk.lang,
                   section=chunk.section_label, score=score, chunk_id=chunk.id, role=chunk.role,
                   section_path=chunk.section, **signals)

    @property
    def label(self) -> str:
        """How a citation names its source: document title and section."""
        return f"{self.title} — {self.section}" if self.section else self.title


@dataclass(frozen=True)
class Concept:
    """A content word of the question with every stem that counts as mentioning it."""

    word: str
    stems: frozenset[str]
    weight: float
    unknown: bool = False
    salient: bool = False
    #: Corpus stems found for a word the corpus does not have as such (a typo or another inflection).
    corrected: frozenset[str] = frozenset()


UNKNOWN_SALIENT_WEIGHT = 6.0


def asking_sentence(question: str) -> list[str]:
    """The last sentence that asks, of a question of several sentences ([] for one sentence).

    >>> asking_sentence("We buy from Pakistan. The wage went up. Who should we talk to?")
    ['Who should we talk to?']
    >>> asking_sentence("Who should we talk to?")
    []
    """
    sentences = [s for s in re.split(r"(?<=[.?!])\s+", question.strip()) if s]
    asking = [s for s in sentences if s.endswith("?")]
    return asking[-1:] if len(sentences) > 1 else []


def _content_words(question: str) -> list[str]:
    """Content words of a question; stopwords of both languages go (questions mix them)."""
    return list(dict.fromkeys(
        t for t in tokenize(question)
        if t not in STOPWORDS["nl"] and t not in STOPWORDS["en"] and len(t.replace("’s", "")) > 2
    ))


def _inflection_of(word: str, other: str) -> bool:
    """Whether a word of six letters or more is a form of ``other``: ``other`` starts with all of it but
    its last two letters ("nakomt" ~ "nakomen"), or is a shorter stem all of which but its last letter
    it starts with ("pakistaanse" ~ "pakistan", "indiase" ~ "india").

    >>> _inflection_of("pakistaanse", "pakistan"), _inflection_of("training", "trainer")
    (True, False)
    """
    if len(word) < 6:
        return False
    if other.startswith(word[: max(5, len(word) - 2)]):
        return True
    shared = len(os.path.commonprefix([word, other]))
    return 0.7 * len(word) <= len(other) < len(word) and shared >= max(5, len(other) - 1)


def _is_salient(word: str, question: str, lang: str) -> bool:
    """A name, acronym or rare word: capitalised inside the question, or rare in general language."""
    if re.search(rf"(?<![.!?]\s)(?<!^)\b{re.escape(word)}", question, re.I | re.M):
        for match in re.finditer(rf"\b{re.escape(word)}", question, re.I):
            original = question[match.start(): match.end()]
            if original[:1].isupper() and match.start() > 0 and question[: match.start()].rstrip()[-1:] not in ".!?":
                return True
    # A dictionary word or a typo of one ("realy", "samenwerkne") is no name, however rare in print.
    return zipf_frequency(word, lang) < 3.0 and not is_everyday(word, lang)


@dataclass(frozen=True)
class Query:
    text: str
    lang: str
    terms: tuple[str, ...]
    translated: tuple[str, ...]
    translations: tuple[str, ...]
    concepts: tuple[Concept, ...]
    #: Sentences the user has already been shown (a follow-up wants something new).
    avoid: frozenset[str] = frozenset()
    #: The question's embeddings (the question, and for a Dutch one its English rendering).
    vectors: Any = field(default=None, compare=False, repr=False)

    @property
    def unknown_share(self) -> float:
        """Share of the question's content words that no passage contains."""
        return sum(c.unknown for c in self.concepts) / len(self.concepts) if self.concepts else 1.0

    @property
    def salient_unknown(self) -> list[str]:
        """Names or rare words of the question that no passage contains."""
        return [c.word for c in self.concepts if c.salient]

    def coverage(self, stems: set[str]) -> float:
        """Share of the question's weighted concepts that ``stems`` mention (0 when it has none)."""
        total = sum(c.weight for c in self.concepts)
        if not total:
            return 0.0
        return sum(c.weight for c in self.concepts if c.stems & stems) / total


class Retriever:
    def __init__(
        self,
        chunks: list[Chunk],
        store: VectorStore,
        embedder: Embedder,
        glossary: Glossary,
        translations: dict[str, set[str]],
        settings,
        contents: Contents | None = None,
        lexical: LexicalIndex | None = None,
    ) -> None:
        """``contents``: the store's records, when the caller has read them already (else they are read from
        ``store``, in one pass). ``lexical``: the passages' ``lexical_index``, when it was kept (else it is built)."""
        self.chunks = {c.id: c for c in chunks}
        self.store = store
        self.embedder = embedder
        self.glossary = glossary
        self.translations = translations
        self.settings = settings
        self._doc_lang = {c.doc_id: c.lang for c in chunks}
        self.lexical = lexical or self.lexical_index(chunks)
        contents = store.contents(record_owner) if contents is None else contents
        # Up to MAX_EXACT_RECORDS vectors are searched in memory; past that, Chroma is asked, and its record
        # ids are mapped to their passage and kind (passage, gloss, sentence, sentence gloss).
        exact = len(contents) <= MAX_EXACT_RECORDS
        self._records = {} if exact else dict(zip(contents.ids, zip(contents.chunk_ids, contents.kinds)))
        self._vector_ids, self._matrix = (contents.ids, contents.vectors) if exact else ([], None)
        self._rows = {rid: row for row, rid in enumerate(self._vector_ids)}
        # For the exact search: each row's passage (an index into _chunk_ids, -1 for none) and level, and
        # the rows of each level grouped by passage.
        self._chunk_ids = list(self.chunks)
        position = {cid: i for i, cid in enumerate(self._chunk_ids)}
        row_chunk = np.array([position.get(cid, -1) for cid in contents.chunk_ids] if exact else [], dtype=np.int64)
        row_sentence = np.array([kind.startswith("sentence") for kind in contents.kinds] if exact else [], dtype=bool)
        self._levels = [_grouped_rows(row_chunk, level & (row_chunk >= 0)) for level in (~row_sentence, row_sentence)]
        self._parallel = self._parallel_passages(chunks)
        # Passages next to each other in one section, for the neighbour bonus in ``rank``.
        self._neighbours: dict[str, list[str]] = {}
        ordered = sorted(chunks, key=lambda c: (c.doc_id, c.ordinal))
        # Each document's passages in order, for ``family`` (no sort of the whole corpus per question).
        self._by_document: dict[str, list[Chunk]] = {}
        for chunk in ordered:
            self._by_document.setdefault(chunk.doc_id, []).append(chunk)
        for first, second in zip(ordered, ordered[1:]):
            if (first.doc_id, first.section) == (second.doc_id, second.section):
                self._neighbours.setdefault(first.id, []).append(second.id)
                self._neighbours.setdefault(second.id, []).append(first.id)
        self._lists = item_lists(chunks)
        self._words_by_initial: dict[str, list[str]] = {}
        for w in sorted(self.lexical.words):
            self._words_by_initial.setdefault(w[0], []).append(w)

    def lexical_index(self, chunks: list[Chunk]) -> LexicalIndex:
        """BM25 over ``chunks``: each passage's heading and text, and for some Dutch ones an English rendering."""
        # Headings weigh double in BM25 (a BM25F-style field weight by repetition): "Commitment van
        # leveranciers" says more about a passage than any one word in it.
        texts = {c.id: f"{c.section_label}\n{c.representation}" for c in chunks}
        # A Dutch passage is also searchable in English through its rendering, unless its document has an
        # English version: then the English passage is there to be found, and the Dutch one, matching an
        # English question twice (by the rendering and by the question's glossary translation), would
        # crowd it out.
        renderings = {c.id: self.glossary.render(texts[c.id], c.lang) for c in chunks
                      if self.settings.cross_lingual_gloss and c.lang != "en" and not self.has_version(c.doc_id, "en")}
        return LexicalIndex.build([(c.id, c.lang, texts[c.id]) for c in chunks], renderings)

    # --- the question ---------------------------------------------------------------------------

    def analyse(self, question: str, lang: str | None = None, focus: str = "",
                avoid: frozenset[str] = frozenset(), embed: bool = True) -> Query:
        """Language, search terms, translations and the weighted concepts the answer must be about.

        ``focus``: the words a follow-up adds to the conversation ("And in Pakistan?"); they weigh triple.
        ``embed``: also embed the question for dense search (not needed to weigh words only).
        """
        # Markup is not content: "<script>alert(1)</script>" asks about nothing in the documents.
        question = re.sub(r"<[^<>]{1,200}>", " ", question)
        lang = lang or detect_language(question)
        translations = tuple(self.glossary.translate(question, lang))
        focus_words = set(_content_words(focus))
        concepts = tuple(
            replace(c, weight=c.weight * 3) if c.word in focus_words else c
            for c in (self._concept(word, lang, question) for word in _content_words(question)))
        labelled = self._labelled(question, lang)
        concepts += tuple(labelled)
        corrections = [t for c in concepts for t in sorted(c.corrected)]
        labels = [t for c in labelled for t in sorted(c.stems)]
        # The multilingual model reads a Dutch question as it is. (Also embedding its word-by-word English
        # rendering gained one dev case at Recall@1 and cost a second model call, 13 ms a question.) A
        # question told with its situation ("We keep inviting stakeholders … What factors determine …?")
        # also gets a vector of the sentence that asks: dense scores take the better of the two (dev
        # Recall@1 0.722 -> 0.736, blind 0.609 -> 0.641; all its sentences apart did worse).
        texts = [question] + asking_sentence(question)
        return Query(question, lang, tuple(dict.fromkeys(query_terms(question, lang) + corrections + labels)),
                     tuple(translated_terms(list(translations), lang)), translations, concepts, avoid,
                     self.embedder.embed_queries(texts) if embed else None)

    def _labelled(self, question: str, lang: str) -> list[Concept]:
        """"company B" of an English question is "bedrijf B" of a Dutch passage: the noun is translated
        through the glossary, the label kept. Only mentions some passage has count (the label is what
        tells "bedrijf A" from "bedrijf B", so it weighs by its own rarity, not the noun's)."""
        other = "en" if lang == "nl" else "nl"
        concepts = []
        for noun, label in labelled_mentions(question):
            stems = {label_term(noun, label, language) for language in LANGUAGES}
            for phrase in self.glossary.translate(noun, lang):
                words = tokenize(phrase)
                if len(words) == 1:
                    stems.add(label_term(words[0], label, other))
            df = self.lexical.document_frequency(stems)
            if df:
                concepts.append(Concept(f"{noun} {label}", frozenset(stems),
                                        math.log((len(self.chunks) + 1) / (df + 0.5))))
        return concepts

    def _idf(self, word: str, lang: str, df: int) -> float:
        # Rare in the corpus but everyday in the language ("geef", "late") is weak evidence of topic.
        specificity = min(1.0, max(0.3, (7.0 - zipf_frequency(word, lang)) / 3.0))
        return specificity * math.log((len(self.chunks) + 1) / (df + 0.5))

    def _concept(self, word: str, lang: str, question: str) -> Concept:
        stems = set(stem_words([word], "nl") + stem_words([word], "en"))
        stems |= set(stem_words(split_compound(word), "nl"))
        for phrase in self.glossary.translate(word, lang):
            stems |= set(lexical_terms(phrase, "en" if lang == "nl" else "nl"))
        df = self.lexical.document_frequency(stems)
        if df == 0 and len(word) >= 5:
            # "Pakistani", "Pakistaanse" ~ "Pakistan", "nakomt" ~ "nakomen" (a long shared prefix);
            # "suplier" ~ "supplier" (a typo: a close spelling in the corpus, by difflib's ratio).
            words = [w for w in self._words_by_initial.get(word[0], ()) if _inflection_of(word, w)]
            similar = self._words_by_initial.get(word[0], ())
            words += get_close_matches(word, [w for w in similar if abs(len(w) - len(word)) <= 2], n=3, cutoff=0.85)
            related = set(stem_words(words, "nl") + stem_words(words, "en"))
            stems |= related
            df = self.lexical.document_frequency(related)
            if df:
                return Concept(word, frozenset(stems), self._idf(word, lang, df), corrected=frozenset(related))
        if df:
            return Concept(word, frozenset(stems), self._idf(word, lang, df))
        # Unknown to the corpus: a name or rare term ("Bangladesh", "CSDDD") says the question is about
        # something the documents lack; an everyday word ("late", "keen") says little.
        salient = _is_salient(word, question, lang)
        return Concept(word, frozenset(stems), UNKNOWN_SALIENT_WEIGHT if salient else 1.0, unknown=True,
                       salient=salient)

    # --- ranking --------------------------------------------------------------------------------

    def _dense(self, query: Query, depth: int) -> dict[str, float]:
        # A passage's similarity is the mean of its best passage-level record (the passage or its gloss)
        # and its best sentence-level record: the whole says what it is about, one sentence may say
        # exactly what was asked. A passage has several records, so the search goes deep: every record
        # of a corpus this size (a few thousand vectors take milliseconds), so no level is missing.
        if query.vectors is None:
            query = replace(query, vectors=self.embedder.embed_queries([query.text]))
        if self._matrix is not None and len(self._vector_ids):
            return self._dense_exact(np.asarray(query.vectors), depth)
        passage: dict[str, float] = {}
        sentence: dict[str, float] = {}
        n = max(depth * 8, MIN_DENSE_RECORDS)
        for vector in query.vectors:
            for rid, similarity in self.store.query(vector, n):
                chunk_id, kind = self._records.get(rid, (rid, "passage"))
                best = sentence if kind.startswith("sentence") else passage
                if chunk_id in self.chunks and similarity > best.get(chunk_id, -1.0):
                    best[chunk_id] = similarity
        scores: dict[str, float] = {}
        for cid in passage.keys() | sentence.keys():
            found = [level[cid] for level in (passage, sentence) if cid in level]  # a level without it abstains
            scores[cid] = sum(found) / len(found)
        return scores

    def _dense_exact(self, vectors: np.ndarray, depth: int) -> dict[str, float]:
        """``_dense`` over every vector in memory, vectorised: the best passage-level and sentence-level
        similarity of each passage (over the question's vectors), averaged where a passage has both. Only
        the ``depth`` best passages are returned (ties in passage order), as ``rank`` fuses no more: a dict
        of every passage, sorted per question, cost ~100 ms at 100k passages."""
        with one_blas_thread():
            similarity = (self._matrix @ vectors.T).max(axis=1)
        levels = []
        for rows, starts, owners in self._levels:
            best = np.full(len(self._chunk_ids), -np.inf)
            if len(rows):
                best[owners] = np.maximum.reduceat(similarity[rows], starts)
            levels.append(best)
        passage, sentence = levels
        both = np.isfinite(passage) & np.isfinite(sentence)
        score = np.where(both, (passage + sentence) / 2, np.where(np.isfinite(passage), passage, sentence))
        found = np.flatnonzero(np.isfinite(score))
        if len(found) > depth:  # those at least as similar as the depth-th best, then the best of them in order
            found = found[score[found] >= np.partition(score[found], len(found) - depth)[len(found) - depth]]
        best_first = found[np.argsort(-score[found], kind="stable")[:depth]]
        return {self._chunk_ids[i]: float(score[i]) for i in best_first}

    def search(self, question: str, k: int = 5, lang: str | None = None, mode: Mode = "hybrid") -> list[Passage]:
        """The ``k`` best passages for ``question``."""
        return self.rank(self.analyse(question, lang), k, mode)

    def rank(self, query: Query, k: int, mode: Mode = "hybrid") -> list[Passage]:
        depth = max(self.settings.candidates, k)
        dense = self._dense(query, depth) if mode != "lexical" else {}
        # One BM25 run over the question's terms and their glossary translations together: tried
        # apart (two fused runs), cross-lingual recall dropped on the dev split.
        terms = list(dict.fromkeys(query.terms + query.translated))
        lexical = dict(self.lexical.search(terms, depth)) if mode != "dense" else {}
        runs = [(self.settings.dense_weight, dense), (self.settings.lexical_weight, lexical)]
        fused: dict[str, float] = {}
        for weight, scores in runs:
            ordered = sorted(scores.items(), key=lambda item: -item[1])[:depth]
            for rank, (chunk_id, _) in enumerate(ordered):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (self.settings.rrf_k + rank + 1)
        if mode == "hybrid":  # "dense" and "lexical" stay the plain alternatives the eval compares against
            for chunk_id in fused:
                coverage = query.coverage(self.lexical.terms_of(chunk_id))
                fused[chunk_id] *= self._factor(self.chunks[chunk_id], query.lang) * (
                    1 + self.settings.coverage_weight * coverage)
            fused = self._with_neighbours(fused)
            fused = self._with_items(query, fused)
        ranked = sorted(fused.items(), key=lambda item: -item[1])[:k]
        return [self._passage(cid, score, dense.get(cid, 0.0), lexical.get(cid, 0.0), query) for cid, score in ranked]

    def _with_neighbours(self, scores: dict[str, float]) -> dict[str, float]:
        """Each passage gains a share of its best same-section neighbour's score.

        An answer is often one chunk away from the words that match the question ("But how do you get
        suppliers to join a training programme?" ends one chunk; the next one answers it).
        """
        weight = self.settings.neighbour_weight
        if not weight:
            return scores
        return {cid: score + weight * max((scores.get(n, 0.0) for n in self._neighbours.get(cid, ())), default=0.0)
                for cid, score in scores.items()}

    def _with_items(self, query: Query, scores: dict[str, float]) -> dict[str, float]:
        """A question that names a list item ("leerpunt 6", "the third tip") gets that item's passages first."""
        references = item_references(query.text)
        if not references or not scores:
            return scores
        best = max(scores.values())
        affinity: dict[tuple[str, str], float] = {}  # each list's best passage, relative to the best (0..1)
        for chunk_id, score in scores.items():
            chunk = self.chunks[chunk_id]
            if chunk.section and best > 0:
                key = (chunk.doc_id, chunk.section[0])
                affinity[key] = max(affinity.get(key, 0.0), score / best)
        boosted = dict(scores)
        for rank, reference in enumerate(references):
            target = resolve(reference, self._lists, affinity, query.lang)
            if target is None:
                continue
            doc_id, path = target
            item = sorted((c for c in self.chunks.values() if c.doc_id == doc_id and c.section[:2] == path),
                          key=lambda c: c.ordinal)
            for position, chunk in enumerate(item):  # the item in order, before anything else
                boosted[chunk.id] = best * (2.0 - 0.1 * rank - 0.01 * position)
        return boosted

    def _factor(self, chunk: Chunk, lang: str) -> float:
        factor = 1.0
        if chunk.role in FURNITURE_ROLES:
            factor *= self.settings.furniture_factor
        if chunk.lang != lang and self.has_version(chunk.doc_id, lang):
            factor *= self.settings.other_language_factor  # the same text exists in the question's language
        return factor

    def has_version(self, doc_id: str, lang: str) -> bool:
        """Whether the document has a version in ``lang``."""
        return any(self._doc_lang.get(t) == lang for t in self.translations.get(doc_id, ()))

    def _passage(self, chunk_id: str, score: float, dense: float, lexical: float, query: Query) -> Passage:
        return Passage.from_chunk(self.chunks[chunk_id], score, dense=dense, lexical=lexical,
                                  coverage=query.coverage(self.lexical.terms_of(chunk_id)))

    def sentence_similarity(self, query: Query, passage: Passage, text: str) -> float | None:
        """How well ``text`` (sentences of ``passage``) answers the question, by the model: the best of its
        sentences' stored vectors (and their English renderings); None when none is stored."""
        if self._matrix is None or query.vectors is None:
            return None
        units = split_sentences(text) or [text]
        renderings = [self.glossary.render(u, passage.lang) for u in units] if passage.lang != "en" else []
        rows = [row for unit in units + renderings
                if (row := self._rows.get(record_id(passage.doc_id, SENTENCE_SUFFIX, unit))) is not None]
        if not rows:
            return None
        with one_blas_thread():
            return float((self._matrix[rows] @ np.asarray(query.vectors).T).max())

    def passage_terms(self, passage: Passage) -> set[str]:
        """The stemmed terms of everything a passage shows, to check that a sentence rests on it: its indexed
        terms and, for a passage with an unsearched table of contents, those of its full text."""
        terms = set(self.lexical.terms_of(passage.chunk_id))
        chunk = self.chunks.get(passage.chunk_id)
        if chunk is not None and not chunk.searchable:
            return terms
        return terms | set(lexical_terms(passage.text, passage.lang))

    def _parallel_passages(self, chunks: list[Chunk]) -> dict[tuple[str, str], str]:
        """For each passage of a translated document, its counterpart in each other version ((chunk id,
        language) -> chunk id): the order-preserving alignment of the two versions' passages that is most
        similar by the multilingual model, where a numbered item ("10. Avoid tight timelines") prefers
        the item of the same number. Each passage alone taking its most similar counterpart mismatched
        short items of one list ("10. Avoid tight timelines" took "7. Evalueer regelmatig"), since the
        model rates every tip of it alike."""
        parallel: dict[tuple[str, str], str] = {}
        if self._matrix is None:
            return parallel
        by_doc: dict[str, list[Chunk]] = {}
        for chunk in sorted(chunks, key=lambda c: (c.doc_id, c.ordinal)):
            if chunk.id in self._rows:
                by_doc.setdefault(chunk.doc_id, []).append(chunk)
        for doc_id, own in by_doc.items():
            for other_id in self.translations.get(doc_id, ()):
                other = by_doc.get(other_id, [])
                if not other:
                    continue
                with one_blas_thread():
                    similarity = self._matrix[[self._rows[c.id] for c in own]] @ \
                        self._matrix[[self._rows[c.id] for c in other]].T
                numbers = [_item_number(c) for c in own], [_item_number(c) for c in other]
                similarity += ITEM_NUMBER_BONUS * np.array([[n is not None and n == m for m in numbers[1]]
                                                            for n in numbers[0]])
                for chunk, column in zip(own, monotone_alignment(similarity)):
                    parallel[(chunk.id, other[0].lang)] = other[column].id
        return parallel

    def in_language(self, passages: list[Passage], lang: str, query: Query) -> list[Passage]:
        """The passages as an answer in ``lang`` quotes them: a passage of a document that has a version in
        ``lang`` gives way to its counterpart there (never both versions)."""
        out: list[Passage] = []
        for passage in passages:
            if passage.lang != lang and self.has_version(passage.doc_id, lang):
                twin = self._parallel.get((passage.chunk_id, lang))
                if twin is None:
                    continue
                passage = self._passage(twin, passage.score, passage.dense, passage.lexical, query)
            if all(p.chunk_id != passage.chunk_id for p in out):
                out.append(passage)
        return out or passages

    def family(self, passage: Passage, query: Query) -> list[Passage]:
        """Content passages sharing ``passage``'s top-level section (e.g. a purpose's theory, practice, example)."""
        if not passage.section_path:
            return []
        return [
            self._passage(c.id, 0.0, 0.0, 0.0, query)
            for c in self._by_document.get(passage.doc_id, ())
            if c.section[:1] == passage.section_path[:1] and c.role == "content"
        ]

    def subsections(self, passage: Passage, query: Query) -> list[Passage]:
        """The opening passage of each subsection directly under ``passage``'s section, in document order:
        what a section's introduction ending in a colon announces ("three elements matter:" followed by
        the subsections Commitment, Contact and Knowledge)."""
        depth = len(passage.section_path)
        firsts: dict[str, Chunk] = {}
        for chunk in self._by_document.get(passage.doc_id, ()):
            if len(chunk.section) == depth + 1 and chunk.section[:depth] == passage.section_path \
                    and chunk.role == "content":
                firsts.setdefault(chunk.section[-1], chunk)
        return [self._passage(c.id, 0.0, 0.0, 0.0, query) for c in firsts.values()]
