"""Command line: thin. Parse, call the library, print; domain errors become one line and exit code 1.

    assistant index [--rebuild]
    assistant ask "Who should I partner with to verify wage information?" [--json]
    assistant retrieve "vakbondsvrijheid" --k 3 [--json]
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from typing import Optional

import typer
from typer.exceptions import TyperException

from .errors import AssistantError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="The SER dialogue assistant (Dutch/English).")

EXIT_ERROR = 1
EXIT_USAGE = 2


def _load(rebuild: bool = False):
    from tqdm import tqdm

    from .core import Assistant

    bar: list[tqdm] = []

    def progress(done: int, total: int) -> None:
        if total == 0:
            return
        if not bar:
            bar.append(tqdm(total=total, desc="Embedding passages", unit="passage", file=sys.stderr))
        bar[0].update(done - bar[0].n)

    assistant = Assistant.load(rebuild=rebuild, progress=progress)
    if bar:
        bar[0].close()
    return assistant


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
def ask(
    question: str = typer.Argument(..., help="A question in Dutch or English."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Answer a question with numbered citations, or decline when the documents do not cover it.

    Example: assistant ask "Met wie werk ik samen om lonen te verifiëren?"
    """
    from .chat import validate_question
    from .config import load_settings

    validate_question(question, load_settings().max_question_chars)  # fail fast, before loading the model
    answer = _load().ask(question)
    if as_json:
        typer.echo(json.dumps({
            "question": answer.question, "lang": answer.lang, "abstained": answer.abstained, "text": answer.text,
            "citations": [_passage_json(p) for p in answer.citations],
        }, ensure_ascii=False, indent=2))
        return
    typer.echo(answer.text)
    if answer.citations:
        typer.echo("\nSources:")
        for number, passage in enumerate(answer.citations, start=1):
            typer.echo(f"[{number}] {passage.label} ({passage.lang})")


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


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point: usage errors and domain errors print one line on stderr, never a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
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
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
