"""Feedback in a real SQLite file: rows as maintainers need them, concurrent writers, the CSV export command."""

from __future__ import annotations

import csv
import json
import sqlite3
import threading

import pytest
from typer.testing import CliRunner

from assistant import __version__
from assistant.feedback import (
    CSV_COLUMNS, DB_ENV, Feedback, FeedbackError, FeedbackStore, default_db_path, export_csv, feedback_app,
)
from assistant.retrieval import Passage

CITED = (
    Passage("- Contact a local trade union.", "who-to-partner-up-with", "Who to partner up with?", "en",
            "Gathering knowledge > Practice", 0.5, "who-to-partner-up-with:abc", "content",
            ("Gathering knowledge", "Practice")),
    Passage("Fair Wear Foundation verified.", "met-wie-werk-je-samen", "Met wie werk je samen?", "nl",
            "Kennis ophalen > Praktijkvoorbeeld", 0.4, "met-wie-werk-je-samen:def", "content",
            ("Kennis ophalen", "Praktijkvoorbeeld")),
)


def feedback(session="s1", turn=0, rating="up", comment="") -> Feedback:
    return Feedback(session, turn, rating, "Who can verify wages?", "Intro:\n- Contact a local trade union. [1]",
                    "en", False, CITED, comment)


def test_a_rating_is_stored_with_question_answer_citations_time_and_version(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    row_id = store.record(feedback(rating="down"))
    [row] = store.rows()
    assert row["id"] == row_id and row["rating"] == "down"
    assert row["question"] == "Who can verify wages?" and row["answer"].endswith("[1]")
    assert row["version"] == __version__ and row["created_at"][:2] == "20" and "T" in row["created_at"]
    assert row["lang"] == "en" and row["abstained"] == 0
    assert [c["chunk_id"] for c in json.loads(row["citations"])] == [p.chunk_id for p in CITED]
    assert json.loads(row["citations"])[1]["section"] == "Kennis ophalen > Praktijkvoorbeeld"
    with sqlite3.connect(tmp_path / "fb.sqlite3") as connection:  # a plain sqlite3 client sees it too
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT count(*) FROM feedback").fetchone()[0] == 1


def test_rating_the_same_answer_again_updates_its_row_and_keeps_the_comment(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    first = store.record(feedback(rating="up"))
    store.add_comment(first, "  Missing the union contact  ")
    second = store.record(feedback(rating="down"))
    assert second == first
    [row] = store.rows()
    assert row["rating"] == "down" and row["comment"] == "Missing the union contact"
    store.record(feedback(turn=1))  # another answer of the same session: its own row
    store.record(feedback(session="s2"))  # another user: its own row
    assert len(store.rows()) == 3
    store.withdraw("s1", 0)
    assert [(r["session"], r["turn"]) for r in store.rows()] == [("s1", 1), ("s2", 0)]


def test_bad_rating_and_unwritable_database_are_domain_errors(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    with pytest.raises(FeedbackError, match="rating"):
        store.record(feedback(rating="meh"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(FeedbackError, match="ASSISTANT_FEEDBACK_DB"):
        FeedbackStore(tmp_path / "file" / "fb.sqlite3")


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "fb.sqlite3"
    shared = FeedbackStore(path)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def user(number: int) -> None:
        store = shared if number % 2 else FeedbackStore(path)  # one shared store and separate ones
        try:
            start.wait()
            for turn in range(25):
                row = store.record(feedback(session=f"user-{number}", turn=turn, rating="up" if turn % 2 else "down"))
                if turn % 5 == 0:
                    store.add_comment(row, f"comment {number}-{turn}")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = shared.rows()
    assert len(rows) == 8 * 25
    assert len({(r["session"], r["turn"]) for r in rows}) == 200
    assert sum(1 for r in rows if r["comment"]) == 8 * 5


def test_export_command_writes_every_row_as_csv(tmp_path):
    db = tmp_path / "fb.sqlite3"
    store = FeedbackStore(db)
    row = store.record(feedback(rating="down"))
    store.add_comment(row, "wrong partner, see <script>")
    store.record(Feedback("s2", 3, "up", "Wat is de hoofdstad?", "De SER-documenten gaan hier niet over.", "nl",
                          True, ()))
    out = tmp_path / "out" / "feedback.csv"
    out.parent.mkdir()
    result = CliRunner().invoke(feedback_app, ["export", "--csv", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Exported 2 feedback rows" in result.output
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["rating"] == "down" and rows[0]["comment"] == "wrong partner, see <script>"
    assert rows[0]["citation_doc_ids"] == "who-to-partner-up-with;met-wie-werk-je-samen"
    assert rows[0]["citation_labels"].startswith("[1] Who to partner up with? — Gathering knowledge > Practice")
    assert rows[0]["answer"] == "Intro:\n- Contact a local trade union. [1]"  # multi-line answer survives CSV
    assert rows[1]["abstained"] == "True" and rows[1]["citation_doc_ids"] == "" and rows[1]["lang"] == "nl"


def test_export_command_uses_the_environment_and_fails_clearly_without_a_database(tmp_path, monkeypatch):
    db = tmp_path / "from-env.sqlite3"
    FeedbackStore(db).record(feedback())
    monkeypatch.setenv(DB_ENV, str(db))
    assert default_db_path() == db
    out = tmp_path / "f.csv"
    result = CliRunner().invoke(feedback_app, ["export", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3  # header + a two-line answer
    missing = CliRunner().invoke(feedback_app, ["export", "--csv", str(out), "--db", str(tmp_path / "none.db")])
    assert missing.exit_code != 0 and isinstance(missing.exception, FeedbackError)
    assert "no feedback database" in str(missing.exception)
    assert export_csv(db, tmp_path / "again.csv") == 1


def test_default_database_sits_next_to_the_index(tmp_path):
    assert default_db_path(tmp_path / "index") == tmp_path / "feedback.sqlite3"
