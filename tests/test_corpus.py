"""The manifest and document loading: clear errors naming file and field; PDFs through pypdf."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.corpus import load_corpus, publication_links, read_manifest, translations
from assistant.errors import CorpusError

ENTRY = '''
[[documents]]
id = "{id}"
file = "{file}"
title = "Nieuw document"
language = "{lang}"
kind = "tool"
publisher = "SER"
{extra}
'''


def add_entry(corpus: Path, *, id="nieuw", file="nieuw.txt", lang="nl", extra="") -> None:
    with (corpus / "manifest.toml").open("a", encoding="utf-8") as handle:
        handle.write(ENTRY.format(id=id, file=file, lang=lang, extra=extra))


def test_the_shipped_manifest_is_valid_and_declares_the_translation():
    from .conftest import CORPUS

    manifest = read_manifest(CORPUS)
    assert len(manifest.documents) == 5
    english = next(d for d in manifest.documents if d.language == "en")
    assert english.translation_of == "met-wie-werk-je-samen"
    assert {d.kind for d in manifest.documents} == {"knowledge document", "tool", "pilot report", "case study"}


def test_translations_are_symmetric(corpus_dir):
    pairs = translations(load_corpus(corpus_dir))
    assert pairs["met-wie-werk-je-samen"] == {"who-to-partner-up-with"}
    assert pairs["who-to-partner-up-with"] == {"met-wie-werk-je-samen"}


@pytest.mark.parametrize(
    "change,expected",
    [
        (dict(extra='colour = "red"'), 'field "colour"'),
        (dict(lang="de"), 'field "language"'),
        (dict(id="met-wie-werk-je-samen"), 'field "id": duplicate id'),
        (dict(file="nieuw.docx"), 'field "file"'),
        (dict(extra='translation_of = "bestaat-niet"'), 'field "translation_of"'),
        (dict(file="ontbreekt.txt"), "ontbreekt.txt: file not found"),
    ],
)
def test_bad_manifest_entries_name_file_and_field(corpus_dir, change, expected):
    (corpus_dir / "nieuw.txt").write_text("Een titel\nGewone tekst over ketens en dialoog.\n", encoding="utf-8")
    add_entry(corpus_dir, **change)
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_dir)
    assert expected in str(caught.value)
    assert "manifest.toml" in str(caught.value) or "ontbreekt.txt" in str(caught.value)


def test_empty_and_non_utf8_documents_are_refused(corpus_dir):
    (corpus_dir / "nieuw.txt").write_text("   \n\n", encoding="utf-8")
    add_entry(corpus_dir)
    with pytest.raises(CorpusError, match=r"nieuw\.txt: no text found"):
        load_corpus(corpus_dir)
    (corpus_dir / "nieuw.txt").write_bytes("caf\xe9 tekst".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"nieuw\.txt: not UTF-8"):
        load_corpus(corpus_dir)


def test_a_dropped_in_pdf_is_read_and_structured(corpus_dir):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "Klachtenmechanisme\n\nEen klachtenmechanisme helpt werknemers om zorgen veilig te melden. "
                         "Betrek vakbonden bij het ontwerp en de evaluatie van het mechanisme.")
    pdf.output(str(corpus_dir / "klachten.pdf"))
    add_entry(corpus_dir, id="klachten", file="klachten.pdf")
    doc = next(d for d in load_corpus(corpus_dir) if d.id == "klachten")
    assert doc.sections[0].path == ("Klachtenmechanisme",)
    assert "Betrek vakbonden bij het ontwerp" in doc.sections[0].blocks[0].text


def test_a_broken_pdf_names_the_file(corpus_dir):
    (corpus_dir / "kapot.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    add_entry(corpus_dir, id="kapot", file="kapot.pdf")
    with pytest.raises(CorpusError, match=r"kapot\.pdf"):
        load_corpus(corpus_dir)


def test_the_shipped_manifest_links_every_document_to_a_ser_page_its_text_names(corpus_dir):
    documents = load_corpus(corpus_dir)
    for doc in documents:
        assert doc.url and doc.url.startswith("https://www.ser.nl/"), doc.id
        text = (corpus_dir / doc.file).read_text(encoding="utf-8")
        assert doc.url.removeprefix("https://") in text, f"{doc.id}: {doc.url} is not named in {doc.file}"
    assert publication_links(documents)["who-to-partner-up-with"] == "https://www.ser.nl/en/themes/irbc/meaningful-dialogue"


@pytest.mark.parametrize("url", ["www.ser.nl/nl/thema", "javascript:alert(1)", "https://ser nl/x", "ftp://ser.nl/x",
                                 "https://", 'https://www.ser.nl/"><script>'])
def test_a_bad_url_is_an_error_naming_the_entry_and_the_field(corpus_dir, url):
    (corpus_dir / "nieuw.txt").write_text("Een titel\nGewone tekst over ketens en dialoog.\n", encoding="utf-8")
    add_entry(corpus_dir, extra=f"url = '{url}'")
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_dir)
    assert 'id "nieuw"' in str(caught.value) and 'field "url"' in str(caught.value)
    assert "manifest.toml" in str(caught.value)


def test_a_document_without_url_has_no_link(corpus_dir):
    (corpus_dir / "nieuw.txt").write_text("Een titel\nGewone tekst over ketens en dialoog.\n", encoding="utf-8")
    add_entry(corpus_dir)
    documents = load_corpus(corpus_dir)
    assert next(d for d in documents if d.id == "nieuw").url is None
    assert "nieuw" not in publication_links(documents)
