"""BM25 over passages with Dutch/English stemming and Dutch compound splitting (bm25s + PyStemmer).

Passages are indexed with their own language's stemmer, plus the parts of Dutch compounds. A query
is stemmed with both stemmers (so "commitment" in an English question meets the Dutch text's
"commitment") and expanded with its glossary translations, which carries it across languages; a
Dutch passage is also searchable through its word-by-word English rendering.

>>> index = LexicalIndex.build([("a", "nl", "vakbondsvrijheid in India")])   # doctest: +SKIP
>>> index.search(["vakbond"], 1)                                            # doctest: +SKIP
[('a', 0.28)]
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
from scipy import sparse

from .text import LANGUAGES, QUESTION_STOPWORDS, lexical_terms, tokenize

logger = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG


def query_terms(text: str, lang: str) -> list[str]:
    """Stemmed terms of a question in both stemmers ("commitment" must meet Dutch and English text)."""
    other = "en" if lang == "nl" else "nl"
    return list(dict.fromkeys(
        lexical_terms(text, lang, QUESTION_STOPWORDS) + lexical_terms(text, other, QUESTION_STOPWORDS)))


def translated_terms(translations: list[str], lang: str) -> list[str]:
    """Stemmed terms of the question's glossary translations (in the other language)."""
    other = "en" if lang == "nl" else "nl"
    return list(dict.fromkeys(t for phrase in translations for t in lexical_terms(phrase, other)))


@dataclass
class LexicalIndex:
    """BM25 over the passages, and each passage's own-language terms as one sparse passages x terms matrix
    (``terms_of`` reads a row, ``document_frequency`` unions columns). ``save``/``load`` keep it in a folder
    (bm25s's own format, memory-mapped on load, plus the term matrix), so a load builds nothing: at 100k
    passages the build takes ~25 s, most of it stemming and compound splitting.
    """

    ids: list[str]
    _bm25: bm25s.BM25
    #: own-language term -> its column in ``_own``
    _vocab: dict[str, int]
    #: passages x own-language terms (rows: ``ids``), and the same by column for document frequencies
    _own: sparse.csr_matrix
    _postings: sparse.csc_matrix
    #: the passages' surface words (for spelling correction of a question)
    words: frozenset[str]

    def __post_init__(self) -> None:
        self._row = {pid: row for row, pid in enumerate(self.ids)}
        self._term_names = np.asarray(sorted(self._vocab, key=self._vocab.__getitem__), dtype=object)

    @classmethod
    def build(cls, passages: list[tuple[str, str, str]], renderings: dict[str, str] | None = None) -> LexicalIndex:
        """Index ``(id, lang, text)`` triples; ``renderings`` maps an id to an English rendering of its text
        that is searchable too (document translation: an English question meets a Dutch passage through
        its own words, not only through the glossary). Each passage's own-language terms are kept."""
        renderings = renderings or {}
        own = [lexical_terms(text, lang if lang in LANGUAGES else "en") for _, lang, text in passages]
        tokens = [(terms + lexical_terms(renderings.get(pid, ""), "en")) or [""]
                  for (pid, _, _), terms in zip(passages, own)]
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        vocab: dict[str, int] = {}
        rows, columns = [], []
        for row, passage_terms in enumerate(own):
            for term in dict.fromkeys(passage_terms):
                rows.append(row)
                columns.append(vocab.setdefault(term, len(vocab)))
        matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, columns)),
                                   shape=(len(passages), len(vocab)))
        words = frozenset(w for _, _, text in passages for w in tokenize(text))
        return cls([pid for pid, _, _ in passages], bm25, vocab, matrix, matrix.tocsc(), words)

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (created; files of an earlier save are replaced)."""
        folder.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(folder / "bm25"), show_progress=False)
        sparse.save_npz(folder / "terms.npz", self._own, compressed=False)
        (folder / "lexicon.json").write_text(json.dumps(
            {"ids": self.ids, "terms": self._term_names.tolist(), "words": sorted(self.words)}, ensure_ascii=False),
            encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """An index ``save`` wrote into ``folder`` (BM25's arrays memory-mapped); raises OSError or ValueError
        when its files are missing or unreadable."""
        bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
        own = sparse.load_npz(folder / "terms.npz").tocsr()
        lexicon = json.loads((folder / "lexicon.json").read_text(encoding="utf-8"))
        if own.shape != (len(lexicon["ids"]), len(lexicon["terms"])):
            raise ValueError(f"{folder}: the term matrix does not fit its lexicon")
        return cls(lexicon["ids"], bm25, {t: i for i, t in enumerate(lexicon["terms"])}, own, own.tocsc(),
                   frozenset(lexicon["words"]))

    def terms_of(self, pid: str) -> frozenset[str]:
        """The own-language terms of passage ``pid`` (empty for an unknown id)."""
        row = self._row.get(pid)
        if row is None:
            return frozenset()
        return frozenset(self._term_names[self._own.indices[self._own.indptr[row]:self._own.indptr[row + 1]]])

    def document_frequency(self, stems: set[str] | frozenset[str]) -> int:
        """How many passages have any of ``stems`` among their own terms (from the term columns: no scan of
        every passage).

        >>> LexicalIndex.build([("a", "en", "trade unions"), ("b", "en", "unions")]).document_frequency({"union"})
        2
        """
        columns = [self._vocab[s] for s in stems if s in self._vocab]
        if len(columns) <= 1:
            return int(self._postings.indptr[columns[0] + 1] - self._postings.indptr[columns[0]]) if columns else 0
        seen = np.zeros(len(self.ids), dtype=bool)  # a mark per passage: np.unique took ~10 ms at 100k passages
        for column in columns:
            seen[self._postings.indices[self._postings.indptr[column]:self._postings.indptr[column + 1]]] = True
        return int(np.count_nonzero(seen))

    def search(self, terms: list[str], n: int) -> list[tuple[str, float]]:
        """(id, BM25 score) of the best ``n`` passages with a positive score."""
        known = [t for t in terms if t in self._bm25.vocab_dict]
        if not known or not self.ids:
            return []
        scores = self._bm25.get_scores(known)
        order = np.argsort(-scores)[:n]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]
