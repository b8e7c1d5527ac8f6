"""Real servers for the tests: a free loopback port, a process started and waited for, stopped at the end."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(command: list[str], ready_url: str, log: Path, timeout: float, **popen) -> Iterator[subprocess.Popen]:
    """Run ``command`` (output to ``log``) until ``ready_url`` answers 200; the test fails with the log if the
    process exits or ``timeout`` seconds pass first. The process is stopped when the block ends."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"{Path(command[1]).name} exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:  # not listening yet (URLError, ConnectionError and timeouts are OSErrors)
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{Path(command[1]).name} did not serve within {timeout:.0f} s:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
