"""The bilingual glossary on the real corpus/glossary.tsv: stem collisions and word-by-word rendering."""

from __future__ import annotations

from assistant.glossary import Glossary

from .conftest import CORPUS

GLOSSARY = Glossary.load(CORPUS / "glossary.tsv")


def test_function_words_do_not_translate_through_a_shared_stem():
    # The Dutch stemmer gives "over"/"overheid", "kan"/"kans" and "vind"/"vindbaar" one stem each.
    found = GLOSSARY.translate("Ik vind dat je over de kan praten", "nl")
    assert not {"government", "authorities", "chance", "likelihood", "visible"} & set(found), found
    assert "government" in GLOSSARY.translate("Wat doet de overheid?", "nl")
    assert "chances" in GLOSSARY.translate("Zijn er kansen?", "nl")


def test_inflections_still_translate():
    assert "trade union" in GLOSSARY.translate("Welke vakbonden zijn er?", "nl")
    assert "leverancier" in GLOSSARY.translate("our suppliers", "en")


def test_a_dutch_question_is_rendered_in_english_in_its_own_word_order():
    rendered = GLOSSARY.render("Hoe krijg ik een leverancier mee in een trainingsprogramma in Sindh?", "nl").split()
    assert rendered.index("supplier") < rendered.index("training") < rendered.index("sindh")  # names kept
    assert not {"een", "ik", "in"} & set(rendered)  # function words without a translation are left out


def test_general_vocabulary_renders_dutch_text_but_never_expands_a_query():
    glossary = Glossary.load(CORPUS / "glossary.tsv", CORPUS / "vocabulary.tsv")
    question, give = "Wil de leverancier input geven?", {"give", "gives"}
    assert give & set(glossary.render(question, "nl").split())
    assert not give & set(GLOSSARY.render(question, "nl").split())  # the glossary alone has no "geven"
    assert not give & set(glossary.translate(question, "nl"))  # and a search never gets it


def test_untranslated_words_are_listed_until_the_vocabulary_has_them():
    text = ["De leverancier wilde de trainingen uitstellen.", "Uitstellen is geen optie."]
    assert Glossary.from_pairs([("leverancier", "supplier")]).untranslated(text, "nl")[0] == ("uitstellen", 2)
    with_word = Glossary([("leverancier", "supplier")], vocabulary=Glossary.from_pairs([("uitstellen", "postpone")]))
    assert "uitstellen" not in dict(with_word.untranslated(text, "nl"))
    assert "postpone" in with_word.render(text[0], "nl")
