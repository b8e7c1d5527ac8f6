"""The bilingual glossary on the real corpus/glossary.tsv: stem collisions."""

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

