"""Answers that answer in the asker's language: translated quotes for Dutch-only sources, one version of a
translated document, numbered list items, declines of specific questions the documents do not answer,
and a confidence level. Real passages, the bundled model, a real Chroma (the session assistant)."""

from __future__ import annotations

import pytest

from assistant.evaluation import language_share
from assistant.ui import answer_quotes, sources_html

pytestmark = pytest.mark.slow


def test_an_english_question_on_a_dutch_only_document_is_answered_in_marked_english(assistant):
    answer = assistant.ask("Which organisations told the companies that the minimum wage in Sindh would go up?")
    assert not answer.abstained
    assert {p.doc_id for p in answer.citations} == {"case-minimumloon-sindh"}
    translated = [q for q in answer.quotes if q.translated]
    assert translated, answer.text
    assert "unofficial translation" in answer.text
    assert language_share(answer.text, "en") >= 0.9, answer.text
    for quote in answer.quotes:  # every statement rests on the SER's own Dutch words in its cited passage
        source = answer.citations[quote.citation - 1].text.replace("\n- ", " ").replace("\n", " ")
        assert quote.original in source or quote.original in answer.citations[quote.citation - 1].text
        assert quote.text in answer.text


def test_the_sources_panel_shows_the_dutch_original_beside_the_translation(assistant):
    answer = assistant.ask("What did the Sindh government do to the statutory minimum wage?")
    originals, translations = answer_quotes(answer)
    assert translations, answer.text
    html = sources_html(answer.citations, originals, assistant.chunks, "en", "t0", translations=translations)
    assert 'class="translation"' in html and "<mark" in html  # the English above, the Dutch marked below
    number = next(iter(translations))
    assert answer.citations[number - 1].lang == "nl"


def test_a_translated_document_is_quoted_in_the_askers_language_only(assistant):
    english = assistant.ask("What are the tips for working with partners in production countries?")
    dutch = assistant.ask("Wat zijn de tips voor samenwerking met partners in productielanden?")
    assert {p.doc_id for p in english.citations} == {"who-to-partner-up-with"}, english.text
    assert {p.doc_id for p in dutch.citations} == {"met-wie-werk-je-samen"}, dutch.text
    assert language_share(english.text, "en") >= 0.9 and language_share(dutch.text, "nl") >= 0.9


def test_each_numbered_item_gives_way_to_the_item_of_the_same_number_in_the_other_version(assistant):
    """The tips and lessons of the translated knowledge document: the counterpart of every numbered item
    is the item of the same number in the same list (the model alone mismatched short tips)."""
    retriever = assistant.retriever
    items = [c for c in assistant.chunks if c.doc_id in ("who-to-partner-up-with", "met-wie-werk-je-samen")
             and len(c.section) > 1 and c.section[-1][:1].isdigit()]
    assert len(items) >= 30
    for chunk in items:
        twin = retriever.chunks[retriever._parallel[(chunk.id, "en" if chunk.lang == "nl" else "nl")]]
        assert twin.section[-1].split(".")[0] == chunk.section[-1].split(".")[0], (chunk.section, twin.section)
    dutch = assistant.ask("Wat houdt de tip 'Avoid tight timelines' in?")
    assert "krappe tijdlijn" in dutch.text and dutch.citations[0].doc_id == "met-wie-werk-je-samen", dutch.text


@pytest.mark.parametrize("question, heading", [
    ("Kun je leerpunt 6 wat meer uitleggen?", "6. Bespreek niet alles"),
    ("What is lesson 6 of the India pilot?", "6. Bespreek niet alles"),
    ("What is tip 3 of the ten tips?", "3. Build trust"),
    ("Wat is het derde element van een betekenisvolle dialoog in de casus over Sindh?", "Kennis"),
    ("What does factor 5 of the commitment tool say?", "5. Mogelijkheden"),
])
def test_a_numbered_item_is_found_by_its_number_and_list(assistant, question, heading):
    top = assistant.retrieve(question, k=1)[0]
    assert top.section_path[-1].startswith(heading), top.section


def test_a_lesson_is_quoted_whole_under_its_heading(assistant):
    answer = assistant.ask("Kun je leerpunt 6 wat meer uitleggen?")
    lesson = answer.citations[0]
    assert lesson.section_path[-1].startswith("6.")
    assert answer.text.split("\n")[1].startswith("- 6. Bespreek niet alles")
    quoted = [q.original for q in answer.quotes if q.citation == 1]
    assert len(quoted) >= 4  # the lesson's sentences, not one echo of the question


@pytest.mark.parametrize("question, lang, parts", [
    ("Welke drie elementen maakten de gesprekken in de Sindh-casus betekenisvol?", "nl",
     ["Commitment:", "Contact:", "Kennis:"]),
    ("In the Sindh case study, which three elements made the conversations meaningful?", "en",
     ["Commitment:", "Contact:", "Knowledge:"]),
])
def test_an_introduction_ending_in_a_colon_brings_the_subsections_it_announces(assistant, question, lang, parts):
    answer = assistant.ask(question)
    lines = answer.text.splitlines()
    intro = next(i for i, line in enumerate(lines) if "drie elementen" in line or "three elements" in line)
    following = lines[intro + 1 : intro + 1 + len(parts)]
    assert [line.removeprefix("- ").startswith(part) for line, part in zip(following, parts)] == [True] * len(parts), \
        answer.text
    cited = {p.section_path[-1] for p in answer.citations}
    assert {"Commitment", "Contact", "Kennis"} <= cited  # each part cites its own subsection
    assert language_share(answer.text, lang) >= 0.9, answer.text


@pytest.mark.parametrize("question", [
    "What is the fine under Pakistani law for paying less than the minimum wage in Sindh?",
    "Met hoeveel procent moesten de inkoopprijzen stijgen om de loonsverhoging in Sindh te dekken?",
    "How much does a membership of the Fair Wear Foundation cost a clothing brand?",
    "How many trainers did the local CSO bring to the second meeting with company B's supplier?",  # "enkele"
    "Hoeveel trainers namen deel aan het tweede gesprek van bedrijf B?",
    "Hoe hoog is een leefbaar loon in Pakistan?",  # "how high" asks for an amount
])
def test_a_specific_question_the_documents_do_not_answer_is_declined(assistant, question):
    answer = assistant.ask(question)
    assert answer.abstained and not answer.citations, answer.text


@pytest.mark.parametrize("question", ["To how many rupees per month was the minimum wage in Sindh raised?",
                                      "Hoe hoog werd het wettelijk minimumloon in Sindh?"])
def test_a_specific_question_the_documents_answer_is_not_declined(assistant, question):
    answer = assistant.ask(question)
    assert not answer.abstained
    assert "25,000" in answer.text or "25.000" in answer.text, answer.text
    assert answer.confidence == "direct"


@pytest.mark.parametrize("question, doc_id", [
    # A why-question that names a price asks for a reason, not for an amount.
    ("Waarom is een eerlijke prijs belangrijk om kinderarbeid te voorkomen?", "commitment-van-stakeholders"),
    ("Why does a fair price help against child labour?", "commitment-van-stakeholders"),
    # "Pakistaanse" is a form of "Pakistan", which the documents have: no name they lack.
    ("Hoe reageerden Pakistaanse fabrikanten op de loonsverhoging?", "case-minimumloon-sindh"),
    # Chat shorthand is no name the documents lack.
    ("do we rly need a local partner to organise a dialogue in a production country?", "who-to-partner-up-with"),
    # Few shared words, but the model matches it closely to the passage on dialogue as a two-way process.
    ("Why can't we just presume stakeholders will agree to sit down with us?", "commitment-van-stakeholders"),
])
def test_an_answerable_question_in_the_askers_own_words_is_not_declined(assistant, question, doc_id):
    answer = assistant.ask(question)
    assert not answer.abstained and answer.citations[0].doc_id == doc_id, answer.text


@pytest.mark.parametrize("situation, asked", [
    ("We buy towels from a mill near Faisalabad. Who can help us verify wage information?",
     "What is the minimum wage in Faisalabad?"),
    ("Wij kopen handdoeken bij een fabriek in Faisalabad. Met wie kunnen we loongegevens verifiëren?",
     "Wat is het minimumloon in Faisalabad?"),
    ("Before we start buying from a spinning mill in Faisalabad, who can help us verify wage information?",
     "Who verifies wage information in Faisalabad?"),
])
def test_a_name_of_the_askers_own_situation_is_no_reason_to_decline(assistant, situation, asked):
    """A place the documents never mention declines a question about it, not one told from there."""
    answer = assistant.ask(situation)
    assert not answer.abstained and answer.citations, answer.text
    assert assistant.ask(asked).abstained


@pytest.mark.parametrize("question", ["How many buying companies did the SER follow in the India pilot?",
                                      "Hoeveel inkopende bedrijven volgde de SER in de pilot in India?"])
def test_a_count_the_documents_give_is_not_declined(assistant, question):
    answer = assistant.ask(question)  # "twee inkopende bedrijven"
    assert not answer.abstained and answer.citations[0].doc_id == "pilot-trainingsprogramma-india", answer.text


def test_every_answer_carries_a_confidence_and_a_related_one_says_so(assistant):
    assert assistant.ask("Who should I partner with to verify wage information?").confidence == "direct"
    # Near the documents' subject, but no sentence answers it: the model rates the best quote below the bar.
    related = assistant.ask("What should a social audit report contain?")
    assert not related.abstained and related.confidence == "related"
    assert related.text.startswith("The SER documents do not answer this directly")
    assert assistant.ask("What is the capital of Australia?").confidence == ""  # an abstention has none
