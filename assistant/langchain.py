"""LangChain interface: the hybrid retriever as a LangChain ``BaseRetriever``, for any LangChain chain.

The rest of the assistant never sees a LangChain object; this module turns Passages into LangChain
``Document``s at the edge.

>>> retriever = Assistant.load().as_retriever(k=3)                           # doctest: +SKIP
>>> chain = retriever | RunnableLambda(lambda docs: docs[0].metadata["title"])  # doctest: +SKIP
>>> chain.invoke("Who can verify wage information in Pakistan?")               # doctest: +SKIP
'Meaningful stakeholder dialogue: Who to partner up with?'
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import Field

from .retrieval import Mode, Passage

logger = logging.getLogger(__name__)


def passage_document(passage: Passage) -> Document:
    """A Passage as a LangChain Document: the passage text, and where it comes from as metadata.

    >>> passage_document(hit).metadata["doc_id"]                   # doctest: +SKIP
    'who-to-partner-up-with'
    """
    return Document(
        page_content=passage.text,
        id=passage.chunk_id,
        metadata={"doc_id": passage.doc_id, "title": passage.title, "lang": passage.lang,
                  "section": passage.section, "chunk_id": passage.chunk_id, "score": passage.score},
    )


class AssistantRetriever(BaseRetriever):
    """The assistant's hybrid retriever (dense + BM25, reranked) behind LangChain's retriever interface.

    A question the assistant refuses (empty, over-long, junk) raises ``QuestionError``, as ``retrieve`` does.
    """

    assistant: Any = Field(exclude=True)
    k: int | None = Field(default=None, ge=1, le=100, description="passages per question; None: settings.k")
    mode: Mode = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [passage_document(p) for p in self.assistant.retrieve(query, k=self.k, mode=self.mode)]
