"""Loading a built index: nothing is done to an index that is up to date, and any change of an input
re-syncs it. Real Chroma indexes (the one-document corpus of test_index_damage), the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.store import BUILD_INFO

from .test_index_damage import QUESTION, SMALL, small_corpus

pytestmark = pytest.mark.slow

SENTENCE = "Deze loonstijging werd op 1 juni 2022 officieel van kracht."


@pytest.fixture
def small(tmp_path) -> tuple[Path, Path]:
    """A freshly built small index and its corpus: (corpus, the model's index folder). Built per test (in
    seconds): build.json names the corpus files by their paths, so a copy elsewhere would be out of date."""
    loaded = Assistant.load(corpus_dir=small_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index", **SMALL)
    loaded.store.close()
    return tmp_path / "corpus", loaded.store.path


def load(corpus: Path, path: Path) -> Assistant:
    loaded = Assistant.load(corpus_dir=corpus, index_dir=path.parent, **SMALL)
    loaded.store.close()
    return loaded


def mtime(path: Path) -> int:
    return (path / BUILD_INFO).stat().st_mtime_ns


def test_an_index_that_is_up_to_date_is_left_alone(small):
    corpus, path = small
    before = mtime(path)
    loaded = Assistant.load(corpus_dir=corpus, index_dir=path.parent, **SMALL)
    assert not loaded.report.synced and loaded.report.records == json.loads((path / BUILD_INFO).read_text())["records"]
    assert mtime(path) == before  # build.json not rewritten
    assert loaded.retrieve(QUESTION, k=1)[0].doc_id == "case-minimumloon-sindh"
    loaded.store.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


CHANGES = {
    "document": lambda corpus: edit(corpus / "case-minimumloon-sindh.nl.txt", "17.500 roepies", "17.600 roepies"),
    "translation file": lambda corpus: edit(corpus / "translations" / "case-minimumloon-sindh.tsv",
                                            f"{SENTENCE}\tThis wage increase officially took effect on 1 June 2022.",
                                            f"{SENTENCE}\tThe pay rise became official on 1 June 2022."),
    "title in the manifest": lambda corpus: edit(corpus / "manifest.toml", 'title = "Casus minimumloon Sindh"',
                                                 'title = "Casus minimumloon Sindh 2022"'),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_input_re_syncs_the_index(small, change):
    corpus, path = small
    before = mtime(path)
    CHANGES[change](corpus)
    changed = load(corpus, path)
    assert changed.report.synced and changed.report.embedded >= 1  # what the change made new is embedded
    assert mtime(path) != before
    assert not load(corpus, path).report.synced


def test_a_changed_glossary_re_syncs_the_index(small):
    corpus, path = small
    with (corpus / "glossary.tsv").open("a", encoding="utf-8") as glossary:
        glossary.write("loonstijging\tpay rise\n")
    changed = load(corpus, path)
    assert changed.report.synced
    assert json.loads((path / BUILD_INFO).read_text())["glossary"]["sha256"] == changed.glossary.digest
    assert not load(corpus, path).report.synced
