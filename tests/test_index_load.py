"""Loading a built index: nothing is done to an index that is up to date, any change of an input re-syncs
it, and the child-process check of the HNSW files runs only when they differ from the stamp of the last
check that passed. Real Chroma indexes (the one-document corpus of test_index_damage, and a copy of the
session's full index where HNSW files are needed), the real model."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from assistant import Assistant, store
from assistant.indexing import record_owner
from assistant.store import BUILD_INFO, open_store
from assistant.verified import STAMP

from .test_index_damage import HNSW_DAMAGE, QUESTION, SMALL, hnsw_folder, small_corpus

pytestmark = pytest.mark.slow

SENTENCE = "Deze loonstijging werd op 1 juni 2022 officieel van kracht."


@pytest.fixture
def small(tmp_path) -> tuple[Path, Path]:
    """A freshly built small index and its corpus: (corpus, the model's index folder). Built per test (in
    seconds): build.json names the corpus files by their paths, so a copy elsewhere would be out of date."""
    loaded = Assistant.load(corpus_dir=small_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index", **SMALL)
    loaded.store.close()
    return tmp_path / "corpus", loaded.store.path


@pytest.fixture
def child_checks(monkeypatch) -> list[Path]:
    """The folders the child-process check runs on (it still runs)."""
    checked: list[Path] = []
    check = store._check_records_apart

    def counted(path, info):
        checked.append(path)
        return check(path, info)

    monkeypatch.setattr(store, "_check_records_apart", counted)
    return checked


def load(corpus: Path, path: Path) -> Assistant:
    loaded = Assistant.load(corpus_dir=corpus, index_dir=path.parent, **SMALL)
    loaded.store.close()
    return loaded


def mtimes(path: Path) -> dict[str, int]:
    return {name: (path / name).stat().st_mtime_ns for name in (BUILD_INFO, STAMP)}


def test_an_index_that_is_up_to_date_is_left_alone(small, child_checks):
    corpus, path = small
    before = mtimes(path)
    loaded = Assistant.load(corpus_dir=corpus, index_dir=path.parent, **SMALL)
    assert not loaded.report.synced and loaded.report.records == json.loads((path / BUILD_INFO).read_text())["records"]
    assert mtimes(path) == before  # build.json and the stamp not rewritten
    assert child_checks == []  # the HNSW files are as stamped after the build
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
def test_a_changed_input_re_syncs_the_index(small, change, child_checks):
    corpus, path = small
    before = mtimes(path)
    CHANGES[change](corpus)
    changed = load(corpus, path)
    assert changed.report.synced and changed.report.embedded >= 1  # what the change made new is embedded
    assert mtimes(path)[BUILD_INFO] != before[BUILD_INFO] and mtimes(path)[STAMP] != before[STAMP]
    again = load(corpus, path)
    assert not again.report.synced and child_checks == []  # the sync stamped what it wrote


def test_a_changed_glossary_re_syncs_the_index(small):
    corpus, path = small
    with (corpus / "glossary.tsv").open("a", encoding="utf-8") as glossary:
        glossary.write("loonstijging\tpay rise\n")
    changed = load(corpus, path)
    assert changed.report.synced
    assert json.loads((path / BUILD_INFO).read_text())["glossary"]["sha256"] == changed.glossary.digest
    assert not load(corpus, path).report.synced


@pytest.fixture
def full(assistant, tmp_path) -> Path:
    """A copy of the session's full index (1,448 records: Chroma has written HNSW files), as stamped by its build."""
    shutil.copytree(assistant.store.path, tmp_path / "index" / assistant.store.path.name)
    return tmp_path / "index" / assistant.store.path.name


def test_hnsw_files_as_stamped_are_not_checked_again_but_damaged_ones_are(full, child_checks, caplog):
    assert hnsw_folder(full).is_dir() and (hnsw_folder(full) / "data_level0.bin").is_file()
    sound, contents = open_store(full)
    assert sound.path == full and child_checks == [] and len(contents) == sound.count()
    sound.close()

    HNSW_DAMAGE["HNSW vectors zeroed"](full)  # the same size, a new modification time
    with caplog.at_level(logging.WARNING, logger="assistant.store"):
        staged, contents = open_store(full)
    assert child_checks == [full]
    assert staged.path != full and len(contents) == 0  # a fresh folder to rebuild in
    assert [r for r in caplog.records if "damaged" in r.getMessage() and "Chroma cannot read it" in r.getMessage()]
    staged.close()


def test_records_whose_ids_name_their_passage_are_read_without_their_metadata(assistant):
    read_whole = assistant.store.contents()
    read_lean = assistant.store.contents(record_owner)  # as the load reads them
    assert set(read_whole.kinds) == {"passage", "gloss", "sentence", "sentence gloss"}
    assert (read_lean.ids, read_lean.chunk_ids, read_lean.kinds) == (read_whole.ids, read_whole.chunk_ids,
                                                                     read_whole.kinds)
    assert (read_lean.vectors == read_whole.vectors).all()
