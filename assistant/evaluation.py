"""Evaluation: eval-set loading and validation, retrieval and answer metrics, ablations, breakdowns.

The data contract is one JSON object per line (see eval/README.md); any file in that format runs.

>>> normalise("Samen-\\nwerking, ja!")
'samenwerkingja'
>>> recall_at([None, 2], 3)
0.5
"""

from __future__ import annotations

import json
import logging
import math
import re
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import AssistantError

logger = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "lexical")
DEPTH = 10


class EvalError(AssistantError):
    """An eval file or baseline is unusable; names the file and line."""


class EvalCase(BaseModel):
    """One line of an eval file. Extra fields are allowed (e.g. ``split``, ``doc_ids``)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    lang: Literal["nl", "en"]
    answer: str
    evidence: list[str]
    must_mention: list[list[str]]
    abstain: bool
    tags: list[str]

    @model_validator(mode="after")
    def _consistent(self) -> EvalCase:
        if self.abstain and (self.evidence or self.must_mention):
            raise ValueError("an abstain case has no evidence and no must_mention")
        if not self.abstain and not self.evidence:
            raise ValueError("an answerable case needs at least one evidence quote")
        if any(not group or not all(alt.strip() for alt in group) for group in self.must_mention):
            raise ValueError("must_mention groups must be non-empty lists of non-empty strings")
        return self

    @property
    def split(self) -> str:
        return str(getattr(self, "__pydantic_extra__", {}).get("split", "all"))

    @property
    def doc_ids(self) -> list[str]:
        return list(getattr(self, "__pydantic_extra__", {}).get("doc_ids", []))


def load_cases(path: Path, split: str = "all") -> list[EvalCase]:
    """Read and validate an eval file; ``split`` keeps dev, test or all cases."""
    if not path.is_file():
        raise EvalError(f"{path}: eval file not found")
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = EvalCase.model_validate_json(line)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "line"
            raise EvalError(f"{path}: line {number}: field {where!r}: {err['msg']}") from exc
        if case.id in seen:
            raise EvalError(f"{path}: line {number}: duplicate id {case.id!r}")
        seen.add(case.id)
        if split == "all" or case.split == split:
            cases.append(case)
    if not cases:
        raise EvalError(f"{path}: no cases for split {split!r}")
    return cases


def normalise(text: str) -> str:
    """Case-folded letters and digits only: hyphenation, line breaks and punctuation do not matter."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def supports(text: str, evidence: Iterable[str]) -> bool:
    """Whether a passage contains any evidence quote (after normalisation)."""
    body = normalise(text)
    return any(normalise(quote) and normalise(quote) in body for quote in evidence)


def mentions(answer: str, groups: list[list[str]]) -> bool:
    lowered = answer.lower()
    return all(any(alt.lower() in lowered for alt in group) for group in groups)


# --- retrieval metrics ------------------------------------------------------------------------------


def recall_at(ranks: list[int | None], k: int) -> float:
    """Share of cases whose first supporting passage is within the top ``k`` (ranks are 1-based)."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr_at(ranks: list[int | None], k: int = DEPTH) -> float:
    return sum(1 / r for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def ndcg_at(relevance: list[list[bool]], relevant_counts: list[int], k: int = DEPTH) -> float:
    """Binary-relevance nDCG@k; the ideal ranking puts every supporting passage of the corpus first."""
    scores = []
    for rel, total in zip(relevance, relevant_counts):
        dcg = sum(1 / math.log2(i + 2) for i, hit in enumerate(rel[:k]) if hit)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(total, k)))
        scores.append(dcg / ideal if ideal else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class CaseResult:
    case: EvalCase
    ranks: dict[str, int | None] = field(default_factory=dict)
    relevance: dict[str, list[bool]] = field(default_factory=dict)
    relevant_total: int = 0
    retrieved: list[Any] = field(default_factory=list)
    answer: Any = None
    retrieve_ms: float = 0.0
    ask_ms: float = 0.0
    faithfulness: float | None = None
    #: With a language model configured: the extractive answer to the same question, for comparison.
    extractive: Any = None
    extractive_faithfulness: float | None = None

    @property
    def citations_valid(self) -> bool:
        """Every [n] in the text resolves to a citation, and every citation is a retrieved passage."""
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", self.answer.text)]
        retrieved = {p.chunk_id for p in self.answer.passages}
        if self.answer.abstained:
            return not numbers and not self.answer.citations
        return bool(numbers) and all(1 <= n <= len(self.answer.citations) for n in numbers) and all(
            p.chunk_id in retrieved for p in self.answer.citations)

    @property
    def citation_supported(self) -> bool:
        return any(supports(p.text, self.case.evidence) for p in self.answer.citations)

    @property
    def mentions_ok(self) -> bool:
        return mentions(self.answer.text, self.case.must_mention)

    @property
    def language_share(self) -> float:
        return language_share(self.answer.text, self.case.lang)


_MARKERS = re.compile(r"\s*\[\d+(?:,\s*\d+)*\]|\s*\([^()]{0,60}\)\s*$")


def language_share(text: str, lang: str) -> float:
    """Share of an answer's shown statements (its "- " lines, or all lines when it has none), by length,
    that are written in ``lang``: the language a reader sees, not the label the answer carries.

    >>> round(language_share("Intro:\\n- Work with a local trade union. [1]\\n- Werk samen met een vakbond. [2]", "en"), 2)
    0.52
    """
    from .text import detect_language

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    statements = [line[2:] for line in lines if line.startswith("- ")] or lines
    weights = {"match": 0, "all": 0}
    for statement in statements:
        body = _MARKERS.sub("", _MARKERS.sub("", statement)).strip()
        letters = sum(ch.isalpha() for ch in body)
        if letters < 3:
            continue
        weights["all"] += letters
        weights["match"] += letters if detect_language(body, default=lang) == lang else 0
    return weights["match"] / weights["all"] if weights["all"] else 1.0


def _rank(passages: list[Any], evidence: list[str]) -> tuple[int | None, list[bool]]:
    relevance = [supports(p.text, evidence) for p in passages]
    return (relevance.index(True) + 1 if True in relevance else None), relevance


def run_cases(assistant, cases: list[EvalCase], k: int = 5, modes: Iterable[str] = MODES,
              progress: Callable[[int, int], None] | None = None, answers: bool = True) -> list[CaseResult]:
    """Retrieve (every mode, depth 10) and ask (full pipeline, unless ``answers`` is false) for each case."""
    chunk_texts = [c.text for c in assistant.chunks]
    results = []
    for number, case in enumerate(cases, start=1):
        result = CaseResult(case)
        for mode in modes:
            started = time.perf_counter()
            passages = assistant.retrieve(case.question, k=DEPTH, mode=mode)
            if mode == "hybrid":
                result.retrieve_ms = (time.perf_counter() - started) * 1000
                result.retrieved = passages
            result.ranks[mode], result.relevance[mode] = _rank(passages, case.evidence)
        result.relevant_total = sum(supports(t, case.evidence) for t in chunk_texts) if case.evidence else 0
        if not answers:
            results.append(result)
            continue
        started = time.perf_counter()
        result.answer = assistant.ask(case.question, k=k)
        result.ask_ms = (time.perf_counter() - started) * 1000
        result.faithfulness = faithfulness(result.answer, assistant.retriever)
        fallback = getattr(assistant.answerer, "fallback", None)
        if fallback is not None:
            result.extractive = assistant.ask(case.question, k=k, answerer=fallback)
            result.extractive_faithfulness = faithfulness(result.extractive, assistant.retriever)
        results.append(result)
        if progress:
            progress(number, len(cases))
    return results


def faithfulness(answer, retriever) -> float | None:
    """Share of the answer's sentences that a passage they cite supports (None for an abstention).

    A citation covers the uncited sentences just before it on the same line ("Need X? Contact Y. [1]");
    lines without a citation that end in ":" are connecting phrases, not statements.
    """
    from .generation import CITATION, claims, supported

    if answer.abstained:
        return None
    # A statement shown in translation is checked in the original words it translates.
    originals = {q.text: q.original for q in getattr(answer, "quotes", ()) if q.translated}
    verdicts: list[bool] = []
    for line in answer.text.splitlines():
        line = line.strip().removeprefix("- ")
        if not line or (line.endswith(":") and not CITATION.search(line)):
            continue
        pending: list[str] = []
        for claim in claims(line):
            pending.append(CITATION.sub("", claim))
            numbers = [int(n) for group in CITATION.findall(claim) for n in group.split(",")]
            if not numbers:
                continue
            cited = [answer.citations[n - 1] for n in numbers if 1 <= n <= len(answer.citations)]
            pending = [_original(s, originals) for s in pending]
            verdicts += [any(supported(s, p, retriever, p.lang if s in originals.values() else answer.lang, 0.5)
                             for p in cited) for s in pending]
            pending = []
        verdicts += [False] * len(pending)  # sentences no citation covers
    return sum(verdicts) / len(verdicts) if verdicts else 0.0


def _original(statement: str, originals: dict[str, str]) -> str:
    body = _MARKERS.sub("", statement).strip()
    return next((original for shown, original in originals.items() if body and body in shown), statement)


def backend_ablations(assistant, cases: list[EvalCase], models: Iterable[str]) -> dict[str, dict[str, float]]:
    """Retrieval with each other embedding model in place of the configured one (its own index folder,
    built when missing), hybrid and dense only: the ablation that tells what the model itself adds."""
    from .core import Assistant

    out: dict[str, dict[str, float]] = {}
    for model in models:
        other = Assistant.load(assistant.settings.model_copy(update={"embedding_model": model}))
        results = run_cases(other, cases, modes=("hybrid", "dense"), answers=False)
        for mode in ("hybrid", "dense"):
            out[f"{mode}[{model}]"] = retrieval_metrics(results, mode)
    return out


def retrieval_metrics(results: list[CaseResult], mode: str = "hybrid") -> dict[str, float]:
    answerable = [r for r in results if not r.case.abstain]
    ranks = [r.ranks.get(mode) for r in answerable]
    return {
        "recall@1": recall_at(ranks, 1), "recall@3": recall_at(ranks, 3), "recall@5": recall_at(ranks, 5),
        "recall@10": recall_at(ranks, 10), "mrr@10": mrr_at(ranks),
        "ndcg@10": ndcg_at([r.relevance.get(mode, []) for r in answerable], [r.relevant_total for r in answerable]),
    }


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def answer_metrics(results: list[CaseResult]) -> dict[str, float | None]:
    answerable = [r for r in results if not r.case.abstain]
    answered = [r for r in answerable if not r.answer.abstained]
    declined = [r for r in results if r.answer.abstained]
    should = [r for r in results if r.case.abstain]
    return {
        "must_mention": _share([r.mentions_ok for r in answerable]),
        "citation_support": _share([r.citation_supported for r in answered]),
        "citation_validity": _share([r.citations_valid for r in results]),
        "abstain_precision": _share([r.case.abstain for r in declined]) if declined else (1.0 if not should else 0.0),
        "abstain_recall": _share([r.answer.abstained for r in should]),
        "false_abstain": _share([r.answer.abstained for r in answerable]),
        "lang_match": _share([r.language_share >= 0.5 for r in results]),
        "answer_language_share": _mean([r.language_share for r in results]),
        "faithfulness": _mean([r.faithfulness for r in results]),
    }


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _extractive_view(results: list[CaseResult]) -> list[CaseResult]:
    return [CaseResult(r.case, r.ranks, r.relevance, r.relevant_total, r.retrieved, r.extractive, r.retrieve_ms,
                       r.ask_ms, r.extractive_faithfulness) for r in results]


def summarise(results: list[CaseResult], k: int, split: str) -> dict[str, Any]:
    """The JSON object of ``assistant eval --json``."""
    generative = any(r.extractive is not None for r in results)
    summary: dict[str, Any] = {"n": len(results), "k": k, "split": split,
                               "mode": "generative" if generative else "extractive"}
    summary |= retrieval_metrics(results) | answer_metrics(results)
    if generative:  # the extractive answerer on the same cases, side by side
        summary["extractive"] = answer_metrics(_extractive_view(results))
    retrieve_ms = [r.retrieve_ms for r in results]
    ask_ms = [r.ask_ms for r in results]
    summary["latency_ms"] = {
        "retrieve_p50": round(statistics.median(retrieve_ms), 1), "retrieve_p95": round(percentile(retrieve_ms, 0.95), 1),
        "ask_p50": round(statistics.median(ask_ms), 1), "ask_p95": round(percentile(ask_ms, 0.95), 1),
    }
    summary["ablations"] = {mode: retrieval_metrics(results, mode) for mode in MODES}
    summary["by_lang"] = _breakdown(results, lambda r: [r.case.lang])
    summary["by_doc"] = _breakdown(results, lambda r: r.case.doc_ids or ["(none)"])
    summary["by_tag"] = _breakdown(results, lambda r: r.case.tags)
    return summary


def _breakdown(results: list[CaseResult], keys: Callable[[CaseResult], list[str]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        for key in keys(r):
            groups[key].append(r)
    out = {}
    for key, members in sorted(groups.items()):
        metrics = retrieval_metrics(members) | answer_metrics(members)
        out[key] = {"n": len(members)} | {name: metrics[name] for name in (
            "recall@1", "recall@5", "mrr@10", "must_mention", "citation_support", "abstain_recall", "lang_match",
            "answer_language_share")}
    return out


def failures(results: list[CaseResult], k: int) -> list[tuple[CaseResult, list[str]]]:
    """Each failing case with what failed."""
    out = []
    for r in results:
        problems = []
        if r.case.abstain != r.answer.abstained:
            problems.append("declined an answerable question" if r.answer.abstained else "answered an out-of-scope question")
        if not r.case.abstain:
            rank = r.ranks.get("hybrid")
            if rank is None or rank > k:
                problems.append(f"no supporting passage in the top {k}")
            if not r.answer.abstained and not r.citation_supported:
                problems.append("no citation supports the answer")
            if not r.mentions_ok:
                problems.append("must-mention missing")
        if not r.citations_valid:
            problems.append("invalid citation")
        if r.language_share < 0.5:
            problems.append("answer mostly in the other language")
        if problems:
            out.append((r, problems))
    return out


def dump(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False, default=lambda v: round(v, 4) if isinstance(v, float) else v)
