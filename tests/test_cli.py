"""The command line as a user runs it: real processes, one-line errors, JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def run(args, shared_dirs, timeout=300):
    corpus, index = shared_dirs
    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index)}
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_ask_json(assistant, shared_dirs):
    result = run(["ask", "Met wie werk ik samen om invloed te vergroten?", "--json"], shared_dirs)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["lang"] == "nl" and not payload["abstained"]
    assert payload["citations"] and all("[%d]" % (i + 1) in payload["text"] for i in range(len(payload["citations"])))
    assert {"text", "doc_id", "title", "lang", "section", "score"} <= set(payload["citations"][0])


def test_retrieve_json_and_index(assistant, shared_dirs):
    result = run(["retrieve", "vakbondsvrijheid", "--k", "3", "--json"], shared_dirs)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3 and "vakbondsvrijheid" in hits[0]["text"]
    indexed = run(["index"], shared_dirs)
    assert indexed.returncode == 0 and "0 embedded" in indexed.stdout


@pytest.mark.parametrize(
    "args,message",
    [(["ask", ""], "empty"), (["ask", "x" * 3000], "characters long"), (["ask", "\x01\x02\x03\x04"], "binary"),
     (["ask", "vraag", "--bogus"], "No such option"), (["retrieve", "vraag", "--k", "0"], "--k"),
     (["frobnicate"], "No such command")],
)
def test_bad_input_gives_one_line_and_non_zero_exit(shared_dirs, args, message):
    result = run(args, shared_dirs, timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_corpus_error_is_one_line(tmp_path):
    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(tmp_path / "nowhere"), "ASSISTANT_INDEX_DIR": str(tmp_path / "ix")}
    result = subprocess.run([sys.executable, "-m", "assistant", "index"], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'nowhere' / 'manifest.toml'}: manifest not "
                                                  "found; create it (see README, 'Adding a document')"]


def test_vocabulary_lists_dutch_words_without_an_english_rendering(tmp_path):
    from .conftest import copy_corpus

    corpus = copy_corpus(tmp_path / "corpus")
    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(corpus)}
    command = [sys.executable, "-m", "assistant", "vocabulary", "--limit", "500"]
    complete = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert complete.returncode == 0, complete.stderr
    (corpus / "vocabulary.tsv").unlink()
    bare = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert bare.returncode == 0, bare.stderr
    listed = lambda out: {line.split()[-1] for line in out.splitlines()[1:]}  # noqa: E731
    assert "geven" in listed(bare.stdout) and "geven" not in listed(complete.stdout)
    assert len(listed(bare.stdout)) > 10 * len(listed(complete.stdout))


def test_vocabulary_lists_sentences_that_lack_a_translation(tmp_path):
    from .conftest import copy_corpus

    corpus = copy_corpus(tmp_path / "corpus")
    memory = corpus / "translations" / "pilot-trainingsprogramma-india.tsv"
    sentence = "Bedrijf B stelde een script op voor aanvang van het gesprek."
    lines = memory.read_text(encoding="utf-8").splitlines()
    memory.write_text("\n".join(line for line in lines if not line.startswith(sentence)) + "\n", encoding="utf-8")
    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(corpus)}
    result = subprocess.run([sys.executable, "-m", "assistant", "vocabulary"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Sentences of Dutch-only documents without a translation" in result.stdout
    assert "(rendered word by word): 1\n" in result.stdout
    assert result.stdout.rstrip().endswith(sentence)


QUESTIONS = ["Met wie werk ik samen om lonen te verifiëren?", "Who can help organise the logistics of a dialogue?",
             "Wat zijn de leerpunten uit de pilot in India?", "What did companies do after the minimum wage rose in Sindh?",
             "Hoe bevorder je het commitment van leveranciers?", "What is the capital of Australia?",
             "Wie kan helpen bij maatschappelijke acceptatie?", "How do I gain influence during a dialogue?",
             "Met wie werk ik samen voor efficiëntie?", "Which tips help when working with partners in production countries?"]


def test_ask_takes_several_questions_and_a_file_and_gives_json_lines(assistant, shared_dirs, tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_text("\n".join(QUESTIONS[1:]) + "\n\n", encoding="utf-8")  # a blank line is skipped
    result = run(["ask", QUESTIONS[0], "--file", str(questions), "--json"], shared_dirs)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in records] == QUESTIONS
    assert [r["abstained"] for r in records] == [q == "What is the capital of Australia?" for q in QUESTIONS]
    assert [r["lang"] for r in records][:2] == ["nl", "en"] and records[0]["citations"]

    text = run(["ask", QUESTIONS[0], QUESTIONS[5]], shared_dirs)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(f"## {QUESTIONS[0]}\n") and f"\n## {QUESTIONS[5]}\n" in text.stdout
    assert text.stdout.count("Sources:") == 1  # the uncovered question has none


def test_a_bad_line_in_the_file_is_named_before_the_model_loads(shared_dirs, tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_text("Wie helpt?\n" + "x" * 2500 + "\n", encoding="utf-8")
    result = run(["ask", "--file", str(questions)], shared_dirs, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {questions}, line 2: the question is 2500 characters long; keep it under 2000"


def test_chat_keeps_the_conversation_for_follow_ups(assistant, shared_dirs):
    corpus, index = shared_dirs
    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index)}
    typed = "Met wie werk ik samen om lonen te verifiëren?\nWie nog meer?\n" + "x" * 2500 + "\n/new\nWie nog meer?\n"
    result = subprocess.run([sys.executable, "-m", "assistant", "chat"], input=typed, capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.split("(new conversation)")
    assert before.count("Sources:") == 2  # the follow-up "Wie nog meer?" was answered from the conversation
    assert "error: the question is 2500 characters long" in before  # a bad line does not end the chat
    assert "Sources:" not in after and "[1]" not in after  # in a new conversation it says nothing
    assert "> " not in result.stderr  # no prompt when the input is piped
