"""The bilingual domain glossary (corpus/glossary.tsv): Dutch <-> English term translation.

The bundled embedding model only knows English, and three documents exist only in Dutch. The
glossary, drawn from the parallel documents, bridges the languages: it expands questions with the
other language's terms for lexical search, and renders Dutch passages and questions in English for
the model to embed and for BM25 to match: sentence by sentence from the translation memory
(corpus/translations/), else word by word.

>>> g = Glossary.from_pairs([("vakbond", "trade union")])
>>> g.translate("Welke vakbonden zijn er?", "nl")
['trade union']
>>> g.translate("Ask a trade union", "en")
['vakbond']
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from wordfreq import zipf_frequency

from .chunking import SECTION_SEPARATOR, ChunkSettings, chunk_document, plain, split_sentences
from .corpus import Document, translations
from .errors import CorpusError
from .text import STOPWORDS, split_compound, stem_words, tokenize

logger = logging.getLogger(__name__)
MAX_PHRASE_WORDS = 5
#: A word may be this many letters shorter than the one-word glossary term it matches by stem.
MAX_SHORTER = 3


def _key(phrase: str, lang: str) -> tuple[str, ...]:
    return tuple(stem_words(tokenize(phrase), lang))


@dataclass
class Glossary:
    """Phrase tables in both directions, keyed by stemmed token sequences."""

    pairs: list[tuple[str, str]]
    digest: str = ""
    #: General words (corpus/vocabulary.tsv) that only ``render`` uses, after the glossary's own terms:
    #: "geven" -> "give" helps the model read a Dutch passage, but would only add noise to a BM25 query.
    vocabulary: Glossary | None = None
    #: The translation memory: English translations of whole Dutch sentences of the corpus, keyed by
    #: ``plain``. ``render`` searches with it (embedded beside the Dutch, and for BM25), and
    #: ``translation`` gives an English reader the English of a quoted Dutch sentence, marked unofficial;
    #: a translation is never cited (the SER's own words are).
    sentences: dict[str, str] = field(default_factory=dict, repr=False)
    #: A checksum of the translation memory's files (names and contents); "" without translations.
    sentences_digest: str = ""
    _tables: dict[str, dict[tuple[str, ...], list[str]]] = field(default_factory=dict, repr=False)
    #: The shortest one-word term behind each one-stem key, to tell an inflection from a stem collision.
    _lengths: dict[str, dict[tuple[str, ...], int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        tables: dict[str, dict[tuple[str, ...], list[str]]] = {"nl": defaultdict(list), "en": defaultdict(list)}
        lengths: dict[str, dict[tuple[str, ...], int]] = {"nl": {}, "en": {}}
        for nl, en in self.pairs:
            for src, term, target in (("nl", nl, en), ("en", en, nl)):
                key = _key(term, src)
                if key and target not in tables[src][key]:
                    tables[src][key].append(target)
                if len(key) == 1:
                    lengths[src][key] = min(lengths[src].get(key, len(term)), len(term))
        self._tables = {lang: dict(table) for lang, table in tables.items()}
        self._lengths = lengths
        if not self.digest:
            self.digest = hashlib.sha256(repr(self.pairs).encode()).hexdigest()[:12]

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]]) -> Glossary:
        return cls(list(pairs))

    @classmethod
    def load(cls, path: Path, vocabulary: Path | None = None, translations: Path | None = None) -> Glossary:
        """Read ``nl<TAB>en`` lines (``#`` comments); a malformed line raises CorpusError naming it.

        ``vocabulary``: a file of the same format with general words, for ``render`` only.
        ``translations``: a folder of such files (``*.tsv``), whole sentences, for ``render`` only.
        Each is optional: an absent one is logged with what is used instead; one that is present but
        unusable (a folder for a file, not UTF-8, a malformed line) is an error naming it.
        """
        words = None
        if vocabulary is not None and _present(vocabulary, "file"):
            words = cls.load(vocabulary)
        elif vocabulary is not None:
            logger.warning("no vocabulary at %s: Dutch text is rendered in English with glossary terms only", vocabulary)
        sentences: dict[str, str] = {}
        sentences_digest = ""
        if translations is not None and _present(translations, "folder"):
            files = {file.name: _read_pairs(file) for file in sorted(translations.glob("*.tsv"))}
            sentences = {plain(nl): en for pairs, _ in files.values() for nl, en in pairs}
            sentences_digest = hashlib.sha256(
                "".join(f"{name}\t{digest}\n" for name, (_, digest) in files.items()).encode()).hexdigest()[:12]
        elif translations is not None:
            logger.warning("no translations folder at %s: Dutch-only documents are rendered in English word by word",
                           translations)
        if not _present(path, "file"):
            logger.warning("no glossary at %s: cross-lingual search will rely on the model alone", path)
            return cls([], vocabulary=words, sentences=sentences, sentences_digest=sentences_digest)
        pairs, digest = _read_pairs(path)
        return cls(pairs, digest=digest, vocabulary=words, sentences=sentences, sentences_digest=sentences_digest)

    def __len__(self) -> int:
        return len(self.pairs)

    def translate(self, text: str, source_lang: str) -> list[str]:
        """The other language's terms for every glossary phrase in ``text`` (compound parts included)."""
        table = self._tables.get(source_lang)
        if not table:
            return []
        tokens = tokenize(text)
        stems = stem_words(tokens, source_lang)
        found: list[str] = []
        for start in range(len(stems)):
            for length in range(min(MAX_PHRASE_WORDS, len(stems) - start), 1, -1):
                found.extend(table.get(tuple(stems[start : start + length]), ()))
            found.extend(self._word(tokens[start], stems[start], source_lang))
        if source_lang == "nl":
            for token in tokens:
                for part in split_compound(token):
                    found.extend(self._word(part, stem_words([part], "nl")[0], "nl"))
        return list(dict.fromkeys(found))

    def render(self, text: str, source_lang: str) -> str:
        """A word-by-word rendering of ``text`` in the other language, in the text's own word order:
        each glossary phrase by its first translation, other words kept (names, loanwords), function
        words without a translation left out. Crude, but an English-only model reads it far better
        than Dutch ("hoe krijg ik een leverancier mee in een trainingsprogramma?" -> "receive supplier
        along training programme").

        A sentence the translation memory has is rendered by its translation instead.

        >>> Glossary.from_pairs([("leverancier", "supplier")]).render("Wie is de leverancier?", "nl")
        'supplier'
        >>> g = Glossary([("leverancier", "supplier")], sentences={"wie is de leverancier": "Who is the supplier?"})
        >>> g.render("Wie is de leverancier? Een leverancier.", "nl")
        'Who is the supplier? supplier'
        """
        if not self.sentences or source_lang != "nl":
            return self._render_words(text, source_lang)
        return " ".join(rendered for unit in _units(text)
                        if (rendered := self.sentences.get(plain(unit)) or self._render_words(unit, source_lang)))

    def translation(self, text: str) -> str | None:
        """The translation memory's English for Dutch ``text``: one sentence, several, or "heading: sentence";
        None unless every part has a translation (a half-translated quote would mislead).

        >>> g = Glossary([], sentences={"wees open": "Be open.", "zeg wat je wilt": "Say what you want."})
        >>> g.translation("Wees open: zeg wat je wilt.")
        'Be open: Say what you want.'
        >>> g.translation("Iets anders.") is None
        True
        """
        if (whole := self.sentences.get(plain(text))) is not None:
            return whole
        head, colon, rest = text.partition(": ")
        if colon and rest and (first := self.sentences.get(plain(head))) is not None:
            second = self.translation(rest)
            return f"{first.rstrip('.:')}: {second}" if second is not None else None
        units = _units(text)
        found = [self.sentences.get(plain(unit)) for unit in units]
        return " ".join(found) if len(units) > 1 and all(found) else None

    def _render_words(self, text: str, source_lang: str) -> str:
        table = self._tables.get(source_lang)
        if not table:
            return text
        tokens = tokenize(text)
        stems = stem_words(tokens, source_lang)
        out: list[str] = []
        start = 0
        while start < len(tokens):
            length = next((n for n in range(min(MAX_PHRASE_WORDS, len(tokens) - start), 1, -1)
                           if tuple(stems[start : start + n]) in table), 1)
            word = tokens[start]
            if length > 1:
                out.append(table[tuple(stems[start : start + length])][0])
            elif translated := self._rendering(word, stems[start], source_lang):
                out.append(translated)
            elif word not in STOPWORDS[source_lang]:
                out.append(word)
            start += length
        return " ".join(out)

    def untranslated(self, texts: list[str], source_lang: str) -> list[tuple[str, int]]:
        """Words of ``texts`` that ``render`` cannot translate, most frequent first: what a maintainer adds
        to the vocabulary after adding a document. Function words, numbers and words that are more common
        in the other language (loanwords, names such as "stakeholders") are not listed."""
        other = "en" if source_lang == "nl" else "nl"
        counts: dict[str, int] = defaultdict(int)
        for text in texts:
            for word in tokenize(text):
                if (len(word) < 3 or word in STOPWORDS[source_lang] or any(ch.isdigit() for ch in word)
                        or self._rendering(word, stem_words([word], source_lang)[0], source_lang)
                        or zipf_frequency(word, other) >= max(3.0, zipf_frequency(word, source_lang))):
                    continue
                counts[word] += 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def untranslated_sentences(self, texts: list[str]) -> list[str]:
        """Sentences, headings and list items of Dutch ``texts`` that the translation memory lacks (in
        order, once each): what a maintainer translates after adding or editing a Dutch-only document.
        Units of fewer than two words ("1.", "Casus") are rendered well enough word by word."""
        missing = (unit for text in texts for unit in _units(text)
                   if len(plain(unit).split()) > 1 and plain(unit) not in self.sentences)
        return list(dict.fromkeys(missing))

    def _rendering(self, word: str, stem: str, lang: str) -> str | None:
        """One word in the other language: from the glossary, else the general vocabulary, else (a Dutch
        compound) its parts' translations ("loonsverhoging" -> "wage increase"); None if none has it."""
        if found := self._any_word(word, stem, lang):
            return found[0]
        parts = [self._any_word(part, stem_words([part], lang)[0], lang) for part in split_compound(word)] \
            if lang == "nl" else []
        return " ".join(part[0] for part in parts) if parts and all(parts) else None

    def _any_word(self, word: str, stem: str, lang: str) -> list[str]:
        """One word's translations from the glossary, else from the general vocabulary."""
        return self._word(word, stem, lang) or (self.vocabulary._word(word, stem, lang) if self.vocabulary else [])

    def _word(self, word: str, stem: str, lang: str) -> list[str]:
        """One word's translations. The stemmer conflates more than it should ("over" and "overheid",
        "kan" and "kans", "vind" and "vindbaar" share a stem): a function word, or a word much shorter
        than the term, is a collision, not an inflection."""
        key = (stem,)
        if key not in self._tables[lang]:
            return []
        if word in STOPWORDS[lang] or len(word) < self._lengths[lang].get(key, 0) - MAX_SHORTER:
            return []
        return self._tables[lang][key]


def rendering_gaps(glossary: Glossary, documents: list[Document],
                   chunk_settings: ChunkSettings) -> tuple[list[tuple[str, int]], list[str]]:
    """What ``glossary`` cannot render of the Dutch documents: words without a translation (most frequent
    first), and sentences of the documents without an English version that the translation memory lacks."""
    langs, versions = {d.id: d.lang for d in documents}, translations(documents)
    texts = {d.id: [c.representation for c in chunk_document(d, chunk_settings)] for d in documents if d.lang == "nl"}
    dutch_only = [doc_id for doc_id in texts if not any(langs.get(v) == "en" for v in versions.get(doc_id, ()))]
    return (glossary.untranslated([t for doc_texts in texts.values() for t in doc_texts], "nl"),
            glossary.untranslated_sentences([t for doc_id in dutch_only for t in texts[doc_id]]))


def _units(text: str) -> list[str]:
    """The sentences, list items and headings of ``text``, as the translation memory keys them (a
    section label "Casus > Kennis" is two headings)."""
    return [unit for line in text.split("\n") for sentence in split_sentences(line.removeprefix("- "))
            for unit in sentence.split(SECTION_SEPARATOR)]


def _present(path: Path, kind: str) -> bool:
    """Whether an optional file or folder is there; something else in its place is an error."""
    if not path.exists():
        return False
    if (kind == "file" and not path.is_file()) or (kind == "folder" and not path.is_dir()):
        raise CorpusError(f"{path}: expected a {kind}, found {'a folder' if path.is_dir() else 'something else'}; "
                          f"replace it with a {kind} or remove it")
    return True


def _read_pairs(path: Path) -> tuple[list[tuple[str, str]], str]:
    """The ``dutch<TAB>english`` pairs of a file and its digest; a malformed line raises CorpusError naming it
    (by number: an error never quotes the file, which may not be a glossary at all)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror}); check the file and its permissions") from exc
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CorpusError(f"{path}: line {line}: not UTF-8 text ({exc.reason}); save the file as UTF-8") from exc
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) != 2 or not all(fields):
            found = f"{len(fields)} tab-separated fields" if len(fields) != 2 else "an empty field"
            raise CorpusError(f"{path}: line {number}: expected 'dutch<TAB>english', found {found}")
        pairs.append((fields[0], fields[1]))
    return pairs, hashlib.sha256(raw).hexdigest()[:12]
