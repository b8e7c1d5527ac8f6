"""The hybrid retriever inside LangChain chains (LCEL), over the real assistant."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough

from assistant.errors import QuestionError

pytestmark = pytest.mark.slow

QUESTION = "Who should I partner with to verify wage information in Pakistan?"


def numbered(docs: list[Document]) -> str:
    return "\n\n".join(f"[{n}] {d.metadata['title']} — {d.metadata['section']} ({d.metadata['lang']})\n{d.page_content}"
                       for n, d in enumerate(docs, 1))


def test_documents_carry_the_passages_and_their_metadata(assistant):
    retriever = assistant.as_retriever(k=4)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(QUESTION)
    hits = assistant.retrieve(QUESTION, k=4)
    assert len(docs) == 4
    assert [d.page_content for d in docs] == [h.text for h in hits]
    assert [d.metadata for d in docs] == [
        {"doc_id": h.doc_id, "title": h.title, "lang": h.lang, "section": h.section, "chunk_id": h.chunk_id,
         "score": h.score} for h in hits]
    assert docs[0].metadata["doc_id"] == "who-to-partner-up-with" and docs[0].id == hits[0].chunk_id
    assert len(assistant.as_retriever().invoke(QUESTION)) == assistant.settings.k


def test_the_retriever_in_an_lcel_chain(assistant):
    prompt = RunnableLambda(lambda x: f"Answer from the sources.\n\n{x['context']}\n\nQuestion: {x['question']}")
    chain = {"context": assistant.as_retriever(k=3) | RunnableLambda(numbered),
             "question": RunnablePassthrough()} | prompt
    text = chain.invoke("Met wie werk ik samen voor logistiek?")
    assert text.endswith("Question: Met wie werk ik samen voor logistiek?")
    assert text.count("\n[") == 3 and "[1] " in text and "[4] " not in text
    hit = assistant.retrieve("Met wie werk ik samen voor logistiek?", k=1)[0]
    assert hit.text in text and f"[1] {hit.title} — {hit.section}" in text

    # batch and async run the same retrieval
    titles = RunnableParallel(first=assistant.as_retriever(k=1) | RunnableLambda(lambda d: d[0].metadata["doc_id"]))
    questions = [QUESTION, "vakbondsvrijheid"]
    assert [r["first"] for r in titles.batch(questions)] == [assistant.retrieve(q, k=1)[0].doc_id for q in questions]


async def _ainvoke(retriever, question):
    return await retriever.ainvoke(question)


def test_async_and_refused_questions(assistant):
    import asyncio

    docs = asyncio.run(_ainvoke(assistant.as_retriever(k=2), "vakbondsvrijheid"))
    assert [d.metadata["chunk_id"] for d in docs] == [h.chunk_id for h in assistant.retrieve("vakbondsvrijheid", k=2)]
    with pytest.raises(QuestionError, match="characters long"):
        assistant.as_retriever().invoke("why? " * 1000)
    lexical = assistant.as_retriever(k=3, mode="lexical").invoke("vakbondsvrijheid")
    assert [d.metadata["chunk_id"] for d in lexical] == [
        h.chunk_id for h in assistant.retrieve("vakbondsvrijheid", k=3, mode="lexical")]
