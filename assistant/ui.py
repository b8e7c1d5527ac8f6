"""The glue between the library and the chat UI, as pure functions: domain objects in, markup out.

Nothing here imports Gradio. Every piece of text that comes from a person or a document is escaped
before it is put into markup, so a question such as ``<img src=x onerror=alert(1)>`` shows as text.

>>> user_message("<script>alert(1)</script>")["content"]
'&lt;script&gt;alert\\\\(1\\\\)&lt;/script&gt;'
>>> list(stream_prefixes("one two three", steps=3))
['one ', 'one two ', 'one two three']
"""

from __future__ import annotations

import html
import re
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from .chat import validate_question
from .chunking import Chunk
from .citations import full_section, pieces, quote_spans, quotes_by_citation
from .conversation import Conversation, Exchange
from .errors import QuestionError
from .labels import DOCUMENT_EXAMPLES, label, language_name
from .partners import Cited, Purpose, Recommendation
from .retrieval import Passage

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")
SECTION_ARROW = " › "


# --- text -------------------------------------------------------------------------------------------


def escape_markdown(text: str) -> str:
    """Text that Markdown and HTML both show literally (no tags, links, emphasis or maths).

    >>> escape_markdown("<b>*bold*</b> & [x](y)")
    '&lt;b&gt;\\\\*bold\\\\*&lt;/b&gt; &amp; \\\\[x\\\\]\\\\(y\\\\)'
    """
    return MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def anchor_id(prefix: str, number: int) -> str:
    """The HTML id of source ``number`` in a sources panel (``prefix`` tells panels and turns apart).

    >>> anchor_id("src-2", 1)
    'src-2-1'
    """
    return f"{prefix}-{number}"


def citation_link(number: int, prefix: str, passage: Passage | None = None) -> str:
    """A numbered marker ``[n]`` linking to its source in the sources panel.

    >>> citation_link(1, "src-0")
    '<a class="cite" href="#src-0-1" data-cite="1">[1]</a>'
    """
    title = f' title="{html.escape(passage.label)}"' if passage is not None else ""
    return f'<a class="cite" href="#{anchor_id(prefix, number)}" data-cite="{number}"{title}>[{number}]</a>'


# --- chat messages ------------------------------------------------------------------------------------


def user_message(question: str) -> dict:
    """The user's question as a chat message, shown exactly as typed."""
    return {"role": "user", "content": escape_markdown(question)}


def answer_markdown(text: str, citations: Sequence[Passage], prefix: str) -> str:
    """An answer's text as chat Markdown: escaped text, each ``[n]`` (wherever it is) a link to source n.

    Works on a prefix of the text too (while streaming): an unfinished marker stays plain text.

    >>> answer_markdown("Intro:\\n- Ask a union. [1]", [], "src-0")
    'Intro:\\n- Ask a union\\\\. <a class="cite" href="#src-0-1" data-cite="1">[1]</a>'
    """
    lines = []
    for line in _lines(text):
        item = line.startswith("- ")
        rendered = "".join(
            citation_link(p, prefix, citations[p - 1] if 0 < p <= len(citations) else None) if isinstance(p, int)
            else escape_markdown(p)
            for p in pieces(line[2:] if item else line))
        lines.append(("- " if item else "") + rendered.rstrip())
    return "\n".join(lines)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def turn_prefix(turn: int) -> str:
    """The anchor prefix of the sources of exchange ``turn`` (0-based).

    >>> turn_prefix(3)
    'src-3'
    """
    return f"src-{turn}"


def assistant_message(exchange: Exchange, turn: int, text: str | None = None) -> dict:
    """What the assistant said in an exchange; ``text`` is what to show while the answer streams in."""
    citations = exchange.answer.citations if exchange.answer is not None else ()
    if text is not None:
        return {"role": "assistant", "content": answer_markdown(text, citations, turn_prefix(turn))}
    if exchange.answer is None:
        return {"role": "assistant", "content": escape_markdown(exchange.error)}
    content = answer_markdown(exchange.answer.text, citations, turn_prefix(turn))
    if exchange.answer.notice:
        content += "\n\n*" + escape_markdown(exchange.answer.notice) + "*"
    return {"role": "assistant", "content": content}


def chat_messages(conversation: Conversation, streaming: str | None = None, lang: str = "en") -> list[dict]:
    """The conversation as Gradio ``messages`` (role/content dicts), two per exchange, after a note in
    ``lang`` when earlier exchanges are no longer kept.

    ``streaming``: the part of the last answer shown so far.

    >>> chat_messages(Conversation().add(Exchange("Hi?", error="Sorry.")))
    [{'role': 'user', 'content': 'Hi?'}, {'role': 'assistant', 'content': 'Sorry\\\\.'}]
    """
    messages = [dropped_note(conversation, lang)] if conversation.dropped else []
    last = len(conversation) - 1
    for index, exchange in enumerate(conversation.exchanges):
        messages.append(user_message(exchange.question))
        messages.append(assistant_message(exchange, conversation.turn(index), streaming if index == last else None))
    return messages


def streamed_messages(conversation: Conversation, lang: str = "en") -> Callable[[str], list[dict]]:
    """The chat while the last answer of ``conversation`` streams in: a function from the part shown so far
    to the messages. The earlier messages are rendered once, not at every step.

    >>> show = streamed_messages(Conversation().add(Exchange("Hi?", error="Sorry.")))
    >>> show("Sor")[-1]
    {'role': 'assistant', 'content': 'Sor'}
    """
    earlier = chat_messages(conversation, lang=lang)[:-1]
    last, turn = conversation.exchanges[-1], conversation.turn(-1)
    return lambda shown: earlier + [assistant_message(last, turn, shown)]


def dropped_note(conversation: Conversation, lang: str) -> dict:
    """The first chat message of a conversation whose earlier exchanges are no longer kept."""
    text = label(lang, "earlier_dropped", count=conversation.dropped, kept=len(conversation))
    return {"role": "assistant", "content": f"*{escape_markdown(text)}*"}


def stream_prefixes(text: str, steps: int = 24) -> Iterator[str]:
    """Growing prefixes of ``text`` at word ends, about ``steps`` of them, the last being ``text``."""
    words = re.findall(r"\S+\s*", text)
    if not words:
        yield text
        return
    size = max(1, -(-len(words) // steps))
    for end in range(size, len(words) + size, size):
        yield "".join(words[:end])


def exchange_index(message_index: int | Sequence[int], conversation: Conversation | None = None) -> int | None:
    """The index (among those kept) of the exchange a chat message belongs to, or None for the note on
    dropped exchanges. Gradio gives a message's index, or [index, part].

    >>> exchange_index(3), exchange_index([2, 0])
    (1, 1)
    """
    index = message_index[0] if isinstance(message_index, (list, tuple)) else message_index
    index = int(index) - (1 if conversation is not None and conversation.dropped else 0)
    return index // 2 if index >= 0 else None


# --- refusing input ---------------------------------------------------------------------------------


def refusal(question: str, max_chars: int, lang: str) -> str | None:
    """A polite message in the interface language when the question cannot be asked, else None.

    >>> refusal("x" * 30, 20, "en")
    'Your question is 30 characters long. Please keep it under 20 characters.'
    >>> refusal("Wie verifieert lonen?", 2000, "nl") is None
    True
    """
    try:
        validate_question(question, max_chars)
    except QuestionError:
        text = (question or "").strip()
        if not text:
            return label(lang, "empty")
        if len(text) > max_chars:
            return label(lang, "too_long", length=f"{len(text):,}", limit=f"{max_chars:,}")
        return label(lang, "junk")
    return None


# --- sources ----------------------------------------------------------------------------------------


def passage_html(text: str, spans: Iterable[tuple[int, int]] = ()) -> str:
    """A passage as HTML: paragraphs and list items, the spans marked (``<mark>``), all text escaped.

    >>> passage_html("Intro <x>.\\n- One.\\n- Two.", [(13, 17)])
    '<p>Intro &lt;x&gt;.</p><ul><li><mark>One.</mark></li><li>Two.</li></ul>'
    """
    spans = list(spans)
    out: list[str] = []
    in_list = False
    offset = 0
    for line in text.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        is_item = line.startswith("- ")
        body_start = start + 2 if is_item else start
        body = _marked(text, body_start, end, spans)
        if not line.strip():
            continue
        if is_item and not in_list:
            out.append("<ul>")
        elif not is_item and in_list:
            out.append("</ul>")
        in_list = is_item
        out.append(f"<li>{body}</li>" if is_item else f"<p>{body}</p>")
    if in_list:
        out.append("</ul>")
    return "".join(out)


def _marked(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    pieces, cursor = [], start
    for span_start, span_end in spans:
        lo, hi = max(span_start, start), min(span_end, end)
        if lo >= hi:
            continue
        pieces.append(html.escape(text[cursor:lo]))
        pieces.append(f"<mark>{html.escape(text[lo:hi])}</mark>")
        cursor = hi
    pieces.append(html.escape(text[cursor:end]))
    return "".join(pieces)


def section_path_text(passage: Passage) -> str:
    """A passage's section path for people: "Purpose › Practice".

    >>> section_path_text(Passage("t", "d", "T", "en", "A > B", 0.0, "d:1", "content", ("A", "B")))
    'A › B'
    """
    return SECTION_ARROW.join(passage.section_path)


def publication_link(passage: Passage, links: Mapping[str, str] | None, lang: str) -> str:
    """The link to a source's SER publication (opens in a new tab), or nothing when the manifest names none.

    >>> p = Passage("t", "d", "T", "en", "", 0.0, "d:1", "content", ())
    >>> publication_link(p, {"d": "https://www.ser.nl/x?a=1&b=2"}, "en")
    '<a class="source-link" href="https://www.ser.nl/x?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">Open the SER publication</a>'
    >>> publication_link(p, {}, "en")
    ''
    """
    url = (links or {}).get(passage.doc_id)
    if not url:
        return ""
    return (f'<a class="source-link" href="{html.escape(url)}" target="_blank" rel="noopener noreferrer">'
            f'{label(lang, "open_publication")}</a>')


def source_card(number: int, passage: Passage, quotes: Sequence[str], chunks: Sequence[Chunk], lang: str,
                prefix: str, collapsed: bool = False, translations: Sequence[str] = (),
                links: Mapping[str, str] | None = None) -> str:
    """One source: number, document title, section path, language, the link to the SER publication, the
    passage with the supporting sentences marked, and the full section behind a disclosure.
    ``translations``: the unofficial English the answer showed for this source's Dutch ``quotes``, shown
    above the marked original."""
    spans = quote_spans(passage.text, quotes, passage.section_path)
    passage_part = f'<div class="passage">{passage_html(passage.text, spans)}</div>'
    if translations:
        shown = "".join(f"<blockquote>{html.escape(t)}</blockquote>" for t in translations)
        passage_part = (f'<div class="translation" lang="en"><p class="translation-label">'
                        f'{label(lang, "translation")}</p>{shown}</div>{passage_part}')
    if collapsed:
        passage_part = (f'<details class="passage-details"><summary>{label(lang, "passage")}</summary>'
                        f'{passage_part}</details>')
    section_text = full_section(chunks, passage)
    section_part = ""
    if section_text.strip() != passage.text.strip():
        section_spans = quote_spans(section_text, quotes, passage.section_path)
        section_part = (f'<details class="full-section"><summary>{label(lang, "full_section")}</summary>'
                        f'<div class="section-text">{passage_html(section_text, section_spans)}</div></details>')
    path = section_path_text(passage)
    link = publication_link(passage, links, lang)
    return (
        f'<article class="source" id="{anchor_id(prefix, number)}" data-doc="{html.escape(passage.doc_id)}">'
        f'<header><span class="source-number">[{number}]</span> '
        f'<span class="source-title">{html.escape(passage.title)}</span></header>'
        f'<div class="source-meta">'
        + (f'<span class="source-section">{html.escape(path)}</span> · ' if path else "")
        + f'<span class="source-lang" lang="{html.escape(passage.lang)}">'
        f'{html.escape(language_name(passage.lang, lang))}'
        f'</span>' + (f' · {link}' if link else "") + f'</div>{passage_part}{section_part}</article>'
    )


def sources_html(citations: Sequence[Passage], quotes: Mapping[int, Sequence[str]], chunks: Sequence[Chunk],
                 lang: str, prefix: str, collapsed: bool = False,
                 translations: Mapping[int, Sequence[str]] | None = None, links: Mapping[str, str] | None = None) -> str:
    """All sources of an answer (or of a partner recommendation), numbered as cited.

    >>> sources_html([], {}, [], "en", "src-0")
    ''
    """
    translations = translations or {}
    return "".join(source_card(n, p, quotes.get(n, ()), chunks, lang, prefix, collapsed, translations.get(n, ()), links)
                   for n, p in enumerate(citations, start=1))


def sources_panel(conversation: Conversation, index: int, chunks: Sequence[Chunk], lang: str,
                  links: Mapping[str, str] | None = None) -> str:
    """The sources panel for exchange ``index`` (negative counts from the end): its sources, or why none.

    >>> sources_panel(Conversation(), -1, [], "en")
    '<div class="sources-panel empty"><p>Ask a question: the passages behind the answer appear here.</p></div>'
    """
    exchange = conversation.exchange(index)
    if exchange is None:
        return f'<div class="sources-panel empty"><p>{label(lang, "sources_empty")}</p></div>'
    turn = conversation.turn(index)
    header = (f'<p class="sources-for">{label(lang, "sources_for")}: '
              f'<q>{html.escape(_shorten(exchange.question))}</q></p>')
    answer = exchange.answer
    if answer is None or answer.abstained or not answer.citations:
        reason = label(lang, "sources_error" if answer is None else "sources_none")
        return f'<div class="sources-panel none" data-turn="{turn}">{header}<p class="no-sources">{reason}</p></div>'
    hint = f'<p class="sources-hint">{label(lang, "sources_hint")}</p>' if len(conversation) > 1 else ""
    quotes, translations = answer_quotes(answer)
    body = sources_html(answer.citations, quotes, chunks, lang, turn_prefix(turn), translations=translations,
                        links=links)
    confidence = getattr(answer, "confidence", "")
    if confidence:
        header += (f'<p class="confidence confidence-{html.escape(confidence)}">'
                   f'{label(lang, "confidence_" + confidence)}</p>')
    return f'<div class="sources-panel" data-turn="{turn}">{header}{body}{hint}</div>'


def sources_pending(question: str, lang: str) -> str:
    """The sources panel while ``question`` is being answered: which question, and that its sources follow.

    >>> sources_pending("Wie <b>?", "en")
    '<div class="sources-panel pending"><p class="sources-for">Sources for: <q>Wie &lt;b&gt;?</q></p><p class="no-sources">The sources appear here with the answer.</p></div>'
    """
    return (f'<div class="sources-panel pending"><p class="sources-for">{label(lang, "sources_for")}: '
            f'<q>{html.escape(_shorten(question))}</q></p><p class="no-sources">{label(lang, "sources_pending")}</p></div>')


def answer_quotes(answer) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Per citation number: the original words to mark in the source, and the translations shown for them."""
    if not getattr(answer, "quotes", ()):
        return {n: list(q) for n, q in quotes_by_citation(answer.text).items()}, {}
    originals: dict[int, list[str]] = {}
    translations: dict[int, list[str]] = {}
    for quote in answer.quotes:
        originals.setdefault(quote.citation, []).append(quote.original)
        if quote.translated:
            translations.setdefault(quote.citation, []).append(quote.text)
    return originals, translations


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- examples and the partner finder --------------------------------------------------------------------


def example_questions(purposes: Sequence[Purpose], lang: str) -> list[str]:
    """Questions as people ask them, at least one per document, then one per collaboration purpose
    (its title from the index), all in ``lang``.

    >>> example_questions([Purpose(0, "Promoting efficiency", "d", "en")], "en")[-1]
    'Who should I collaborate with when it comes to promoting efficiency?'
    """
    asked = [question for _, question in DOCUMENT_EXAMPLES.get(lang, ())]
    return asked + [label(lang, "example_purpose", purpose=_lower_first(p.title)) for p in purposes]


def _lower_first(title: str) -> str:
    """Lower-case a title's first word unless it is an acronym or name ("NGO", "TruStone")."""
    first = title.split(" ", 1)[0]
    return title if first[1:] != first[1:].lower() else title[:1].lower() + title[1:]


def _inline(text: str) -> str:
    """One line of text as inline HTML; text with several lines or list items as blocks."""
    return html.escape(text) if "\n" not in text and not text.startswith("- ") else passage_html(text)


def _cited_item(item: Cited, number: int, prefix: str, lang: str, topic: str) -> str:
    badge = (f' <span class="topic-match">{html.escape(label(lang, "matches_topic", topic=topic))}</span>'
             if item.matches_topic and topic else "")
    return f'<li>{_inline(item.text)} {citation_link(number, prefix, item.passage)}{badge}</li>'


def recommendation_html(rec: Recommendation, chunks: Sequence[Chunk], lang: str, prefix: str = "pf",
                        links: Mapping[str, str] | None = None) -> str:
    """The partner finder's result: partner types, practical example and tips, each item cited, then the sources."""
    def items(group: Sequence[Cited]) -> str:
        return "".join(_cited_item(i, rec.number(i), prefix, lang, rec.topic) for i in group)

    parts = [f'<div class="partner-result" data-purpose="{rec.purpose.index}">',
             f'<h3>{html.escape(label(lang, "partners_intro", purpose=rec.purpose.title))}</h3>',
             f'<h4>{label(lang, "partners" if rec.partners_are_list else "what_to_do")}</h4>',
             f'<ul class="partner-types">{items(rec.partners)}</ul>']
    if rec.example:
        example = "".join(
            f'<div class="example-passage">{passage_html(i.text)}'
            f'<p>{citation_link(rec.number(i), prefix, i.passage)}</p></div>'
            for i in rec.example)
        parts.append(f'<h4>{label(lang, "example")}</h4>{example}')
    if rec.tips:
        heading = (label(lang, "tips_for_topic", topic=rec.topic) if rec.tips_match_topic
                   else label(lang, "tips_no_topic_match", topic=rec.topic) if rec.topic else label(lang, "tips"))
        tips = "".join(
            f'<li><strong>{html.escape(i.passage.section_path[-1])}</strong>: '
            f'{_inline(i.text)} {citation_link(rec.number(i), prefix, i.passage)}</li>' for i in rec.tips)
        parts.append(f'<h4>{html.escape(heading)}</h4><ul class="tips">{tips}</ul>')
    quotes = {rec.number(i): (i.text,) for i in rec.partners}
    parts.append(f'<h4>{label(lang, "sources")}</h4><div class="sources-panel">'
                 f'{sources_html(rec.citations, quotes, chunks, lang, prefix, collapsed=True, links=links)}</div></div>')
    return "".join(parts)
