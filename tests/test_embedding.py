"""The bundled model: verified before use, refused when missing or altered."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embedding import BUNDLED_SHA256, bundled_model_dir, load_embedder, sha256_file, verify_weights
from assistant.errors import ModelError


def test_bundled_weights_have_the_published_hash():
    assert sha256_file(bundled_model_dir() / "model.safetensors") == BUNDLED_SHA256


def test_altered_or_missing_weights_are_refused(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(bundled_model_dir(), copy)
    with (copy / "model.safetensors").open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelError, match="does not match"):
        verify_weights(copy)
    (copy / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="weights missing"):
        verify_weights(copy)


def test_bundled_model_embeds_normalised_vectors_and_ranks_sensibly():
    embedder = load_embedder(Settings())
    query = embedder.embed_queries(["who can verify wage information"])
    passages = embedder.embed_passages(["Fair Wear Foundation verified information about wages.",
                                        "Travel agencies can arrange hotels."])
    assert query.shape == (1, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert (passages @ query[0])[0] > (passages @ query[0])[1]


def test_prefixes_change_the_index_folder():
    plain = load_embedder(Settings())
    prefixed = load_embedder(Settings(query_prefix="query: ", passage_prefix="passage: "))
    assert plain.slug != prefixed.slug
    assert plain.slug.startswith("all-minilm-l6-v2-")


def test_an_unavailable_model_name_gives_a_clear_error():
    with pytest.raises(ModelError, match="ASSISTANT_EMBEDDING_MODEL"):
        load_embedder(Settings(embedding_model="/nonexistent/model-folder"))
