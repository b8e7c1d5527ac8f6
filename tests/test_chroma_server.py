"""The index on a real Chroma server (``chroma run``, a free loopback port, a temp folder): indexing,
incremental updates, retrieval, several processes at once, and a server that is down."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from assistant import Assistant
from assistant.errors import StoreError

from .conftest import REPO
from .servers import free_port, serving

pytestmark = pytest.mark.slow

QUESTIONS = ["Who should I partner with to verify wage information in Pakistan?", "vakbondsvrijheid",
             "Met wie werk ik samen voor logistiek?", "How much did the minimum wage in Sindh go up?"]


def chroma_cli() -> str:
    beside = Path(sys.executable).parent / "chroma"  # the chromadb package's own CLI, in this environment
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if not found:
        pytest.fail("the chroma CLI (package chromadb) is not installed")
    return found


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [chroma_cli(), "run", "--path", str(root / "data"), "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, f"{url}/api/v2/heartbeat", root / "chroma.log", 60):
        yield url


@pytest.fixture(scope="module")
def served(chroma_url, tmp_path_factory):
    """The corpus indexed on the server (module-wide: the tests below read it, or change it and restore it
    by a sync from the unchanged corpus before they end)."""
    from .conftest import copy_corpus

    root = tmp_path_factory.mktemp("served")
    return Assistant.load(corpus_dir=copy_corpus(root / "corpus"), index_dir=root / "index", chroma_url=chroma_url)


def test_indexing_and_retrieval_through_the_server(served, assistant, chroma_url):
    assert served.report.embedded == served.report.records == served.store.count() == assistant.store.count()
    assert chroma_url in served.report.summary() and served.store.collection == served.embedder.slug
    assert not served.store.path.exists()  # no embedded folder: the vectors live on the server
    info = served.store.read_build_info()
    assert set(info["documents"]) == {d.id for d in served.documents} and info["records"] == served.report.records
    assert info["model"]["fingerprint"] == served.embedder.fingerprint
    for question in QUESTIONS:  # the same ranking as from the embedded folder
        assert [h.chunk_id for h in served.retrieve(question, k=5)] == [h.chunk_id for h in assistant.retrieve(question, k=5)]
    answer = served.ask(QUESTIONS[0])
    assert not answer.abstained and answer.citations[0].doc_id == "who-to-partner-up-with"


def test_incremental_updates_and_rebuild_on_the_server(served, chroma_url, tmp_path):
    from .conftest import copy_corpus

    corpus, index = copy_corpus(tmp_path / "corpus"), tmp_path / "index"
    again = Assistant.load(corpus_dir=corpus, index_dir=index, chroma_url=chroma_url)
    assert (again.report.embedded, again.report.deleted) == (0, 0)  # the shared collection is already complete

    path = corpus / "case-minimumloon-sindh.nl.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("17.500 roepies", "17.600 roepies"), encoding="utf-8")
    changed = Assistant.load(corpus_dir=corpus, index_dir=index, chroma_url=chroma_url)
    assert 1 <= changed.report.embedded <= 4 and changed.report.deleted == changed.report.embedded
    assert changed.store.count() == served.store.count()
    assert "17.600 roepies" in changed.retrieve("minimumloon Sindh roepies", k=3)[0].text
    # build.json lives in the collection's metadata: every process sharing the collection reads the new one
    edited = next(d.sha256 for d in changed.documents if d.id == "case-minimumloon-sindh")
    assert served.store.read_build_info()["documents"]["case-minimumloon-sindh"]["sha256"] == edited
    assert edited != next(d.sha256 for d in served.documents if d.id == "case-minimumloon-sindh")

    rebuilt = Assistant.load(corpus_dir=corpus, index_dir=index, chroma_url=chroma_url, rebuild=True)
    assert rebuilt.report.embedded == rebuilt.report.records == rebuilt.store.count()
    assert served.store.count() == rebuilt.store.count()  # a process sharing the collection keeps working

    restored = Assistant.load(corpus_dir=served.settings.corpus_dir, index_dir=index, chroma_url=chroma_url)
    assert 1 <= restored.report.embedded <= 4 and restored.store.count() == served.store.count()


def test_a_server_that_is_down_is_named_in_the_error(corpus_dir, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(StoreError, match=f"Chroma server at {url}.*chroma run"):
        Assistant.load(corpus_dir=corpus_dir, index_dir=tmp_path / "index", chroma_url=url)
    assert time.monotonic() - started < 60


PROCESS = textwrap.dedent("""
    import json, sys
    from assistant import Assistant
    a = Assistant.load(corpus_dir=sys.argv[1], index_dir=sys.argv[2], chroma_url=sys.argv[3])
    questions = json.loads(sys.argv[4])
    ranked = [[h.chunk_id for h in a.retrieve(q, k=5)] for _ in range(5) for q in questions]
    print(json.dumps({"embedded": a.report.embedded, "ranked": ranked}))
""")


def test_two_processes_query_the_server_concurrently(served, chroma_url, tmp_path):
    args = [str(served.settings.corpus_dir), str(tmp_path / "index"), chroma_url, json.dumps(QUESTIONS)]
    processes = [subprocess.Popen([sys.executable, "-c", PROCESS, *args], cwd=REPO, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in processes]
    expected = [[h.chunk_id for h in served.retrieve(q, k=5)] for _ in range(5) for q in QUESTIONS]
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, err[-3000:]
        result = json.loads(out.strip().splitlines()[-1])
        assert result["embedded"] == 0 and result["ranked"] == expected


def test_a_later_load_takes_the_records_from_this_machines_snapshot_of_the_collection(served, chroma_url, reads):
    from assistant import snapshot

    settings = served.settings
    first = Assistant.load(corpus_dir=settings.corpus_dir, index_dir=settings.index_dir, chroma_url=chroma_url)
    folder = snapshot.served_folder(settings.index_dir, chroma_url, first.store.collection)
    assert (folder / snapshot.MANIFEST).is_file() and not first.store.path.exists()
    before = dict(reads)
    again = Assistant.load(corpus_dir=settings.corpus_dir, index_dir=settings.index_dir, chroma_url=chroma_url)
    assert reads == before and not again.report.synced
    assert [(p.chunk_id, round(p.score, 6)) for p in again.retrieve(QUESTIONS[0], k=5)] == \
        [(p.chunk_id, round(p.score, 6)) for p in first.retrieve(QUESTIONS[0], k=5)]


def test_a_snapshot_of_the_collection_is_refused_once_the_collection_changed(served, chroma_url, tmp_path, reads,
                                                                              caplog):
    """A record deleted on the server (not by a sync: the build info stays as it was) moves the record count:
    the next load reads the collection instead of the snapshot, and takes the snapshot anew."""
    import chromadb

    from assistant import snapshot

    settings = served.settings
    first = Assistant.load(corpus_dir=settings.corpus_dir, index_dir=tmp_path / "index", chroma_url=chroma_url)
    folder = snapshot.served_folder(tmp_path / "index", chroma_url, first.store.collection)
    taken = json.loads((folder / snapshot.MANIFEST).read_text(encoding="utf-8"))["key"]
    kept = Assistant.load(corpus_dir=settings.corpus_dir, index_dir=tmp_path / "index", chroma_url=chroma_url)
    assert reads["chroma"] == 1 and not kept.report.synced  # the first load's read; the second took the snapshot

    address = urlsplit(chroma_url)
    client = chromadb.HttpClient(host=address.hostname, port=address.port)
    collection = client.get_collection(first.store.collection)
    collection.delete(ids=collection.get(limit=1, include=[])["ids"])
    with caplog.at_level(logging.INFO, logger="assistant.snapshot"):
        changed = Assistant.load(corpus_dir=settings.corpus_dir, index_dir=tmp_path / "index", chroma_url=chroma_url)
    assert [r for r in caplog.records if r.name == "assistant.snapshot" and "of another build" in r.getMessage()]
    # read from the server in place of the snapshot, and again after the sync put the record back
    assert reads["chroma"] == 3 and changed.report.embedded == 1 and changed.store.count() == served.store.count()
    retaken = json.loads((folder / snapshot.MANIFEST).read_text(encoding="utf-8"))["key"]
    assert retaken != taken
    assert retaken == snapshot.served_key(changed.store.read_build_info(), changed.store.count())
    again = Assistant.load(corpus_dir=settings.corpus_dir, index_dir=tmp_path / "index", chroma_url=chroma_url)
    assert reads["chroma"] == 3 and not again.report.synced  # the snapshot taken anew is used
