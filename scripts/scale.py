"""How cost grows with the corpus: synthetic corpora of 1k, 10k and 100k passages, figures printed (never asserted).

    python scripts/scale.py [--sizes 1000 10000 100000] [--questions 100] [--pool 400]

The passages are built from the real documents' sentences (each synthetic passage takes the length of
a real one and is filled with sentences of one language, under a real section heading), so lengths,
vocabulary and the Dutch/English mix are the corpus's own. Embedding 100k passages (and their
sentences) on a laptop takes hours, so the search-cost part reuses vectors: a pool of real sentences
is embedded once with the real model, and every synthetic text gets the normalised mean of the pool
vectors of its sentences plus a little noise. Questions are embedded by the real model, so ``retrieve``
is the real pipeline: query analysis, dense search (in memory up to 200k vectors, else Chroma's), BM25,
fusion and reranking. Embedding throughput of the real model is measured and printed separately.

Each size is built in one child process and measured in a fresh one (so peak RSS is the serving
process's): the build (with its BM25 build timed on its own), the index load (``core.open_index``, the
load path of ``Assistant.load`` from the index on: open the store, find it up to date, take the records
and the BM25 index from the snapshot the build left in the folder, build the retriever, warm it up),
``retrieve`` p50/p95 over the eval questions and where its time goes (the question's analysis with its
encoding, the dense search, BM25), peak RSS. A third child times the load without the
snapshot (every record read from Chroma, BM25 built), as after a build by an older version.

The corpus sizes use the default settings: sentence vectors only up to 20k passages
(``indexing.SENTENCE_VECTOR_PASSAGES``); set ``ASSISTANT_SENTENCE_VECTORS=true`` to measure them beyond.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.chunking import Chunk, ChunkSettings, chunk_document, split_sentences
from assistant.config import load_settings
from assistant.core import open_index
from assistant.corpus import load_corpus, translations
from assistant.embedding import Embedder, load_embedder
from assistant.evaluation import load_cases, percentile
from assistant.glossary import Glossary
from assistant.lexical import LexicalIndex
from assistant.retrieval import Retriever
from assistant import snapshot
from assistant.store import VectorStore

SEED = 14
NOISE = 0.15


def real_material(settings):
    documents = load_corpus(settings.corpus_dir)
    glossary = Glossary.load(settings.glossary_path, settings.vocabulary_path, settings.translations_path)
    chunks = [c for d in documents for c in chunk_document(d, ChunkSettings.from_settings(settings))]
    return documents, glossary, chunks


def synthetic_chunks(real: list[Chunk], size: int, seed: int = SEED) -> list[Chunk]:
    """``size`` passages made of the real passages' sentences: real lengths, sections, languages and mix."""
    rng = random.Random(seed)
    content = [c for c in real if c.role == "content"]
    sentences = {lang: [s for c in content if c.lang == lang for s in split_sentences(c.text.replace("\n", " "))]
                 for lang in ("nl", "en")}
    chunks, per_doc = [], 200
    for i in range(size):
        model = rng.choice(content)
        doc = f"{model.doc_id}-x{i // per_doc}"
        parts, length = [], 0
        while length < len(model.text):
            sentence = rng.choice(sentences[model.lang])
            parts.append(sentence)
            length += len(sentence) + 1
        text = " ".join(parts)
        cid = f"{doc}:{hashlib.sha256(f'{i}{text}'.encode()).hexdigest()[:12]}"
        chunks.append(Chunk(cid, doc, f"{model.title} ({i // per_doc})", model.lang, model.section, text, "content",
                            i % per_doc, model.kind))
    return chunks


class ComposedEmbedder(Embedder):
    """Passages get composed vectors (mean of the pool vectors of their sentences + noise); queries the real model."""

    def __init__(self, real: Embedder, pool: np.ndarray) -> None:
        super().__init__(real, real.name + "+composed", "composed" + real.fingerprint, real.batch_size)
        self.pool = pool

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if is_query:
            return self._model.embed_queries(texts)
        out = np.empty((len(texts), self.pool.shape[1]), dtype=np.float32)
        for row, text in enumerate(texts):
            picks = [int(hashlib.md5(s.encode()).hexdigest()[:8], 16) % len(self.pool)
                     for s in split_sentences(text.replace("\n", " ")) or [text]]
            rng = np.random.default_rng(int(hashlib.md5(text.encode()).hexdigest()[:8], 16))
            vector = self.pool[picks].mean(axis=0) + rng.normal(0, NOISE / np.sqrt(self.pool.shape[1]), self.pool.shape[1])
            out[row] = vector / np.linalg.norm(vector)
        return out


def composed_embedder(settings, pool_size: int) -> tuple[ComposedEmbedder, dict]:
    """The real model for queries, a pool of real sentence vectors for passages; and the real model's throughput."""
    real = load_embedder(settings)
    _, _, chunks = real_material(settings)
    sentences = list(dict.fromkeys(s for c in chunks for s in split_sentences(c.text.replace("\n", " "))))
    random.Random(SEED).shuffle(sentences)
    started = time.perf_counter()
    pool = np.asarray(real.embed_passages(sentences[:pool_size]), dtype=np.float32)
    sentence_rate = len(pool) / (time.perf_counter() - started)
    passages = [c.representation for c in chunks[:128]]
    started = time.perf_counter()
    real.embed_passages(passages)
    passage_rate = len(passages) / (time.perf_counter() - started)
    embedder = ComposedEmbedder(real, pool)
    return embedder, {"sentences_per_s": sentence_rate, "passages_per_s": passage_rate}


def synthetic_index(size: int, work: Path, pool_size: int):
    """What both steps open: the settings (index in ``work``), the material and the synthetic passages."""
    settings = load_settings(index_dir=work / "index")
    documents, glossary, real = real_material(settings)
    embedder, throughput = composed_embedder(settings, pool_size)
    return settings, documents, glossary, embedder, throughput, synthetic_chunks(real, size)


def build(size: int, work: Path, pool_size: int) -> dict:
    settings, documents, glossary, embedder, throughput, chunks = synthetic_index(size, work, pool_size)
    bm25_seconds = timed(LexicalIndex, "build", classmethod)
    started = time.perf_counter()
    _, report, _ = open_index(settings, chunks, embedder, glossary, {"synthetic": size}, translations(documents))
    return {"records": report.records, "build_s": time.perf_counter() - started, "bm25_s": sum(bm25_seconds),
            "chars_per_passage": statistics.mean(len(c.text) for c in chunks), **throughput,
            "build_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def timed(owner: type, name: str, kind=lambda f: f) -> list[float]:
    """Replace ``owner.name`` by a copy that appends its duration of every call to the list returned."""
    seconds: list[float] = []
    original = getattr(owner, name)
    original = getattr(original, "__func__", original)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    setattr(owner, name, kind(wrapper))
    return seconds


def measure(size: int, work: Path, pool_size: int, n_questions: int, kept: bool = True) -> dict:
    """Load the index built in ``work`` (with its snapshot, or, without ``kept``, after deleting it) and time
    ``retrieve``."""
    settings, documents, glossary, embedder, _, chunks = synthetic_index(size, work, pool_size)
    if not kept:
        for folder in (work / "index").glob(f"*/{snapshot.FOLDER}"):
            shutil.rmtree(folder)
    bm25_seconds = timed(LexicalIndex, "build", classmethod)
    read_seconds = timed(VectorStore, "contents")
    started = time.perf_counter()
    _, report, retriever = open_index(settings, chunks, embedder, glossary, {"synthetic": size}, translations(documents))
    load_s = time.perf_counter() - started
    questions = [c.question for c in load_cases(Path("eval/cases.jsonl"))][:n_questions]
    # Where each question's time goes: its analysis (mostly the model encoding it, the same at every size),
    # the dense search over every vector, and BM25.
    parts = {"question": timed(Retriever, "analyse"), "dense": timed(Retriever, "_dense"),
             "bm25": timed(LexicalIndex, "search")}
    times, cpu = [], []  # wall clock, and CPU time of this process (less sensitive to a busy machine)
    for question in questions:
        started, started_cpu = time.perf_counter(), time.process_time()
        retriever.search(question, k=5)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {"bm25_s": sum(bm25_seconds), "read_s": sum(read_seconds), "load_s": load_s, "synced": report.synced,
            "p50_ms": statistics.median(times), "p95_ms": percentile(times, 0.95), "cpu_p50_ms": statistics.median(cpu),
            "cpu_p95_ms": percentile(cpu, 0.95), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "parts_ms": {name: [statistics.median(seconds) * 1000, percentile(seconds, 0.95) * 1000]
                         for name, seconds in parts.items() if seconds}}


def child(step: str, size: int, work: Path, args) -> dict:
    command = [sys.executable, __file__, "--step", step, "--size", str(size), "--work", str(work),
               "--pool", str(args.pool), "--questions", str(args.questions)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{step} {size} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


PARTS = {"question": "question analysis (with its encoding)", "dense": "dense search", "bm25": "BM25"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--questions", type=int, default=100, help="eval questions timed per size")
    parser.add_argument("--pool", type=int, default=400, help="real sentences embedded for the composed vectors")
    parser.add_argument("--step", choices=("build", "measure", "measure-unkept"), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "build":
        print(json.dumps(build(args.size, args.work, args.pool)))
        return
    if args.step in ("measure", "measure-unkept"):
        print(json.dumps(measure(args.size, args.work, args.pool, args.questions, kept=args.step == "measure")))
        return
    print("| passages | vectors | build (composed vectors) | of which BM25 build | index load | retrieve p50 "
          "| retrieve p95 | retrieve CPU p50 / p95 | peak RSS | index load without the snapshot |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    throughput, parts = None, []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"scale-{size}-") as work:
            built = child("build", size, Path(work), args)
            got = child("measure", size, Path(work), args)
            unkept = child("measure-unkept", size, Path(work), args)
        throughput = throughput or built
        if got["synced"] or got["read_s"] or got["bm25_s"]:
            print(f"(the load of {size:,} did not find the build up to date with its snapshot)")
        print(f"| {size:,} | {built['records']:,} | {built['build_s']:.0f} s | {built['bm25_s']:.1f} s | "
              f"{got['load_s']:.1f} s | {got['p50_ms']:.0f} ms | {got['p95_ms']:.0f} ms | "
              f"{got['cpu_p50_ms']:.0f} / {got['cpu_p95_ms']:.0f} ms | {got['rss_mb']:,.0f} MB | "
              f"{unkept['load_s']:.1f} s (Chroma read {unkept['read_s']:.1f} s, BM25 {unkept['bm25_s']:.1f} s) |",
              flush=True)
        parts.append(f"{size:,}: " + ", ".join(f"{PARTS[name]} {p50:.1f} / {p95:.1f} ms"
                                              for name, (p50, p95) in got["parts_ms"].items()))
    print("\nwhere retrieve's time goes, p50 / p95 per question:\n" + "\n".join(parts))
    print(f"\nembedding throughput of the real model on this machine: {throughput['passages_per_s']:.1f} passages/s, "
          f"{throughput['sentences_per_s']:.1f} sentences/s (batch {load_settings().embedding_batch_size})")


if __name__ == "__main__":
    main()
