"""The eval set, the metrics and the regression gate."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter

import pytest

from assistant.chunking import chunk_document
from assistant.corpus import load_corpus
from assistant.evaluation import (EvalError, load_cases, mentions, mrr_at, ndcg_at, normalise, recall_at, run_cases,
                                  summarise, supports)
from assistant.regression import compare, read_baselines, record_baseline, verdict

from .conftest import CORPUS, REPO

CASES = REPO / "eval" / "cases.jsonl"
BASELINES = REPO / "eval" / "baselines.yaml"


@pytest.fixture(scope="module")
def cases():
    return load_cases(CASES)


def test_every_line_has_the_schema_and_the_set_is_broad(cases):
    assert len(cases) >= 150
    assert len({c.id for c in cases}) == len(cases)
    assert sum(c.abstain for c in cases) >= 12
    splits = Counter(c.split for c in cases)
    assert set(splits) == {"dev", "test"} and min(splits.values()) >= 60
    partner = [c for c in cases if "partner" in c.tags]
    for purpose in range(1, 8):
        langs = {c.lang for c in partner if f"purpose-{purpose}" in c.tags}
        assert langs == {"nl", "en"}, f"purpose {purpose} lacks a partner question in {({'nl', 'en'} - langs)}"
    for tag in ("cross-lingual", "factual", "informal", "multi-passage", "out-of-scope"):
        assert {c.split for c in cases if tag in c.tags} == {"dev", "test"}, tag


def test_every_evidence_quote_is_in_a_content_passage(cases):
    chunks = [c for d in load_corpus(CORPUS) for c in chunk_document(d) if c.role == "content"]
    missing = [(case.id, quote) for case in cases for quote in case.evidence if not any(
        supports(c.text, [quote]) for c in chunks)]
    assert missing == []


def test_every_document_is_covered(cases):
    covered = {d for c in cases for d in c.doc_ids}
    assert covered == {d.id for d in load_corpus(CORPUS)}


def test_bad_lines_name_the_line_and_field(tmp_path):
    path = tmp_path / "cases.jsonl"
    good = json.loads(CASES.read_text(encoding="utf-8").splitlines()[0])
    path.write_text(json.dumps(good) + "\n" + json.dumps(good | {"id": "x-1", "lang": "de"}) + "\n")
    with pytest.raises(EvalError, match=r"line 2: field 'lang'"):
        load_cases(path)
    path.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    with pytest.raises(EvalError, match="duplicate id"):
        load_cases(path)
    path.write_text(json.dumps(good | {"abstain": True}) + "\n")
    with pytest.raises(EvalError, match="abstain case has no evidence"):
        load_cases(path)


def test_normalised_support_and_must_mention():
    assert normalise("Samen-\nwerking, ja!") == "samenwerkingja"
    assert supports("In het voorbereiden kan samen-\nwerking helpen.", ["kan samenwerking helpen"])
    assert not supports("iets anders", ["kan samenwerking helpen"])
    assert mentions("Benader een lokale Vakbond of NGO.", [["vakbond", "trade union"], ["ngo"]])
    assert not mentions("Benader een vakbond.", [["vakbond"], ["ngo"]])


def test_retrieval_metrics_on_known_ranks():
    ranks = [1, 3, None, 6]
    assert recall_at(ranks, 1) == 0.25 and recall_at(ranks, 5) == 0.5 and recall_at(ranks, 10) == 0.75
    assert math.isclose(mrr_at(ranks), (1 + 1 / 3 + 1 / 6) / 4)
    assert math.isclose(ndcg_at([[True, False]], [1]), 1.0)
    assert math.isclose(ndcg_at([[False, True]], [1]), 1 / math.log2(3))
    assert ndcg_at([[False, False]], [2]) == 0.0


def test_verdicts_and_baseline_round_trip(tmp_path):
    assert verdict(0.95, 0.95, 0.02) == "OK"
    assert verdict(0.94, 0.95, 0.02) == "within tolerance"
    assert verdict(0.90, 0.95, 0.02) == "FAIL"
    assert verdict(0.05, 0.03, 0.01, lower_is_better=True) == "FAIL"
    summary = {"split": "dev", "k": 5, "n": 10, "recall@5": 0.9, "must_mention": 0.8}
    path, log = tmp_path / "baselines.yaml", tmp_path / "log.md"
    with pytest.raises(EvalError, match="reason"):
        record_baseline(path, log, "dev", summary, {}, reason=" ")
    record_baseline(path, log, "dev", summary, {"k": 5}, reason="first run")
    baseline = read_baselines(path)["conditions"]["dev"]
    assert baseline["metrics"] == {"recall@5": 0.9, "must_mention": 0.8}
    assert "first run" in log.read_text()
    worse = compare(summary | {"recall@5": 0.85}, "dev", baseline)
    assert {c.metric: c.status for c in worse} == {"recall@5": "FAIL", "must_mention": "OK"}


@pytest.mark.slow
def test_regression_gate_holds(assistant, cases):
    """The same check as `assistant eval --check`: no metric may fall below its baseline's tolerance."""
    baselines = read_baselines(BASELINES)["conditions"]
    results = run_cases(assistant, cases, k=5)
    failed = []
    for name, baseline in baselines.items():
        subset = [r for r in results if r.case.split == baseline["split"]]
        failed += [c.line() for c in compare(summarise(subset, 5, name), name, baseline) if c.status == "FAIL"]
    assert failed == []


@pytest.mark.slow
def test_eval_cli_json_and_quiz(shared_dirs, tmp_path, assistant):
    import os

    corpus, index = shared_dirs
    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index)}
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(CASES.read_text(encoding="utf-8").splitlines()[:6]) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "assistant", "eval", "--questions", str(small), "--json",
                             "--report", str(tmp_path / "report.md")], capture_output=True, text=True, env=env,
                            timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    for key in ("n", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "must_mention", "citation_support",
                "citation_validity", "abstain_precision", "abstain_recall", "lang_match", "by_lang"):
        assert key in summary, key
    assert summary["n"] == 6 and set(summary["latency_ms"]) == {"retrieve_p50", "retrieve_p95", "ask_p50", "ask_p95"}
    assert set(summary["ablations"]) == {"hybrid", "dense", "lexical"}
    assert "# Eval report" in (tmp_path / "report.md").read_text()
    baselines = tmp_path / "baselines.yaml"
    result = subprocess.run([sys.executable, "-m", "assistant", "eval", "--questions", str(small), "--json",
                             "--update-baseline", "--reason", "a test", "--baselines", str(baselines)],
                            capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n"] == 6  # stdout stays pure JSON; the notice goes to stderr
    assert "recorded baselines" in result.stderr and "a test" in (tmp_path / "baselines-log.md").read_text()
    quiz = tmp_path / "quiz.md"
    result = subprocess.run([sys.executable, "-m", "assistant", "eval", "--export-quiz", str(quiz), "--tag", "lessons"],
                            capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "quiz-answers.md").read_text()
    assert text.count("\n## ") >= 5 and "**Source:** Pilotverslag" in text and "**Answer:**" in text


def quiz_cli(args, tmp_path):
    import os

    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(CORPUS)}
    return subprocess.run([sys.executable, "-m", "assistant", "eval", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=REPO)


def test_the_dutch_quiz_is_a_question_sheet_and_an_answer_key_in_docx(tmp_path, cases):
    from docx import Document as WordDocument

    result = quiz_cli(["--export-quiz", str(tmp_path / "workshop"), "--lang", "nl", "--tag", "lessons"], tmp_path)
    assert result.returncode == 0, result.stderr
    expected = [c for c in cases if c.lang == "nl" and "lessons" in c.tags and getattr(c, "quiz", False)]
    assert 3 <= len(expected) < len([c for c in cases if "lessons" in c.tags])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["workshop-antwoorden.docx", "workshop-antwoorden.md",
                                                          "workshop-vragen.docx", "workshop-vragen.md"]

    sheet = WordDocument(str(tmp_path / "workshop-vragen.docx"))
    headings = [p.text for p in sheet.paragraphs if p.style.name == "Heading 1"]
    assert headings == [f"{n}. {c.question}" for n, c in enumerate(expected, start=1)]
    sheet_text = "\n".join(p.text for p in sheet.paragraphs)
    assert sheet.core_properties.title.startswith("Workshopquiz") and "Je antwoord" in sheet_text
    assert not any(c.answer[:40] in sheet_text for c in expected)  # the sheet gives nothing away

    key = WordDocument(str(tmp_path / "workshop-antwoorden.docx"))
    assert key.core_properties.title.endswith("antwoordsleutel")
    assert [p.text for p in key.paragraphs if p.style.name == "Heading 1"] == headings
    key_text = "\n".join(p.text for p in key.paragraphs)
    quotes = "\n".join(p.text for p in key.paragraphs if p.style.name in ("Quote", "List Bullet"))
    for case in expected:
        assert f"Antwoord: {case.answer}" in key_text
        assert any(supports(quotes, [q]) for q in case.evidence), case.id  # the passage with the answer is quoted
    assert key_text.count("Bron: ") >= len(expected) and "Open de SER-publicatie" in key_text


def test_the_quiz_leaves_out_informal_and_out_of_scope_questions_unless_asked(tmp_path, cases):
    informal = [c for c in cases if "informal" in c.tags and not c.abstain]
    assert informal and not any(getattr(c, "quiz", False) for c in informal)
    assert not any(getattr(c, "quiz", False) for c in cases if c.abstain)
    result = quiz_cli(["--export-quiz", str(tmp_path / "a" / "quiz"), "--lang", "en"], tmp_path)
    assert result.returncode == 0, result.stderr
    sheet = (tmp_path / "a" / "quiz-questions.md").read_text(encoding="utf-8")
    assert sheet.count("\n## ") == sum(1 for c in cases if c.lang == "en" and getattr(c, "quiz", False))
    assert not any(f". {c.question}" in sheet for c in informal if c.lang == "en")
    with_informal = quiz_cli(["--export-quiz", str(tmp_path / "b" / "quiz"), "--lang", "en", "--informal"], tmp_path)
    assert with_informal.returncode == 0, with_informal.stderr
    sheet = (tmp_path / "b" / "quiz-questions.md").read_text(encoding="utf-8")
    assert sum(1 for c in informal if c.lang == "en" and c.question.split()[0] in sheet) >= 1
    assert sheet.count("\n## ") == sum(1 for c in cases if c.lang == "en" and not c.abstain)


def test_list_tags_shows_the_quiz_tags_with_counts(tmp_path, cases):
    result = quiz_cli(["--list-tags", "--lang", "nl"], tmp_path)
    assert result.returncode == 0, result.stderr
    listed = {line.split()[1]: int(line.split()[0]) for line in result.stdout.splitlines()}
    fit = [c for c in cases if c.lang == "nl" and getattr(c, "quiz", False)]
    assert listed["lessons"] == sum("lessons" in c.tags for c in fit)
    assert "informal" not in listed and "out-of-scope" not in listed
    bad = quiz_cli(["--export-quiz", str(tmp_path / "q"), "--lang", "de"], tmp_path)
    assert bad.returncode == 1 and bad.stderr.strip() == "error: --lang must be nl or en, not 'de'"
