"""Speed on this machine, printed as figures (never asserted in tests).

    python scripts/benchmark.py [--questions eval/cases.jsonl] [--repeat 1] [--tests]

Measures: a cold index build into a temporary folder, a warm start (nothing to embed) in this process
and in a new one, `assistant ask "…"` and `assistant ask --file` with 10 questions from a shell (wall
time of the whole command), whether torch was imported, and the latency of retrieve and ask over every
question of the eval set. Prints the eval set's
counts (per split, blind). With ``--tests`` it also times the quick test run (``pytest -m "not slow"``);
the full suite's time is that of the README's test command (``time .venv/bin/python -m pytest``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from assistant import Assistant
from assistant.evaluation import load_cases, percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=Path("eval/cases.jsonl"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tests", action="store_true", help='also time the quick tests (pytest -m "not slow")')
    args = parser.parse_args()
    cases = load_cases(args.questions)
    questions = [c.question for c in cases] * args.repeat
    splits = Counter(c.split for c in cases)
    print(f"eval cases: {len(cases)} ({', '.join(f'{n} {s}' for s, n in sorted(splits.items()))}; "
          f"{sum('blind' in c.tags for c in cases)} written blind, {sum(c.abstain for c in cases)} out of scope)")
    if args.tests:
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "pytest", "-m", "not slow", "-q", "-p", "no:cacheprovider"],
                             capture_output=True, text=True)
        summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr.strip()[-200:]
        print(f"quick tests (pytest -m \"not slow\"): {summary}; wall {time.perf_counter() - started:.0f} s")

    with tempfile.TemporaryDirectory() as index_dir:
        started = time.perf_counter()
        cold = Assistant.load(index_dir=index_dir)
        cold_s = time.perf_counter() - started
        started = time.perf_counter()
        warm = Assistant.load(index_dir=index_dir)
        warm_s = time.perf_counter() - started
        print(f"cold start with index build: {cold_s:.1f} s ({cold.report.embedded} vectors embedded)")
        print(f"warm start in the same process (model loaded, nothing to embed): {warm_s:.1f} s")
        code = ("import sys, time; t = time.perf_counter(); from assistant import Assistant; "
                f"Assistant.load(index_dir={index_dir!r}); "
                "print(f'{time.perf_counter() - t:.2f}', 'torch' in sys.modules)")
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
        print(f"warm start of a new process: Assistant.load() {float(out[0]):.1f} s (with imports), "
              f"process {time.perf_counter() - started:.1f} s; torch imported: {out[1]}")
        env = dict(os.environ, ASSISTANT_INDEX_DIR=index_dir)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "assistant", "ask", "Met wie werk ik samen om lonen te verifiëren?"],
                       check=True, capture_output=True, env=env)
        print(f"assistant ask \"…\" from a shell (wall, whole command): {time.perf_counter() - started:.1f} s")
        batch = Path(index_dir) / "questions.txt"
        batch.write_text("\n".join(questions[:10]) + "\n", encoding="utf-8")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "assistant", "ask", "--file", str(batch)],
                       check=True, capture_output=True, env=env)
        print(f"assistant ask --file with 10 questions (wall, whole command): {time.perf_counter() - started:.1f} s")
        for name, call in (("retrieve", lambda q: warm.retrieve(q, k=5)), ("ask", lambda q: warm.ask(q))):
            times = []
            for question in questions:
                started = time.perf_counter()
                call(question)
                times.append((time.perf_counter() - started) * 1000)
            print(f"{name}: n={len(times)} p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
                  f"max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
