"""The index: built once, updated incrementally, separate per model, untouched by a bad corpus."""

from __future__ import annotations

import json

import pytest

from assistant import Assistant
from assistant.config import BUNDLED_USE
from assistant.errors import CorpusError

pytestmark = pytest.mark.slow


def test_incremental_builds(corpus_dir, tmp_path):
    index_dir = tmp_path / "index"
    first = Assistant.load(corpus_dir=corpus_dir, index_dir=index_dir)
    assert first.report.embedded == first.report.records > first.report.passages > 100
    info = json.loads((index_dir / first.embedder.slug / "build.json").read_text())
    assert set(info["documents"]) == {d.id for d in first.documents}
    assert info["model"]["fingerprint"] == first.embedder.fingerprint
    assert info["chunking"] == {"min_chars": 300, "target_chars": 800, "max_chars": 1500}

    unchanged = Assistant.load(corpus_dir=corpus_dir, index_dir=index_dir)
    assert (unchanged.report.embedded, unchanged.report.deleted) == (0, 0)

    # Change one paragraph of one document: only that document's changed passages are embedded.
    path = corpus_dir / "case-minimumloon-sindh.nl.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("17.500 roepies", "17.600 roepies"), encoding="utf-8")
    changed = Assistant.load(corpus_dir=corpus_dir, index_dir=index_dir)
    assert 1 <= changed.report.embedded <= 4  # the passage, the edited sentence and the English rendering of each
    assert changed.report.deleted == changed.report.embedded
    # The edited passage's other sentences keep their vectors; their records now name the new passage.
    assert changed.report.updated > 0
    kinds = {}
    for meta in changed.store.metadata().values():
        kinds[meta["kind"]] = kinds.get(meta["kind"], 0) + 1
        assert meta["chunk_id"] in {c.id for c in changed.chunks}
    assert set(kinds) == {"passage", "gloss", "sentence", "sentence gloss"} and kinds["passage"] == len(changed.chunks)
    new_ids = {c.id for c in changed.chunks} - {c.id for c in first.chunks}
    assert new_ids and all(i.startswith("case-minimumloon-sindh:") for i in new_ids)
    assert changed.store.count() == first.store.count()
    assert "17.600 roepies" in changed.retrieve("minimumloon Sindh roepies", k=3)[0].text


def test_a_different_model_configuration_gets_its_own_index(corpus_dir, tmp_path):
    index_dir = tmp_path / "index"
    plain = Assistant.load(corpus_dir=corpus_dir, index_dir=index_dir)
    prefixed = Assistant.load(corpus_dir=corpus_dir, index_dir=index_dir, embedding_model=BUNDLED_USE)
    assert plain.store.path != prefixed.store.path
    assert prefixed.report.embedded == prefixed.report.records  # nothing reused across configurations
    assert Assistant.load(corpus_dir=corpus_dir, index_dir=index_dir).report.embedded == 0


def test_a_bad_entry_leaves_the_index_untouched(corpus_dir, tmp_path):
    index_dir = tmp_path / "index"
    built = Assistant.load(corpus_dir=corpus_dir, index_dir=index_dir)
    folder = index_dir / built.embedder.slug
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    with (corpus_dir / "manifest.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[documents]]\nid = "leeg"\nfile = "leeg.txt"\ntitle = "Leeg"\nlanguage = "nl"\n'
                     'kind = "tool"\npublisher = "SER"\n')
    (corpus_dir / "leeg.txt").write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="leeg.txt"):
        Assistant.load(corpus_dir=corpus_dir, index_dir=index_dir)
    after = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    assert after == before


def test_adding_a_markdown_document_makes_it_searchable(corpus_dir, tmp_path):
    (corpus_dir / "grievance.md").write_text(
        "# Grievance mechanisms\n\nA grievance mechanism lets workers raise complaints safely and anonymously. "
        "Involve trade unions when designing it, and report back on every complaint that was handled.\n",
        encoding="utf-8")
    with (corpus_dir / "manifest.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[documents]]\nid = "grievance"\nfile = "grievance.md"\ntitle = "Grievance mechanisms"\n'
                     'language = "en"\nkind = "tool"\npublisher = "Test"\n')
    built = Assistant.load(corpus_dir=corpus_dir, index_dir=tmp_path / "index")
    hit = built.retrieve("How can workers raise complaints anonymously?", k=1)[0]
    assert hit.doc_id == "grievance" and hit.section == "Grievance mechanisms"
