"""Property-based fuzzing of everything a caller controls: no input reaches a traceback.

``ask``, ``retrieve``, the history and the command line get generated questions (empty, huge, one long
word, binary, lone surrogates, mixed scripts), arguments of every type and history of every shape.
Each call must end in a normal result or in the one domain error type, InputError, whose message says
what is allowed. Over 1,000 generated inputs in all, on the real model and a real Chroma index.
"""

from __future__ import annotations

import string
import sys

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from assistant import Answer, InputError, Passage, Turn
from assistant.chat import MAX_HISTORY_TURNS, normalise_history

pytestmark = pytest.mark.slow

def fuzz(examples: int) -> settings:
    return settings(FUZZ, max_examples=examples)


FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                database=None, derandomize=True)

REAL = ["Who should I partner with to verify wage information in Pakistan?", "Met wie werk ik samen?",
        "vakbondsvrijheid", "And in Pakistan?", "Wie nog meer?"]
def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, picked in proportion to its weight (long inputs are rarer: each costs ~1 s)."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(lambda s: s)


any_char = st.characters(codec=None, exclude_categories=())  # lone surrogates and controls included
word = st.text(st.characters(categories=["L"]), min_size=1, max_size=15)
# One "word" of up to 1,999 letters: repeated corpus words once sent compound splitting into deep recursion.
DUTCH = ["loon", "samenwerking", "arbeid", "vakbond", "keten", "dialoog", "leverancier", "minimum", "fabriek"]
long_word = st.builds(lambda parts, n: ("".join(parts) * n)[:1999],
                      st.lists(st.one_of(st.sampled_from(DUTCH), st.text(string.ascii_lowercase + "ëé", min_size=1,
                                                                         max_size=8)), min_size=1, max_size=3),
                      st.integers(100, 2000))
sentence = st.builds(lambda words, end: " ".join(words) + end, st.lists(word, min_size=1, max_size=40),
                     st.sampled_from(["", "?", "!", " (2025)?"]))
# Mostly text that passes the question checks and reaches retrieval and answering; some that does not.
askable = weighted((3, st.sampled_from(REAL)), (6, sentence), (1, long_word),
                   (1, st.builds(lambda q, w: f"{q} {w}"[:2000], st.sampled_from(REAL), long_word)))
not_text = st.one_of(st.none(), st.integers(), st.binary(max_size=20), st.lists(st.text(max_size=5), max_size=3),
                     st.floats(allow_nan=True))
questions = weighted((12, askable), (2, st.text(max_size=300)), (2, st.text(any_char, max_size=60)),
                     (1, st.text(string.printable, min_size=1990, max_size=2010)), (1, not_text))
junk = st.one_of(not_text, st.text(max_size=10), st.booleans(), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                               max_size=2))
good_k = st.one_of(st.none(), st.integers(1, 100))
ks = weighted((2, good_k), (1, st.integers(-200, 200)), (1, st.one_of(st.booleans(), st.floats(allow_nan=True),
                                                                      st.text(max_size=3))))
good_mode = st.sampled_from(["hybrid", "dense", "lexical"])
modes = weighted((2, good_mode), (1, junk))
good_lang = st.sampled_from(["nl", "en", None])
langs = weighted((2, good_lang), (1, junk))
texts = weighted((4, askable), (1, st.text(any_char, max_size=40)), (1, st.one_of(st.none(), st.integers())))
contents = weighted((3, texts), (1, st.lists(st.one_of(st.fixed_dictionaries({"text": texts}), junk), max_size=3)),
                    (1, junk))
messages = st.fixed_dictionaries({"role": weighted((3, st.sampled_from(["user", "assistant", "system"])), (1, junk)),
                                  "content": contents})
good_items = st.one_of(st.tuples(askable, askable), st.builds(Turn, askable, askable),
                       st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "content": askable}))
items = weighted((4, good_items), (1, st.tuples(texts, texts)), (1, st.lists(texts, max_size=3)), (1, messages),
                 (1, st.builds(Turn, texts, texts)), (1, junk))
good_history = weighted((2, st.none()), (4, st.lists(good_items, max_size=6)),
                        (1, st.lists(st.tuples(st.sampled_from(REAL), st.sampled_from(REAL)), min_size=100,
                                     max_size=160)))
histories = weighted((3, good_history), (3, st.lists(items, max_size=8)), (1, junk))


#: Python's default recursion limit, less the frames a command-line or app call starts from.
PRODUCTION_STACK = 950


def outcome(call):
    """The result, or the InputError raised; any other exception fails the test.

    Hypothesis raises the recursion limit while a test runs; the call gets Python's default depth back,
    so recursion as deep as the one a long word once caused fails here as it did for users.
    """
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + PRODUCTION_STACK)
    try:
        result = call()
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        event(f"refused: {str(exc).split(' ')[0]}")
        return exc
    finally:
        sys.setrecursionlimit(limit)
    event("answered")
    return result


@fuzz(150)
@given(question=questions, k=good_k, mode=good_mode, lang=good_lang)
def test_retrieve_any_question(assistant, question, k, mode, lang):
    result = outcome(lambda: assistant.retrieve(question, k=k, mode=mode, lang=lang))
    if not isinstance(result, InputError):
        assert all(isinstance(p, Passage) for p in result) and len(result) <= (k or assistant.settings.k)


@fuzz(150)
@given(question=st.sampled_from(REAL), k=ks, mode=modes, lang=langs)
def test_retrieve_arguments_are_checked(assistant, question, k, mode, lang):
    result = outcome(lambda: assistant.retrieve(question, k=k, mode=mode, lang=lang))
    if isinstance(result, InputError):
        return
    assert k is None or type(k) is int and 1 <= k <= 100
    assert mode in ("hybrid", "dense", "lexical") and lang in ("nl", "en", None)
    assert all(isinstance(p, Passage) for p in result) and len(result) <= (k or assistant.settings.k)


def check_answer(result) -> None:
    if not isinstance(result, InputError):
        assert isinstance(result, Answer) and result.lang in ("nl", "en")
        assert result.abstained or result.citations


@fuzz(150)
@given(question=questions, history=good_history, k=good_k)
def test_ask_any_question(assistant, question, history, k):
    check_answer(outcome(lambda: assistant.ask(question, history=history, k=k)))


@fuzz(150)
@given(question=st.sampled_from(REAL), history=histories, k=ks)
def test_ask_history_and_arguments_are_checked(assistant, question, history, k):
    check_answer(outcome(lambda: assistant.ask(question, history=history, k=k)))


@fuzz(320)
@given(history=histories)
def test_history_is_normalised_or_refused(history):
    result = outcome(lambda: normalise_history(history))
    if isinstance(result, InputError):
        return
    assert isinstance(result, list) and len(result) <= MAX_HISTORY_TURNS
    assert all(isinstance(t, Turn) and isinstance(t.question, str) and t.question.strip() for t in result)


cli_args = st.one_of(
    st.tuples(st.sampled_from(["ask", "retrieve"]), questions),
    st.tuples(st.just("retrieve"), st.sampled_from(REAL), st.just("--k"), st.text(string.printable, max_size=4)),
    st.tuples(st.just("ask"), questions, st.sampled_from(["--json", "--bogus", "-k", "--k=3"])),
    st.lists(st.text(string.printable, max_size=12), max_size=3).map(tuple),
    st.tuples(st.sampled_from(["vocabulary", "index", "feedback", "eval"]), st.sampled_from(["--limit", "--x", "0"]),
              st.text(string.printable, max_size=3)),
)


@fuzz(100)
@given(args=cli_args)
def test_the_command_line_prints_a_result_or_one_error_line(assistant, args, monkeypatch, capsys):
    """The real CLI (in-process, over the session's assistant): exit 0, or one 'error:' line and 1 or 2."""
    from assistant import cli

    monkeypatch.setattr(cli, "_load", lambda rebuild=False: assistant)
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(assistant.settings.corpus_dir))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(assistant.settings.index_dir))
    if args[:1] == ("index",) or args[:1] == ("eval",):
        args = ("eval", "--split", "nope")  # keep runs short: these would rebuild or evaluate everything
    capsys.readouterr()
    code = cli.main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code == 0:
        return
    lines = [line for line in err.splitlines() if line.strip()]
    assert code in (1, 2) and len(lines) == 1 and lines[0].startswith("error: "), (args, code, err)
