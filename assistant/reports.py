"""Readable outputs of an eval run: the Markdown report (workshop quizzes are in ``quiz``).

>>> print(markdown_table(["a", "b"], [[1, 0.5]]))
| a | b |
| --- | --- |
| 1 | 0.500 |
"""

from __future__ import annotations

from typing import Any, Iterable

from .evaluation import CaseResult, failures, supports


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: list[str], rows: Iterable[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def report_markdown(summary: dict[str, Any], results: list[CaseResult], questions: str,
                    comparisons: list | None = None) -> str:
    """The whole report: headline metrics, ablations, latency, breakdowns, and every failing case."""
    k = summary["k"]
    parts = [f"# Eval report\n\nQuestions: `{questions}`, split `{summary['split']}`, n = {summary['n']}, k = {k}.\n"]
    headline = ["recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10", "must_mention",
                "citation_support", "citation_validity", "abstain_precision", "abstain_recall", "false_abstain",
                "lang_match", "faithfulness"]
    if "extractive" in summary:  # a language model answered: show the extractive answerer beside it
        parts.append("## Metrics (generative, extractive)\n\n" + markdown_table(
            ["metric", "generative", "extractive"],
            [[m, summary.get(m), summary["extractive"].get(m, summary.get(m))] for m in headline]))
    else:
        parts.append("## Metrics\n\n" + markdown_table(["metric", "value"], [[m, summary.get(m)] for m in headline]))
    ablation_metrics = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"]
    parts.append("## Ablations (retrieval)\n\n" + markdown_table(
        ["mode", *ablation_metrics], [[mode, *(m[x] for x in ablation_metrics)] for mode, m in summary["ablations"].items()]))
    latency = summary["latency_ms"]
    parts.append("## Latency (ms)\n\n" + markdown_table(list(latency), [list(latency.values())]))
    if comparisons:
        parts.append("## Regression check\n\n" + markdown_table(
            ["status", "condition", "metric", "actual", "expected", "tolerance"],
            [[c.status, c.condition, c.metric, c.actual, c.expected, c.tolerance] for c in comparisons]))
    for title, key in (("language", "by_lang"), ("document", "by_doc"), ("tag", "by_tag")):
        groups = summary[key]
        columns = ["n", "recall@1", "recall@5", "mrr@10", "must_mention", "citation_support", "abstain_recall", "lang_match"]
        parts.append(f"## By {title}\n\n" + markdown_table([title, *columns],
                                                          [[g, *(m.get(c) for c in columns)] for g, m in groups.items()]))
    failing = failures(results, k)
    parts.append(f"## Failing cases ({len(failing)})\n")
    for result, problems in failing:
        case = result.case
        lines = [f"### {case.id} ({case.lang}, {', '.join(case.tags)})", "", f"**Question:** {case.question}", "",
                 f"**Problems:** {'; '.join(problems)}", "", f"**Reference:** {case.answer}", ""]
        if case.evidence:
            lines.append("**Evidence:** " + " / ".join(f"“{q}”" for q in case.evidence))
            lines.append("")
        lines.append("**Retrieved:**")
        for rank, passage in enumerate(result.retrieved[:k], start=1):
            mark = "✔" if case.evidence and supports(passage.text, case.evidence) else " "
            lines.append(f"{rank}. {mark} {passage.doc_id} — {passage.section} ({passage.score:.4f})")
        lines += ["", "**Answer:**", "", "> " + result.answer.text.replace("\n", "\n> "), ""]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
