"""Command line: thin. Parse, call the library, print; domain errors become one line and exit code 1.

    assistant index [--rebuild]
    assistant ask "Who should I partner with to verify wage information?" [more questions] [--file F] [--json]
    assistant chat
    assistant retrieve "vakbondsvrijheid" --k 3 [--json]
    assistant vocabulary
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer
from typer.exceptions import TyperException

from .cli_help import QuietGroup
from .errors import AssistantError
from .feedback import feedback_app

app = typer.Typer(add_completion=False, no_args_is_help=True, help="The SER dialogue assistant (Dutch/English).",
                  cls=QuietGroup)
app.add_typer(feedback_app, name="feedback")

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _load(rebuild: bool = False):
    from .core import Assistant
    from .progress import ConsoleProgress

    with ConsoleProgress() as progress:
        return Assistant.load(rebuild=rebuild, progress=progress)


def _passage_json(p) -> dict:
    return {k: v for k, v in asdict(p).items() if k != "section_path"} | {"section_path": list(p.section_path)}


@app.command()
def index(rebuild: bool = typer.Option(False, "--rebuild", help="Delete this model's index and build it anew.")) -> None:
    """Build or update the index (only new or changed passages are embedded).

    Example: assistant index --rebuild
    """
    assistant = _load(rebuild)
    typer.echo(assistant.report.summary())


@app.command()
def vocabulary(limit: int = typer.Option(50, "--limit", min=1, help="How many words and sentences to list.")) -> None:
    """List what the assistant cannot yet render in English for the English-only model.

    First the Dutch corpus words that neither the glossary nor corpus/vocabulary.tsv translates: add a
    line 'dutch<TAB>english' to corpus/vocabulary.tsv (general words) or corpus/glossary.tsv (domain
    terms, also used to search across languages). Then the sentences of Dutch documents without an
    English version that corpus/translations/ lacks: add them to the document's file there. Run
    'assistant index' afterwards. Example: assistant vocabulary --limit 20
    """
    from .chunking import ChunkSettings
    from .config import load_settings
    from .corpus import load_corpus
    from .glossary import Glossary, rendering_gaps

    settings = load_settings()
    glossary = Glossary.load(settings.glossary_path, settings.vocabulary_path, settings.translations_path)
    words, sentences = rendering_gaps(glossary, load_corpus(settings.corpus_dir), ChunkSettings.from_settings(settings))
    if not words and not sentences:
        typer.echo("Every Dutch word and sentence of the corpus has an English rendering.")
    if words:
        typer.echo(f"{len(words)} Dutch words have no English rendering (most frequent first):")
        for word, count in words[:limit]:
            typer.echo(f"{count:5d}  {word}")
    if sentences:
        typer.echo(f"Sentences of Dutch-only documents without a translation in {settings.translations_path} "
                   f"(rendered word by word): {len(sentences)}")
        for sentence in sentences[:limit]:
            typer.echo(f"       {sentence}")


@app.command()
def ask(
    questions: Optional[list[str]] = typer.Argument(None, help="One or more questions in Dutch or English.",
                                                    show_default=False, metavar="QUESTION"),
    file: Optional[Path] = typer.Option(None, "--file", help="Also ask the questions in this file, one per line."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON Lines: one object per answer."),
) -> None:
    """Answer questions with numbered citations, or decline when the documents do not cover one.

    The model is loaded once for all of them. Examples:
    assistant ask "Met wie werk ik samen om lonen te verifiëren?";
    assistant ask "Who verifies wages?" "Wie helpt bij logistiek?";
    assistant ask --file questions.txt --json > answers.jsonl
    """
    from .config import load_settings
    from .terminal import answer_json_line, answer_lines, check_questions, read_questions

    asked = list(questions or [])
    max_chars = load_settings().max_question_chars
    check_questions(asked, max_chars)  # fail fast, before loading the model
    if file is not None:
        from_file = read_questions(file)
        check_questions(from_file, max_chars, str(file))
        asked += from_file
    if not asked:
        raise typer.BadParameter("give a question, or --file with one question per line")
    assistant = _load()
    for number, question in enumerate(asked):
        answer = assistant.ask(question)
        if as_json:
            typer.echo(answer_json_line(answer))
            continue
        if len(asked) > 1:
            typer.echo(("\n" if number else "") + f"## {question}\n")
        typer.echo("\n".join(answer_lines(answer)))


@app.command()
def chat() -> None:
    """Talk with the assistant in the terminal: follow-ups use the conversation ("Wie nog meer?").

    Type a question and press Enter; /new starts a new conversation, /quit (or Ctrl-D) ends.
    Reads standard input, so questions can be piped in too. Example: assistant chat
    """
    from .config import load_settings
    from .terminal import chat_loop

    assistant = _load()
    interactive = sys.stdin.isatty()
    if interactive:
        typer.echo("Ask in Dutch or English. /new starts a new conversation, /quit ends.", err=True)

    def prompt() -> None:
        if interactive:
            typer.echo("> ", nl=False, err=True)

    chat_loop(assistant, sys.stdin, typer.echo, prompt, load_settings().max_question_chars)


@app.command()
def retrieve(
    question: str = typer.Argument(..., help="A question in Dutch or English."),
    k: int = typer.Option(5, "--k", min=1, max=100, help="How many passages."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """Show the best passages for a question, best first.

    Example: assistant retrieve "vakbondsvrijheid" --k 3
    """
    from .chat import validate_question
    from .config import load_settings

    validate_question(question, load_settings().max_question_chars)
    hits = _load().retrieve(question, k=k)
    if as_json:
        typer.echo(json.dumps([_passage_json(p) for p in hits], ensure_ascii=False, indent=2))
        return
    for number, passage in enumerate(hits, start=1):
        typer.echo(f"[{number}] {passage.score:.4f} {passage.label} ({passage.lang})\n    {passage.text[:300]}\n")


SPLITS = ("dev", "test", "all")


@app.command("eval")
def eval_command(
    questions: Path = typer.Option(Path("eval/cases.jsonl"), "--questions", help="Eval file (JSON Lines)."),
    k: int = typer.Option(5, "--k", min=1, max=50, help="Passages given to the answerer."),
    split: str = typer.Option("all", "--split", help="dev, test or all."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object of metrics."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write a Markdown report with every failing case."),
    check: bool = typer.Option(False, "--check", help="Compare with eval/baselines.yaml; exit 1 on any FAIL."),
    baselines: Path = typer.Option(Path("eval/baselines.yaml"), "--baselines", help="Expected scores."),
    update_baseline: bool = typer.Option(False, "--update-baseline", help="Record these scores as expected."),
    reason: str = typer.Option("", "--reason", help="Why the baseline changes (required with --update-baseline)."),
    export_quiz: Optional[Path] = typer.Option(
        None, "--export-quiz", help="Write a workshop quiz: NAME-questions and NAME-answers (answer key), "
                                    "as .md and .docx (Dutch: NAME-vragen, NAME-antwoorden)."),
    quiz_lang: Optional[str] = typer.Option(None, "--lang", help="With --export-quiz: nl or en (questions and "
                                                                 "headings in that language; default both, English)."),
    tag: Optional[str] = typer.Option(None, "--tag", help="With --export-quiz: only cases with this tag."),
    doc: Optional[str] = typer.Option(None, "--doc", help="With --export-quiz: only cases about this document."),
    informal: bool = typer.Option(False, "--informal", help="With --export-quiz: also informal or typo'd phrasings."),
    list_tags: bool = typer.Option(False, "--list-tags", help="List the tags of the quiz questions, with counts."),
    backends: str = typer.Option("", "--backends", help="Comma-separated other embedding models to ablate "
                                 "(e.g. bundled:use-multilingual-v3,bundled:all-MiniLM-L6-v2)."),
) -> None:
    """Run an eval set through the public API: retrieval, answers, abstention, latency, ablations.

    Example: assistant eval --split test --report eval/reports/test.md.
    Workshop material: assistant eval --export-quiz quiz --lang nl --tag lessons
    """
    from .evaluation import EvalError, load_cases, run_cases, summarise
    from .regression import compare, read_baselines, record_baseline
    from .reports import report_markdown

    if split not in SPLITS:
        raise EvalError(f"--split must be one of {', '.join(SPLITS)}, not {split!r}")
    if update_baseline and not reason.strip():
        raise EvalError("--update-baseline needs --reason: say why the new scores are the expected ones")
    cases = load_cases(questions, "all")
    if export_quiz or list_tags:
        _quiz(cases, export_quiz, quiz_lang, tag, doc, split, informal)
        return
    assistant = _load()
    expected = read_baselines(baselines) if check else {}
    conditions = list(expected.get("conditions", {})) if check else ([split] if split != "all" else ["dev", "test"])
    wanted = {c for c in conditions} | {split}
    selected = cases if "all" in wanted else [c for c in cases if c.split in wanted]
    results = _run_with_progress(assistant, selected, k, run_cases)
    summaries = {}
    for name in dict.fromkeys([split, *conditions]):
        subset = [r for r in results if name == "all" or r.case.split == expected.get("conditions", {}).get(name, {}).get("split", name)]
        if subset:
            summaries[name] = summarise(subset, k, name)
    summary = summaries[split]
    if backends.strip():
        from .evaluation import backend_ablations

        subset = [c for c in selected if split == "all" or c.split == split]
        summary["ablations"] |= backend_ablations(assistant, subset, [m.strip() for m in backends.split(",") if m.strip()])
    comparisons = []
    if check:
        for name, baseline in expected["conditions"].items():
            if name in summaries:
                comparisons += compare(summaries[name], name, baseline)
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        subset = [r for r in results if split == "all" or r.case.split == split]
        report.write_text(report_markdown(summary, subset, str(questions), comparisons), encoding="utf-8")
    if update_baseline:
        settings = assistant.settings.model_dump(mode="json", exclude={"corpus_dir", "index_dir"})
        for name in conditions:
            record_baseline(baselines, baselines.parent / "baselines-log.md", name, summaries[name], settings, reason)
        # With --json, stdout carries the JSON object alone.
        typer.echo(f"recorded baselines for {', '.join(conditions)} in {baselines}", err=as_json)
    if as_json:
        from .evaluation import dump

        typer.echo(dump(summary))
    else:
        _print_summary(summary)
    for comparison in comparisons:
        typer.echo(comparison.line())
    if any(c.status == "FAIL" for c in comparisons):
        raise typer.Exit(EXIT_ERROR)


def _quiz(cases, target: Optional[Path], lang: Optional[str], tag: Optional[str], doc: Optional[str], split: str,
          informal: bool) -> None:
    """--list-tags and --export-quiz: no model is loaded, the passages come straight from the corpus."""
    from .config import load_settings
    from .evaluation import EvalError
    from .quiz import build_quiz, corpus_passages, select, tag_counts, write_quiz

    if lang not in (None, "nl", "en"):
        raise EvalError(f"--lang must be nl or en, not {lang!r}")
    if target is None:  # --list-tags
        for name, count in tag_counts(select(cases, lang, None, doc, split, informal)):
            typer.echo(f"{count:4d}  {name}")
        return
    chosen = select(cases, lang, tag, doc, split, informal)
    if not chosen:
        raise EvalError("no quiz questions match --lang/--tag/--doc/--split (see --list-tags)")
    chunks, links = corpus_passages(load_settings())
    quiz = build_quiz(chosen, chunks, lang or "en", " · ".join(x for x in (tag, doc) if x), links)
    written = write_quiz(quiz, target.parent, target.stem if target.suffix == ".md" else target.name)
    typer.echo(f"wrote {len(chosen)} questions: " + ", ".join(str(p) for p in written))


def _run_with_progress(assistant, cases, k, run_cases):
    from tqdm import tqdm

    with tqdm(total=len(cases), desc="Evaluating", unit="case", file=sys.stderr) as bar:
        return run_cases(assistant, cases, k=k, progress=lambda done, total: bar.update(done - bar.n))


def _print_summary(summary: dict) -> None:
    names = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "must_mention", "citation_support",
             "citation_validity", "abstain_precision", "abstain_recall", "lang_match", "faithfulness"]
    typer.echo(f"split {summary['split']}, n={summary['n']}, k={summary['k']}, answers: {summary['mode']}")
    for name in names:
        value = summary.get(name)
        other = summary.get("extractive", {}).get(name, "")
        beside = "" if other == "" else f"   (extractive {'–' if other is None else f'{other:.3f}'})"
        typer.echo(f"  {name:<18} {'–' if value is None else f'{value:.3f}'}{beside}")
    typer.echo("  ablations (recall@5 / mrr@10): " + ", ".join(
        f"{mode} {m['recall@5']:.3f} / {m['mrr@10']:.3f}" for mode, m in summary["ablations"].items()))
    typer.echo("  latency ms: " + ", ".join(f"{k} {v}" for k, v in summary["latency_ms"].items()))


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point: usage errors and domain errors print one line on stderr, never a traceback."""
    level = os.environ.get("ASSISTANT_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(level=level if level in logging.getLevelNamesMapping() else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        result = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        return EXIT_ERROR
    except TyperException as exc:  # typer's (vendored) click usage errors
        if type(exc).__name__ == "NoArgsIsHelpError":  # typer has printed the help already
            return 0
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"error: {message} (see 'assistant --help')", err=True)
        return EXIT_USAGE
    except AssistantError as exc:
        typer.echo(f"error: {exc}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the edge: a bug still ends in one line, with the details in the log
        logging.getLogger(__name__).debug("unexpected failure", exc_info=True)
        typer.echo(f"error: unexpected {type(exc).__name__}: {str(exc)[:200]}; this is a bug, please report it "
                   "(ASSISTANT_LOG_LEVEL=DEBUG shows the details)", err=True)
        return EXIT_ERROR
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
