"""Reliability under bad input: each gap the probe of issue 15 found, pinned down.

A long word no longer recurses; the public API's arguments and history are checked at the edge with one
error type; files stay inside the corpus folder and errors never quote them; broken optional files are
errors while absent ones are stated defaults; exports take long topics; the app removes its temporary
export folder when it stops; every command-line failure is one line.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from assistant import AssistantError, InputError, QuestionError, Turn
from assistant.chat import MAX_HISTORY_TURNS, normalise_history
from assistant.config import load_settings
from assistant.corpus import load_corpus
from assistant.errors import ConfigError, CorpusError
from assistant.glossary import Glossary
from assistant.text import split_compound

from .conftest import REPO
from .servers import free_port, serving

LONG_WORD = "loon" * 499  # 1,996 letters of a real Dutch word: once a RecursionError in compound splitting


# --- no input reaches a traceback -------------------------------------------------------------------------


def test_compound_splitting_is_bounded_and_unchanged_for_real_compounds():
    assert split_compound(LONG_WORD) == [] and split_compound("samenwerking" * 6) == []  # over 64 letters
    assert split_compound("minimumloonstijging") == ["minimumloon", "stijging"]
    assert split_compound("arbeidsomstandigheden") != []


@pytest.mark.slow
def test_a_long_word_is_answered(assistant):
    assert assistant.retrieve(LONG_WORD, k=3)
    answer = assistant.ask(LONG_WORD)
    assert answer.abstained or answer.citations
    follow_up = assistant.ask("En in Pakistan?", history=[(f"Wie verifieert lonen? {LONG_WORD}"[:2000], "Vakbonden.")])
    assert follow_up.lang == "nl"


@pytest.mark.slow
@pytest.mark.parametrize("arguments,allowed", [
    ({"k": 0}, "k must be an integer from 1 to 100, not 0"),
    ({"k": -1}, "k must be an integer from 1 to 100"),
    ({"k": 101}, "k must be an integer from 1 to 100"),
    ({"k": 2.5}, "not 2.5"),
    ({"k": "5"}, "not '5'"),
    ({"k": True}, "not True"),
    ({"mode": "bogus"}, "mode must be one of hybrid, dense, lexical, not 'bogus'"),
    ({"mode": None}, "mode must be one of hybrid, dense, lexical, not None"),
    ({"mode": 5}, "mode must be one of"),
    ({"lang": "xx"}, "lang must be 'nl', 'en' or None"),
    ({"lang": "EN"}, "not 'EN'"),
    ({"lang": 5}, "not 5"),
])
def test_retrieve_arguments_say_what_is_allowed(assistant, arguments, allowed):
    with pytest.raises(InputError) as caught:
        assistant.retrieve("vakbondsvrijheid", **arguments)
    assert allowed in str(caught.value)


@pytest.mark.slow
def test_valid_arguments_are_honoured(assistant):
    assert len(assistant.retrieve("vakbondsvrijheid", k=1)) == 1
    assert assistant.settings.k < len(assistant.retrieve("vakbondsvrijheid", k=100, mode="lexical", lang="nl")) <= 100
    assert len(assistant.retrieve("vakbondsvrijheid")) == assistant.settings.k
    with pytest.raises(InputError, match="k must be"):
        assistant.ask("Met wie werk ik samen?", k=0)


def test_one_error_type_for_bad_input():
    assert issubclass(QuestionError, InputError) and issubclass(InputError, AssistantError)
    assert issubclass(InputError, ValueError)


@pytest.mark.parametrize("history,allowed", [
    (5, "history must be a list of Turns, (question, answer) pairs or role/content messages, not int"),
    ("Who?", "not str"),
    ({"role": "user", "content": "Who?"}, "not dict"),
    ([("only one",)], "history entry 1 must be one of"),
    ([("a", "b", "c")], "a tuple of 3 items"),
    ([42], "not int"),
    ([("Who?", 5)], "history entry 1: texts must be strings, not int"),
    ([{"role": "robot", "content": "hi"}], "role must be one of user, assistant, system"),
    ([{"role": "user", "content": 5}], "content must be a string or a list"),
    ([Turn(5, "a")], "texts must be strings"),
    ([("Who verifies wages?\ud800", "Unions.")], "unpaired surrogate"),
    ([("Who?", "Unions.\x00")], "NUL"),
    ([("x" * 2001, "Unions.")], "keep history questions under 2000"),
    ([("Who?", "y" * 20_001)], "keep history answers under 20000"),
])
def test_malformed_history_says_what_is_allowed(history, allowed):
    with pytest.raises(InputError) as caught:
        normalise_history(history)
    assert allowed in str(caught.value)


def test_history_shapes_that_are_accepted():
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"text": "Who?"}]},
                {"role": "assistant", "content": "Unions. [1]"}, {"role": "user", "content": None}]
    assert normalise_history(messages) == [Turn("Who?", "Unions. [1]")]
    assert normalise_history([("Who?", None), ["Why?", "Because."]]) == [Turn("Who?"), Turn("Why?", "Because.")]
    assert normalise_history(iter([Turn("Who?", "Unions.")])) == [Turn("Who?", "Unions.")]
    assert normalise_history(None) == normalise_history([]) == []


def test_only_the_last_turns_are_read():
    """A long conversation costs what a short one does: older turns are dropped unread (their text is not
    even checked), so a turn's work and the state it looks at stay bounded."""
    old = [(f"Old question {n}\ud800", "x" * 50_000) for n in range(150)]
    recent = [(f"Question {n}?", f"Answer {n}.") for n in range(MAX_HISTORY_TURNS)]
    assert normalise_history(old + recent) == [Turn(q, a) for q, a in recent]


@pytest.mark.slow
def test_a_150_turn_conversation_is_answered_like_its_last_turns(assistant):
    turns = [("Who should I partner with to verify wage information?", "Trade unions. [1]")] * 147 + [
        ("Met wie werk ik samen om lonen te verifiëren?", "Vakbonden. [1]")] * 3
    assert assistant.ask("En in Pakistan?", history=turns).text == \
        assistant.ask("En in Pakistan?", history=turns[-MAX_HISTORY_TURNS:]).text


# --- files stay where they belong --------------------------------------------------------------------------


def add_entry(corpus: Path, file: str) -> None:
    with (corpus / "manifest.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[documents]]\nid = "buiten"\nfile = "{file}"\ntitle = "Buiten"\nlanguage = "nl"\n'
                     'kind = "tool"\npublisher = "SER"\n')


@pytest.mark.parametrize("file", ["../outside-the-corpus.txt", "sub/../../outside-the-corpus.txt",
                                  "/etc/hostname.txt", "..\\\\outside.txt"])
def test_a_manifest_file_outside_the_corpus_is_refused(corpus_dir, file):
    (corpus_dir.parent / "outside-the-corpus.txt").write_text("Geheime tekst buiten het corpus.\n", encoding="utf-8")
    add_entry(corpus_dir, file)
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_dir)
    message = str(caught.value)
    assert 'id "buiten"' in message and 'field "file"' in message and "inside the corpus folder" in message
    assert "Geheime" not in message


def test_a_symlink_out_of_the_corpus_is_refused(corpus_dir):
    outside = corpus_dir.parent / "outside.txt"
    outside.write_text("Geheime tekst buiten het corpus, met genoeg woorden.\n", encoding="utf-8")
    (corpus_dir / "link.txt").symlink_to(outside)
    add_entry(corpus_dir, "link.txt")
    with pytest.raises(CorpusError, match=r'entry id "buiten", field "file": link.txt leads outside the corpus'):
        load_corpus(corpus_dir)


@pytest.mark.parametrize("variable,value", [("ASSISTANT_GLOSSARY_FILE", "../../../../../etc/passwd"),
                                            ("ASSISTANT_VOCABULARY_FILE", "/etc/passwd"),
                                            ("ASSISTANT_TRANSLATIONS_DIR", "../corpus-elsewhere")])
def test_configured_files_outside_the_corpus_are_refused(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert variable in str(caught.value) and "inside the corpus folder" in str(caught.value)


def test_a_configured_symlink_out_of_the_corpus_is_refused(corpus_dir, tmp_path):
    (tmp_path / "secret.tsv").write_text("SECRET-LINE\n", encoding="utf-8")
    (corpus_dir / "link.tsv").symlink_to(tmp_path / "secret.tsv")
    settings = load_settings(corpus_dir=corpus_dir, glossary_file="link.tsv")
    with pytest.raises(ConfigError, match="ASSISTANT_GLOSSARY_FILE=link.tsv: leads outside the corpus folder") as caught:
        settings.glossary_path
    assert "SECRET" not in str(caught.value)


def test_a_malformed_glossary_line_is_named_not_quoted(tmp_path):
    path = tmp_path / "glossary.tsv"
    path.write_text("vakbond\ttrade union\n# comment\nroot:x:0:0:SECRET:/root:/bin/bash\n", encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        Glossary.load(path)
    assert str(caught.value) == f"{path}: line 3: expected 'dutch<TAB>english', found 1 tab-separated fields"


@pytest.mark.parametrize("which", ["glossary", "vocabulary", "translation"])
def test_invalid_utf8_names_the_file_and_line(corpus_dir, which):
    target = {"glossary": corpus_dir / "glossary.tsv", "vocabulary": corpus_dir / "vocabulary.tsv",
              "translation": corpus_dir / "translations" / "case-minimumloon-sindh.tsv"}[which]
    target.write_bytes("vakbond\ttrade union\nloon\twage\ncaf\xe9\tcafe\n".encode("latin-1"))
    settings = load_settings(corpus_dir=corpus_dir)
    with pytest.raises(CorpusError) as caught:
        Glossary.load(settings.glossary_path, settings.vocabulary_path, settings.translations_path)
    assert str(caught.value).startswith(f"{target}: line 3: not UTF-8 text") and "save the file as UTF-8" in str(caught.value)


def test_optional_files_absent_are_stated_defaults_present_and_broken_are_errors(corpus_dir, caplog):
    settings = load_settings(corpus_dir=corpus_dir)
    (corpus_dir / "glossary.tsv").unlink()
    with caplog.at_level(logging.WARNING, logger="assistant.glossary"):
        glossary = Glossary.load(settings.glossary_path, settings.vocabulary_path, settings.translations_path)
    assert len(glossary) == 0 and any("no glossary at" in r.getMessage() for r in caplog.records)

    (corpus_dir / "glossary.tsv").mkdir()
    with pytest.raises(CorpusError, match="glossary.tsv: expected a file, found a folder"):
        Glossary.load(settings.glossary_path)
    translations = corpus_dir / "translations"
    for file in translations.iterdir():
        file.unlink()
    translations.rmdir()
    translations.write_text("not a folder\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="translations: expected a folder, found something else"):
        Glossary.load(corpus_dir / "missing.tsv", None, translations)


def test_cuda_on_a_cpu_only_torch_is_a_clear_error(monkeypatch):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    monkeypatch.setenv("ASSISTANT_DEVICE", "cuda")
    with pytest.raises(ConfigError, match=r"device \(ASSISTANT_DEVICE\): .*no usable CUDA device; set it to cpu"):
        load_settings()
    monkeypatch.setenv("ASSISTANT_DEVICE", "gpu")
    with pytest.raises(ConfigError, match="must be cpu, cuda, cuda:<n> or mps"):
        load_settings()


# --- exports and the app's temporary folder ------------------------------------------------------------------


@pytest.mark.slow
def test_an_export_with_a_topic_of_2000_characters_is_written(assistant, tmp_path):
    from docx import Document as WordDocument

    from assistant.export import topic_report, write_exports

    topic = ("freedom of association and collective bargaining in the supply chain " * 30)[:2000]
    markdown, docx = write_exports(topic_report(topic, assistant.retrieve(topic, k=2), "en"), tmp_path, "topic")
    title = WordDocument(str(docx)).core_properties.title
    assert title.startswith("Passages on “freedom of association") and title.endswith("…”") and len(title) <= 255
    assert markdown.read_text(encoding="utf-8").startswith("# Passages on “freedom of association")


@pytest.mark.slow
def test_the_app_removes_its_export_folder_on_close_and_those_of_dead_processes(assistant, tmp_path):
    from assistant.feedback import FeedbackStore
    from assistant.webapp import EXPORT_PREFIX, ChatApp, remove_stale_exports

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = Path(tempfile.gettempdir()) / f"{EXPORT_PREFIX}{int(dead.stdout)}-test"
    stale.mkdir(exist_ok=True)
    (stale / "old.md").write_text("old export", encoding="utf-8")
    chat = ChatApp(assistant, FeedbackStore(tmp_path / "feedback.sqlite3"), stream_delay=0)
    assert not stale.exists()  # left by a killed app: removed when the next one starts
    assert chat.export_dir.name.startswith(f"{EXPORT_PREFIX}{os.getpid()}-") and chat.export_dir.is_dir()
    paths = chat.export_topic("vakbondsvrijheid", 2, "nl")
    assert all(Path(p).is_file() for p in paths)
    assert chat.export_dir not in remove_stale_exports()  # a running app's folder is left alone
    chat.close()
    assert not chat.export_dir.exists()


@pytest.mark.slow
def test_stopping_the_app_removes_its_export_folder(assistant, shared_dirs, tmp_path):
    corpus, index = shared_dirs
    port = free_port()
    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index),
                        "ASSISTANT_FEEDBACK_DB": str(index.parent / "feedback.sqlite3")}
    command = [sys.executable, str(REPO / "app.py"), "--port", str(port)]
    with serving(command, f"http://127.0.0.1:{port}", tmp_path / "app.log", 300, env=env, cwd=REPO) as process:
        mine = {p for p in Path(tempfile.gettempdir()).glob(f"ser-assistant-exports-{process.pid}-*")}
        assert len(mine) == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, (tmp_path / "app.log").read_text()
        assert not any(p.exists() for p in mine)


# --- the command line ---------------------------------------------------------------------------------------


def cli(args, env_extra, shared_dirs, timeout=300):
    corpus, index = shared_dirs
    env = os.environ | {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index)} | env_extra
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.slow
def test_cli_failures_are_one_line_naming_the_file_or_variable(tmp_path):
    corpus = tmp_path / "corpus"
    from .conftest import copy_corpus

    copy_corpus(corpus)
    dirs = (corpus, tmp_path / "index")
    (corpus / "glossary.tsv").write_bytes(b"vakbond\ttrade union\ncaf\xe9\tcafe\n")
    line = one_error_line(cli(["ask", "Met wie werk ik samen?"], {}, dirs))
    assert f"{corpus / 'glossary.tsv'}: line 2: not UTF-8 text" in line

    line = one_error_line(cli(["retrieve", "vakbond"], {"ASSISTANT_GLOSSARY_FILE": "../../../../../etc/passwd"}, dirs))
    assert "ASSISTANT_GLOSSARY_FILE" in line and "root" not in line

    line = one_error_line(cli(["vocabulary"], {"ASSISTANT_DEVICE": "cuda"}, dirs))
    assert "ASSISTANT_DEVICE" in line
    assert not (tmp_path / "index").exists()  # nothing was built on the way to an error


@pytest.mark.slow
def test_cli_answers_a_long_word(assistant, shared_dirs):
    result = cli(["retrieve", LONG_WORD, "--k", "2"], {}, shared_dirs)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
