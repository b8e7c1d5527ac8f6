"""The partner finder is read from the documents' structure in the index, and cites every item it shows."""

from __future__ import annotations

import re

import pytest

from assistant.chunking import Chunk
from assistant.corpus import Document
from assistant.partners import PartnerGuide, find_partners, topic_matcher
from assistant.ui import example_questions, recommendation_html


@pytest.fixture(scope="module")
def guide(assistant) -> PartnerGuide:
    return PartnerGuide.build(assistant.chunks, assistant.documents)


def top_level_sections(assistant, doc_id: str) -> list[str]:
    return list(dict.fromkeys(c.section[0] for c in assistant.chunks if c.doc_id == doc_id and c.section))


def test_the_seven_purposes_in_both_languages_come_from_the_knowledge_documents(assistant, guide):
    assert set(guide.languages) == {"nl", "en"}
    en, nl = guide.purposes("en"), guide.purposes("nl")
    assert len(en) == len(nl) == 7
    assert [p.index for p in en] == list(range(7))
    assert en[0].title == "Gathering knowledge or verifying information"
    assert nl[6].title == "Efficiëntie in tijd en middelen bevorderen"
    assert {p.doc_id for p in en} == {"who-to-partner-up-with"} and {p.doc_id for p in nl} == {"met-wie-werk-je-samen"}
    headings = top_level_sections(assistant, "who-to-partner-up-with")
    assert all(p.title in headings for p in en)
    assert not any("tips" in p.title.lower() or "importance" in p.title.lower() for p in en)
    # the seven the document itself lists, in its order
    listing = next(c.text for c in assistant.chunks if c.doc_id == "who-to-partner-up-with"
                   and "following purposes" in c.text)
    listed = re.findall(r"^- \d\. (.+)$", listing, re.M)
    assert [p.title for p in en] == listed


def test_recommendation_cites_every_item_to_a_passage_that_contains_it(assistant, guide):
    chunk_text = {c.id: c.text for c in assistant.chunks}
    for lang in ("en", "nl"):
        for purpose in guide.purposes(lang):
            rec = find_partners(assistant, guide, purpose.index, lang)
            assert rec.partners and rec.example and rec.tips
            for item in rec.partners + rec.example + rec.tips:
                assert item.passage.chunk_id in chunk_text  # a real passage of the index: no invented source
                assert item.text in chunk_text[item.passage.chunk_id]
                assert item.passage.lang == lang
            assert all(i.passage.section_path[0] == purpose.title for i in rec.partners + rec.example)
            assert len({i.passage.section_path[1] for i in rec.partners}) == 1  # one subsection: the practice
            assert len({i.passage.section_path[1] for i in rec.example}) == 1  # and one: the example
            assert all(i.passage.section_path[0] != purpose.title for i in rec.tips)
            assert [rec.number(c) for c in rec.partners][0] == 1


def test_partner_types_are_the_list_items_of_the_practice_section(assistant, guide):
    rec = find_partners(assistant, guide, 0, "en")
    assert rec.partners_are_list
    assert {i.passage.section_path[1] for i in rec.partners} == {"Practice"}
    assert {i.passage.section_path[1] for i in rec.example} == {"Practical example"}
    assert any("Fair Wear Foundation or &Wider" in i.text for i in rec.partners)
    assert rec.example[0].text.startswith("In Pakistan")
    nl = find_partners(assistant, guide, 0, "nl")
    assert {i.passage.section_path[1] for i in nl.partners} == {"Wat moet je doen?"}
    assert {i.passage.section_path[1] for i in nl.example} == {"Praktijkvoorbeeld"}


def test_a_stakeholder_brings_matching_partners_first_and_matching_tips(assistant, guide):
    rec = find_partners(assistant, guide, 1, "en", topic="local communities")
    assert rec.partners[0].matches_topic and "local communities" in rec.partners[0].text
    assert not any(i.matches_topic for i in rec.partners[1:])
    union = find_partners(assistant, guide, 0, "en", topic="vakbond")  # a Dutch word in the English finder
    assert union.tips_match_topic
    assert all("trade union" in t.text for t in union.tips)
    plain = find_partners(assistant, guide, 0, "en")
    assert not plain.tips_match_topic and not any(i.matches_topic for i in plain.partners)
    assert topic_matcher(assistant, "vakbond")("Contact a local trade union.") >= 0.5
    assert topic_matcher(assistant, "vakbond")("Contact a local NGO.") == 0


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_each_purpose_example_question_gets_that_purposes_partners(assistant, guide, lang):
    purposes = guide.purposes(lang)
    for purpose, question in zip(purposes, example_questions(purposes, lang)[-len(purposes):]):  # after the documents
        answer = assistant.ask(question)
        assert answer.lang == lang and not answer.abstained, question
        assert answer.citations[0].section_path[0] == purpose.title, question


def test_recommendation_html_shows_items_with_links_to_numbered_sources(assistant, guide):
    rec = find_partners(assistant, guide, 1, "nl", topic="lokale gemeenschappen")
    html = recommendation_html(rec, assistant.chunks, "nl")
    cards = re.findall(r'<article class="source" id="pf-(\d+)"', html)
    assert cards == [str(n) for n in range(1, len(rec.citations) + 1)]
    links = set(re.findall(r'href="#pf-(\d+)"', html))
    assert links == set(cards)  # every source is cited by an item, every item's marker has a source
    assert "Aanbevolen partners" in html and "Praktijkvoorbeeld" in html
    assert "past bij “lokale gemeenschappen”" in html


def chunk(doc, section, text, ordinal, lang="en"):
    return Chunk(f"{doc}:{ordinal}", doc, "Guide", lang, section, text, "content", ordinal)


def document(doc_id, kind="knowledge document", lang="en"):
    return Document(doc_id, "Guide", lang, kind, "SER", None, None, f"{doc_id}.txt", "0" * 64, ())


def test_structure_not_headings_decides_what_is_a_purpose():
    """Any headings work: purposes share subsections, the one with list items is the practice, the last the example."""
    chunks = [
        chunk("g", ("Intro",), "Why this guide.", 0),
        chunk("g", ("Alpha goal", "Why"), "Because alpha.", 1),
        chunk("g", ("Alpha goal", "How"), "Do this:\n- Ask a union.\n- Ask an NGO.", 2),
        chunk("g", ("Alpha goal", "Story"), "Once, alpha worked.", 3),
        chunk("g", ("Beta goal", "Why"), "Because beta.", 4),
        chunk("g", ("Beta goal", "How"), "- Ask a supplier.", 5),
        chunk("g", ("Beta goal", "Story"), "Once, beta worked.", 6),
        chunk("g", ("Three tips",), "Tips follow.", 7),
        chunk("g", ("Three tips", "1. Be open"), "Be open about union contacts.", 8),
        chunk("g", ("Three tips", "2. Be quick"), "Be quick.", 9),
        chunk("other", ("A", "Why"), "x", 0), chunk("other", ("B", "Why"), "y", 1),
    ]
    guide = PartnerGuide.build(chunks, [document("g"), document("other", kind="tool")])
    assert [p.title for p in guide.purposes("en")] == ["Alpha goal", "Beta goal"]
    rec = guide.recommend(0, "en", tip_ranking=["g:9", "g:8"])
    assert [i.text for i in rec.partners] == ["Ask a union.", "Ask an NGO."]
    assert [i.text for i in rec.example] == ["Once, alpha worked."]
    assert [i.passage.chunk_id for i in rec.tips] == ["g:9", "g:8"] and not rec.tips_match_topic
    matched = guide.recommend(0, "en", topic="union", matches=lambda text: float("union" in text.lower()))
    assert matched.tips_match_topic and [i.text for i in matched.tips] == ["Be open about union contacts."]
    assert matched.partners[0].matches_topic and not matched.partners[1].matches_topic


def test_no_knowledge_document_with_purposes_means_no_guide():
    flat = [chunk("t", ("Only", "One"), "Text.", 0), chunk("t", ("Other",), "More.", 1)]
    guide = PartnerGuide.build(flat, [document("t")])
    assert guide.languages == () and guide.purposes("en") == ()
    with pytest.raises(IndexError):
        guide.recommend(0, "en")
