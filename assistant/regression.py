"""The regression gate: expected scores in version control, compared with a stated tolerance.

eval/baselines.yaml holds, per condition (an eval split), the settings that produced the scores and
the scores themselves; ``check`` marks each metric OK / within tolerance / FAIL, and raising a
baseline is a deliberate command that appends date, commit and reason to eval/baselines-log.md.

>>> verdict(0.90, expected=0.91, tolerance=0.02)
'within tolerance'
>>> verdict(0.80, expected=0.91, tolerance=0.02)
'FAIL'
>>> verdict(8 / 9, expected=0.8889, tolerance=0.02)   # the recorded value, to four decimals
'OK'
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .evaluation import EvalError

#: Metrics the gate compares; each is "higher is better" unless listed in LOWER_IS_BETTER.
GATED = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "must_mention", "citation_support",
         "citation_validity", "abstain_precision", "abstain_recall", "lang_match", "answer_language_share",
         "false_abstain")
LOWER_IS_BETTER = frozenset({"false_abstain"})
DEFAULT_TOLERANCE = 0.02


@dataclass(frozen=True)
class Comparison:
    condition: str
    metric: str
    expected: float
    actual: float | None
    tolerance: float
    status: str

    def line(self) -> str:
        actual = "missing" if self.actual is None else f"{self.actual:.4f}"
        return f"{self.status:<16} {self.condition:<6} {self.metric:<18} {actual} (expected {self.expected:.4f} ± {self.tolerance})"


def verdict(actual: float | None, expected: float, tolerance: float, lower_is_better: bool = False) -> str:
    if actual is None:
        return "FAIL"
    actual = round(actual, 4)  # baselines are recorded to four decimals
    gap = (actual - expected) if not lower_is_better else (expected - actual)
    if gap >= -1e-9:
        return "OK"
    return "within tolerance" if gap >= -tolerance else "FAIL"


def read_baselines(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise EvalError(f"{path}: no baselines; record them with 'assistant eval --update-baseline --reason ...'")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise EvalError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data.get("conditions"), dict):
        raise EvalError(f"{path}: expected a 'conditions' mapping")
    return data


def compare(summary: dict[str, Any], condition: str, baseline: dict[str, Any]) -> list[Comparison]:
    tolerance = float(baseline.get("tolerance", DEFAULT_TOLERANCE))
    out = []
    for metric, expected in baseline.get("metrics", {}).items():
        actual = summary.get(metric)
        status = verdict(actual, float(expected), tolerance, metric in LOWER_IS_BETTER)
        out.append(Comparison(condition, metric, float(expected), actual, tolerance, status))
    return out


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=5).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def record_baseline(path: Path, log: Path, condition: str, summary: dict[str, Any], settings: dict[str, Any],
                    reason: str, tolerance: float = DEFAULT_TOLERANCE) -> None:
    """Write ``summary``'s gated metrics as the new expected scores of ``condition``; log why."""
    if not reason.strip():
        raise EvalError("raising a baseline needs --reason: say why the new scores are the expected ones")
    data = read_baselines(path) if path.is_file() else {"conditions": {}}
    data.setdefault("conditions", {})[condition] = {
        "split": summary["split"], "k": summary["k"], "n": summary["n"], "tolerance": tolerance,
        "settings": settings,
        "metrics": {m: round(float(summary[m]), 4) for m in GATED if summary.get(m) is not None},
    }
    header = ("# Expected eval scores: `assistant eval --check` compares each metric with its tolerance.\n"
              "# Raise them only with `assistant eval --update-baseline --reason ...` (logged in baselines-log.md).\n")
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    new = not log.is_file()
    with log.open("a", encoding="utf-8") as handle:
        if new:
            handle.write("# Baseline log\n\nEvery change of eval/baselines.yaml: when, at which commit, and why.\n\n")
        metrics = ", ".join(f"{m} {v}" for m, v in data["conditions"][condition]["metrics"].items())
        handle.write(f"- {stamp}, commit {_commit()}, condition `{condition}`: {reason.strip()} ({metrics})\n")
