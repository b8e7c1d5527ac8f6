"""Language-aware text primitives: language detection, tokens, stemming, Dutch compound splitting.

>>> stem_words(["samenwerkingen"], "nl")
['samenwerk']
>>> split_compound("vakbondsvrijheid")
['vakbond', 'vrijheid']
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN_PLUS
from wordfreq import zipf_frequency

LANGUAGES = ("nl", "en")
_STEMMER_NAMES = {"nl": "dutch", "en": "english"}
_TOKEN = re.compile(r"[^\W_]+(?:[’'][^\W_]+)?", re.UNICODE)

# Question words and chat filler carry no topic; the library lists lack some of them.
_EXTRA_STOPWORDS = {
    "nl": {"wie", "wat", "welke", "hoe", "waar", "wanneer", "waarom", "moet", "moeten", "kan", "kun", "kunnen",
           "ik", "we", "wij", "mijn", "onze", "ons", "jullie", "je", "jij", "u", "graag", "nog", "meer", "iemand",
           "zou", "zouden", "mag", "beste", "goed", "eigenlijk", "even", "welk", "bij", "over",
           "ff", "mss", "wss", "idd", "iig", "trouwens", "btw"},
    "en": {"who", "whom", "what", "which", "how", "where", "when", "why", "should", "could", "would", "can",
           "i", "we", "my", "our", "us", "you", "your", "me", "please", "else", "more", "anyone", "someone",
           "do", "does", "did", "tell", "about", "any", "good", "best", "need", "want", "get",
           # chat shorthand ("do we rly need to…", "tbh"): no name the documents lack
           "rly", "tbh", "pls", "plz", "thx", "btw", "imo", "imho", "idk", "asap", "fyi", "ok", "okay", "u", "ur"},
}
# Contractions and clitics ("we'd", "I'm", "zo'n", "m'n"): function words however spelled. The library lists
# spell a few of them with a straight apostrophe, and ``tokenize`` makes every apostrophe a curly one.
_CONTRACTIONS = {
    "nl": {"zo’n", "z’n", "m’n", "d’r", "da’s", "’t", "’s"},
    "en": {f"{word}’{suffix}" for word in ("i", "you", "he", "she", "it", "we", "they", "that", "there", "here",
                                           "what", "who", "where", "how", "let") for suffix in ("m", "re", "ve", "d", "ll", "s")},
}
STOPWORDS = {
    lang: frozenset(w.replace("'", "’") for w in words) | _EXTRA_STOPWORDS[lang] | _CONTRACTIONS[lang]
    for lang, words in (("nl", STOPWORDS_DUTCH), ("en", STOPWORDS_EN_PLUS))
}

#: Questions mix languages ("Wat houdt 'Avoid tight timelines' in?"): drop function words of both.
QUESTION_STOPWORDS = STOPWORDS["nl"] | STOPWORDS["en"]


@lru_cache(maxsize=4)
def _stemmer(lang: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_STEMMER_NAMES[lang])


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; apostrophes inside words are kept ("ngo’s" -> "ngo’s").

    >>> tokenize("Fair Wear-Foundation, ngo’s!")
    ['fair', 'wear', 'foundation', 'ngo’s']
    """
    return [t.replace("'", "’") for t in _TOKEN.findall(text.lower())]


def stem_words(words: list[str], lang: str) -> list[str]:
    return _stemmer(lang).stemWords([w.replace("’s", "").replace("’", "") for w in words])


@lru_cache(maxsize=100_000)
def _known(word: str) -> float:
    # Dutch borrows freely from English ("stakeholderdialoog", "managementteam").
    return max(zipf_frequency(word, "nl"), zipf_frequency(word, "en") - 0.5)


def _is_part(word: str) -> bool:
    """A plausible compound part: short parts must be very common, long ones merely known."""
    if len(word) < 4:  # three-letter parts ("toe", "zeg") split far more words wrongly than rightly
        return False
    needed = 3.0 if len(word) < 7 else 2.3
    return _known(word) >= needed


#: No Dutch compound is longer than this ("arbeidsongeschiktheidsverzekeringsmaatschappij" has 46 letters):
#: a longer "word" (a pasted hash, a key held down) is not split, which also bounds the work per word.
MAX_COMPOUND_CHARS = 64


@lru_cache(maxsize=100_000)
def split_compound(word: str, min_part: int = 4) -> list[str]:
    """Split a Dutch compound into known words (the tail split again), allowing linking s/e/en.

    Hand-written because no maintained Python package splits Dutch compounds; the decision rests on
    the wordfreq lexicon: every part must be a common word, and fewer parts win. [] when no split.
    Words over ``MAX_COMPOUND_CHARS`` are never split.

    >>> split_compound("minimumloonstijging")
    ['minimumloon', 'stijging']
    >>> split_compound("fabrieksarbeiders")
    ['fabriek', 'arbeiders']
    >>> split_compound("loon" * 500)
    []
    """
    word = word.lower()
    if len(word) > MAX_COMPOUND_CHARS or not word.isalpha():
        return []
    # Depth-first over the suffixes a split needs, with an explicit stack instead of recursion: each
    # suffix is solved once, after the shorter suffixes its splits end in.
    best_of: dict[int, list[str]] = {}
    pending = [0]
    while pending:
        offset = pending[-1]
        if offset in best_of:
            pending.pop()
            continue
        unsolved = [offset + i for i in _tail_splits(word[offset:], min_part) if offset + i not in best_of]
        if unsolved:
            pending.extend(unsolved)
            continue
        best_of[offset] = _best_split(word[offset:], min_part, best_of, offset)
        pending.pop()
    return best_of[0]


def _candidates(word: str, min_part: int) -> list[tuple[int, str]]:
    """(split point, first part without its linking letters) for every plausible first part of ``word``."""
    if len(word) < 2 * min_part + 1 or _known(word) >= 4.0:
        return []  # a common word is not split ("organisaties" is no "organ" + "isaties")
    found = []
    for i in range(min_part, len(word) - min_part + 1):
        head = word[:i]
        for link in ("", "s", "e", "en"):
            if link and not head.endswith(link):
                continue
            base = head[: len(head) - len(link)] if link else head
            if _is_part(base):
                found.append((i, base))
    return found


def _tail_splits(word: str, min_part: int) -> list[int]:
    """The split points of ``word`` whose tail is no word on its own and so must be split in turn."""
    return [i for i, _ in _candidates(word, min_part) if not _is_part(word[i:])]


def _best_split(word: str, min_part: int, best_of: dict[int, list[str]], offset: int) -> list[str]:
    """The best split of ``word`` (the suffix of the whole word at ``offset``), given those of its suffixes."""
    best: tuple[float, list[str]] | None = None
    for i, base in _candidates(word, min_part):
        tail = word[i:]
        tail_parts = [tail] if _is_part(tail) else best_of[offset + i]
        if not tail_parts:
            continue
        parts = [base, *tail_parts]
        score = min(_known(p) for p in parts) - 0.75 * (len(parts) - 2) + 0.1 * min(len(base), 8)
        if best is None or score > best[0]:
            best = (score, parts)
    return best[1] if best else []


# "bedrijf B", "company B", "leerpunt 7": a noun with a one-letter or small-number label names one
# thing, and the label is what tells it apart ("bedrijf A" from "bedrijf B"). "I" is a pronoun, not a
# label; a number followed by a word counts something ("ruim 10 tips") rather than naming it.
_LABELLED = re.compile(
    r"\b([^\W\d_]{3,})[ \u00a0-](?:([A-HJ-Z])\b(?![’']\w\w)|(\d{1,2})\b(?![.,]\d)(?!\s+[^\W\d_]))")


def labelled_mentions(text: str) -> list[tuple[str, str]]:
    """(noun, label) pairs, lower-cased; function words are no nouns ("not 10").

    >>> labelled_mentions("How late was company B's supplier? Zie leerpunt 7 (25.000 roepies), not 10 tips.")
    [('company', 'b'), ('leerpunt', '7')]
    """
    found = [(noun.lower(), (letter or number).lower()) for noun, letter, number in _LABELLED.findall(text)]
    return [(noun, label) for noun, label in found if noun not in QUESTION_STOPWORDS]


def label_term(noun: str, label: str, lang: str) -> str:
    """One search term for a labelled mention: the noun's stem joined to its label ("bedrijf_b")."""
    return f"{stem_words([noun], lang)[0]}_{label}"


def lexical_terms(text: str, lang: str, stopwords: frozenset[str] | None = None) -> list[str]:
    """Stemmed search terms of ``text``: its content words plus, for Dutch, the parts of compounds, and
    one joined term per labelled mention ("bedrijf B" -> "bedrijf_b").

    >>> lexical_terms("vakbondsvrijheid in fabrieken bij bedrijf B", "nl")
    ['vakbondsvrij', 'vakbond', 'vrijheid', 'fabriek', 'bedrijf', 'bedrijf_b']
    """
    stop = STOPWORDS[lang] if stopwords is None else stopwords
    words = [t for t in tokenize(text) if t not in stop and len(t) > 1]
    if lang == "nl":
        expanded = []
        for w in words:
            expanded.append(w)
            expanded.extend(p for p in split_compound(w) if p not in stop)
        words = expanded
    labels = [label_term(noun, label, lang) for noun, label in labelled_mentions(text)]
    return stem_words(words, lang) + labels


# --- everyday words and their typos ----------------------------------------------------------


@lru_cache(maxsize=2)
def _spellchecker(lang: str):
    from spellchecker import SpellChecker

    return SpellChecker(language=lang, distance=1)


@lru_cache(maxsize=10_000)
def is_everyday(word: str, lang: str) -> bool:
    """Whether ``word`` is a word of either language's dictionary, or a one-edit typo of one in ``lang``.

    pyspellchecker's frequency dictionaries tell "zoomt" (a rare form of a common verb) and "realy"
    (a typo) from a name or term the documents lack ("ontbossingsverordening"). Words of four letters
    or fewer are not read as typos: there an acronym is likelier ("eudr" is no "eur").

    >>> [is_everyday(w, "en") for w in ("realy", "shoud", "csddd", "ontbossingsverordening")]
    [True, True, False, False]
    >>> is_everyday("samenwerkne", "nl")
    True
    """
    word = word.lower()
    if any(word in _spellchecker(language) for language in LANGUAGES):
        return True
    return len(word) > 4 and bool(_spellchecker(lang).candidates(word))


# --- language detection -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.DUTCH, Language.ENGLISH).build()


def detect_language(text: str, default: str = "en") -> str:
    """'nl' or 'en' for a question or passage (lingua, restricted to the two corpus languages).

    >>> detect_language("Met wie moet ik samenwerken?")
    'nl'
    """
    from lingua import Language

    # Quoted words name a term ("Wat betekent 'Avoid tight timelines'?"); they are not the asker's language.
    unquoted = re.sub(r"[‘'\"“]([^’'\"”]{2,80})[’'\"”]", " ", text)
    if re.search(r"[^\W\d_]{2,}", unquoted):
        text = unquoted
    letters = re.sub(r"https?://\S+|[^\w\s’']", " ", text)
    if not re.search(r"[^\W\d_]{2,}", letters):
        return default
    confidences = {c.language: c.value for c in _detector().compute_language_confidence_values(letters)}
    nl, en = confidences.get(Language.DUTCH, 0.0), confidences.get(Language.ENGLISH, 0.0)
    if abs(nl - en) < 0.2:  # too close to call: count function words of each language
        words = tokenize(text)
        nl_hits = sum(w in STOPWORDS["nl"] for w in words)
        en_hits = sum(w in STOPWORDS["en"] for w in words)
        if nl_hits != en_hits:
            return "nl" if nl_hits > en_hits else "en"
    return "nl" if nl > en else "en"
