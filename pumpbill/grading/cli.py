"""``pumpbill grade SET SUBMISSIONS... --out DIR``: grade a class and write the instructor reports.

Exit status: 0 every submission was graded; 1 some submission was not gradable (all outputs are still
written, see not_gradable.csv); 2 the set, the submissions as a whole or --out cannot be used (one line
on stderr, nothing written).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from .. import RULES_VERSION
from ..errors import InputError

# The reports need pandas and matplotlib (the 'reports' extra). Without them this module does not import,
# so `pumpbill` leaves the subcommand out; checked without importing them, which would slow every command.
for _name in ("pandas", "matplotlib"):
    if importlib.util.find_spec(_name) is None:
        raise ImportError(f"pumpbill grade needs {_name} (pip install 'pumpbill[reports]')", name=_name)

#: The bar appears on its own (on a terminal) only when there is at least this much to do.
AUTO_MIN_ITEMS = 200
DEFAULT_BOOK = "_build/html"


class Bar:
    """A tiny progress bar redrawn in place on one line; a no-op when disabled.

    The run is split into phases, each a share of the bar (``phase(label, total, share)``), so that the bar
    only moves forward although the number of submissions is known only after reading the files.
    ``advance(n)`` adds finished items; redraws are throttled (~10 per second) unless forced.
    """

    def __init__(self, enabled: bool, stream: TextIO | None = None, width: int = 30, interval: float = 0.1) -> None:
        self.enabled, self.width, self.interval = enabled, width, interval
        self.stream = stream if stream is not None else sys.stderr
        self.base, self.share, self.total, self.done = 0.0, 0.0, 1, 0
        self.label, self._last, self._shown = "", 0.0, False

    @staticmethod
    def wanted(mode: str, size: int, stream: TextIO | None = None) -> bool:
        """'always', 'never', or 'auto': on a terminal, for a run of at least AUTO_MIN_ITEMS submissions."""
        stream = stream if stream is not None else sys.stderr
        if mode in ("always", "never"):
            return mode == "always"
        return bool(getattr(stream, "isatty", lambda: False)()) and size >= AUTO_MIN_ITEMS

    @property
    def fraction(self) -> float:
        return min(self.base + self.share * min(self.done / self.total, 1.0), 1.0)

    def phase(self, label: str, total: int, share: float) -> None:
        self.base = self.fraction if self.label else 0.0
        self.label, self.total, self.share, self.done = label, max(total, 1), share, 0
        self._draw(force=True)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        frac = self.fraction
        filled = int(frac * self.width)
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {frac * 100:5.1f}% {self.label:<10}")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self.enabled and self._shown:
            self.base, self.share, self.label = 1.0, 0.0, "done"
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()


def book_base(book: str, out_dir: str | Path) -> str:
    """A URL is used as is; a folder (the built book) is linked relatively from OUT/feedback/."""
    if "://" in book:
        return book.rstrip("/")
    rel = os.path.relpath(Path(book).absolute(), (Path(out_dir) / "feedback").absolute())
    return Path(rel).as_posix()


def cmd_grade(args: argparse.Namespace) -> int:
    from ..exercises.store import load_set
    from . import batch
    from .batch import Workers, default_jobs, grade_all, prepare_set, read_submissions, submission_files
    from .reports import write_reports

    if args.rules_version != RULES_VERSION:
        raise InputError("--rules-version", None, f"rules version {args.rules_version} requested, but this "
                         f"pumpbill has {RULES_VERSION}; install the matching version to regrade")
    if not Path(args.set).is_dir():
        raise InputError(args.set, None, "not an exercise set folder (a folder with set.yaml)")
    exercise_set = prepare_set(load_set(args.set), args.set)
    if not exercise_set.exercises:
        raise InputError(args.set, None, "the set has no exercises")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(args.out, None, "--out must be a folder, and this is a file")
    files = submission_files(args.submissions)
    if not files:
        raise InputError(" ".join(args.submissions), None, "no submission files (*.yaml, *.yml, *.json) found")
    try:  # find an unusable --out now, not after grading
        out.mkdir(parents=True, exist_ok=True)
        if not os.access(out, os.W_OK | os.X_OK):
            raise PermissionError("permission denied")
    except OSError as exc:
        raise InputError(args.out, None, f"cannot write the output folder: {exc.strerror or exc}") from None
    mode = "always" if args.progress else "never" if args.no_progress else "auto"
    bar = Bar(Bar.wanted(mode, len(files) * len(exercise_set.exercises)))
    jobs = args.jobs or default_jobs()
    pool = Workers.start(jobs, exercise_set) if len(files) >= batch.PARALLEL_MIN_FILES else None
    try:
        bar.phase("reading", len(files), 0.3)
        entries = read_submissions(files, bar.advance, pool)
        if pool is None and len(entries) >= batch.PARALLEL_MIN_GRADES:
            pool = Workers.start(jobs, exercise_set)
        bar.phase("grading", len(entries), 0.4)
        results = grade_all(exercise_set, entries, args.rules_version, bar.advance, pool)
        if pool is not None:
            pool.close()
            pool = None
        bar.phase("reports", len({r.trainee for r in results if r.trainee}) + 1, 0.3)
        summary = write_reports(out, exercise_set, results, book_base(args.book_url, out), bar.advance)
    finally:
        if pool is not None:
            pool.close()
        bar.close()
    mean = summary["mean_percent"]
    print(f"graded {summary['graded']} submission(s) from {summary['trainees']} trainee(s) on "
          f"{summary['exercises']} exercise(s) of set {exercise_set.id}")
    print(f"mean score: {mean:.1f}%" if mean == mean else "mean score: n/a")
    print(f"not gradable: {summary['not_gradable']}   superseded: {summary['superseded']}   "
          f"missing: {summary['missing']}")
    if summary["not_gradable"]:
        print(f"see {out / 'not_gradable.csv'} for the reasons")
    print(f"reports in {out}")
    return 1 if summary["not_gradable"] else 0


def add_grade_parser(subparsers) -> argparse.ArgumentParser:
    g = subparsers.add_parser(
        "grade", help="grade trainees' submissions against an exercise set and write instructor reports",
        description="Grade submission files (YAML/JSON; folders are searched) against an exercise set. Writes "
        "results.csv, gradebook.csv, lms_canvas.csv, not_gradable.csv, item_analysis.csv/.html/.png and "
        "feedback/<trainee>.html into --out, replacing older outputs atomically. Exit status 0: all graded; "
        "1: some submission was not gradable; 2: unusable set or output folder.")
    g.add_argument("set", help="exercise set folder (set.yaml and one YAML per exercise)")
    g.add_argument("submissions", nargs="+", metavar="SUBMISSIONS", help="submission files or folders")
    g.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    g.add_argument("--book-url", default=DEFAULT_BOOK, metavar="URL",
                   help="where feedback links point: an http(s) URL of the published book, or the folder of the "
                   f"built book, linked relatively from the feedback files (default: {DEFAULT_BOOK}, as "
                   "scripts/build-book.sh builds it)")
    g.add_argument("--rules-version", default=RULES_VERSION, metavar="V",
                   help=f"rules version to grade with (default and only installed: {RULES_VERSION})")
    g.add_argument("--jobs", type=int, default=0, metavar="N",
                   help="worker processes for a large batch (default: one per CPU; 1: none). The outputs are "
                   "the same for any N")
    bar = g.add_mutually_exclusive_group()
    bar.add_argument("--progress", action="store_true", help="always show the progress bar on stderr")
    bar.add_argument("--no-progress", action="store_true", help="never show the progress bar")
    g.set_defaults(func=cmd_grade)
    return g


__all__ = ["Bar", "add_grade_parser", "book_base", "cmd_grade"]
