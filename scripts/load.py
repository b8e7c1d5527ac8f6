"""Load the chat app over loopback: concurrent sessions ask questions (one a follow-up) as browsers do, and
the script prints p50/p95 latency per answer, the error count and the CPU an answer costs. Or one long
conversation (``--turns``): the cost of a turn and the size of what is kept, early and late. Not a test.

    python scripts/load.py                          # starts app.py on a free port: 50 sessions x 4 questions
    python scripts/load.py --sessions 10 --url http://127.0.0.1:7860/   # against a running app
    python scripts/load.py --turns 150              # one conversation of 150 turns: turn 1-10 against 141-150
    python scripts/load.py --app-dir /tmp/old       # the same load on another checkout's app.py
    python scripts/load.py --client gradio          # through gradio_client instead (much costlier per call)

The app is started with this process's environment (ASSISTANT_CORPUS_DIR, ASSISTANT_INDEX_DIR, ...), so
point those at a built index to skip the build.

A session does per question what the page does: ask (``respond``, through the queue, its answer streamed
over the session's event stream), close the comment box (an unqueued call) and then keep the conversation
(``remember``, handing over what its "localStorage" holds, as the page hands over its BrowserState). A
latency is from sending a question until its final answer has arrived; keeping it comes after that. The
default client speaks Gradio's queue protocol itself over one pooled HTTP client, as a page's few lines of
JavaScript do: the browsers of real users run on their own machines, while these clients share this one
with the app, and ``gradio_client`` (``--client gradio``) costs more CPU per call than the app's whole answer.
The CPU figures are the app process's own (read from /proc, when this script started the app) and the
clients'.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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
WINDOW = 10  # turns compared at the start and the end of a long conversation
LANGUAGE = "en"  # the interface language the sessions' pages are in


def session_questions(number: int, count: int) -> list[str]:
    """``count`` questions for one session: a question, its follow-up, then others (rotating per session)."""
    first, follow_up = QUESTIONS[number % len(QUESTIONS)]
    rest = [EXTRA[(number + i) % len(EXTRA)] for i in range(max(0, count - 2))]
    return ([first, follow_up] + rest)[:count]


def conversation_questions(count: int) -> list[str]:
    """``count`` questions of one long conversation: question, follow-up, another question, ... in turn."""
    cycle = [q for pair in QUESTIONS for q in pair] + EXTRA
    return [cycle[i % len(cycle)] for i in range(count)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(app_dir: Path, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, str(app_dir / "app.py"), "--port", str(port), "--log-level", "WARNING"],
                               cwd=app_dir, stdout=subprocess.DEVNULL, stderr=log.open("w"))
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


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of process ``pid`` so far (Linux /proc), or None when it cannot be read."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def json_chars(value) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str))


def answered(messages: list, question: str) -> list:
    if not messages or "<p" not in str(messages[-1]) and "[" not in str(messages[-1]):
        raise RuntimeError(f"empty answer to {question!r}")
    return messages


# --- the clients: one per browser tab ---------------------------------------------------------------------


class Page:
    """One browser tab speaking Gradio's queue protocol: a session hash, its own conversation state in the
    app, and its own "localStorage" (``kept``). All pages share one pooled HTTP client and the app's config."""

    def __init__(self, http, url: str, endpoints: dict[str, dict]) -> None:
        self.http, self.url, self.endpoints = http, url.rstrip("/") + "/gradio_api", endpoints
        self.session = uuid.uuid4().hex[:11]
        self.kept = None
        self.messages: list = []

    @staticmethod
    async def endpoints(http, url: str) -> dict[str, dict]:
        """What the page knows from the app's config: per event, its id and which inputs are state."""
        config = (await http.get(url.rstrip("/") + "/config")).raise_for_status().json()
        types = {c["id"]: c.get("type") for c in config["components"]}
        found = {}
        for dependency in config["dependencies"]:
            if dependency.get("api_name") in ("respond", "remember", "close_comment"):
                found[dependency["api_name"]] = {"id": dependency["id"],
                                                 "state": [types[i] == "state" for i in dependency["inputs"]]}
        return found

    async def ask(self, question: str) -> float:
        began = time.perf_counter()
        respond = self._call("respond", [question, LANGUAGE])
        if "close_comment" in self.endpoints:  # the page sends it with the question, unqueued
            closing = await self.http.post(f"{self.url}/run/predict", json=self._body("close_comment", []))
            closing.raise_for_status()
        self.messages = answered((await respond)[0], question)
        latency = time.perf_counter() - began
        self.kept = (await self._call("remember", [self.kept]))[0]
        return latency

    def _body(self, name: str, values: list) -> dict:
        endpoint, values = self.endpoints[name], list(values)
        data = [None if is_state else values.pop(0) for is_state in endpoint["state"]]  # state lives in the app
        return {"data": data, "fn_index": endpoint["id"], "session_hash": self.session, "event_data": None,
                "trigger_id": None}

    async def _call(self, name: str, values: list) -> list:
        joined = (await self.http.post(f"{self.url}/queue/join", json=self._body(name, values))).raise_for_status()
        event = joined.json()["event_id"]
        async with self.http.stream("GET", f"{self.url}/queue/data", params={"session_hash": self.session}) as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") == event and message.get("msg") == "process_completed":
                    if not message.get("success"):
                        raise RuntimeError(f"{name} failed: {str(message.get('output'))[:120]}")
                    return message["output"]["data"]
        raise RuntimeError(f"{name}: the event stream ended before the answer")

    async def close(self) -> None:
        pass


class GradioPage:
    """The same tab through ``gradio_client`` (its calls run in threads: the client is synchronous)."""

    def __init__(self, url: str) -> None:
        from gradio_client import Client

        self.client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
        self.kept = None
        self.messages: list = []

    async def ask(self, question: str) -> float:
        began = time.perf_counter()
        result = await asyncio.to_thread(self.client.predict, question, LANGUAGE, api_name="/respond")
        self.messages = answered(result[0], question)
        latency = time.perf_counter() - began
        self.kept = (await asyncio.to_thread(self.client.predict, self.kept, api_name="/remember"))[0]
        return latency

    async def close(self) -> None:
        if hasattr(self.client, "close"):
            self.client.close()


async def open_pages(kind: str, url: str, count: int):
    """``count`` pages, and the HTTP client they share (None for gradio_client's own)."""
    if kind == "gradio":
        return None, await asyncio.gather(*(asyncio.to_thread(GradioPage, url) for _ in range(count)))
    import httpx

    http = httpx.AsyncClient(timeout=httpx.Timeout(300.0), limits=httpx.Limits(max_connections=4 * count))
    endpoints = await Page.endpoints(http, url)
    return http, [Page(http, url, endpoints) for _ in range(count)]


# --- the two loads ------------------------------------------------------------------------------------------


async def run_session(page, number: int, count: int) -> tuple[list[float], list[str]]:
    latencies, errors = [], []
    for question in session_questions(number, count):
        began = time.perf_counter()
        try:
            latencies.append(await page.ask(question))
        except Exception as exc:  # the load script counts failures, whatever they are
            errors.append(f"session {number}: {type(exc).__name__}: {str(exc)[:120]}")
            latencies.append(time.perf_counter() - began)
    return latencies, errors


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def concurrent_sessions(kind: str, url: str, sessions: int, questions: int, app_pid: int | None) -> int:
    http, pages = await open_pages(kind, url, sessions)
    # every page is set up: from here on only questions are asked
    began, app_cpu, own_cpu = time.perf_counter(), cpu_seconds(app_pid), time.process_time()
    results = await asyncio.gather(*(run_session(page, n, questions) for n, page in enumerate(pages)))
    wall, app_cpu, own_cpu = time.perf_counter() - began, _spent(app_pid, app_cpu), time.process_time() - own_cpu
    await asyncio.gather(*(page.close() for page in pages))
    if http is not None:
        await http.aclose()
    latencies = [lat for session, _ in results for lat in session]
    errors = [err for _, session in results for err in session]
    print(f"{sessions} sessions x {questions} questions ({kind} client): {len(latencies)} answers in {wall:.1f} s")
    print(f"latency per answer: p50 {statistics.median(latencies):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
          f"max {max(latencies):.2f} s")
    app = f"app {1000 * app_cpu / len(latencies):.0f} ms, " if app_cpu is not None else ""
    print(f"CPU per answer (asking and keeping it): {app}clients {1000 * own_cpu / len(latencies):.0f} ms")
    print(f"errors: {len(errors)}")
    for error in errors[:10]:
        print(f"  {error}")
    return 1 if errors else 0


async def long_conversation(kind: str, url: str, turns: int, app_pid: int | None) -> int:
    """One conversation of ``turns`` turns: time and app CPU per turn, and what is kept, early against late."""
    if turns < 2 * WINDOW:
        raise SystemExit(f"error: --turns must be at least {2 * WINDOW} (the first {WINDOW} are compared with the last)")
    http, (page,) = await open_pages(kind, url, 1)
    seconds, cpu, sizes = [], [], {}
    for turn, question in enumerate(conversation_questions(turns), start=1):
        began, app_cpu = time.perf_counter(), cpu_seconds(app_pid)
        await page.ask(question)
        seconds.append(time.perf_counter() - began)
        cpu.append(_spent(app_pid, app_cpu))
        if turn in (WINDOW, turns):
            sizes[turn] = (len(page.messages), json_chars(page.messages), json_chars(page.kept))
    await page.close()
    if http is not None:
        await http.aclose()
    print(f"one conversation of {turns} turns ({kind} client; a turn: the answer, then keeping the conversation)")
    for label, part in ((f"turns 1-{WINDOW}", slice(0, WINDOW)),
                        (f"turns {turns - WINDOW + 1}-{turns}", slice(-WINDOW, None))):
        app = f", app CPU {1000 * statistics.mean(cpu[part]):.0f} ms per turn" if None not in cpu else ""
        print(f"  {label}: {1000 * statistics.median(seconds[part]):.0f} ms per turn (median){app}")
    for turn, (shown, chat, kept) in sizes.items():
        print(f"  after turn {turn}: {shown} chat messages shown ({chat / 1000:.0f} kB); "
              f"kept in the browser: {kept / 1000:.0f} kB")
    return 0


def _spent(pid: int | None, before: float | None) -> float | None:
    now = cpu_seconds(pid)
    return None if now is None or before is None else now - before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--questions", type=int, default=4, help="per session; the second is a follow-up")
    parser.add_argument("--turns", type=int, help="instead: one conversation of this many turns")
    parser.add_argument("--client", choices=("page", "gradio"), default="page",
                        help="page: Gradio's queue protocol over one pooled HTTP client (default); gradio: gradio_client")
    parser.add_argument("--url", help="a running app; default: start app.py on a free port")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="the checkout whose app.py to start (default: this one)")
    args = parser.parse_args(argv)
    process = None
    log = Path(tempfile.gettempdir()) / f"load-app-{os.getpid()}.log"
    url = args.url
    if not url:
        port = free_port()
        print(f"starting {args.app_dir / 'app.py'} on port {port} (log: {log}) ...", flush=True)
        process = start_app(args.app_dir.resolve(), port, log)
        url = f"http://127.0.0.1:{port}/"
    pid = process.pid if process is not None else None
    loop = asyncio.new_event_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=2 * args.sessions + 4))  # gradio_client's blocking calls
    try:
        if args.turns:
            return loop.run_until_complete(long_conversation(args.client, url, args.turns, pid))
        return loop.run_until_complete(concurrent_sessions(args.client, url, args.sessions, args.questions, pid))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
