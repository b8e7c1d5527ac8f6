"""Cleaning and structure of the PDF extractions."""

from __future__ import annotations


import pytest

from assistant.cleaning import dehyphenate, is_furniture_line, keep_hyphen, structure_text
from assistant.corpus import load_corpus

from .conftest import CORPUS


@pytest.fixture(scope="module")
def documents():
    return {d.id: d for d in load_corpus(CORPUS)}


def all_text(doc) -> str:
    return "\n".join(b.text for s in doc.sections for b in s.blocks)


@pytest.mark.parametrize(
    "left,right,keep",
    [("samen", "werking", False), ("kennis", "documenten", False), ("vakbonds", "vrijheid", False),
     ("diligence", "proces", True), ("MVO", "manager", True), ("sectorcon", "venanten", False)],
)
def test_line_end_hyphens_are_joined_unless_real(left, right, keep):
    assert keep_hyphen(left, right, "nl", frozenset(), frozenset()) is keep


def test_dehyphenate_moves_fragment_with_its_punctuation():
    lines = ["in kledingfabrie-", "ken, zijn merken", "due diligence-", "proces volgens"]
    assert dehyphenate(lines, "nl") == ["in kledingfabrieken,", "zijn merken", "due diligence-proces", "volgens"]


def test_hyphenated_form_seen_in_the_document_wins():
    lines = ["een multi-stakeholderinitiatief hier", "een multi-", "stakeholderinitiatief daar"]
    assert dehyphenate(lines, "nl")[1] == "een multi-stakeholderinitiatief"


def test_real_hyphens_survive_and_split_words_are_joined_in_the_corpus(documents):
    text = all_text(documents["met-wie-werk-je-samen"])
    for word in ("samenwerking", "kennisdocumenten", "vakbondsvrijheid", "multi-stakeholderinitiatief"):
        assert word in text
    assert "samen- werking" not in text and "samen-werking" not in text
    assert "due diligence-proces" in all_text(documents["commitment-van-stakeholders"])
    assert "IMVO-risico’s" in all_text(documents["commitment-van-stakeholders"])


@pytest.mark.parametrize(
    "line", ["https://www.ser.nl/nl/thema/imvo", "https://d8ngmjb1wv5v8gg.roads-uae.com/nl/thema",
             "4 van 5 sociaal-economische raad|  Introductie  |  Casus  |", "| Introduction | Knowledge | Access |",
             "SOCIAAL-ECONOMISCHE RAAD", "[Website](#)"],
)
def test_page_furniture_lines(line):
    assert is_furniture_line(line)


def test_no_furniture_or_link_syntax_reaches_the_text(documents):
    for doc in documents.values():
        text = all_text(doc)
        assert "https://" not in text and "](#)" not in text and "|" not in text, doc.id


def test_links_keep_their_text(documents):
    assert "Fair Wear Foundation or &Wider" in all_text(documents["who-to-partner-up-with"])


def test_lost_bullets_become_list_items(documents):
    practice = next(s for s in documents["met-wie-werk-je-samen"].sections
                    if s.path == ("Kennis ophalen of informatie verifiëren", "Wat moet je doen?"))
    items = [b.text for b in practice.blocks if b.is_list_item]
    assert len(items) == 3
    assert items[0].startswith("Wil je weten hoe je een gesprek kunt aangaan over het onderwerp vakbondsvrijheid")


def test_seven_purposes_with_theory_practice_example_in_both_languages(documents):
    nl = {s.path for s in documents["met-wie-werk-je-samen"].sections}
    en = {s.path for s in documents["who-to-partner-up-with"].sections}
    nl_purposes = {p[0] for p in nl if len(p) == 2 and p[1] == "Praktijkvoorbeeld"}
    en_purposes = {p[0] for p in en if len(p) == 2 and p[1] == "Practical example"}
    assert len(nl_purposes) == 7 and len(en_purposes) == 7
    for purpose in nl_purposes:
        assert (purpose, "De theorie") in nl and (purpose, "Wat moet je doen?") in nl
    for purpose in en_purposes:
        assert (purpose, "Theory") in en and (purpose, "Practice") in en
    assert "Gathering knowledge or verifying information" in en_purposes
    assert "Toegang tot een netwerk of relevante stakeholders om inclusie en veiligheid te bevorderen" in nl_purposes


def test_tip_lists_lessons_and_case_elements(documents):
    paths = {s.path for s in documents["met-wie-werk-je-samen"].sections}
    assert ("10 tips voor een succesvolle samenwerking", "10. Vermijd een krappe tijdlijn") in paths
    assert ("7 tips voor een goede samenwerking met partners in productielanden", "1. Kennismaking") in paths
    lessons = [s.path for s in documents["pilot-trainingsprogramma-india"].sections
               if s.path[0] == "Acht leerpunten uit de pilot" and len(s.path) == 2]
    assert len(lessons) == 8
    case = {s.path for s in documents["case-minimumloon-sindh"].sections}
    for element in ("Commitment", "Contact", "Kennis"):
        assert ("Betekenisvolle dialoog", element) in case


def test_boilerplate_disclaimer_and_colophon_are_marked_not_dropped(documents):
    roles = {}
    for doc in documents.values():
        for s in doc.sections:
            for b in s.blocks:
                roles.setdefault(b.role, []).append(b.text)
    assert any(t.startswith("Dit kennisdocument maakt onderdeel uit") for t in roles["boilerplate"])
    assert any(t.startswith("This knowledge document is part of a collection") for t in roles["boilerplate"])
    assert any("niet aansprakelijk" in t for t in roles["disclaimer"])
    assert any("communicatie@ser.nl" in t for t in roles["colophon"])
    assert not any("maakt onderdeel uit van een verzameling" in t for t in roles["content"])


def test_markdown_headings_and_bullets():
    sections = structure_text("# Titel\n\nEerste alinea met tekst.\n\n## Tips\n\n- een\n- twee\n", "nl")
    assert sections[0].path == ("Titel",)
    assert sections[1].path == ("Titel", "Tips")
    assert [b.text for b in sections[1].blocks if b.is_list_item] == ["een", "twee"]
