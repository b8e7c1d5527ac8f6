"""The glue between the library and the chat UI, as pure functions: no app is launched, no model loaded."""

from __future__ import annotations

import doctest
import re

import pytest

from assistant import citations, conversation, labels, ui
from assistant.answer import Answer
from assistant.chunking import Chunk
from assistant.conversation import Conversation, Exchange
from assistant.labels import LABELS, label, preferred_language
from assistant.partners import Purpose
from assistant.retrieval import Passage

DOC_ID = "who-to-partner-up-with"
TITLE = "Meaningful stakeholder dialogue: Who to partner up with?"
PATH = ("Gathering knowledge or verifying information", "Practice")
PRACTICE_1 = ("Start by determining what information you need or want to verify and then connect with the "
              "right partners.\n- Need to initiate a discussion about freedom of association in a country like "
              "India? Contact an (international) trade union.")
PRACTICE_2 = ("- Want to monitor compliance with agreements on improved working conditions? Collaborate with a "
              "local trade union, NGO, or a monitoring partner such as Fair Wear Foundation or &Wider.")
EXAMPLE = "In Pakistan, amendments were made to the minimum wage legislation (read the case). A group <of> companies."

CHUNKS = [
    Chunk(f"{DOC_ID}:a", DOC_ID, TITLE, "en", PATH, PRACTICE_1, "content", 4),
    Chunk(f"{DOC_ID}:b", DOC_ID, TITLE, "en", PATH, PRACTICE_2, "content", 5),
    Chunk(f"{DOC_ID}:c", DOC_ID, TITLE, "en", (PATH[0], "Practical example"), EXAMPLE, "content", 6),
]


def passage(chunk: Chunk) -> Passage:
    return citations.passage_from_chunk(chunk)


P1, P2, P3 = (passage(c) for c in CHUNKS)
ANSWER_TEXT = (
    "For “Gathering knowledge or verifying information”, the SER guidance points to these partners:\n"
    "- Need to initiate a discussion about freedom of association in a country like India? Contact an "
    "(international) trade union. [1]\n"
    "- Want to monitor compliance with agreements on improved working conditions? Collaborate with a local trade "
    "union, NGO, or a monitoring partner such as Fair Wear Foundation or &Wider. [2]\n"
    "- Practical example: In Pakistan, amendments were made to the minimum wage legislation (read the case). [3]"
)
ANSWER = Answer(ANSWER_TEXT, "en", (P1, P2, P3), False, "Who can verify wages?")
ABSTAINED = Answer("The SER documents I can search do not cover this question.", "en", (), True, "Capital?")


@pytest.mark.parametrize("module", [ui, citations, labels, conversation])
def test_docstring_examples_hold(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


# --- escaping: user text is never markup --------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))",
    "**bold** _it_ `code` $x$ # heading", "a & b <b>c</b>",
])
def test_user_text_shows_as_typed_and_never_as_markup(text):
    content = ui.user_message(text)["content"]
    assert "<" not in content and ">" not in content.replace("&gt;", "")
    unescaped = re.sub(r"\\(.)", r"\1", content).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == text


def test_answer_markers_link_to_their_source_in_the_panel():
    markdown = ui.answer_markdown(ANSWER_TEXT, ANSWER.citations, "src-4")
    lines = markdown.splitlines()
    assert len(lines) == 4 and "cite" not in lines[0]
    for number, line in enumerate(lines[1:], start=1):
        assert line.startswith("- ")
        assert f'href="#src-4-{number}"' in line and f">[{number}]</a>" in line
        assert f'title="{TITLE} — ' in line
    assert "&amp;Wider" in markdown and "\\(international\\)" in markdown


def test_answer_text_from_documents_is_escaped_too():
    text = "Intro:\n- Use <b>bold</b> and [links](x). [1]"
    markdown = ui.answer_markdown(text, (P1,), "src-0")
    assert "<b>" not in markdown and "&lt;b&gt;" in markdown and "\\[links\\]" in markdown
    assert markdown.count("<a ") == 1


def test_markers_inside_a_line_link_too_and_mark_their_own_sentence():
    """A language model may cite inside a line: each marker stands behind the text before it."""
    text = "Contact an (international) trade union [1]. Or a monitoring partner such as Fair Wear Foundation [2]."
    markdown = ui.answer_markdown(text, (P1, P2), "src-1")
    assert markdown.count('class="cite"') == 2 and markdown.endswith("</a>\\.")
    assert markdown.index('href="#src-1-1"') < markdown.index("Or a monitoring") < markdown.index('href="#src-1-2"')
    html = ui.sources_panel(Conversation().add(Exchange("q", Answer(text, "en", (P1, P2), False))), -1, CHUNKS, "en")
    assert "<mark>Contact an (international) trade union</mark>" in html
    assert "<mark>Or a monitoring partner such as Fair Wear Foundation</mark>" not in html  # not verbatim: no mark
    assert html.count("<mark>") == 2  # the passage and its full section


def test_a_half_streamed_marker_stays_plain_text():
    markdown = ui.answer_markdown("Intro:\n- Contact a trade union. [1", (P1,), "src-0")
    assert "<a " not in markdown and markdown.endswith("\\[1")


def test_stream_prefixes_grow_to_the_whole_answer():
    prefixes = list(ui.stream_prefixes(ANSWER_TEXT, steps=10))
    assert 5 <= len(prefixes) <= 11
    assert all(ANSWER_TEXT.startswith(p) for p in prefixes)
    assert all(len(a) < len(b) for a, b in zip(prefixes, prefixes[1:]))
    assert prefixes[-1] == ANSWER_TEXT
    assert list(ui.stream_prefixes("")) == [""]


def test_chat_messages_two_per_exchange_streaming_only_the_last():
    conv = Conversation().add(Exchange("Who can verify wages?", ANSWER)).add(Exchange("<b>Hi</b>", error="Sorry."))
    conv = conv.add(Exchange("And in Pakistan?", ANSWER))
    messages = ui.chat_messages(conv, streaming="For “Gathering")
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert 'href="#src-0-1"' in messages[1]["content"]
    assert messages[2]["content"] == "&lt;b&gt;Hi&lt;/b&gt;" and messages[3]["content"] == "Sorry\\."
    assert messages[5]["content"] == "For “Gathering"


def test_exchange_index_maps_gradio_message_indices():
    assert [ui.exchange_index(i) for i in (0, 1, 2, 3, [5, 0])] == [0, 0, 1, 1, 2]


# --- refusing input politely, in the interface language ---------------------------------------------------


def test_refusal_is_polite_and_localised():
    assert ui.refusal("Met wie werk ik samen?", 2000, "nl") is None
    too_long = "woord " * 500
    expected = "Je vraag is 2,999 tekens lang. Houd het alsjeblieft onder de 2,000 tekens."
    assert ui.refusal(too_long, 2000, "nl") == expected
    assert "2,999 characters" in ui.refusal(too_long, 2000, "en")
    assert ui.refusal("   ", 2000, "en") == label("en", "empty")
    assert ui.refusal("\x00\x01binary", 2000, "nl") == label("nl", "junk")


# --- the sources panel --------------------------------------------------------------------------------------


def test_passage_html_escapes_and_marks_and_keeps_lists():
    end = EXAMPLE.index(" (read")
    html = ui.passage_html(EXAMPLE + "\n- one <i>\n- two", [(0, end)])
    assert html.startswith("<p><mark>In Pakistan, amendments were made to the minimum wage legislation</mark>")
    assert "&lt;of&gt;" in html and "<ul><li>one &lt;i&gt;</li><li>two</li></ul>" in html


def test_sources_panel_shows_each_cited_passage_with_its_supporting_sentence():
    conv = Conversation().add(Exchange("Who can verify wages?", ANSWER))
    html = ui.sources_panel(conv, -1, CHUNKS, "en")
    cards = re.findall(r'<article class="source" id="(src-0-\d)"', html)
    assert cards == ["src-0-1", "src-0-2", "src-0-3"]
    assert html.count(TITLE) == 3
    assert "Gathering knowledge or verifying information › Practice" in html
    assert '<span class="source-lang" lang="en">English</span>' in html
    first = html.split('id="src-0-2"')[0]
    assert "<mark>Need to initiate a discussion about freedom of association in a country like India? Contact an " \
           "(international) trade union.</mark>" in first
    assert "<mark>Start by" not in first  # only the quoted sentence is highlighted
    # the "Practical example: " label of the answer is not part of the passage, but the sentence is found
    assert "<mark>In Pakistan, amendments were made to the minimum wage legislation (read the case).</mark>" in html


def test_the_full_section_can_be_opened_when_the_passage_is_only_part_of_it():
    conv = Conversation().add(Exchange("Who can verify wages?", ANSWER))
    html = ui.sources_panel(conv, 0, CHUNKS, "nl")
    card_1 = html.split('id="src-0-1"')[1].split("</article>")[0]
    assert '<details class="full-section"><summary>Toon de hele paragraaf</summary>' in card_1
    assert "Fair Wear Foundation" in card_1  # the rest of the section, from the next chunk
    card_3 = html.split('id="src-0-3"')[1].split("</article>")[0]
    assert "full-section" not in card_3  # the passage is the whole section
    assert "Engels" in card_1


def test_no_sources_when_the_documents_do_not_cover_the_question():
    conv = Conversation().add(Exchange("What is the capital of Australia?", ABSTAINED))
    html = ui.sources_panel(conv, -1, CHUNKS, "en")
    assert "<article" not in html and label("en", "sources_none") in html
    assert "What is the capital of Australia?" in html
    failed = ui.sources_panel(Conversation().add(Exchange("<b>x</b>", error="Sorry")), -1, CHUNKS, "en")
    assert "<article" not in failed and "&lt;b&gt;x&lt;/b&gt;" in failed
    assert label("en", "sources_empty") in ui.sources_panel(Conversation(), -1, CHUNKS, "en")


def test_every_source_card_links_to_its_ser_publication_in_a_new_tab():
    conv = Conversation().add(Exchange("Who can verify wages?", ANSWER))
    url = "https://www.ser.nl/en/themes/irbc/meaningful-dialogue"
    html = ui.sources_panel(conv, -1, CHUNKS, "nl", {DOC_ID: url, "other": "https://example.org"})
    cards = html.split("<article")[1:]
    assert len(cards) == 3
    for card in cards:
        assert (f'<a class="source-link" href="{url}" target="_blank" rel="noopener noreferrer">'
                f'Open de SER-publicatie</a>') in card
    assert "source-link" not in ui.sources_panel(conv, -1, CHUNKS, "nl")  # no url in the manifest: no link
    partner_card = ui.source_card(1, P1, (), CHUNKS, "en", "pf", collapsed=True, links={DOC_ID: url})
    assert f'href="{url}"' in partner_card and "Open the SER publication" in partner_card


def test_document_text_in_the_panel_is_escaped():
    hostile = Chunk("d:x", "d", "<b>Title</b>", "en", ("<i>Sec</i>",), "Text <script>alert(1)</script>.", "content", 0)
    answer = Answer("Intro:\n- Text <script>alert(1)</script>. [1]", "en", (passage(hostile),), False)
    html = ui.sources_panel(Conversation().add(Exchange("q", answer)), -1, [hostile], "en")
    assert "<script>" not in html and "<b>Title" not in html and "<i>Sec" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- examples and labels ------------------------------------------------------------------------------------


def test_example_questions_cover_every_document_then_each_purpose_in_the_interface_language():
    knowledge_document = {"en": "who-to-partner-up-with", "nl": "met-wie-werk-je-samen"}
    for lang in ("en", "nl"):
        covered = {doc for doc, _ in labels.DOCUMENT_EXAMPLES[lang]}
        assert covered == {"pilot-trainingsprogramma-india", "case-minimumloon-sindh", "commitment-van-stakeholders",
                           knowledge_document[lang]}
    purposes = [Purpose(0, "Promoting efficiency", "d", "en"), Purpose(1, "NGO support", "d", "en")]
    en = ui.example_questions(purposes, "en")
    assert en[-2:] == ["Who should I collaborate with when it comes to promoting efficiency?",
                       "Who should I collaborate with when it comes to NGO support?"]
    assert en[:-2] == [q for _, q in labels.DOCUMENT_EXAMPLES["en"]]
    nl = ui.example_questions([Purpose(0, "Efficiëntie in tijd en middelen bevorderen", "d", "nl")], "nl")
    assert nl[-1] == "Met wie werk ik samen als het gaat om efficiëntie in tijd en middelen bevorderen?"
    assert all(q.endswith("?") for q in en + nl)


def test_both_interface_languages_have_every_label():
    assert set(LABELS["nl"]) == set(LABELS["en"])
    assert all(LABELS["nl"][key].strip() for key in LABELS["nl"])
    differing = [k for k in LABELS["en"] if LABELS["en"][k] != LABELS["nl"][k]]
    assert len(differing) > 0.9 * len(LABELS["en"])  # really translated
    assert preferred_language("nl-BE,nl;q=0.9") == "nl" and preferred_language("fr-FR") == "en"
