"""The pieces of the index check that need no index: the vectors' checksum, the comparison of build infos,
and the stamp of verified HNSW files (in a temp folder)."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest

from assistant.index_check import records_digest
from assistant.indexing import up_to_date
from assistant.verified import STAMP, matches, record


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


def test_the_stamp_covers_the_hnsw_files_only(tmp_path):
    segment = tmp_path / "8f0c-segment"
    segment.mkdir()
    (segment / "data_level0.bin").write_bytes(b"\1" * 64)
    (segment / "header.bin").write_bytes(b"\2" * 8)
    (tmp_path / "chroma.sqlite3").write_bytes(b"db")
    (tmp_path / "build.json").write_text("{}")
    assert not matches(tmp_path)  # never verified
    record(tmp_path)
    assert matches(tmp_path) and json.loads((tmp_path / STAMP).read_text())["files"].keys() == {
        "8f0c-segment/data_level0.bin", "8f0c-segment/header.bin"}

    (tmp_path / "chroma.sqlite3").write_bytes(b"rewritten on every open")
    (tmp_path / "build.json").write_text('{"records": 1}')
    assert matches(tmp_path)  # checked in-process on every load instead

    data = segment / "data_level0.bin"
    stat = data.stat()
    data.write_bytes(b"\0" * 64)  # same size
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert not matches(tmp_path)
    record(tmp_path)
    (segment / "link_lists.bin").write_bytes(b"")  # a new file
    assert not matches(tmp_path)
    record(tmp_path)
    (segment / "header.bin").unlink()
    assert not matches(tmp_path)
    (tmp_path / STAMP).write_text("{not json")
    assert not matches(tmp_path)
