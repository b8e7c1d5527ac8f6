"""The Gradio layout: components, their Dutch/English labels, and the events wired to ``ChatApp``.

>>> demo = build(ChatApp(assistant, store), "nl")           # doctest: +SKIP
>>> demo.launch(css=theme.CSS, head=theme.HEAD)                     # doctest: +SKIP
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

import gradio as gr

from . import __version__
from .conversation import MAX_EXCHANGES, Conversation
from .saved import EMPTY, MAX_CONVERSATIONS
from .labels import LANGUAGE_CHOICES, LANGUAGE_LABEL, label, preferred_language, ui_language
from .ui import sources_panel

if TYPE_CHECKING:
    from .webapp import ChatApp

logger = logging.getLogger(__name__)


STORAGE_KEY = "ser-dialogue-assistant-conversations"


def _header(lang: str) -> str:
    return f"# {label(lang, 'title')}\n{label(lang, 'subtitle')}"


def _past_title(lang: str) -> str:
    return (f"### {label(lang, 'past_conversations')}\n"
            f"{label(lang, 'past_info', conversations=MAX_CONVERSATIONS, questions=MAX_EXCHANGES)}")


def _footer(lang: str) -> str:
    return f"{label(lang, 'footer')} · v{__version__}"


def build(app: ChatApp, lang: str) -> gr.Blocks:
    """All tabs of the app, wired to ``app``'s handlers; ``lang`` is the language before the browser's is known."""
    from .webapp import CHAT_CONCURRENCY

    chunks = app.assistant.chunks

    def purpose_choices(code: str) -> list[tuple[str, int]]:
        return [(p.title, p.index) for p in app.guide.purposes(code)]

    def tag_choices(quiz_code: str, informal: bool, code: str) -> list[tuple[str, str]]:
        return [(label(code, "quiz_any"), "")] + app.quiz_tags(quiz_code, informal)

    def doc_choices(code: str) -> list[tuple[str, str]]:
        return [(label(code, "quiz_any"), "")] + [(d.title, d.id) for d in app.assistant.documents]

    def example_samples(code: str) -> list[list[str]]:
        return [[html.escape(q)] for q in app.examples(code)]

    with gr.Blocks(title=label(lang, "title"), fill_width=True, delete_cache=(3600, 3600),
                   analytics_enabled=False) as demo:
        conversation = gr.State(Conversation())
        feedback_row = gr.State(None)
        # The conversations live in the browser (localStorage, encrypted), never on the server.
        kept = gr.BrowserState(EMPTY, storage_key=STORAGE_KEY, secret=app.browser_secret)
        with gr.Sidebar(open=True, elem_id="past-sidebar", width=300):
            past_title = gr.Markdown(_past_title(lang),
                                     elem_id="past-title")
            past = gr.Radio([], value=None, show_label=False, elem_id="past-conversations",
                            label=label(lang, "past_conversations"))
            conversation_name = gr.Textbox(label=label(lang, "conversation_name"), elem_id="conversation-name",
                                           placeholder=label(lang, "conversation_name_placeholder"), max_lines=1)
            with gr.Row():
                rename = gr.Button(label(lang, "rename"), size="sm", elem_id="rename-conversation")
                delete = gr.Button(label(lang, "delete_conversation"), size="sm", variant="stop",
                                   elem_id="delete-conversation")
        with gr.Row(elem_id="header"):
            header = gr.Markdown(_header(lang), elem_id="title")
            language = gr.Radio(LANGUAGE_CHOICES, value=lang, label=LANGUAGE_LABEL, elem_id="language",
                                scale=0, min_width=240)
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab(label(lang, "tab_chat"), id="chat", elem_id="tab-chat") as tab_chat:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            label=label(lang, "chat_label"), elem_id="chat", height=560, latex_delimiters=[],
                            placeholder=label(lang, "chat_placeholder"), feedback_options=("Like", "Dislike"),
                            buttons=["copy", "copy_all"], autoscroll=True)
                        with gr.Row():
                            question = gr.Textbox(label=label(lang, "question"), elem_id="question",
                                                  placeholder=label(lang, "question_placeholder"), lines=1,
                                                  max_lines=8, scale=5, autofocus=True)
                            with gr.Column(scale=1, min_width=140):
                                send = gr.Button(label(lang, "send"), variant="primary", elem_id="send")
                                new = gr.Button(label(lang, "new_conversation"), elem_id="new-conversation")
                        # Rendered as (escaped) HTML: text samples are cut at 60 characters, purposes are longer.
                        examples = gr.Dataset(label=label(lang, "examples"), components=["html"], type="index",
                                              samples=example_samples(lang), elem_id="examples",
                                              samples_per_page=16)
                    with gr.Column(scale=2, elem_id="sources-column"):
                        # Beside the answer just rated (not below the fold under the chat).
                        with gr.Group(visible=False, elem_id="comment-box") as comment_box:
                            comment_prompt = gr.Markdown(elem_id="comment-prompt")
                            comment = gr.Textbox(label=label(lang, "comment"), elem_id="comment",
                                                 placeholder=label(lang, "comment_placeholder"), lines=2)
                            send_comment = gr.Button(label(lang, "send_comment"), size="sm", elem_id="send-comment")
                        sources_title = gr.Markdown(f"### {label(lang, 'sources')}")
                        sources = gr.HTML(sources_panel(Conversation(), -1, chunks, lang), elem_id="sources",
                                          js_on_load=None)
            with gr.Tab(label(lang, "tab_partners"), id="partners", elem_id="tab-partners") as tab_partners:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2):
                        purpose = gr.Radio(purpose_choices(lang), value=None, label=label(lang, "purpose"),
                                           elem_id="purpose")
                        topic = gr.Textbox(label=label(lang, "topic"), placeholder=label(lang, "topic_placeholder"),
                                           elem_id="topic")
                        show = gr.Button(label(lang, "show_partners"), variant="primary", elem_id="show-partners")
                    with gr.Column(scale=3):
                        partner_result = gr.HTML(app.partners(None, "", lang), elem_id="partner-result",
                                                 js_on_load=None)
            with gr.Tab(label(lang, "tab_export"), id="export", elem_id="tab-export") as tab_export:
                export_conv_title = gr.Markdown(f"### {label(lang, 'export_conversation')}\n"
                                                f"{label(lang, 'export_conversation_info')}")
                with gr.Row():
                    export_conv = gr.Button(label(lang, "export_conversation"), variant="primary",
                                            elem_id="export-conv", scale=0, min_width=260)
                export_topic_title = gr.Markdown(f"### {label(lang, 'export_topic')}")
                with gr.Row(equal_height=True):
                    export_topic_box = gr.Textbox(label=label(lang, "export_topic_label"), elem_id="export-topic",
                                                  scale=3, placeholder=label(lang, "export_topic_placeholder"))
                    export_count = gr.Slider(3, 20, value=8, step=1, label=label(lang, "export_topic_count"), scale=1)
                with gr.Row():
                    export_topic = gr.Button(label(lang, "export_topic"), elem_id="export-topic-button", scale=0,
                                             min_width=260)
                quiz_title = gr.Markdown(f"### {label(lang, 'quiz_section')}\n{label(lang, 'quiz_section_info')}")
                with gr.Row(equal_height=True):
                    quiz_lang = gr.Radio(LANGUAGE_CHOICES, value=lang, label=label(lang, "quiz_lang"),
                                         elem_id="quiz-lang", scale=1)
                    quiz_tag = gr.Dropdown(tag_choices(lang, False, lang), value="", label=label(lang, "quiz_tag"),
                                           elem_id="quiz-tag", scale=1)
                    quiz_doc = gr.Dropdown(doc_choices(lang), value="", label=label(lang, "quiz_doc"),
                                           elem_id="quiz-doc", scale=2)
                    quiz_informal = gr.Checkbox(False, label=label(lang, "quiz_informal"), elem_id="quiz-informal",
                                                scale=1)
                with gr.Row():
                    quiz_button = gr.Button(label(lang, "quiz_button"), elem_id="export-quiz", scale=0, min_width=260)
                files = gr.File(label=label(lang, "export_files"), file_count="multiple", interactive=False,
                                elem_id="export-files")
        footer = gr.Markdown(_footer(lang), elem_id="footer")

        # --- chat -----------------------------------------------------------------------------------
        chat_outputs = [chatbot, conversation, question, sources]
        for asked in (
            question.submit(app.respond, [question, conversation, language], chat_outputs, concurrency_limit=CHAT_CONCURRENCY),
            send.click(app.respond, [question, conversation, language], chat_outputs, concurrency_limit=CHAT_CONCURRENCY),
            examples.click(app.ask_example, [examples, conversation, language], chat_outputs, concurrency_limit=CHAT_CONCURRENCY),
        ):
            asked.then(app.remember, [conversation, kept], [kept, past])
        gr.on([question.submit, send.click, examples.click], app.close_comment, None, [comment_box], queue=False,
              api_visibility="private")
        opened = [chatbot, conversation, sources, comment_box, feedback_row, kept, past, conversation_name]
        new.click(app.new_conversation, [language, kept], opened)
        chatbot.clear(app.new_conversation, [language, kept], opened)
        past.input(app.reopen, [past, kept, language], opened)
        rename.click(app.rename, [conversation, conversation_name, kept], [conversation, kept, past])
        conversation_name.submit(app.rename, [conversation, conversation_name, kept], [conversation, kept, past])
        delete.click(app.delete, [conversation, kept, language], opened)

        def on_select(conv: Conversation, code: str, evt: gr.SelectData) -> str:
            return app.show_sources(conv, code, evt.index)

        chatbot.select(on_select, [conversation, language], [sources])

        def on_like(conv: Conversation, code: str, evt: gr.LikeData, request: gr.Request) -> tuple:
            session = getattr(request, "session_hash", None) or "anonymous"
            return app.rate(conv, code, session, evt.index, evt.liked)

        chatbot.like(on_like, [conversation, language], [feedback_row, comment_box, comment_prompt])
        send_comment.click(app.comment, [comment, feedback_row, language], [comment_box, comment])
        comment.submit(app.comment, [comment, feedback_row, language], [comment_box, comment])

        # --- partner finder and export ---------------------------------------------------------------
        partner_inputs = [purpose, topic, language]
        purpose.change(app.partners, partner_inputs, [partner_result])
        show.click(app.partners, partner_inputs, [partner_result])
        topic.submit(app.partners, partner_inputs, [partner_result])
        export_conv.click(app.export_conversation, [conversation, language], [files])
        export_topic.click(app.export_topic, [export_topic_box, export_count, language], [files])
        export_topic_box.submit(app.export_topic, [export_topic_box, export_count, language], [files])
        quiz_button.click(app.export_quiz, [quiz_lang, quiz_tag, quiz_doc, quiz_informal, language], [files])

        def quiz_topics(quiz_code: str, informal: bool, chosen: str, code: str) -> dict:
            choices = tag_choices(quiz_code, informal, ui_language(code))
            return gr.update(choices=choices, value=chosen if chosen in {v for _, v in choices} else "")

        for changed in (quiz_lang, quiz_informal):
            changed.input(quiz_topics, [quiz_lang, quiz_informal, quiz_tag, language], [quiz_tag])

        # --- language ---------------------------------------------------------------------------------
        def relabel(code: str, conv: Conversation, chosen: int | None, topic_text: str) -> tuple:
            code = ui_language(code)
            return (
                gr.update(value=_header(code)),
                gr.update(label=label(code, "tab_chat")), gr.update(label=label(code, "tab_partners")),
                gr.update(label=label(code, "tab_export")),
                gr.update(label=label(code, "chat_label"), placeholder=label(code, "chat_placeholder")),
                gr.update(label=label(code, "question"), placeholder=label(code, "question_placeholder")),
                gr.update(value=label(code, "send")), gr.update(value=label(code, "new_conversation")),
                gr.update(label=label(code, "comment"), placeholder=label(code, "comment_placeholder")),
                gr.update(value=label(code, "send_comment")),
                gr.Dataset(label=label(code, "examples"), samples=example_samples(code)),
                gr.update(value=f"### {label(code, 'sources')}"),
                sources_panel(conv or Conversation(), -1, chunks, code, app.links),
                gr.update(label=label(code, "purpose"), choices=purpose_choices(code), value=chosen),
                gr.update(label=label(code, "topic"), placeholder=label(code, "topic_placeholder")),
                gr.update(value=label(code, "show_partners")),
                app.partners(chosen, topic_text, code),
                gr.update(value=f"### {label(code, 'export_conversation')}\n{label(code, 'export_conversation_info')}"),
                gr.update(value=label(code, "export_conversation")),
                gr.update(value=f"### {label(code, 'export_topic')}"),
                gr.update(label=label(code, "export_topic_label"), placeholder=label(code, "export_topic_placeholder")),
                gr.update(label=label(code, "export_topic_count")), gr.update(value=label(code, "export_topic")),
                gr.update(label=label(code, "export_files")), gr.update(value=_footer(code)),
                gr.update(value=_past_title(code)),
                gr.update(label=label(code, "past_conversations")),
                gr.update(label=label(code, "conversation_name"), placeholder=label(code, "conversation_name_placeholder")),
                gr.update(value=label(code, "rename")), gr.update(value=label(code, "delete_conversation")),
                gr.update(value=f"### {label(code, 'quiz_section')}\n{label(code, 'quiz_section_info')}"),
                gr.update(label=label(code, "quiz_lang"), value=code),
                gr.update(label=label(code, "quiz_tag"), choices=tag_choices(code, False, code), value=""),
                gr.update(label=label(code, "quiz_doc"), choices=doc_choices(code)),
                gr.update(label=label(code, "quiz_informal"), value=False),
                gr.update(value=label(code, "quiz_button")),
            )

        relabelled = [header, tab_chat, tab_partners, tab_export, chatbot, question, send, new, comment,
                      send_comment, examples, sources_title, sources, purpose, topic, show, partner_result,
                      export_conv_title, export_conv, export_topic_title, export_topic_box, export_count,
                      export_topic, files, footer, past_title, past, conversation_name, rename, delete,
                      quiz_title, quiz_lang, quiz_tag, quiz_doc, quiz_informal, quiz_button]

        # The switch is no output of its own event: re-rendering it there left its checked state invisible.
        language.input(relabel, [language, conversation, purpose, topic], relabelled)

        # On load: the browser's language, then the conversation that was open (with its sources) and the list.
        # A component both relabelled and restored is named once among the outputs, its updates merged.
        def restored_too(component) -> bool:
            return any(component is other for other in opened)

        on_load = [language] + [c for c in relabelled if not restored_too(c)] + opened

        def browser_language(saved_value, chosen: int | None, topic_text: str, request: gr.Request) -> tuple:
            headers = getattr(request, "headers", None) or {}
            code = preferred_language(headers.get("accept-language"))
            restored = list(app.restore(saved_value, code))
            labels_now = relabel(code, restored[1], chosen, topic_text)
            for component, relabelling in zip(relabelled, labels_now):
                if restored_too(component) and isinstance(relabelling, dict):
                    at = next(i for i, other in enumerate(opened) if other is component)
                    value = restored[at]
                    restored[at] = {**relabelling, **value} if isinstance(value, dict) else {**relabelling, "value": value}
            return (gr.update(value=code), *(v for c, v in zip(relabelled, labels_now) if not restored_too(c)),
                    *restored)

        demo.load(browser_language, [kept, purpose, topic], on_load)
    return demo
