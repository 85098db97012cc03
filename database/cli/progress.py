"""A small progress bar for long commands: only on a terminal, redrawn at most ten times a second."""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO


class ProgressBar:
    """``bar(done, total)`` redraws one line on ``stream``; ``close()`` ends it. Silent off a terminal."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = label
        self.started = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        width = max(10, min(40, shutil.get_terminal_size((80, 20)).columns - 50))
        share = done / total if total else 1.0
        filled = int(width * min(share, 1.0))
        rate = done / max(now - self.started, 1e-6)
        line = f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files  {rate:,.0f}/s"
        self.stream.write(line)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
