"""Interface text in Dutch and English: one table per language with the same keys.

>>> label("nl", "send")
'Verstuur'
>>> label("en", "too_long", length="2,345", limit="2,000")
'Your question is 2,345 characters long. Please keep it under 2,000 characters.'
"""

from __future__ import annotations

import re

UI_LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "en"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "SER dialogue assistant",
        "subtitle": "Ask about meaningful stakeholder dialogue in international supply chains, in Dutch or English. "
                    "Every statement links to the passage it comes from.",
        "tab_chat": "Ask",
        "tab_partners": "Partner finder",
        "tab_export": "Trainer export",
        "chat_label": "Conversation",
        "chat_placeholder": "Ask a question in Dutch or English, or pick an example below.",
        "question": "Your question",
        "question_placeholder": "e.g. Who should I partner with to verify wage information?",
        "send": "Send",
        "new_conversation": "New conversation",
        "past_conversations": "Your conversations",
        "past_info": "Kept in this browser only: your latest {conversations} conversations at most, each with its "
                     "last {questions} questions (the oldest go first). Pick one to reopen it.",
        "earlier_dropped": "Only the last {kept} questions and answers of this conversation are kept (earlier ones: "
                           "{count}). Start a new conversation for a new topic.",
        "conversation_name": "Name of this conversation",
        "conversation_name_placeholder": "e.g. Wages in Pakistan",
        "rename": "Rename",
        "delete_conversation": "Delete this conversation",
        "conversation_gone": "That conversation is no longer kept in this browser.",
        "conversation_deleted": "The conversation was deleted from this browser.",
        "examples": "Example questions",
        "sources": "Sources",
        "sources_for": "Sources for",
        "sources_empty": "Ask a question: the passages behind the answer appear here.",
        "sources_none": "The documents do not cover this question, so there are no sources.",
        "sources_error": "No sources: this question could not be answered.",
        "sources_pending": "The sources appear here with the answer.",
        "sources_hint": "Click a message to see its sources.",
        "full_section": "Show the full section",
        "translation": "Unofficial English translation of the marked Dutch original below:",
        "confidence_direct": "Confidence: direct answer from the documents",
        "confidence_related": "Confidence: related passages only (the documents do not answer this directly)",
        "open_publication": "Open the SER publication",
        "passage": "Show the passage",
        "feedback_up": "Thanks for your feedback! Anything to add? (optional)",
        "feedback_down": "Thanks! What was wrong or missing? (optional)",
        "feedback_cleared": "Your rating was removed.",
        "comment": "Comment on this answer",
        "comment_placeholder": "e.g. the answer missed the partner I was looking for",
        "send_comment": "Send comment",
        "comment_saved": "Thank you, your comment was saved.",
        "feedback_failed": "Your feedback could not be saved right now; please try again later.",
        "too_long": "Your question is {length} characters long. Please keep it under {limit} characters.",
        "empty": "Please type a question first.",
        "junk": "That does not look like a question. Please type a question in Dutch or English.",
        "internal_error": "Sorry, something went wrong on our side while answering. It has been logged; "
                          "please try again or rephrase your question.",
        "thinking": "Searching the SER documents…",
        "purpose": "Purpose of the collaboration",
        "topic": "Stakeholder or topic (optional)",
        "topic_placeholder": "e.g. trade union, local communities, wages",
        "show_partners": "Show partners",
        "partners_intro": "Recommended for “{purpose}”",
        "partners": "Recommended partners",
        "what_to_do": "What to do",
        "example": "Practical example",
        "tips": "Tips",
        "tips_for_topic": "Tips about “{topic}”",
        "tips_no_topic_match": "No tip mentions “{topic}”; these tips fit this purpose:",
        "matches_topic": "matches “{topic}”",
        "pick_purpose": "Pick a purpose to see whom to partner with.",
        "no_guide": "No knowledge document with collaboration purposes is in the index.",
        "export_conversation": "Export this conversation",
        "export_conversation_info": "Questions, answers and the full cited passages, for workshop material.",
        "export_markdown": "Markdown",
        "export_docx": "Word (DOCX)",
        "export_topic": "Export a topic's passages",
        "export_topic_label": "Topic",
        "export_topic_placeholder": "e.g. vakbondsvrijheid, trust, minimum wage",
        "export_topic_count": "Number of passages",
        "export_files": "Files",
        "quiz_title": "Workshop quiz: {topic}",
        "quiz_title_all": "Workshop quiz on the SER guidance",
        "quiz_intro": "{count} questions about the SER guidance on meaningful stakeholder dialogue.",
        "quiz_your_answer": "Your answer",
        "quiz_key_title": "{title} — answer key",
        "quiz_key_intro": "The reference answers to the {count} questions, with the passages of the SER documents "
                          "that answer them.",
        "quiz_source": "Source",
        "quiz_questions_file": "questions",
        "quiz_answers_file": "answers",
        "quiz_section": "Workshop quiz",
        "quiz_section_info": "A question sheet and a separate answer key with the passages, from the evaluation "
                             "questions marked fit for a quiz.",
        "quiz_lang": "Language of the questions",
        "quiz_tag": "Topic (tag)",
        "quiz_doc": "Document",
        "quiz_any": "all",
        "quiz_informal": "Also informal phrasings (chat style, typos)",
        "quiz_button": "Make the quiz",
        "quiz_none": "No questions match this choice; pick another topic or document.",
        "quiz_unavailable": "The quiz needs the evaluation questions (eval/cases.jsonl), which are not found here.",
        "nothing_to_export": "There is nothing to export yet: ask a question first.",
        "export_title": "Conversation with the SER dialogue assistant",
        "topic_export_title": "Passages on “{topic}”",
        "exported_on": "Exported on {date} (version {version}).",
        "doc_question": "Question",
        "doc_answer": "Answer",
        "doc_sources": "Sources",
        "doc_document": "Document",
        "doc_section": "Section",
        "doc_language": "Language",
        "example_purpose": "Who should I collaborate with when it comes to {purpose}?",
        "footer": "Answers quote the SER guidance (IMVO/IRBC) verbatim; nothing is generated or sent elsewhere.",
    },
    "nl": {
        "title": "SER-dialoogassistent",
        "subtitle": "Stel vragen over betekenisvolle stakeholderdialoog in internationale ketens, in het Nederlands of "
                    "Engels. Elke uitspraak verwijst naar de passage waar die vandaan komt.",
        "tab_chat": "Vraag",
        "tab_partners": "Partnerkeuze",
        "tab_export": "Export voor trainers",
        "chat_label": "Gesprek",
        "chat_placeholder": "Stel een vraag in het Nederlands of Engels, of kies hieronder een voorbeeld.",
        "question": "Je vraag",
        "question_placeholder": "bijv. Met wie werk ik samen om lonen te verifiëren?",
        "send": "Verstuur",
        "new_conversation": "Nieuw gesprek",
        "past_conversations": "Je gesprekken",
        "past_info": "Alleen in deze browser bewaard: je laatste {conversations} gesprekken hooguit, elk met de "
                     "laatste {questions} vragen (de oudste gaan eerst). Kies er een om het te heropenen.",
        "earlier_dropped": "Van dit gesprek worden alleen de laatste {kept} vragen en antwoorden bewaard (eerdere: "
                           "{count}). Begin een nieuw gesprek voor een nieuw onderwerp.",
        "conversation_name": "Naam van dit gesprek",
        "conversation_name_placeholder": "bijv. Lonen in Pakistan",
        "rename": "Hernoem",
        "delete_conversation": "Verwijder dit gesprek",
        "conversation_gone": "Dat gesprek wordt niet meer in deze browser bewaard.",
        "conversation_deleted": "Het gesprek is uit deze browser verwijderd.",
        "examples": "Voorbeeldvragen",
        "sources": "Bronnen",
        "sources_for": "Bronnen bij",
        "sources_empty": "Stel een vraag: de passages achter het antwoord verschijnen hier.",
        "sources_none": "De documenten gaan niet over deze vraag, dus er zijn geen bronnen.",
        "sources_error": "Geen bronnen: deze vraag kon niet worden beantwoord.",
        "sources_pending": "De bronnen verschijnen hier bij het antwoord.",
        "sources_hint": "Klik op een bericht om de bronnen ervan te zien.",
        "full_section": "Toon de hele paragraaf",
        "translation": "Onofficiële Engelse vertaling van de gemarkeerde Nederlandse tekst hieronder:",
        "confidence_direct": "Betrouwbaarheid: direct antwoord uit de documenten",
        "confidence_related": "Betrouwbaarheid: alleen verwante passages (de documenten beantwoorden dit niet rechtstreeks)",
        "open_publication": "Open de SER-publicatie",
        "passage": "Toon de passage",
        "feedback_up": "Bedankt voor je feedback! Wil je nog iets toevoegen? (optioneel)",
        "feedback_down": "Bedankt! Wat klopte er niet of wat miste je? (optioneel)",
        "feedback_cleared": "Je beoordeling is verwijderd.",
        "comment": "Opmerking bij dit antwoord",
        "comment_placeholder": "bijv. het antwoord noemde niet de partner die ik zocht",
        "send_comment": "Verstuur opmerking",
        "comment_saved": "Dank je, je opmerking is opgeslagen.",
        "feedback_failed": "Je feedback kon nu niet worden opgeslagen; probeer het later opnieuw.",
        "too_long": "Je vraag is {length} tekens lang. Houd het alsjeblieft onder de {limit} tekens.",
        "empty": "Typ eerst een vraag.",
        "junk": "Dat lijkt geen vraag. Typ een vraag in het Nederlands of Engels.",
        "internal_error": "Sorry, er ging bij ons iets mis bij het beantwoorden. Dat is vastgelegd; "
                          "probeer het opnieuw of stel je vraag anders.",
        "thinking": "De SER-documenten worden doorzocht…",
        "purpose": "Doel van de samenwerking",
        "topic": "Stakeholder of onderwerp (optioneel)",
        "topic_placeholder": "bijv. vakbond, lokale gemeenschappen, lonen",
        "show_partners": "Toon partners",
        "partners_intro": "Aanbevolen voor “{purpose}”",
        "partners": "Aanbevolen partners",
        "what_to_do": "Wat moet je doen?",
        "example": "Praktijkvoorbeeld",
        "tips": "Tips",
        "tips_for_topic": "Tips over “{topic}”",
        "tips_no_topic_match": "Geen tip noemt “{topic}”; deze tips passen bij dit doel:",
        "matches_topic": "past bij “{topic}”",
        "pick_purpose": "Kies een doel om te zien met wie je samenwerkt.",
        "no_guide": "Er staat geen kennisdocument met samenwerkingsdoelen in de index.",
        "export_conversation": "Dit gesprek exporteren",
        "export_conversation_info": "Vragen, antwoorden en de volledige geciteerde passages, voor trainingsmateriaal.",
        "export_markdown": "Markdown",
        "export_docx": "Word (DOCX)",
        "export_topic": "Passages over een onderwerp exporteren",
        "export_topic_label": "Onderwerp",
        "export_topic_placeholder": "bijv. vakbondsvrijheid, vertrouwen, minimumloon",
        "export_topic_count": "Aantal passages",
        "export_files": "Bestanden",
        "quiz_title": "Workshopquiz: {topic}",
        "quiz_title_all": "Workshopquiz over de SER-handreikingen",
        "quiz_intro": "{count} vragen over de SER-handreikingen voor betekenisvolle stakeholderdialoog.",
        "quiz_your_answer": "Je antwoord",
        "quiz_key_title": "{title} — antwoordsleutel",
        "quiz_key_intro": "De modelantwoorden op de {count} vragen, met de passages uit de SER-documenten "
                          "waarin het antwoord staat.",
        "quiz_source": "Bron",
        "quiz_questions_file": "vragen",
        "quiz_answers_file": "antwoorden",
        "quiz_section": "Workshopquiz",
        "quiz_section_info": "Een vragenblad en een aparte antwoordsleutel met de passages, uit de evaluatievragen "
                             "die geschikt zijn voor een quiz.",
        "quiz_lang": "Taal van de vragen",
        "quiz_tag": "Onderwerp (tag)",
        "quiz_doc": "Document",
        "quiz_any": "alle",
        "quiz_informal": "Ook informele formuleringen (chatstijl, tikfouten)",
        "quiz_button": "Maak de quiz",
        "quiz_none": "Geen vragen passen bij deze keuze; kies een ander onderwerp of document.",
        "quiz_unavailable": "De quiz heeft de evaluatievragen nodig (eval/cases.jsonl), die hier niet te vinden zijn.",
        "nothing_to_export": "Er is nog niets om te exporteren: stel eerst een vraag.",
        "export_title": "Gesprek met de SER-dialoogassistent",
        "topic_export_title": "Passages over “{topic}”",
        "exported_on": "Geëxporteerd op {date} (versie {version}).",
        "doc_question": "Vraag",
        "doc_answer": "Antwoord",
        "doc_sources": "Bronnen",
        "doc_document": "Document",
        "doc_section": "Paragraaf",
        "doc_language": "Taal",
        "example_purpose": "Met wie werk ik samen als het gaat om {purpose}?",
        "footer": "Antwoorden citeren de SER-handreikingen (IMVO) letterlijk; er wordt niets gegenereerd of verstuurd.",
    },
}

LANGUAGE_NAMES = {
    "en": {"en": "English", "nl": "Dutch"},
    "nl": {"en": "Engels", "nl": "Nederlands"},
}

#: The language switch shows each language in its own name, under a label in both.
LANGUAGE_CHOICES = [("Nederlands", "nl"), ("English", "en")]
LANGUAGE_LABEL = "Taal · Language"

#: Questions that are not about one purpose; the purpose questions come from the index (see ui.example_questions).
#: Example questions, worded as people ask them: at least one per document, each answered from it
#: (tests/test_webapp.py checks that). The collaboration purposes follow, one question each.
DOCUMENT_EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("who-to-partner-up-with", "Who should I partner with to verify wage information in Pakistan?"),
        ("pilot-trainingsprogramma-india", "What did the India pilot learn about getting a supplier into a training programme?"),
        ("case-minimumloon-sindh", "How did companies talk with suppliers about the minimum wage increase in Sindh?"),
        ("commitment-van-stakeholders", "How do I get suppliers committed to a dialogue?"),
        ("who-to-partner-up-with", "How can I build trust with a partner organisation in a production country?"),
    ),
    "nl": (
        ("met-wie-werk-je-samen", "Met wie werk ik samen om lonen te verifiëren?"),
        ("pilot-trainingsprogramma-india", "Hoe krijg ik een leverancier mee in een trainingsprogramma?"),
        ("case-minimumloon-sindh", "Hoe gingen bedrijven met leveranciers in gesprek over het hogere minimumloon in Sindh?"),
        ("commitment-van-stakeholders", "Hoe krijg ik het commitment van leveranciers voor een dialoog?"),
        ("met-wie-werk-je-samen", "Wat zijn tips voor een succesvolle samenwerking?"),
    ),
}


def ui_language(lang: str | None) -> str:
    """A supported interface language: ``lang`` when it is one, else the default.

    >>> ui_language("nl"), ui_language("de"), ui_language(None)
    ('nl', 'en', 'en')
    """
    return lang if lang in UI_LANGUAGES else DEFAULT_LANGUAGE


def label(lang: str, key: str, **fields: str) -> str:
    """The interface text ``key`` in ``lang`` (falling back to English), with ``{fields}`` filled in."""
    text = LABELS[ui_language(lang)].get(key) or LABELS[DEFAULT_LANGUAGE][key]
    return text.format(**fields) if fields else text


def language_name(code: str, ui_lang: str) -> str:
    """The name of a document language in the interface language.

    >>> language_name("nl", "en"), language_name("en", "nl")
    ('Dutch', 'Engels')
    """
    return LANGUAGE_NAMES[ui_language(ui_lang)].get(code, code)


def preferred_language(accept_language: str | None) -> str:
    """The first supported language of a browser's ``Accept-Language`` header.

    >>> preferred_language("nl-NL,nl;q=0.9,en;q=0.8"), preferred_language("de-DE,de;q=0.9"), preferred_language(None)
    ('nl', 'en', 'en')
    """
    for part in (accept_language or "").split(","):
        code = re.split(r"[-_;]", part.strip().lower(), maxsplit=1)[0]
        if code in UI_LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
