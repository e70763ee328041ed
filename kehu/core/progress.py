"""A progress bar for long commands, on a terminal only (a pipe or a log gets no carriage returns)."""

import time
from collections.abc import Callable
from typing import TextIO


class TerminalBar:
    """``bar(done, total)``: a 30-column bar with the counts and the share done, redrawn at most ten
    times a second and always at the end, which ends its line; with no total (a file still being
    read), the count alone. ``counts(done, total)`` words the counts (a translated "12/40 rows");
    ``close()`` ends a line left open. Nothing at all when ``stream`` is not a terminal."""

    def __init__(self, stream: TextIO, label: str = "", *,
                 counts: Callable[[int, int | None], str] | None = None) -> None:
        self.stream, self.label, self.last = stream, f"{label} " if label else "", 0.0
        self.counts = counts or (lambda done, total: f"{done:,}/{total:,}" if total else f"{done:,}")
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.open = False  # a line drawn and not yet ended

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        finished = bool(total) and done >= (total or 0)
        if not self.tty or (now - self.last < 0.1 and not finished):
            return
        self.last = now
        if total:
            share = min(done / total, 1.0)
            filled = int(30 * share)
            line = f"[{'#' * filled}{'.' * (30 - filled)}] {self.counts(done, total)} {share:4.0%}"
        else:
            line = self.counts(done, total)
        self.stream.write(f"\r{self.label}{line}\x1b[K")
        self.open = True
        if finished:
            self.close()
        self.stream.flush()

    def close(self) -> None:
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False
