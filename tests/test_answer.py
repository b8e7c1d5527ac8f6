"""Extractive answers: every statement cited, citations resolve, abstention, language, follow-ups."""

from __future__ import annotations

import re

import pytest

from assistant import Answer, QuestionError

pytestmark = pytest.mark.slow


def cited_numbers(answer: Answer) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", answer.text)]


def assert_grounded(answer: Answer, corpus_texts: set[str]) -> None:
    """Every statement line ends in a citation that resolves, and its text is the cited passage's."""
    numbers = cited_numbers(answer)
    assert numbers and set(numbers) == set(range(1, len(answer.citations) + 1))
    retrieved = {p.chunk_id for p in answer.passages}
    for passage in answer.citations:
        assert passage.chunk_id in retrieved
        assert passage.text in corpus_texts
    originals = {q.text: q.original for q in answer.quotes}
    for line in answer.text.split("\n")[1:]:
        match = re.fullmatch(r"- (.*?)(?: \([^()]*\))? \[(\d+)\]", line)
        assert match, line
        quoted, number = match.group(1), int(match.group(2))
        quoted = originals.get(quoted, quoted)  # a translated statement rests on its Dutch original
        source = answer.citations[number - 1].text
        quoted = quoted.split(": ", 1)[1] if quoted not in source and ": " in quoted else quoted
        assert quoted in source.replace("\n- ", " ").replace("\n", " ") or quoted in source, (quoted, source)


@pytest.fixture(scope="module")
def corpus_texts(assistant):
    return {c.text for c in assistant.chunks}


def test_partner_question_brings_out_partner_types_and_the_example(assistant, corpus_texts):
    answer = assistant.ask("Who should I partner with to verify wage information in Pakistan?")
    assert not answer.abstained and answer.lang == "en"
    assert_grounded(answer, corpus_texts)
    text = answer.text.lower()
    assert "trade union" in text or "fair wear foundation" in text
    assert "ngo" in text
    assert "Gathering knowledge or verifying information" in answer.text
    assert all(p.doc_id == "who-to-partner-up-with" for p in answer.citations)


def test_dutch_partner_question_is_answered_from_the_dutch_document(assistant, corpus_texts):
    answer = assistant.ask("Met wie kan ik samenwerken om de logistiek van een dialoog in India te regelen?")
    assert not answer.abstained and answer.lang == "nl"
    assert_grounded(answer, corpus_texts)
    assert answer.citations[0].doc_id == "met-wie-werk-je-samen"
    assert "reisbureau" in answer.text or "ngo" in answer.text


def test_dutch_question_about_a_dutch_only_document(assistant, corpus_texts):
    answer = assistant.ask("hoe krijg ik een leverancier mee in een trainingsprogramma?")
    assert not answer.abstained and answer.lang == "nl"
    assert_grounded(answer, corpus_texts)
    assert any(p.doc_id == "pilot-trainingsprogramma-india" for p in answer.citations)


def test_english_question_answered_from_dutch_text_shows_marked_english(assistant, corpus_texts):
    answer = assistant.ask("By how much was the minimum wage in Sindh raised, and when?")
    assert not answer.abstained and answer.lang == "en"
    assert_grounded(answer, corpus_texts)
    assert "25,000 rupees" in answer.text and "(unofficial translation)" in answer.text
    assert any("25.000 roepies" in q.original for q in answer.quotes)  # the SER's own words behind it


@pytest.mark.parametrize(
    "question", ["What is the capital of Australia?", "Geef me een recept voor appeltaart.",
                 "Who won the football world cup in 2018?", "<script>alert(1)</script>",
                 "What does it cost to hire a travel agency for a dialogue in India?"],
)
def test_out_of_scope_questions_are_declined_without_sources(assistant, question):
    answer = assistant.ask(question)
    assert answer.abstained
    assert answer.citations == ()
    assert "[" not in answer.text


def test_follow_up_uses_the_conversation(assistant):
    first = assistant.ask("Who should I partner with to verify wage information?")
    follow = assistant.ask("And in Pakistan?", history=[{"role": "user", "content": first.question},
                                                        {"role": "assistant", "content": first.text}])
    assert not follow.abstained and follow.lang == "en"
    assert "Pakistan" in follow.text


def test_bad_questions_raise_a_clear_error(assistant):
    for bad in ("", "   ", "x" * 5000, "\x00\x01\x02binary"):
        with pytest.raises(QuestionError):
            assistant.ask(bad)


def test_who_else_brings_something_new(assistant, corpus_texts):
    from assistant.chat import quoted_sentences

    question = "Met wie werk ik samen om informatie over lonen te verifiëren?"
    first = assistant.ask(question)
    again = assistant.ask("Wie nog meer?", history=[(question, first.text)])
    assert not again.abstained and again.lang == "nl"
    assert_grounded(again, corpus_texts)
    assert quoted_sentences(again.text).isdisjoint(quoted_sentences(first.text))


def test_a_sentence_that_opens_a_list_brings_the_list(assistant):
    answer = assistant.ask("Which purposes can a collaboration in stakeholder dialogue serve?")
    items = [line for line in answer.text.splitlines() if re.match(r"- \d\. ", line)]
    assert len(items) == 7, answer.text


def test_an_anchor_sentence_brings_the_sentence_before_it(assistant):
    from assistant import Passage
    from assistant.answer import ExtractiveAnswerer

    text = ("Organising a dialogue abroad requires insight into logistics and accommodation. "
            "From the Netherlands it is hard to arrange this at a distance. "
            "Working with a local party therefore makes sense.")
    passage = Passage(text=text, doc_id="d", title="T", lang="en", section="S", score=1.0, chunk_id="c",
                      role="content", section_path=("S",), dense=0.5, coverage=1.0)
    query = assistant.retriever.analyse("Why is it hard to arrange a dialogue from the Netherlands at a distance?")
    answer = ExtractiveAnswerer(assistant.settings).answer(query, [passage])
    lines = answer.text.splitlines()[1:]
    assert lines[0].startswith("- Organising a dialogue abroad requires insight"), answer.text
    assert lines[1].startswith("- From the Netherlands it is hard"), answer.text


def test_a_price_question_is_answered_only_where_the_documents_name_an_amount(assistant):
    answer = assistant.ask("Hoeveel kostte de verhoging van het minimumloon in Sindh in roepies?")
    assert not answer.abstained and "roepies" in answer.text, answer.text


def test_a_question_for_the_list_of_tips_gets_every_tip_by_its_heading(assistant, corpus_texts):
    answer = assistant.ask("Can you list the 10 tips for successful collaboration?")
    assert_grounded(answer, corpus_texts)
    headings = re.findall(r"^- (\d+)\. ", answer.text, re.M)
    assert headings == [str(n) for n in range(1, 11)], answer.text
    assert answer.text.startswith("“10 tips for successful collaboration”")
    dutch = assistant.ask("Wat zijn de acht leerpunten uit de pilot?")
    assert re.findall(r"^- (\d)\. ", dutch.text, re.M) == [str(n) for n in range(1, 9)], dutch.text
    assert all(p.doc_id == "pilot-trainingsprogramma-india" for p in dutch.citations)


def test_a_number_question_quotes_the_sentence_with_the_number(assistant):
    from assistant.answer import ANSWER_SHAPES

    # "een" is the Dutch article far more often than "one": it does not give a sentence a number's shape.
    assert not ANSWER_SHAPES["number"].search("Dit is een gesprek met een leverancier.")
    assert ANSWER_SHAPES["number"].search("45 minuten later") and ANSWER_SHAPES["number"].search("na één gesprek")
    answer = assistant.ask("Hoeveel minuten te laat kwam de leverancier van bedrijf B binnen?")
    assert "45 minuten" in answer.text


def test_a_quoted_table_of_contents_rests_on_its_passage(assistant):
    from assistant.generation import supported
    from assistant.retrieval import Passage

    overviews = [c for c in assistant.chunks if c.searchable]  # passages with an unsearched table of contents
    assert overviews
    for overview in overviews:
        items = [line[2:] for line in overview.text.split("\n") if line.startswith("- ")]
        assert items and all(supported(item, Passage.from_chunk(overview), assistant.retriever, overview.lang, 0.5)
                             for item in items), overview.section
