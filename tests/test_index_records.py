"""The pieces of the index check that need no index: the vectors' checksum and the comparison of build infos."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from assistant.index_check import records_digest
from assistant.indexing import up_to_date


def digest_one_by_one(ids: list[str], vectors: np.ndarray) -> str:
    """The checksum as build.json has always kept it (the indexes built before must still verify)."""
    digest = hashlib.sha256()
    for index in sorted(range(len(ids)), key=ids.__getitem__):
        digest.update(ids[index].encode() + b"\0")
        digest.update(vectors[index].tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("n", [1, 2, 9, 5000])
def test_the_checksum_of_records_in_memory_is_the_one_build_json_keeps(n):
    rng = np.random.default_rng(n)
    ids = [f"doc-{rng.integers(10**6)}:{'é' * int(rng.integers(3))}{i}{'~sent-ab' if i % 3 else ''}" for i in range(n)]
    vectors = rng.normal(size=(n, 16)).astype(np.float32)
    assert records_digest(ids, vectors) == digest_one_by_one(ids, vectors)
    assert records_digest(ids, vectors.astype(np.float64)) == digest_one_by_one(ids, vectors)  # as Chroma returns them
    changed = vectors.copy()
    changed[-1, 0] += 1e-3
    assert records_digest(ids, changed) != records_digest(ids, vectors)


def test_build_infos_compare_by_their_inputs():
    recorded = {"model": {"name": "m"}, "chunking": [1, 2], "records": 7, "built_at": "then", "vectors_sha256": "x"}
    assert up_to_date(recorded, {"model": {"name": "m"}, "chunking": (1, 2)})
    assert not up_to_date(recorded, {"model": {"name": "other"}, "chunking": (1, 2)})
    assert not up_to_date(recorded, {"model": {"name": "m"}, "chunking": (1, 2), "translations": {"sha256": "y"}})
    assert not up_to_date({}, {"model": {"name": "m"}})
