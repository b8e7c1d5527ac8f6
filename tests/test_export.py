"""Trainer export: real answers written to Markdown and to a real DOCX, read back with python-docx."""

from __future__ import annotations

import pytest
from docx import Document as WordDocument
from docx.enum.text import WD_COLOR_INDEX

from assistant.citations import quotes_by_citation
from assistant.conversation import Conversation, Exchange
from assistant.export import conversation_report, to_markdown, topic_report, write_docx, write_exports

QUESTIONS = ("Who should I partner with to verify wage information in Pakistan?",
             "Met wie werk ik samen om lonen te verifiëren?")


@pytest.fixture(scope="module")
def conversation(assistant) -> Conversation:
    conv = Conversation()
    for question in QUESTIONS + ("What is the capital of Australia?",):
        conv = conv.add(Exchange(question, assistant.ask(question, history=conv.history())))
    return conv.add(Exchange("<script>alert(1)</script> broke", error="Sorry, something went wrong."))


def test_markdown_has_questions_answers_and_full_cited_passages(conversation):
    answered = conversation.exchanges[:2]
    assert all(e.answer.citations for e in answered) and conversation.exchanges[2].answer.abstained
    markdown = to_markdown(conversation_report(conversation, "en"))
    assert markdown.startswith("# Conversation with the SER dialogue assistant\n")
    assert f"## 1. {QUESTIONS[0]}" in markdown and f"## 2. {QUESTIONS[1]}" in markdown
    assert "## 3. What is the capital of Australia?" in markdown
    assert "The documents do not cover this question, so there are no sources." in markdown
    assert "alert" not in markdown  # the failed exchange is no material
    for exchange in answered:
        for n, passage in enumerate(exchange.answer.citations, start=1):
            assert f"#### [{n}] {passage.title}" in markdown
            assert f"Section: {' › '.join(passage.section_path)}" in markdown
            first_line = passage.text.split("\n")[0].removeprefix("- ")
            assert first_line.split(" ")[0] in markdown
        for statement in exchange.answer.text.splitlines()[1:]:
            assert statement[-3:] in markdown  # the [n] markers stay plain
    # supporting sentences are bold inside the quoted passage
    quotes = quotes_by_citation(answered[0].answer.text)[1]
    assert any(f"> **{q}" in markdown or f" **{q}" in markdown for q in quotes)
    assert markdown.count("**") >= 2 * len(answered[0].answer.citations)


def test_docx_is_a_real_word_document_with_highlighted_supporting_sentences(conversation, tmp_path):
    path = write_docx(conversation_report(conversation, "nl"), tmp_path / "gesprek.docx")
    document = WordDocument(str(path))
    assert document.core_properties.title == "Gesprek met de SER-dialoogassistent"
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert f"1. {QUESTIONS[0]}" in headings and f"2. {QUESTIONS[1]}" in headings
    assert headings.count("Antwoord") == 3 and headings.count("Bronnen") == 2
    text = "\n".join(p.text for p in document.paragraphs)
    for exchange in conversation.exchanges[:2]:
        for n, passage in enumerate(exchange.answer.citations, start=1):
            assert f"[{n}] {passage.title}" in headings
            for line in passage.text.split("\n"):
                assert line.removeprefix("- ") in text  # the full passage, line by line
    highlighted = [r.text for p in document.paragraphs for r in p.runs
                   if r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    quoted = [q for e in conversation.exchanges[:2] for qs in quotes_by_citation(e.answer.text).values() for q in qs]
    assert highlighted and all(any(h in q for q in quoted) for h in highlighted)
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert any(b.endswith("[1]") for b in bullets)


def test_topic_export_lists_the_passages_found(assistant, tmp_path):
    passages = assistant.retrieve("vakbondsvrijheid", k=4)
    report = topic_report("vakbondsvrijheid", passages, "nl")
    markdown_path, docx_path = write_exports(report, tmp_path / "out", "vakbond")
    markdown = markdown_path.read_text(encoding="utf-8")
    assert markdown.startswith("# Passages over “vakbondsvrijheid”")
    assert markdown.count("#### [") == 4 and "Antwoord" not in markdown
    document = WordDocument(str(docx_path))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 3"]
    assert headings == [f"[{n}] {p.title}" for n, p in enumerate(passages, start=1)]


def test_user_text_cannot_inject_markdown(assistant):
    conv = Conversation().add(Exchange("# <img src=x onerror=alert(1)> *x*", assistant.ask("vakbondsvrijheid")))
    markdown = to_markdown(conversation_report(conv, "en"))
    assert "## 1. \\# \\<img src=x onerror=alert(1)\\> \\*x\\*" in markdown


LINKS = {"who-to-partner-up-with": "https://www.ser.nl/en/themes/irbc/meaningful-dialogue",
         "met-wie-werk-je-samen": "https://www.ser.nl/nl/thema/imvo/betekenisvolle-dialoog"}


def test_every_exported_source_links_to_its_ser_publication(conversation, tmp_path):
    report = conversation_report(conversation, "en", LINKS)
    cited = [p for e in conversation.exchanges[:2] for p in e.answer.citations]
    assert {p.doc_id for p in cited} <= set(LINKS)
    markdown = to_markdown(report)
    for url in {LINKS[p.doc_id] for p in cited}:
        assert f"[Open the SER publication](<{url}>)" in markdown
    assert markdown.count("[Open the SER publication]") == len(cited)

    document = WordDocument(str(write_docx(conversation_report(conversation, "nl", LINKS), tmp_path / "g.docx")))
    targets = [r.target_ref for r in document.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert sorted(set(targets)) == sorted({LINKS[p.doc_id] for p in cited})
    link_texts = [p.text for p in document.paragraphs if p.text == "Open de SER-publicatie"]
    assert len(link_texts) == len(cited)


def test_no_link_is_exported_for_a_document_without_url(conversation):
    assert "SER publication" not in to_markdown(conversation_report(conversation, "en"))
