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
