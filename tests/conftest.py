"""Tests own their state: a copy of the corpus and a fresh index in temp folders, the real bundled
model and a real Chroma. Building an index takes ~20 s, so the built assistant is shared per session
(read-only tests) and tests that change the corpus build their own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch):
    """No ASSISTANT_* setting of the developer's shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("ASSISTANT_"):
            monkeypatch.delenv(name)


def copy_corpus(target: Path) -> Path:
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    return copy_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def shared_dirs(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("shared")
    return copy_corpus(root / "corpus"), root / "index"


@pytest.fixture(scope="session")
def assistant(shared_dirs):
    from assistant import Assistant

    corpus, index = shared_dirs
    return Assistant.load(corpus_dir=corpus, index_dir=index)


@pytest.fixture
def reads(monkeypatch) -> dict[str, int]:
    """How often this test's loads read every record from Chroma, and built a BM25 index."""
    from assistant.lexical import LexicalIndex
    from assistant.store import VectorStore

    counts = {"chroma": 0, "bm25": 0}
    contents, build = VectorStore.contents, LexicalIndex.build.__func__

    def counted_contents(self, *args, **kwargs):
        counts["chroma"] += 1
        return contents(self, *args, **kwargs)

    def counted_build(cls, *args, **kwargs):
        counts["bm25"] += 1
        return build(cls, *args, **kwargs)

    monkeypatch.setattr(VectorStore, "contents", counted_contents)
    monkeypatch.setattr(LexicalIndex, "build", classmethod(counted_build))
    return counts


INDEX_FIXTURES = {"assistant", "shared_dirs"}


def pytest_collection_modifyitems(config, items):
    """A test that needs the built index (directly or through another fixture) is slow: building it loads
    the model and embeds the corpus. ``pytest -m "not slow"`` leaves these out for a quick run."""
    for item in items:
        if INDEX_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
