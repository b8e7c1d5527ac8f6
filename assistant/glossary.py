"""The bilingual domain glossary (corpus/glossary.tsv): Dutch <-> English term translation.

The bundled embedding model only knows English, and three documents exist only in Dutch. The
glossary, drawn from the parallel documents, bridges the languages: it expands questions with the
other language's terms for lexical search, and gives Dutch passages an English gloss to embed.

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

from .errors import CorpusError
from .text import split_compound, stem_words, tokenize

logger = logging.getLogger(__name__)
MAX_PHRASE_WORDS = 5


def _key(phrase: str, lang: str) -> tuple[str, ...]:
    return tuple(stem_words(tokenize(phrase), lang))


@dataclass
class Glossary:
    """Phrase tables in both directions, keyed by stemmed token sequences."""

    pairs: list[tuple[str, str]]
    digest: str = ""
    _tables: dict[str, dict[tuple[str, ...], list[str]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        tables: dict[str, dict[tuple[str, ...], list[str]]] = {"nl": defaultdict(list), "en": defaultdict(list)}
        for nl, en in self.pairs:
            for src, term, target in (("nl", nl, en), ("en", en, nl)):
                key = _key(term, src)
                if key and target not in tables[src][key]:
                    tables[src][key].append(target)
        self._tables = {lang: dict(table) for lang, table in tables.items()}
        if not self.digest:
            self.digest = hashlib.sha256(repr(self.pairs).encode()).hexdigest()[:12]

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]]) -> Glossary:
        return cls(list(pairs))

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """Read ``nl<TAB>en`` lines (``#`` comments); a malformed line raises CorpusError naming it."""
        if not path.is_file():
            logger.warning("no glossary at %s: cross-lingual search will rely on the model alone", path)
            return cls([])
        raw = path.read_bytes()
        pairs: list[tuple[str, str]] = []
        for number, line in enumerate(raw.decode("utf-8", errors="strict").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = [f.strip() for f in line.split("\t")]
            if len(fields) != 2 or not all(fields):
                raise CorpusError(f"{path}: line {number}: expected 'dutch<TAB>english', got {line!r}")
            pairs.append((fields[0], fields[1]))
        return cls(pairs, digest=hashlib.sha256(raw).hexdigest()[:12])

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
            for length in range(min(MAX_PHRASE_WORDS, len(stems) - start), 0, -1):
                found.extend(table.get(tuple(stems[start : start + length]), ()))
        if source_lang == "nl":
            for token in tokens:
                for part in split_compound(token):
                    found.extend(table.get(tuple(stem_words([part], "nl")), ()))
        return list(dict.fromkeys(found))

    def gloss(self, text: str, source_lang: str) -> str:
        """A bag of the other language's terms for ``text``: what an English-only model can embed."""
        return ", ".join(self.translate(text, source_lang))
