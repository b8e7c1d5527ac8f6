"""Language detection, stemming and Dutch compound splitting."""

import pytest

from assistant.text import detect_language, lexical_terms, split_compound, tokenize


@pytest.mark.parametrize(
    "word,parts",
    [("vakbondsvrijheid", ["vakbond", "vrijheid"]), ("toezeggingen", []), ("fabrieksarbeiders", ["fabriek", "arbeiders"]),
     ("minimumloonstijging", ["minimumloon", "stijging"]), ("organisaties", []), ("informatie", [])],
)
def test_split_compound(word, parts):
    assert split_compound(word) == parts


def test_compound_parts_meet_the_separate_words():
    query = set(lexical_terms("fabrieksarbeiders", "nl"))
    passage = set(lexical_terms("arbeiders in de fabriek", "nl"))
    assert {"fabriek", "arbeider"} <= query & passage


@pytest.mark.parametrize(
    "text,lang",
    [("Met wie moet ik samenwerken om lonen te verifiëren?", "nl"), ("hoe krijg ik een leverancier mee?", "nl"),
     ("Who should I partner with to verify wage information in Pakistan?", "en"), ("And in Pakistan?", "en"),
     ("Wie nog meer?", "nl")],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("lang,text", [("en", "We'd like it if you’re sure they don't mind"), ("nl", "zo'n gesprek met z’n leverancier")])
def test_contractions_are_function_words_whatever_the_apostrophe(lang, text):
    # Tokens carry a curly apostrophe; "we’d" or "zo’n" left as content words weighed as much as "supplier".
    assert [t for t in tokenize(text) if "’" in t]  # the text does have contractions
    assert not [t for t in lexical_terms(text, lang) if "’" in t or t in {"we", "zo", "zon", "dont", "don"}]
