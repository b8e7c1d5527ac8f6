"""The bilingual glossary on the real corpus/glossary.tsv: stem collisions and word-by-word rendering."""

from __future__ import annotations

import pytest

from assistant.chunking import ChunkSettings
from assistant.corpus import load_corpus
from assistant.errors import CorpusError
from assistant.glossary import Glossary, rendering_gaps

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


def test_the_translation_memory_covers_every_sentence_of_the_dutch_only_documents():
    # Column 1 must match the text as cleaned: a change to cleaning or sentence splitting that drifts
    # from the files would silently send those sentences back to the word-by-word rendering.
    glossary = Glossary.load(CORPUS / "glossary.tsv", CORPUS / "vocabulary.tsv", CORPUS / "translations")
    _, sentences = rendering_gaps(glossary, load_corpus(CORPUS), ChunkSettings())
    assert sentences == []
    bare = Glossary.load(CORPUS / "glossary.tsv", CORPUS / "vocabulary.tsv")
    assert len(rendering_gaps(bare, load_corpus(CORPUS), ChunkSettings())[1]) > 250  # every sentence counts
    text = "Bedrijf B stelde een script op voor aanvang van het gesprek. Dit zinnetje is nieuw."
    rendered = glossary.render(text, "nl")
    assert rendered.startswith("Company B drew up a script before the start of the conversation.")
    assert rendered != bare.render(text, "nl") and rendered.endswith(bare.render("Dit zinnetje is nieuw.", "nl"))


def test_a_malformed_translation_line_names_its_file_and_line(tmp_path):
    (tmp_path / "doc.tsv").write_text("# comment\nEen zin.\tA sentence.\nGeen tab hier\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"doc\.tsv: line 3: expected 'dutch<TAB>english'"):
        Glossary.load(CORPUS / "glossary.tsv", translations=tmp_path)
