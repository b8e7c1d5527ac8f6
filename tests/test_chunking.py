"""Chunks: sized for citation, never across a section, stable ids, context in the representation."""

from __future__ import annotations

import statistics

import pytest

from assistant.chunking import chunk_document
from assistant.corpus import load_corpus

from .conftest import CORPUS


@pytest.fixture(scope="module")
def chunks():
    return [c for d in load_corpus(CORPUS) for c in chunk_document(d)]


def test_sizes(chunks):
    lengths = [len(c.text) for c in chunks]
    assert max(lengths) <= 1500
    in_range = sum(300 <= n <= 1000 for n in lengths) / len(lengths)
    assert in_range >= 0.7, f"only {in_range:.0%} of chunks are 300-1000 characters"
    assert 300 <= statistics.median(lengths) <= 1000


def test_chunks_never_cross_a_section():
    for doc in load_corpus(CORPUS):
        texts: dict = {}
        for s in doc.sections:  # two sections may share a path ("Voorbeeld" twice)
            texts[s.path] = texts.get(s.path, "") + "\n" + "\n".join(b.text for b in s.blocks)
        for chunk in chunk_document(doc):
            for line in chunk.text.split("\n"):
                assert line.removeprefix("- ")[:60] in texts[chunk.section], (chunk.id, line[:60])


def test_ids_are_unique_and_stable(chunks):
    assert len({c.id for c in chunks}) == len(chunks)
    again = [c.id for d in load_corpus(CORPUS) for c in chunk_document(d)]
    assert again == [c.id for c in chunks]


def test_representation_carries_title_and_section_but_text_is_the_passage(chunks):
    chunk = next(c for c in chunks if c.section == ("Gathering knowledge or verifying information", "Practice"))
    assert chunk.representation.startswith(
        "Meaningful stakeholder dialogue: Who to partner up with? (knowledge document). Gathering")
    assert not chunk.text.startswith("Meaningful")
    assert chunk.lang == "en" and chunk.doc_id == "who-to-partner-up-with"


def test_a_table_of_contents_is_shown_but_not_searched(chunks):
    # "The collaboration may serve one or more of the following purposes: 1. Gathering knowledge …":
    # every item is the title of a section, so searched it would match every question about any purpose.
    overview = next(c for c in chunks if c.section == ("Who should I collaborate with and for what purposes?",)
                    and c.role == "content")
    assert "- 3. Organising and coordinating the logistics of an in-person dialogue" in overview.text
    assert "logistics" not in overview.representation and "Start by defining the purpose" in overview.representation
    ordinary = next(c for c in chunks if c.section[0] == "Organising and coordinating the logistics of an in-person dialogue")
    assert ordinary.searchable == "" and ordinary.text in ordinary.representation
