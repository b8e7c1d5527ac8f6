"""Console progress for long builds, shared by the CLI and the app.

>>> with ConsoleProgress() as progress:
...     progress(0, 0)          # nothing to embed: no bar at all
"""

from __future__ import annotations

import sys


class ConsoleProgress:
    """A ``progress(done, total)`` callback for ``Assistant.load`` that draws a bar on stderr once there is work."""

    def __init__(self, description: str = "Embedding passages") -> None:
        self.description = description
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        if total == 0:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.description, unit="passage", file=sys.stderr)
        self._bar.update(done - self._bar.n)

    def __enter__(self) -> ConsoleProgress:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
