"""A progress bar for long commands, on a terminal only (a pipe or a log gets no carriage returns)."""

import time
from typing import TextIO


class TerminalBar:
    """``bar(done, total)``: a 30-column bar with the counts, redrawn at most ten times a second and
    always at the end, which ends its line; nothing when ``stream`` is not a terminal."""

    def __init__(self, stream: TextIO, label: str = "") -> None:
        self.stream, self.label, self.last = stream, f"{label} " if label else "", 0.0
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if not self.tty or (now - self.last < 0.1 and done < (total or 0)):
            return
        self.last = now
        filled = int(30 * done / max(total or 0, 1))
        self.stream.write(f"\r{self.label}[{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total or 0:,}\x1b[K")
        if done >= (total or 0):
            self.stream.write("\n")
        self.stream.flush()
