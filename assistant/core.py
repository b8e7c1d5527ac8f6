"""The Assistant: corpus -> index -> retrieval -> answer, wired together from one Settings object.

>>> a = Assistant.load()                                  # doctest: +SKIP
>>> a.retrieve("Who can verify wage information?", k=3)[0].doc_id   # doctest: +SKIP
'who-to-partner-up-with'
>>> a.ask("What is the capital of Australia?").abstained # doctest: +SKIP
True
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

from .answer import Answer, Answerer, ExtractiveAnswerer, is_partner_question
from .chat import Turn, normalise_history, quoted_sentences, retrieval_question, validate_question
from .chunking import Chunk, ChunkSettings, chunk_document
from .config import Settings, load_settings
from .corpus import Document, load_corpus, translations
from .embedding import Embedder, load_embedder
from .glossary import Glossary
from .indexing import BuildReport, Progress, sync_index
from .retrieval import Mode, Passage, Retriever
from .store import VectorStore
from .text import detect_language

logger = logging.getLogger(__name__)

#: Bump when cleaning or chunking changes in a way that should be visible in build.json.
PIPELINE_VERSION = 1


class Assistant:
    """The public entry point. ``Assistant.load()`` builds or updates the index when needed."""

    def __init__(self, settings: Settings, documents: list[Document], chunks: list[Chunk], embedder: Embedder,
                 store: VectorStore, glossary: Glossary, report: BuildReport, answerer: Answerer | None = None) -> None:
        self.settings = settings
        self.documents = documents
        self.chunks = chunks
        self.embedder = embedder
        self.store = store
        self.glossary = glossary
        self.report = report
        self.retriever = Retriever(chunks, store, embedder, glossary, translations(documents), settings)
        self.answerer: Answerer = answerer or ExtractiveAnswerer(settings)

    @classmethod
    def load(cls, settings: Settings | None = None, rebuild: bool = False, progress: Progress | None = None,
             **overrides: Any) -> Assistant:
        """Validate the corpus, load the model, and bring the index up to date (nothing is embedded twice).

        >>> Assistant.load(corpus_dir="corpus", index_dir="/tmp/ix")  # doctest: +SKIP
        """
        settings = settings or load_settings(**overrides)
        documents = load_corpus(settings.corpus_dir)  # fails before the index is touched
        glossary = Glossary.load(settings.glossary_path)
        chunk_settings = ChunkSettings(settings.chunk_min_chars, settings.chunk_target_chars, settings.chunk_max_chars)
        chunks = [chunk for doc in documents for chunk in chunk_document(doc, chunk_settings)]
        embedder = load_embedder(settings)
        path = settings.index_dir / embedder.slug
        if rebuild and path.exists():
            shutil.rmtree(path)
        store = VectorStore(path)
        build_info = {
            "pipeline_version": PIPELINE_VERSION,
            "model": {"name": embedder.name, "fingerprint": embedder.fingerprint,
                      "query_prefix": settings.query_prefix, "passage_prefix": settings.passage_prefix},
            "chunking": asdict(chunk_settings),
            "cross_lingual_gloss": settings.cross_lingual_gloss,
            "glossary": {"file": str(settings.glossary_path), "sha256": glossary.digest, "entries": len(glossary)},
            "documents": {d.id: {"file": d.file, "sha256": d.sha256, "lang": d.lang} for d in documents},
        }
        report = sync_index(store, chunks, embedder, glossary, build_info, settings.cross_lingual_gloss, progress)
        assistant = cls(settings, documents, chunks, embedder, store, glossary, report)
        assistant.retriever.search("warm-up", k=1)  # load the language detector and model kernels now
        return assistant

    # --- the public API -----------------------------------------------------------------------

    def retrieve(self, question: str, k: int | None = None, mode: Mode = "hybrid", lang: str | None = None) -> list[Passage]:
        """The ``k`` best passages, best first (``.text .doc_id .title .lang .section .score``).

        >>> [p.section for p in a.retrieve("vakbondsvrijheid", k=2)]   # doctest: +SKIP
        """
        question = validate_question(question, self.settings.max_question_chars)
        return self.retriever.search(question, k or self.settings.k, lang=lang, mode=mode)

    def ask(self, question: str, history: Iterable[Any] | None = None, k: int | None = None) -> Answer:
        """A short answer in the question's language, every statement cited, or a plain abstention.

        ``history``: earlier turns (Turns, (question, answer) pairs or role/content messages).

        >>> a.ask("Met wie werk ik samen voor logistiek?").citations[0].lang   # doctest: +SKIP
        'nl'
        """
        question = validate_question(question, self.settings.max_question_chars)
        turns = normalise_history(history)
        lang = detect_language(question, default=self._conversation_lang(turns))
        text = retrieval_question(question, turns, lang)
        follow_up = text != question
        focus = question if follow_up else ""
        query = self.retriever.analyse(text, lang, focus=focus,
                                       avoid=quoted_sentences(turns[-1].answer) if follow_up else frozenset())
        passages = self.retriever.rank(query, k or self.settings.k)
        family = None
        # "Who should I partner with…" gets its purpose section's partner types; a follow-up that adds
        # a topic of its own ("And in Pakistan?") is answered on that topic instead.
        adds_topic = follow_up and any(c.word in focus.lower() for c in query.concepts)
        if passages and is_partner_question(query.text) and not adds_topic:
            family = self.retriever.family(passages[0], query)
        answer = self.answerer.answer(query, passages, family)
        return Answer(answer.text, answer.lang, answer.citations, answer.abstained, question, answer.passages,
                      answer.notice)

    def _conversation_lang(self, turns: list[Turn]) -> str:
        return detect_language(turns[-1].question) if turns else "en"

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == doc_id), None)
