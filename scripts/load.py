"""Load the chat app over loopback: concurrent sessions ask questions (one a follow-up) through Gradio's
own client, as browsers would; prints p50/p95 latency per answer and the error count. Not a test.

    python scripts/load.py                          # starts app.py on a free port: 50 sessions x 4 questions
    python scripts/load.py --sessions 10 --url http://127.0.0.1:7860/   # against a running app

The app is started with this process's environment (ASSISTANT_CORPUS_DIR, ASSISTANT_INDEX_DIR, ...), so
point those at a built index to skip the build. A latency is from sending a question until its final
answer (the whole stream) has arrived.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = [
    ("Who should I partner with to verify wage information?", "And in Pakistan?"),
    ("Met wie werk ik samen om lonen te verifiëren?", "Wie nog meer?"),
    ("How do I get a supplier to join a training programme?", "And what about trade unions?"),
    ("Hoe bouw ik vertrouwen op met lokale gemeenschappen?", "En met ngo's?"),
]
EXTRA = ["What are the lessons learned from the pilot in India?", "Wat is het minimumloon in Sindh?",
         "How can workers raise complaints safely?", "Welke tips zijn er voor samenwerking met partners?"]


def session_questions(number: int, count: int) -> list[str]:
    """``count`` questions for one session: a question, its follow-up, then others (rotating per session)."""
    first, follow_up = QUESTIONS[number % len(QUESTIONS)]
    rest = [EXTRA[(number + i) % len(EXTRA)] for i in range(max(0, count - 2))]
    return ([first, follow_up] + rest)[:count]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(port), "--log-level", "WARNING"],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    deadline = time.monotonic() + 900
    while True:
        if process.poll() is not None:
            raise SystemExit(f"error: the app stopped during start-up; see {log}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        if time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"error: the app did not start within 15 minutes; see {log}")
        time.sleep(0.5)


def run_session(url: str, number: int, count: int, start: threading.Barrier) -> tuple[list[float], list[str]]:
    """One browser session: its own client (own Gradio session and conversation state), questions in turn."""
    from gradio_client import Client

    latencies, errors = [], []
    client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
    start.wait()
    for question in session_questions(number, count):
        began = time.perf_counter()
        try:
            result = client.predict(question, api_name="/respond")
            messages = result[0]
            if not messages or "<p" not in str(messages[-1]) and "[" not in str(messages[-1]):
                errors.append(f"session {number}: empty answer to {question!r}")
        except Exception as exc:  # the load script counts failures, whatever they are
            errors.append(f"session {number}: {type(exc).__name__}: {str(exc)[:120]}")
        latencies.append(time.perf_counter() - began)
    client.close() if hasattr(client, "close") else None
    return latencies, errors


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--questions", type=int, default=4, help="per session; the second is a follow-up")
    parser.add_argument("--url", help="a running app; default: start app.py on a free port")
    args = parser.parse_args(argv)
    process = None
    log = Path(tempfile.gettempdir()) / f"load-app-{os.getpid()}.log"
    url = args.url
    if not url:
        port = free_port()
        print(f"starting app.py on port {port} (log: {log}) ...", flush=True)
        process = start_app(port, log)
        url = f"http://127.0.0.1:{port}/"
    try:
        barrier = threading.Barrier(args.sessions)
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.sessions) as pool:
            results = list(pool.map(lambda n: run_session(url, n, args.questions, barrier), range(args.sessions)))
        wall = time.perf_counter() - began
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    latencies = [lat for session, _ in results for lat in session]
    errors = [err for _, session in results for err in session]
    print(f"{args.sessions} sessions x {args.questions} questions: {len(latencies)} answers in {wall:.1f} s "
          f"(including client set-up)")
    print(f"latency per answer: p50 {statistics.median(latencies):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
          f"max {max(latencies):.2f} s")
    print(f"errors: {len(errors)}")
    for error in errors[:10]:
        print(f"  {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
