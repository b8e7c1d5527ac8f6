"""The Gradio app: layout and event handlers wired to the library through the pure functions of ``ui``.

Handlers live on ``ChatApp`` and take plain values, so they can be called (and tested) without a
browser. Errors are translated here, once: a question that cannot be asked gets a polite warning in
the interface language, and an unexpected failure a friendly message (the details go to the log)
while the app keeps serving everyone else.

>>> blocks = ChatApp(Assistant.load(), FeedbackStore(Path("feedback.sqlite3"))).blocks()   # doctest: +SKIP
>>> blocks.launch(css=theme.CSS, head=theme.HEAD, app_kwargs=chat_app.app_kwargs())        # doctest: +SKIP
"""

from __future__ import annotations

import html
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from .answer import Answer
from .conversation import Conversation, Exchange
from .corpus import publication_links
from .errors import QuestionError
from .export import Report, conversation_report, file_stem, topic_report, write_exports
from .feedback import Feedback, FeedbackError, FeedbackStore
from .labels import label, ui_language
from .partners import PartnerGuide, find_partners
from . import saved
from .staging import alive
from .ui import (
    chat_messages, example_questions, exchange_index, recommendation_html, refusal, sources_panel, sources_pending,
    stream_prefixes, streamed_messages,
)

logger = logging.getLogger(__name__)

#: The extractive answer is ready at once; it is streamed in a few steps for the reader's eye, and a
#: streaming handler holds its worker the whole time, so the show is kept short (about 0.25 s).
STREAM_DELAY = 0.025
STREAM_STEPS = 10
#: Every streamed step costs the app a full update of the chat (Gradio post-processes and diffs the whole
#: conversation) and the browser a message, which is most of an answer's cost. While more answers than
#: this are being given at once, an answer is shown whole: on a busy app the replay is what delays everyone.
CALM_ANSWERS = 4
#: Chat handlers that may run at once. Fewer make questions wait in Gradio's queue, which sends every
#: waiting page an estimate whenever an event ends: with 8, 4 and 2, fifty sessions got slower, an answer
#: costing 66, 107 and 146 ms of CPU against 60 ms with 64 (README, Load). The model releases the GIL.
CHAT_CONCURRENCY = 64
#: Gradio's worker threads (its default, 40, would cap the chat handlers again).
MAX_THREADS = 100
#: The app's temporary export folder: this prefix, the process id, a random part.
EXPORT_PREFIX = "ser-assistant-exports-"
QUIZ_CASES = Path("eval/cases.jsonl")
NOTICE_SECONDS = 4


@contextmanager
def _friendly_errors(lang: str, what: str) -> Iterator[None]:
    """The app's edge: an unexpected failure is logged and shown as a friendly message (gr.Error)."""
    try:
        yield
    except gr.Error:
        raise
    except Exception as exc:
        logger.exception("%s failed", what)
        raise gr.Error(label(lang, "internal_error")) from exc


def remove_stale_exports(root: Path | None = None) -> list[Path]:
    """Remove export folders left behind by app processes that no longer run (killed, not stopped).

    >>> remove_stale_exports(Path("/nonexistent"))
    []
    """
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{EXPORT_PREFIX}*"):
        match = re.match(rf"{EXPORT_PREFIX}(\d+)-", folder.name)
        if match and folder.is_dir() and not alive(int(match.group(1))):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if removed:
        logger.info("removed %d export folders of stopped app processes", len(removed))
    return removed


class ChatApp:
    """One app over one loaded Assistant; per-user data lives in ``gr.State``, never here."""

    def __init__(self, assistant, feedback: FeedbackStore, stream_delay: float = STREAM_DELAY,
                 export_dir: Path | None = None, browser_secret: str | None = None,
                 quiz_cases: Path | None = QUIZ_CASES) -> None:
        self.assistant = assistant
        # Encrypts the conversations kept in the browser; a stable secret keeps them readable after a restart.
        self.browser_secret = browser_secret or secrets.token_hex(16)
        self.feedback = feedback
        self.stream_delay = stream_delay
        self._answering_lock = threading.Lock()
        self._answering = 0  # answers being given right now, across all sessions
        self.guide = PartnerGuide.build(assistant.chunks, assistant.documents)
        self.links = publication_links(assistant.documents)
        self.quiz_cases = quiz_cases
        if not export_dir:
            remove_stale_exports()
        self._exports = None if export_dir else tempfile.TemporaryDirectory(prefix=f"{EXPORT_PREFIX}{os.getpid()}-")
        self.export_dir = Path(export_dir) if export_dir else Path(self._exports.name)

    def close(self) -> None:
        """Remove the temporary export folder (the app calls this when it stops)."""
        if self._exports is not None:
            self._exports.cleanup()
            logger.info("removed the export folder %s", self.export_dir)

    @property
    def max_chars(self) -> int:
        return self.assistant.settings.max_question_chars

    def examples(self, lang: str) -> list[str]:
        """The example questions shown in ``lang``: one per collaboration purpose, then general ones."""
        return example_questions(self.guide.purposes(lang), lang)

    # --- chat -----------------------------------------------------------------------------------

    def respond(self, question: str, conversation: Conversation | None, lang: str) -> Iterator[tuple]:
        """Answer ``question`` in the conversation; yields (messages, conversation, input box, sources).

        The answer streams in: a language model's draft as it is written (then the verified answer),
        the extractive answer word by word, unless more than ``CALM_ANSWERS`` answers are being given at
        once (then it is shown whole). Until the answer is there, the sources panel says it is coming; the
        steps before the last change only the chat, so Gradio re-renders nothing else. A question that
        cannot be asked leaves everything as it was (the text stays in the box, to be shortened) and shows
        a polite warning.

        >>> steps = list(app.respond("Wie nog meer?", conversation, "nl"))     # doctest: +SKIP
        """
        conversation = conversation or Conversation()
        lang = ui_language(lang)
        refused = refusal(question, self.max_chars, lang)
        if refused:
            gr.Warning(html.escape(refused))
            yield chat_messages(conversation, lang=lang), conversation, gr.update(), gr.update()
            return
        with self._answer_in_progress():
            waiting = sources_pending(question, lang)
            pending = conversation.add(Exchange(question, error=label(lang, "thinking")))
            yield chat_messages(pending, lang=lang), conversation, "", waiting
            show_draft = None  # set once a language model drafts
            exchange = Exchange(question, error=label(lang, "internal_error"))
            for item in self._answer(question, conversation, lang):
                if isinstance(item, Exchange):
                    exchange = item
                else:  # a draft: shown as it grows, replaced by the verified answer
                    show_draft = show_draft or streamed_messages(conversation.add(Exchange(question)), lang)
                    yield show_draft(item), conversation, "", waiting
            updated = conversation.add(exchange)
            if exchange.answer is not None and show_draft is None and self.answers_in_progress <= CALM_ANSWERS:
                streamed = streamed_messages(updated, lang)
                for shown in stream_prefixes(exchange.answer.text, STREAM_STEPS):
                    yield streamed(shown), conversation, "", waiting
                    time.sleep(self.stream_delay)
            yield (chat_messages(updated, lang=lang), updated, "",
                   sources_panel(updated, -1, self.assistant.chunks, lang, self.links))

    @property
    def answers_in_progress(self) -> int:
        """How many answers are being given right now, across all sessions."""
        return self._answering

    @contextmanager
    def _answer_in_progress(self) -> Iterator[None]:
        """Count an answer as in progress until its generator ends (or is closed: a browser went away)."""
        with self._answering_lock:
            self._answering += 1
        try:
            yield
        finally:
            with self._answering_lock:
                self._answering -= 1

    def close_comment(self) -> dict:
        """A new question closes the comment box of an earlier rating (a separate, unqueued event: the
        answer's own steps leave the box alone, as updating it costs Gradio a new component each time)."""
        return gr.update(visible=False)

    def _answer(self, question: str, conversation: Conversation, lang: str) -> Iterator[str | Exchange]:
        """Draft texts (from a language model), then the Exchange: the answer, or a friendly error."""
        try:
            for item in self.assistant.ask_stream(question, history=conversation.history()):
                if isinstance(item, Answer):
                    yield Exchange(question, item)
                    return
                yield str(item)
            raise RuntimeError("the assistant gave no answer")
        except QuestionError as exc:  # refusal() checked the same rules first; kept for safety
            logger.info("question refused: %s", exc)
            yield Exchange(question, error=label(lang, "junk"))
        except Exception:  # the edge: log everything, show a friendly message, keep serving
            logger.exception("answering failed for a question of %d characters", len(question))
            yield Exchange(question, error=label(lang, "internal_error"))

    def ask_example(self, index: int | None, conversation: Conversation | None, lang: str) -> Iterator[tuple]:
        """Ask the example question at ``index`` of the current language's examples."""
        examples = self.examples(ui_language(lang))
        if index is None or not 0 <= int(index) < len(examples):
            return
        yield from self.respond(examples[int(index)], conversation, lang)

    def show_sources(self, conversation: Conversation | None, lang: str, message_index: Any) -> str | dict:
        """The sources panel for the exchange of a clicked message (the note on dropped exchanges has none)."""
        conversation = conversation or Conversation()
        index = exchange_index(message_index, conversation)
        if index is None:
            return gr.update()
        return sources_panel(conversation, min(index, len(conversation) - 1), self.assistant.chunks,
                             ui_language(lang), self.links)

    def new_conversation(self, lang: str, kept: Any = None) -> tuple:
        """Start afresh: empty chat, empty sources, no pending comment; the past ones stay in the list.

        Returns (messages, conversation, sources, comment box, feedback row, kept, past list, name box).
        """
        kept = saved.reopen(kept, "")[0]
        return ([], Conversation(), sources_panel(Conversation(), -1, self.assistant.chunks, ui_language(lang)),
                gr.update(visible=False), None, kept, gr.update(choices=saved.choices(kept), value=None), "")

    # --- conversations kept in the browser ------------------------------------------------------------

    def _opened(self, conversation: Conversation, lang: str, kept: dict) -> tuple:
        """The whole chat showing ``conversation``: (messages, conversation, sources, comment box,
        feedback row, kept, past list, name box)."""
        return (chat_messages(conversation, lang=ui_language(lang)), conversation,
                sources_panel(conversation, -1, self.assistant.chunks, ui_language(lang), self.links),
                gr.update(visible=False), None, kept,
                gr.update(choices=saved.choices(kept), value=conversation.id if len(conversation) else None),
                conversation.title)

    def restore(self, kept: Any, lang: str) -> tuple:
        """On page load: the conversation that was open, with its sources, and the list of past ones.

        >>> app.restore({"current": "c1", "conversations": [...]}, "en")[1].id      # doctest: +SKIP
        'c1'
        """
        conversation = saved.current(kept) or Conversation()
        return self._opened(conversation, lang, saved.reopen(kept, conversation.id)[0])

    def remember(self, conversation: Conversation | None, kept: Any) -> tuple:
        """Keep the conversation in the browser after an answer; returns (kept, past list)."""
        kept = saved.remember(kept, conversation or Conversation())
        return kept, gr.update(choices=saved.choices(kept), value=kept["current"])

    def reopen(self, conversation_id: str | None, kept: Any, lang: str) -> tuple:
        """Open a past conversation from the list, sources and all (follow-ups continue it)."""
        kept, conversation = saved.reopen(kept, conversation_id or "")
        if conversation is None:
            gr.Warning(label(ui_language(lang), "conversation_gone"))
            conversation = Conversation()
        return self._opened(conversation, lang, kept)

    def rename(self, conversation: Conversation | None, title: str, kept: Any) -> tuple:
        """Rename the open conversation; returns (conversation, kept, past list)."""
        conversation = (conversation or Conversation()).renamed(title or "")
        kept = saved.rename(kept, conversation.id, conversation.title) if len(conversation) else kept
        return conversation, kept, gr.update(choices=saved.choices(kept),
                                             value=conversation.id if len(conversation) else None)

    def delete(self, conversation: Conversation | None, kept: Any, lang: str) -> tuple:
        """Delete the open conversation from the browser and start a new one."""
        kept = saved.forget(kept, (conversation or Conversation()).id)
        gr.Info(label(ui_language(lang), "conversation_deleted"), duration=NOTICE_SECONDS)
        return self.new_conversation(lang, kept)

    # --- feedback ---------------------------------------------------------------------------------

    def rate(self, conversation: Conversation | None, lang: str, session: str, message_index: Any,
             liked: bool | str | None) -> tuple:
        """Store a thumbs up/down on an answer; returns (row id, comment box update, comment prompt).

        ``session`` is the browser session; with the conversation's id it names the answer's
        conversation, so a new conversation's first answer does not replace the last one's rating. The
        turn counts the exchanges a long conversation no longer keeps, so it names one answer for good.

        >>> row, box, prompt = app.rate(conversation, "en", "session-hash", 1, False)   # doctest: +SKIP
        """
        conversation = conversation or Conversation()
        lang = ui_language(lang)
        session = f"{session}/{conversation.id}"
        index = exchange_index(message_index, conversation)
        exchange = conversation.exchange(index) if index is not None and index < len(conversation) else None
        if exchange is None or exchange.answer is None:
            return None, gr.update(visible=False), gr.update()
        turn = conversation.turn(index)
        try:
            if liked is True or liked is False:
                answer = exchange.answer
                row = self.feedback.record(Feedback(session, turn, "up" if liked else "down", exchange.question,
                                                    answer.text, answer.lang, answer.abstained, answer.citations))
                prompt = label(lang, "feedback_up" if liked else "feedback_down")
                return row, gr.update(visible=True), prompt
            self.feedback.withdraw(session, turn)
            gr.Info(label(lang, "feedback_cleared"), duration=NOTICE_SECONDS)
            return None, gr.update(visible=False), gr.update()
        except FeedbackError:
            logger.exception("feedback could not be stored")
            gr.Warning(label(lang, "feedback_failed"))
            return None, gr.update(visible=False), gr.update()

    def comment(self, text: str, row: int | None, lang: str) -> tuple:
        """Attach the comment to the rating just given; returns (comment box update, comment text)."""
        lang = ui_language(lang)
        if row is None or not (text or "").strip():
            return gr.update(visible=False), ""
        try:
            self.feedback.add_comment(int(row), text[: self.max_chars])
            gr.Success(label(lang, "comment_saved"), duration=NOTICE_SECONDS)  # closes by itself
        except FeedbackError:
            logger.exception("comment could not be stored")
            gr.Warning(label(lang, "feedback_failed"))
        return gr.update(visible=False), ""

    # --- partner finder and export --------------------------------------------------------------------

    def partners(self, purpose: int | None, topic: str, lang: str) -> str:
        """The partner finder's result for the chosen purpose (and optional stakeholder or topic).

        >>> app.partners(0, "vakbond", "nl")                                  # doctest: +SKIP
        '<div class="partner-result" data-purpose="0"><h3>Aanbevolen voor “Kennis ophalen …'
        """
        lang = ui_language(lang)
        if not self.guide.purposes(lang):
            return f'<p class="no-sources">{label(lang, "no_guide")}</p>'
        if purpose is None:
            return f'<p class="hint">{label(lang, "pick_purpose")}</p>'
        topic = (topic or "").strip()
        refused = refusal(topic, self.max_chars, lang) if topic else None
        if refused:
            gr.Warning(html.escape(refused))
            topic = ""
        with _friendly_errors(lang, "the partner finder"):
            rec = find_partners(self.assistant, self.guide, int(purpose), lang, topic)
            return recommendation_html(rec, self.assistant.chunks, lang, links=self.links)

    def export_conversation(self, conversation: Conversation | None, lang: str) -> list[str] | None:
        """The conversation as Markdown and DOCX files (paths), or a warning when there is nothing yet.

        >>> app.export_conversation(conversation, "nl")                       # doctest: +SKIP
        ['/tmp/…/gesprek-met-de-ser-dialoogassistent-20250101-1200.md', '/tmp/…/….docx']
        """
        lang = ui_language(lang)
        report = conversation_report(conversation or Conversation(), lang, self.links)
        if not report.entries:
            gr.Warning(label(lang, "nothing_to_export"))
            return None
        with _friendly_errors(lang, "exporting a conversation"):
            return self._write(report)

    def export_topic(self, topic: str, count: float, lang: str) -> list[str] | None:
        """A topic's best passages as Markdown and DOCX files (paths)."""
        lang = ui_language(lang)
        refused = refusal(topic, self.max_chars, lang)
        if refused:
            gr.Warning(html.escape(refused))
            return None
        with _friendly_errors(lang, "exporting a topic"):
            passages = self.assistant.retrieve(topic.strip(), k=int(count))
            return self._write(topic_report(topic.strip(), passages, lang, self.links))

    def _cases(self) -> list:
        from .evaluation import load_cases

        if self.quiz_cases is None or not Path(self.quiz_cases).is_file():
            return []
        return load_cases(Path(self.quiz_cases))

    def quiz_tags(self, quiz_lang: str | None, informal: bool = False) -> list[tuple[str, str]]:
        """The topics a quiz can be made on: (tag with its count of questions, tag)."""
        from .quiz import select, tag_counts

        cases = select(self._cases(), quiz_lang or None, informal=bool(informal))
        return [(f"{name} ({count})", name) for name, count in tag_counts(cases)]

    def export_quiz(self, quiz_lang: str | None, tag: str | None, doc: str | None, informal: bool,
                    lang: str) -> list[str] | None:
        """A workshop quiz as four files: question sheet and answer key, Markdown and DOCX (paths).

        >>> app.export_quiz("nl", "lessons", None, False, "nl")              # doctest: +SKIP
        ['/tmp/…/quiz-lessons-vragen.md', '/tmp/…/quiz-lessons-vragen.docx', '/tmp/…/quiz-lessons-antwoorden.md', …]
        """
        from .quiz import build_quiz, select, write_quiz

        lang = ui_language(lang)
        quiz_lang = ui_language(quiz_lang or lang)
        with _friendly_errors(lang, "exporting a quiz"):
            cases = self._cases()
            if not cases:
                gr.Warning(label(lang, "quiz_unavailable"))
                return None
            chosen = select(cases, quiz_lang, tag or None, doc or None, informal=bool(informal))
            if not chosen:
                gr.Warning(label(lang, "quiz_none"))
                return None
            topic = " · ".join(x for x in (tag, self._doc_title(doc)) if x)
            quiz = build_quiz(chosen, self.assistant.chunks, quiz_lang, topic, self.links)
            folder = self.export_dir / uuid.uuid4().hex
            return [str(p) for p in write_quiz(quiz, folder, file_stem(f"quiz {tag or ''}", quiz.created))]

    def _doc_title(self, doc: str | None) -> str:
        return next((d.title for d in self.assistant.documents if d.id == doc), "") if doc else ""

    def _write(self, report: Report) -> list[str]:
        folder = self.export_dir / uuid.uuid4().hex  # one folder per export: users never share a file
        return [str(path) for path in write_exports(report, folder, file_stem(report.title, report.created))]

    # --- the layout ------------------------------------------------------------------------------------

    def app_kwargs(self) -> dict[str, Any]:
        """``launch(app_kwargs=...)``: the JSON API (``assistant.api``) first on the app's own server, behind its login."""
        from .api import api_routes

        return {"routes": api_routes(self.assistant)}

    def blocks(self, lang: str = "en") -> gr.Blocks:
        """The whole app. The interface language follows the browser on load and the switch after that."""
        from .layout import build

        return build(self, ui_language(lang))
