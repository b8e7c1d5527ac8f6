"""The Assistant: corpus -> index -> retrieval -> answer, wired together from one Settings object.

>>> a = Assistant.load()                                  # doctest: +SKIP
>>> a.retrieve("Who can verify wage information?", k=3)[0].doc_id   # doctest: +SKIP
'who-to-partner-up-with'
>>> a.ask("What is the capital of Australia?").abstained # doctest: +SKIP
True
"""

from __future__ import annotations

import logging
from dataclasses import asdict, replace
from typing import Any, Iterable, Iterator

from . import snapshot
from .answer import Answer, Answerer, ExtractiveAnswerer, is_overview_question, is_partner_question
from .chat import Turn, normalise_history, quoted_sentences, retrieval_question, validate_question
from .chunking import Chunk, ChunkSettings, chunk_document
from .config import Settings, load_settings
from .corpus import Document, load_corpus, translations
from .embedding import Embedder, load_embedder
from .generation import GenerativeAnswerer, make_chat_model
from .glossary import Glossary
from .inputs import passages_wanted, question_language, retrieval_mode
from .indexing import BuildReport, Progress, record_owner, sync_index, with_sentence_vectors
from .retrieval import Mode, Passage, Retriever
from .staging import recover
from .store import VectorStore, commit_store, mark_verified, open_store, recorded_build
from .text import detect_language, tokenize

logger = logging.getLogger(__name__)

#: Bump when cleaning, chunking or the records made of the passages (``indexing.records_for``) change: an
#: index whose build info is unchanged is not re-synced on load.
PIPELINE_VERSION = 1
WARM_UP_QUESTIONS = ("Who can help with supplier dialogue?", "Met wie werk ik samen aan de dialoog?")


def open_index(settings: Settings, chunks: list[Chunk], embedder: Embedder, glossary: Glossary,
               build_info: dict[str, Any], translations: dict[str, set[str]], rebuild: bool = False,
               progress: Progress | None = None) -> tuple[VectorStore, BuildReport, Retriever]:
    """The load path of ``Assistant.load`` from the index on: open the index of ``embedder``'s configuration
    and check it (a damaged one, or any with ``rebuild``, is rebuilt beside it), bring it up to date with
    ``chunks`` (nothing is done when it already is), and build the retriever over the records read while
    checking, warmed up. scripts/scale.py times this with synthetic passages.

    >>> store, report, retriever = open_index(settings, chunks, embedder, glossary, info, {})  # doctest: +SKIP
    """
    # One folder (or, on a Chroma server, one collection of that name) per model configuration.
    path = settings.index_dir / embedder.slug
    url = settings.chroma_url
    if url:
        store = VectorStore(path, url=url, fresh=rebuild)
        folder = snapshot.served_folder(settings.index_dir, url, store.collection)
        info = store.read_build_info()
        key = snapshot.served_key(info, store.count())  # taken before the records are read
        kept = None if rebuild else snapshot.load(folder, key, info)
        contents = kept.contents if kept else store.contents(record_owner)
    else:
        folder = path / snapshot.FOLDER
        recover(path)  # an interrupted rebuild finished or cleared, once a load, before the snapshot is looked at
        key = snapshot.folder_key(path)
        kept = None if rebuild else snapshot.load(folder, key, recorded_build(path)[0])
        store, contents = open_store(path, rebuild, record_owner, kept.contents if kept else None)
    report = sync_index(store, chunks, embedder, glossary, build_info, settings.cross_lingual_gloss, progress,
                        with_sentence_vectors(settings.sentence_vectors, len(chunks)))
    store = commit_store(store, path)  # a complete rebuild replaces the old folder only now
    current = (lambda: snapshot.served_key(store.read_build_info(), store.count())) if url else \
        (lambda: snapshot.folder_key(path))
    if report.synced:
        mark_verified(store)  # vectors this process wrote and checksummed: no child-process check next time
        key = current()
        contents = store.contents(record_owner)  # what the sync made of it (the sync itself reads only metadata)
    report = replace(report, path=store.location)  # the folder, or the server and collection
    fresh = kept is None or report.synced
    retriever = Retriever(chunks, store, embedder, glossary, translations, settings, contents,
                          None if fresh else kept.lexical)
    if fresh and key is not None and current() == key:  # nothing written since the records were read
        snapshot.save(folder, key, contents, retriever.lexical)  # the next load reads no vector, builds no BM25
    del contents  # the retriever keeps what it needs (the vectors, while it searches them in memory)
    for warm_up in WARM_UP_QUESTIONS:
        retriever.search(warm_up, k=1)  # load the language detector, lexicons and model kernels now
    return store, report, retriever


class Assistant:
    """The public entry point. ``Assistant.load()`` builds or updates the index when needed."""

    def __init__(self, settings: Settings, documents: list[Document], chunks: list[Chunk], embedder: Embedder,
                 store: VectorStore, glossary: Glossary, report: BuildReport, answerer: Answerer | None = None,
                 retriever: Retriever | None = None) -> None:
        self.settings = settings
        self.documents = documents
        self.chunks = chunks
        self.embedder = embedder
        self.store = store
        self.glossary = glossary
        self.report = report
        self.retriever = retriever or Retriever(chunks, store, embedder, glossary, translations(documents), settings)
        self.answerer: Answerer = answerer or self._default_answerer()

    def _default_answerer(self) -> Answerer:
        """Extractive unless ASSISTANT_LLM names a chat model; the extractive answerer is then the fallback."""
        extractive = ExtractiveAnswerer(self.settings, self.retriever)
        if not self.settings.llm:
            return extractive
        return GenerativeAnswerer(make_chat_model(self.settings), extractive, self.retriever, self.settings)

    @classmethod
    def load(cls, settings: Settings | None = None, rebuild: bool = False, progress: Progress | None = None,
             **overrides: Any) -> Assistant:
        """Validate the corpus, load the model, and bring the index up to date (nothing is embedded twice).

        >>> Assistant.load(corpus_dir="corpus", index_dir="/tmp/ix")  # doctest: +SKIP
        """
        settings = settings or load_settings(**overrides)
        documents = load_corpus(settings.corpus_dir)  # fails before the index is touched
        glossary = Glossary.load(settings.glossary_path, settings.vocabulary_path, settings.translations_path)
        chunk_settings = ChunkSettings.from_settings(settings)
        chunks = [chunk for doc in documents for chunk in chunk_document(doc, chunk_settings)]
        embedder = load_embedder(settings)
        build_info = {
            "pipeline_version": PIPELINE_VERSION,
            "model": {"name": embedder.name, "fingerprint": embedder.fingerprint,
                      "query_prefix": settings.query_prefix, "passage_prefix": settings.passage_prefix},
            "chunking": asdict(chunk_settings),
            "cross_lingual_gloss": settings.cross_lingual_gloss,
            "sentence_vectors": with_sentence_vectors(settings.sentence_vectors, len(chunks)),
            "glossary": {"file": str(settings.glossary_path), "sha256": glossary.digest, "entries": len(glossary)},
            "vocabulary": {"file": str(settings.vocabulary_path), "sha256": vocabulary.digest, "entries": len(vocabulary)}
            if (vocabulary := glossary.vocabulary) else None,
            "translations": {"folder": str(settings.translations_path), "sentences": len(glossary.sentences),
                             "sha256": glossary.sentences_digest},
            "documents": {d.id: {"file": d.file, "sha256": d.sha256, "lang": d.lang} for d in documents},
        }
        store, report, retriever = open_index(settings, chunks, embedder, glossary, build_info,
                                              translations(documents), rebuild, progress)
        return cls(settings, documents, chunks, embedder, store, glossary, report, retriever=retriever)

    # --- the public API -----------------------------------------------------------------------

    def retrieve(self, question: str, k: int | None = None, mode: Mode = "hybrid", lang: str | None = None) -> list[Passage]:
        """The ``k`` best passages, best first (``.text .doc_id .title .lang .section .score``).

        Bad arguments raise InputError saying what is allowed: ``k`` an integer 1-100, ``mode`` one of
        hybrid/dense/lexical, ``lang`` "nl", "en" or None.

        >>> [p.section for p in a.retrieve("vakbondsvrijheid", k=2)]   # doctest: +SKIP
        """
        question = validate_question(question, self.settings.max_question_chars)
        k, mode, lang = passages_wanted(k, self.settings.k), retrieval_mode(mode), question_language(lang)
        return self.retriever.search(question, k, lang=lang, mode=mode)

    def as_retriever(self, k: int | None = None, mode: Mode = "hybrid"):
        """This assistant's retrieval as a LangChain ``BaseRetriever`` (Documents with the passage's metadata).

        >>> (a.as_retriever(k=3) | RunnableLambda(format_docs)).invoke("vakbondsvrijheid")   # doctest: +SKIP
        """
        from .langchain import AssistantRetriever  # LangChain's pydantic models load only when asked for

        return AssistantRetriever(assistant=self, k=k, mode=mode)

    def ask(self, question: str, history: Iterable[Any] | None = None, k: int | None = None,
            answerer: Answerer | None = None) -> Answer:
        """A short answer in the question's language, every statement cited, or a plain abstention.

        ``history``: earlier turns (Turns, (question, answer) pairs or role/content messages).
        ``answerer``: another answerer for this call (the eval compares generative with extractive).

        >>> a.ask("Met wie werk ik samen voor logistiek?").citations[0].lang   # doctest: +SKIP
        'nl'
        """
        answer = None
        for answer in self.ask_stream(question, history, k, answerer):
            pass
        return answer

    def ask_stream(self, question: str, history: Iterable[Any] | None = None, k: int | None = None,
                   answerer: Answerer | None = None) -> Iterator[Any]:
        """Like ``ask``, for streaming: yields draft texts while a language model writes, then the Answer.

        The last item is always the final, verified ``Answer``; with the extractive answerer it is the only one.
        Bad arguments raise InputError (on the first ``next``); only the last turns of ``history`` are used.
        """
        question = validate_question(question, self.settings.max_question_chars)
        turns = normalise_history(history, self.settings.max_question_chars)
        k = passages_wanted(k, self.settings.k)
        lang = detect_language(question, default=self._conversation_lang(turns))
        if turns and len(tokenize(question)) <= 4:  # "En in Pakistan?" is too short to tell: keep the conversation's
            lang = self._conversation_lang(turns)
        text = self._standalone(question, turns, lang)
        follow_up = text != question
        focus = question if follow_up else ""
        query = self.retriever.analyse(text, lang, focus=focus,
                                       avoid=quoted_sentences(turns[-1].answer) if follow_up else frozenset())
        passages = self.retriever.rank(query, k or self.settings.k)
        family = None
        # "Who should I partner with…" gets its purpose section's partner types, "List the tips…" the
        # section's parts; a follow-up that adds a topic of its own ("And in Pakistan?") is answered on
        # that topic instead.
        adds_topic = follow_up and any(c.word in focus.lower() for c in query.concepts)
        wants_section = is_partner_question(query.text) or is_overview_question(query.text)
        if passages and wants_section and not adds_topic:
            family = self.retriever.family(self.retriever.in_language(passages[:1], lang, query)[0], query)
        answerer = answerer or self.answerer
        if isinstance(answerer, GenerativeAnswerer):
            items = answerer.stream(query, passages, family)
        else:
            items = iter([answerer.answer(query, passages, family)])
        for item in items:
            if isinstance(item, Answer):
                item = replace(item, question=question)
            yield item

    def _standalone(self, question: str, turns: list[Turn], lang: str) -> str:
        """The question to search with: a follow-up is rewritten by the language model when there is one,
        else read together with the previous question."""
        plain = retrieval_question(question, turns, lang)
        if plain == question or not isinstance(self.answerer, GenerativeAnswerer):
            return plain
        history = "\n".join(f"user: {t.question}\nassistant: {t.answer}" for t in turns[-3:])
        return self.answerer.condense(question, history, lang) or plain

    def _conversation_lang(self, turns: list[Turn]) -> str:
        return detect_language(turns[-1].question) if turns else "en"
