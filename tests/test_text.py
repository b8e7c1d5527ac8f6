"""Language detection, stemming and Dutch compound splitting."""

import pytest

from assistant.text import detect_language, lexical_terms, split_compound


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
