"""A tiny progress bar on stderr, so a long audit shows it is alive without adding a dependency."""

from __future__ import annotations

import sys
import time
from typing import Literal, TextIO

Mode = Literal["auto", "always", "never"]

#: In "auto" mode the bar appears only for files at least this big (and only on a terminal).
AUTO_MIN_BYTES = 5_000_000


class Progress:
    """A one-line bar redrawn in place; a no-op when disabled.

    ``update(done)`` takes a fraction in [0, 1]; redraws are throttled to ~10 per second
    so that the bar never costs measurable time.
    """

    def __init__(self, enabled: bool, stream: TextIO | None = None, width: int = 30) -> None:
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._last = 0.0
        self._label = ""
        self._shown = False

    @classmethod
    def for_file(cls, mode: Mode, size: int, stream: TextIO | None = None) -> Progress:
        """Decide once: always, never, or (auto) on a terminal for a large file."""
        stream = stream if stream is not None else sys.stderr
        if mode == "always":
            return cls(True, stream)
        if mode == "never":
            return cls(False, stream)
        isatty = getattr(stream, "isatty", lambda: False)()
        return cls(bool(isatty) and size >= AUTO_MIN_BYTES, stream)

    def update(self, fraction: float, label: str | None = None, force: bool = False) -> None:
        if not self.enabled:
            return
        if label is not None:
            force = force or label != self._label
            self._label = label
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        fraction = min(max(fraction, 0.0), 1.0)
        filled = int(round(fraction * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {fraction * 100:5.1f}% {self._label:<24}")
        self.stream.flush()
        self._shown = True

    def close(self, ok: bool = True) -> None:
        """End the bar's line (at 100% "done" unless the run failed)."""
        if self.enabled and self._shown:
            if ok:
                self.update(1.0, "done", force=True)
            self.stream.write("\n")
            self.stream.flush()
