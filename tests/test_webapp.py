"""The app's event handlers, called as plain functions over the real assistant and a real SQLite file."""

from __future__ import annotations

import html
import logging
import re
import sqlite3
from pathlib import Path

import gradio as gr
import pytest

from assistant import saved
from assistant.conversation import MAX_EXCHANGES, Conversation, Exchange
from assistant.feedback import FeedbackStore
from assistant.labels import DOCUMENT_EXAMPLES, label
from assistant.saved import MAX_CONVERSATIONS, MAX_KEPT_EXCHANGES
from assistant.webapp import CALM_ANSWERS, ChatApp


@pytest.fixture
def app(assistant, tmp_path) -> ChatApp:
    return ChatApp(assistant, FeedbackStore(tmp_path / "feedback.sqlite3"), stream_delay=0, export_dir=tmp_path / "x")


def ask(app: ChatApp, question: str, conversation: Conversation | None = None, lang: str = "en") -> list[tuple]:
    return list(app.respond(question, conversation or Conversation(), lang))


def test_answer_streams_in_then_shows_its_sources(app):
    steps = ask(app, "Who should I partner with to verify wage information in Pakistan?")
    messages, conversation, box, sources = steps[-1]
    assert box == "" and len(conversation) == 1
    answer = conversation.exchanges[0].answer
    assert not answer.abstained and answer.citations
    assert steps[0][0][-1]["content"] == label("en", "thinking").replace(".", "\\.")
    # until the answer is there the panel says its sources follow; the steps before the last change only the chat
    assert all(s[3] == steps[0][3] and label("en", "sources_pending") in s[3] for s in steps[:-1])
    streamed = [s[0][-1]["content"] for s in steps[1:-1]]
    assert len(streamed) >= 5 and all(len(a) <= len(b) for a, b in zip(streamed, streamed[1:]))
    assert messages[-1]["content"].count('class="cite"') == len(re.findall(r"\[\d+\]", answer.text)) >= 1
    cards = re.findall(r'<article class="source" id="src-0-(\d+)"', sources)
    assert cards == [str(n) for n in range(1, len(answer.citations) + 1)]
    assert "<mark>" in sources


def test_a_busy_app_shows_answers_whole_instead_of_word_by_word(app):
    question = "Who should I partner with to verify wage information in Pakistan?"
    others = [app.respond(f"Question {n}: who verifies wages?", Conversation(), "en") for n in range(CALM_ANSWERS)]
    for other in others:
        next(other)  # each is being answered now
    assert app.answers_in_progress == CALM_ANSWERS
    thinking, answered = ask(app, question)  # one more than CALM_ANSWERS: no word-by-word replay
    assert thinking[0][-1]["content"] == label("en", "thinking").replace(".", "\\.")
    assert answered[1].exchanges[0].answer.citations and "<article" in answered[3]
    for other in others:
        other.close()  # a browser that goes away ends its answer too
    assert app.answers_in_progress == 0
    assert len(ask(app, question)) > 2  # calm again: streamed


def test_follow_up_questions_use_the_conversation_in_the_users_language(app):
    conv = ask(app, "Met wie werk ik samen om lonen te verifiëren?", lang="en")[-1][1]
    follow_up = ask(app, "Wie nog meer?", conv, lang="en")[-1][1].exchanges[-1].answer
    assert follow_up.lang == "nl" and not follow_up.abstained and follow_up.citations
    alone = ask(app, "Wie nog meer?", lang="en")[-1][1].exchanges[-1].answer
    assert alone.abstained  # without the conversation the question says nothing
    conv = ask(app, "Who can help me verify wage information?")[-1][1]
    pakistan = ask(app, "And in Pakistan?", conv)[-1][1].exchanges[-1].answer
    assert pakistan.lang == "en" and not pakistan.abstained and "Pakistan" in pakistan.text


def test_uncovered_question_says_so_and_shows_no_sources(app):
    *_, (messages, conversation, _, sources) = ask(app, "What is the capital of Australia?")
    assert conversation.exchanges[0].answer.abstained
    assert "cite" not in messages[-1]["content"]
    assert "<article" not in sources and label("en", "sources_none") in sources


def test_too_long_input_is_refused_politely_and_kept_for_editing(app):
    with pytest.warns(UserWarning, match="characters long"):
        steps = ask(app, "Why? " * 600)
    [(messages, conversation, box, sources)] = steps
    assert messages == [] and len(conversation) == 0
    assert box == gr.update() and sources == gr.update()  # the text stays in the box


class Failing:
    """The real object, except that the named methods fail unexpectedly (nothing real fails on demand);
    ``parts`` replaces attributes outright."""

    def __init__(self, real, *methods: str, **parts) -> None:
        self._real, self._methods, self._parts = real, methods, parts

    def __getattr__(self, name):
        if name in self._parts:
            return self._parts[name]
        if name in self._methods:
            return _disk_on_fire
        return getattr(self._real, name)


def _disk_on_fire(*args, **kwargs):
    raise RuntimeError("disk on fire")


def _draft_then_fire(*args, **kwargs):
    yield "A draft that will not"
    raise RuntimeError("disk on fire")


def failing_assistant(assistant) -> Failing:
    """An assistant whose answering and searching fail, the retriever too (the partner finder ranks every
    passage through it)."""
    return Failing(assistant, "ask", "retrieve", ask_stream=_draft_then_fire,
                   retriever=Failing(assistant.retriever, "search"))


def test_internal_error_is_friendly_logged_and_the_app_keeps_serving(assistant, tmp_path, caplog):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    broken = ChatApp(failing_assistant(assistant), store, stream_delay=0, export_dir=tmp_path / "x")
    with caplog.at_level(logging.ERROR, logger="assistant.webapp"):
        *_, (messages, conversation, box, sources) = ask(broken, "Met wie werk ik samen?", lang="nl")
    assert messages[-1]["content"] == label("nl", "internal_error").replace(".", "\\.").replace("(", "\\(")
    assert "disk on fire" not in messages[-1]["content"]
    assert any("disk on fire" in r.exc_text for r in caplog.records if r.exc_text)
    assert label("nl", "sources_error") in sources
    healthy = ChatApp(assistant, store, stream_delay=0, export_dir=tmp_path / "x")
    *_, (_, after, _, sources) = ask(healthy, "Met wie werk ik samen voor logistiek?", conversation, "nl")
    assert len(after) == 2 and after.exchanges[1].answer.citations and "<article" in sources
    assert after.history()[0].question == "Met wie werk ik samen voor logistiek?"  # the failure is no history


def test_thumbs_and_comment_are_stored_in_sqlite(app, tmp_path):
    conv = ask(app, "Who should I partner with to verify wage information in Pakistan?")[-1][1]
    conv = conv.add(Exchange("broken?", error="Sorry"))
    row, box, prompt = app.rate(conv, "nl", "session-1", 1, False)
    assert row is not None and box["visible"] is True and prompt == label("nl", "feedback_down")
    app.comment("Mist de vakbond", row, "nl")
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as connection:
        stored = connection.execute("SELECT rating, comment, question, answer, session, turn FROM feedback").fetchall()
    answer = conv.exchanges[0].answer.text
    key = f"session-1/{conv.id}"
    assert stored == [("down", "Mist de vakbond", conv.exchanges[0].question, answer, key, 0)]
    assert app.rate(conv, "nl", "session-1", 3, True)[0] is None  # an error message is no answer to rate
    new_conv = ask(app, "Met wie werk ik samen voor logistiek?", lang="nl")[-1][1]
    assert app.rate(new_conv, "nl", "session-1", 1, True)[0] != row  # its first answer is another answer
    assert [r["rating"] for r in app.feedback.rows()] == ["down", "up"]
    app.rate(conv, "nl", "session-1", [1, 0], "")  # clicking the thumb again withdraws it
    assert [r["session"] for r in app.feedback.rows()] == [f"session-1/{new_conv.id}"]


def test_partner_finder_handler(app):
    assert label("en", "pick_purpose") in app.partners(None, "", "en")
    html = app.partners(2, "", "nl")
    assert "Logistieke organisatie en coördinatie van een fysieke dialoog" in html
    assert html.count('<article class="source"') >= 2
    with pytest.warns(UserWarning):
        assert "partner-result" in app.partners(0, "\x00\x01", "en")  # a junk topic is dropped, not fatal


def test_exports_are_written_as_markdown_and_docx(app):
    with pytest.warns(UserWarning, match="nothing to export"):
        assert app.export_conversation(Conversation(), "en") is None
    conv = ask(app, "Met wie werk ik samen om lonen te verifiëren?")[-1][1]
    files = [Path(f) for f in app.export_conversation(conv, "nl")]
    assert [f.suffix for f in files] == [".md", ".docx"] and all(f.stat().st_size > 0 for f in files)
    assert "Met wie werk ik samen om lonen te verifiëren?" in files[0].read_text(encoding="utf-8")
    topic = [Path(f) for f in app.export_topic("vertrouwen", 3, "nl")]
    assert topic[0].read_text(encoding="utf-8").count("#### [") == 3


def test_the_layout_builds_without_launching(app):
    demo = app.blocks("nl")
    assert isinstance(demo, gr.Blocks)
    config = demo.get_config_file()
    ids = {c["props"].get("elem_id") for c in config["components"]}
    assert {"chat", "question", "send", "new-conversation", "sources", "purpose", "topic", "examples",
            "export-conv", "comment"} <= ids
    examples = next(c for c in config["components"] if c["props"].get("elem_id") == "examples")
    samples = [s[0] for s in examples["props"]["samples"]]
    assert samples[:5] == [html.escape(q) for _, q in DOCUMENT_EXAMPLES["nl"]]
    assert len(samples) == 5 + 7 and all(s.startswith("Met wie werk ik samen als het gaat om ") for s in samples[5:])
    assert examples["props"]["samples_per_page"] >= len(samples)  # all on one page
    assert {"past-conversations", "conversation-name", "rename-conversation", "delete-conversation",
            "export-quiz", "quiz-lang", "quiz-tag"} <= ids
    purpose = next(c for c in config["components"] if c["props"].get("elem_id") == "purpose")
    assert len(purpose["props"]["choices"]) == 7


def test_partner_finder_and_export_failures_are_friendly_errors(assistant, tmp_path, caplog):
    broken = ChatApp(failing_assistant(assistant), FeedbackStore(tmp_path / "fb.sqlite3"), export_dir=tmp_path / "x")
    with caplog.at_level(logging.ERROR, logger="assistant.webapp"):
        with pytest.raises(gr.Error, match="something went wrong"):
            broken.partners(0, "vakbond", "en")
        with pytest.raises(gr.Error, match="er ging bij ons iets mis"):
            broken.export_topic("vertrouwen", 3, "nl")
    assert sum("disk on fire" in (r.exc_text or "") for r in caplog.records) == 2


class Drafting:
    """The real assistant behind a language model's way of streaming: growing drafts, then the verified Answer."""

    def __init__(self, assistant) -> None:
        self._assistant = assistant

    def __getattr__(self, name):
        return getattr(self._assistant, name)

    def ask_stream(self, question, history=None):
        yield "Contact a <b>local"
        yield "Contact a <b>local</b> trade union [1"
        yield from self._assistant.ask_stream(question, history=history)


def test_a_language_models_draft_streams_as_text_then_the_verified_answer(assistant, tmp_path):
    app = ChatApp(Drafting(assistant), FeedbackStore(tmp_path / "fb.sqlite3"), export_dir=tmp_path / "x")
    steps = ask(app, "Who should I partner with to verify wage information in Pakistan?")
    assert len(steps) == 4  # thinking, two drafts, the answer (no word-by-word replay of a streamed answer)
    assert [s[0][-1]["content"] for s in steps[1:3]] == ["Contact a &lt;b&gt;local",
                                                         "Contact a &lt;b&gt;local&lt;/b&gt; trade union \\[1"]
    assert all(len(s[1]) == 0 for s in steps[:3])  # nothing is kept until the answer is verified
    messages, conversation, _, sources = steps[-1]
    assert conversation.exchanges[0].answer.citations and 'class="cite"' in messages[-1]["content"]
    assert "<article" in sources


def through_the_browser(value):
    """What localStorage gives back: the value as JSON text, parsed again."""
    import json

    return json.loads(json.dumps(value))


def shown(conversation: Conversation) -> list[tuple]:
    """What a conversation shows: questions, answers, their sources (the retrieved-but-uncited passages are not kept)."""
    return [(e.question, e.error, e.answer and (e.answer.text, e.answer.citations, e.answer.lang, e.answer.abstained))
            for e in conversation.exchanges] + [conversation.id, conversation.title]


def test_conversations_are_kept_in_the_browser_and_come_back_with_their_sources(app):
    kept = None
    *_, (_, first, _, first_sources) = ask(app, "Who should I partner with to verify wage information in Pakistan?")
    kept, past = app.remember(first, kept)
    first_sources = app.show_sources(first, "en", 1)
    *_, (_, second, _, _) = ask(app, "Met wie werk ik samen voor logistiek?", lang="nl")
    kept, past = app.remember(second, through_the_browser(kept))
    assert [name for name, _ in past["choices"]] == ["Met wie werk ik samen voor logistiek?",
                                                     "Who should I partner with to verify wage information in Pakistan?"]
    assert past["value"] == second.id

    # reload: the open conversation is back, sources and all
    messages, restored, sources, _, _, kept, past, name = app.restore(through_the_browser(kept), "nl")
    assert shown(restored) == shown(second) and restored.exchanges[0].answer.citations
    assert len(messages) == 2 and messages[0]["content"] == "Met wie werk ik samen voor logistiek?"
    assert '<article class="source"' in sources and "Open de SER-publicatie" in sources
    assert past["value"] == second.id and len(past["choices"]) == 2 and name == ""

    # reopen the first one: its answer, its sources; a follow-up continues it
    messages, reopened, sources, *_ = app.reopen(first.id, through_the_browser(kept), "en")
    assert shown(reopened) == shown(first) and app.show_sources(reopened, "en", 1) == first_sources
    assert sources == first_sources
    assert 'href="https://www.ser.nl/en/themes/irbc/meaningful-dialogue"' in sources
    follow_up = ask(app, "And who else?", reopened)[-1][1]
    assert len(follow_up) == 2 and follow_up.id == first.id
    kept, past = app.remember(follow_up, kept)
    assert len(past["choices"]) == 2 and past["choices"][0][1] == first.id

    # a reopened conversation exports with its sources
    files = [Path(f) for f in app.export_conversation(reopened, "en")]
    markdown = files[0].read_text(encoding="utf-8")
    assert markdown.count("#### [") == len(first.exchanges[0].answer.citations)
    assert "[Open the SER publication](<https://www.ser.nl/en/themes/irbc/meaningful-dialogue>)" in markdown

    # rename, then delete
    renamed, kept, past = app.rename(follow_up, "  Lonen   in Pakistan ", kept)
    assert renamed.title == "Lonen in Pakistan" and ("Lonen in Pakistan", first.id) in past["choices"]
    kept, _ = app.remember(renamed.add(Exchange("later?", error="x")), kept)  # the name stays with it
    assert ("Lonen in Pakistan", first.id) in app.restore(kept, "en")[6]["choices"]
    messages, empty, _, _, _, kept, past, _ = app.delete(renamed, kept, "en")
    assert messages == [] and len(empty) == 0 and empty.id != first.id
    assert [c[1] for c in past["choices"]] == [second.id]
    assert len(app.restore(kept, "en")[1]) == 0  # the deleted one was open: nothing is open now
    with pytest.warns(UserWarning, match="no longer kept"):
        messages, gone, *_ = app.reopen(first.id, kept, "en")
    assert messages == [] and len(gone) == 0


def test_a_long_conversation_keeps_its_last_exchanges_with_their_sources_and_the_browser_a_bounded_list(app):
    questions = [q for _, q in DOCUMENT_EXAMPLES["nl"]]
    turns = 2 * MAX_EXCHANGES + 3
    conversation, kept = Conversation(), None
    for n in range(turns):
        *_, (messages, conversation, _, sources) = ask(app, questions[n % len(questions)], conversation, "nl")
        kept, _ = app.remember(conversation, through_the_browser(kept))
    # the bound: the state, the chat and the browser hold the last MAX_EXCHANGES, however long it runs
    assert len(conversation) == MAX_EXCHANGES and conversation.dropped == turns - MAX_EXCHANGES
    assert len(messages) == 2 * MAX_EXCHANGES + 1 and "eerdere: 33" in messages[0]["content"]
    assert [len(c["exchanges"]) for c in kept["conversations"]] == [MAX_EXCHANGES]
    assert conversation.name == questions[0]  # it keeps the name its first question gave it
    # what is shown keeps its sources, under turn numbers that stay put
    last = conversation.turn(-1)
    assert last == turns - 1 and f'data-turn="{last}"' in sources and f'href="#src-{last}-1"' in messages[-1]["content"]
    first_shown = app.show_sources(conversation, "nl", 2)  # the messages after the note
    assert f'data-turn="{turns - MAX_EXCHANGES}"' in first_shown and "<article" in first_shown
    assert app.show_sources(conversation, "nl", 0) == gr.update()  # the note has no sources
    reopened = app.reopen(conversation.id, through_the_browser(kept), "nl")
    assert reopened[0] == messages and shown(reopened[1]) == shown(conversation) and reopened[2] == sources
    row, _, _ = app.rate(conversation, "nl", "session-1", len(messages) - 1, True)
    assert [(r["turn"], r["question"]) for r in app.feedback.rows()] == [(last, conversation.exchanges[-1].question)]
    assert app.rate(conversation, "nl", "session-1", 0, True)[0] is None  # nor can the note be rated


def test_the_browser_keeps_the_most_recent_conversations_within_its_bounds():
    def conversation(size: int) -> Conversation:
        c = Conversation()
        for n in range(size):
            c = c.add(Exchange(f"Vraag {n}?", error="Sorry"))
        return c

    kept = None
    for size in [MAX_EXCHANGES] * 10 + [1] * MAX_CONVERSATIONS:
        current = conversation(size)
        kept = saved.remember(through_the_browser(kept), current)
        sizes = [len(c["exchanges"]) for c in kept["conversations"]]
        assert sum(sizes) <= MAX_KEPT_EXCHANGES and len(sizes) <= MAX_CONVERSATIONS
        assert kept["current"] == current.id == kept["conversations"][0]["id"]  # the open one always stays
    assert sizes == [1] * MAX_CONVERSATIONS  # the long ones, used least recently, went first


def test_new_conversation_keeps_the_list_and_leaves_no_empty_entry(app):
    *_, (_, conv, _, _) = ask(app, "Met wie werk ik samen voor logistiek?", lang="nl")
    kept, _ = app.remember(conv, None)
    messages, fresh, _, _, _, kept, past, name = app.new_conversation("nl", kept)
    assert messages == [] and len(fresh) == 0 and fresh.id != conv.id
    assert past["value"] is None and [c[1] for c in past["choices"]] == [conv.id]
    kept, past = app.remember(fresh, kept)
    assert [c[1] for c in past["choices"]] == [conv.id]  # an empty conversation is not kept
    assert len(app.restore(kept, "nl")[1]) == 0


def test_a_broken_or_foreign_browser_value_starts_afresh(app):
    for value in (None, "junk", {"conversations": "x"}, {"current": "c", "conversations": [{"id": "c", "exchanges": 3}]}):
        messages, conversation, sources, *_ = app.restore(value, "en")
        assert messages == [] and len(conversation) == 0 and label("en", "sources_empty") in sources


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_every_example_question_is_answered_from_its_document_in_the_interface_language(app, lang):
    for doc_id, question in DOCUMENT_EXAMPLES[lang]:
        *_, (_, conversation, _, sources) = ask(app, question, lang=lang)
        answer = conversation.exchanges[0].answer
        assert not answer.abstained and answer.lang == lang, question
        assert doc_id in {p.doc_id for p in answer.citations}, (question, [p.doc_id for p in answer.citations])


def test_the_trainer_tab_makes_a_dutch_quiz_sheet_and_answer_key(app):
    from docx import Document as WordDocument

    tags = dict((value, name) for name, value in app.quiz_tags("nl"))
    assert "lessons" in tags and "informal" not in tags and "out-of-scope" not in tags
    files = [Path(f) for f in app.export_quiz("nl", "lessons", None, False, "en")]
    assert [f.suffix for f in files] == [".md", ".docx", ".md", ".docx"]
    assert files[0].name.endswith("-vragen.md") and files[2].name.endswith("-antwoorden.md")
    sheet, key = WordDocument(str(files[1])), WordDocument(str(files[3]))
    questions = [p.text for p in sheet.paragraphs if p.style.name == "Heading 1"]
    assert len(questions) == int(tags["lessons"].split("(")[1].rstrip(")")) >= 3
    assert [p.text for p in key.paragraphs if p.style.name == "Heading 1"] == questions
    assert any(p.text.startswith("Antwoord: ") for p in key.paragraphs)
    assert not any(p.text.startswith("Antwoord: ") for p in sheet.paragraphs)
    with pytest.warns(UserWarning, match="No questions match"):
        assert app.export_quiz("en", "lessons", "who-to-partner-up-with", False, "en") is None
