"""Feedback on answers: thumbs up/down and an optional comment, kept in SQLite for maintainers.

Each row holds the question, the answer, its citations, the time and the assistant's version, so a
bad answer can become an eval case. One connection per call and WAL mode keep concurrent users safe;
a rating given twice on the same answer (same session and turn) updates its row.

>>> db = FeedbackStore(Path("/tmp/feedback.sqlite3"))                       # doctest: +SKIP
>>> row = db.record(Feedback("s1", 0, "up", "Who verifies wages?", "…", "en", False, ()))   # doctest: +SKIP
>>> db.add_comment(row, "Spot on")                                          # doctest: +SKIP

    assistant feedback export --csv feedback.csv
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Literal, Sequence

import typer

from .cli_help import QuietGroup
from .errors import AssistantError
from .retrieval import Passage

logger = logging.getLogger(__name__)

DB_ENV = "ASSISTANT_FEEDBACK_DB"
DEFAULT_DB_NAME = "feedback.sqlite3"
Rating = Literal["up", "down"]
RATINGS = ("up", "down")

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version TEXT NOT NULL,
    session TEXT NOT NULL,
    turn INTEGER NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    UNIQUE (session, turn)
)
"""
CSV_COLUMNS = ("id", "created_at", "updated_at", "version", "rating", "comment", "lang", "abstained", "question",
               "answer", "citation_labels", "citation_doc_ids", "citation_chunk_ids", "citations_json", "session",
               "turn")


class FeedbackError(AssistantError):
    """The feedback database cannot be read or written."""


@dataclass(frozen=True)
class Feedback:
    """One rating of one answer. ``turn`` is the answer's position in its session (0-based)."""

    session: str
    turn: int
    rating: Rating
    question: str
    answer: str
    lang: str
    abstained: bool
    citations: tuple[Passage, ...]
    comment: str = ""


def default_db_path(index_dir: Path | None = None) -> Path:
    """``$ASSISTANT_FEEDBACK_DB``, else ``feedback.sqlite3`` next to the index folder.

    >>> default_db_path(Path("index")).name
    'feedback.sqlite3'
    """
    configured = os.environ.get(DB_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return (index_dir or Path("index")).expanduser().resolve().parent / DEFAULT_DB_NAME


def _citations_json(citations: Sequence[Passage]) -> str:
    return json.dumps([
        {"n": n, "doc_id": p.doc_id, "title": p.title, "section": p.section, "lang": p.lang, "chunk_id": p.chunk_id}
        for n, p in enumerate(citations, start=1)
    ], ensure_ascii=False)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FeedbackStore:
    """The feedback table in one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: Path, version: str | None = None) -> None:
        from . import __version__

        self.path = Path(path)
        self.version = version or __version__
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackError(f"{self.path}: cannot open the feedback database ({exc}); "
                                f"set {DB_ENV} to a writable file") from exc

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection per call (connections are not shared between threads), committed on success."""
        with closing(sqlite3.connect(self.path, timeout=30)) as connection:
            connection.execute("PRAGMA busy_timeout = 30000")
            with connection:
                yield connection

    def record(self, feedback: Feedback) -> int:
        """Store a rating (replacing an earlier rating of the same answer, keeping its comment); returns the row id.

        >>> store.record(Feedback("session", 0, "down", "q", "a", "en", False, ()))   # doctest: +SKIP
        1
        """
        if feedback.rating not in RATINGS:
            raise FeedbackError(f"rating must be one of {RATINGS}, not {feedback.rating!r}")
        now = _now()
        try:
            with self._connect() as connection:
                row = connection.execute(
                    """INSERT INTO feedback (created_at, updated_at, version, session, turn, rating, comment, lang,
                                             abstained, question, answer, citations)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (session, turn) DO UPDATE SET
                           rating = excluded.rating, updated_at = excluded.updated_at,
                           comment = CASE WHEN excluded.comment != '' THEN excluded.comment ELSE feedback.comment END
                       RETURNING id""",
                    (now, now, self.version, feedback.session, feedback.turn, feedback.rating, feedback.comment,
                     feedback.lang, int(feedback.abstained), feedback.question, feedback.answer,
                     _citations_json(feedback.citations)),
                ).fetchone()
        except sqlite3.Error as exc:
            raise FeedbackError(f"{self.path}: could not store feedback ({exc})") from exc
        logger.info("feedback %s on session %s turn %s stored as row %s", feedback.rating, feedback.session,
                    feedback.turn, row[0])
        return int(row[0])

    def add_comment(self, row_id: int, comment: str) -> None:
        """Attach a comment to a stored rating."""
        try:
            with self._connect() as connection:
                connection.execute("UPDATE feedback SET comment = ?, updated_at = ? WHERE id = ?",
                                   (comment.strip(), _now(), row_id))
        except sqlite3.Error as exc:
            raise FeedbackError(f"{self.path}: could not store the comment ({exc})") from exc

    def withdraw(self, session: str, turn: int) -> None:
        """Remove the rating of an answer (the user clicked their thumb again)."""
        try:
            with self._connect() as connection:
                connection.execute("DELETE FROM feedback WHERE session = ? AND turn = ?", (session, turn))
        except sqlite3.Error as exc:
            raise FeedbackError(f"{self.path}: could not remove the rating ({exc})") from exc

    def rows(self) -> list[dict]:
        """Every stored rating, oldest first, as dicts of the table's columns."""
        try:
            with self._connect() as connection:
                connection.row_factory = sqlite3.Row
                return [dict(r) for r in connection.execute("SELECT * FROM feedback ORDER BY id")]
        except sqlite3.Error as exc:
            raise FeedbackError(f"{self.path}: could not read feedback ({exc})") from exc


def export_csv(db_path: Path, csv_path: Path) -> int:
    """Write every rating to a UTF-8 CSV (one row per answer, citations flattened); returns the row count.

    >>> export_csv(Path("feedback.sqlite3"), Path("feedback.csv"))            # doctest: +SKIP
    12
    """
    if not Path(db_path).is_file():
        raise FeedbackError(f"{db_path}: no feedback database here; give --db or set {DB_ENV}")
    rows = FeedbackStore(db_path).rows()
    try:
        with open(csv_path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for row in rows:
                citations = json.loads(row["citations"])
                writer.writerow({
                    **{k: row[k] for k in CSV_COLUMNS if k in row and k != "citations"},
                    "abstained": bool(row["abstained"]),
                    "citation_labels": " | ".join(f"[{c['n']}] {c['title']} — {c['section']}" for c in citations),
                    "citation_doc_ids": ";".join(c["doc_id"] for c in citations),
                    "citation_chunk_ids": ";".join(c["chunk_id"] for c in citations),
                    "citations_json": row["citations"],
                })
    except OSError as exc:
        raise FeedbackError(f"{csv_path}: cannot write the CSV ({exc})") from exc
    return len(rows)


feedback_app = typer.Typer(add_completion=False, no_args_is_help=True, cls=QuietGroup,
                           help="Feedback that app users gave on answers (thumbs up/down, comments).")


@feedback_app.callback()
def _feedback() -> None:
    """Feedback that app users gave on answers."""


@feedback_app.command("export")
def export_command(
    csv_path: Path = typer.Option(..., "--csv", help="Where to write the CSV.", dir_okay=False),
    db: Path = typer.Option(None, "--db", help=f"The feedback database (default: ${DB_ENV} or ./{DEFAULT_DB_NAME})."),
) -> None:
    """Export all feedback to CSV, to turn bad answers into eval cases.

    Example: assistant feedback export --csv feedback.csv
    """
    from .config import load_settings

    db_path = db or default_db_path(load_settings().index_dir)
    count = export_csv(db_path, csv_path)
    typer.echo(f"Exported {count} feedback row{'s' if count != 1 else ''} from {db_path} to {csv_path}")
