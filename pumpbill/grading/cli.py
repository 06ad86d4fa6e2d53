"""``pumpbill grade SET SUBMISSIONS... --out DIR``: grade a class and write the instructor reports.

Exit status: 0 every submission was graded; 1 some submission was not gradable (all outputs are still
written, see not_gradable.csv); 2 the set, the roster, an option, the submissions as a whole or --out
cannot be used, or another run holds --out (one line on stderr, nothing written). Warnings (relative
book links, no Canvas assignment id, a recovered interrupted run) are one line each on stderr.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from .. import RULES_VERSION
from ..errors import InputError
from .canvas import MISSING, NOT_GRADABLE
from .deadlines import RULES as RESUBMISSION
from .deadlines import follow_renames
from .sources import NAMES

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


def check_book_url(book: str) -> str:
    """InputError for a link base that is not http(s) or a folder; a warning (or "") otherwise."""
    low = book.strip().lower()
    scheme = low.split("://", 1)[0] if "://" in low else low.split(":", 1)[0] if ":" in low[:12] else ""
    if scheme and scheme not in ("http", "https") and not (len(scheme) == 1 and os.name == "nt"):
        raise InputError("--book-url", None, f"{book!r}: give an http(s) address of the published book, or the "
                         "folder of a local build")
    if scheme in ("http", "https"):
        return ""
    return (f"feedback links point to the folder {book} relative to the feedback pages: they break once a page "
            "is e-mailed or moved; give --book-url https://... (the address of the book your trainees use)")


def _warn(text: str) -> None:
    print(f"pumpbill: warning: {text}", file=sys.stderr)


def cmd_grade(args: argparse.Namespace) -> int:
    from . import batch
    from .batch import Entry, Workers, default_jobs, grade_all, identify, prepare_set, read_sources
    from .canvas import assignment_column
    from .deadlines import schedule_from
    from .identity import read_roster, widget_name
    from .integrity import copied_answers
    from .outputs import OutputSet
    from .reports import Options, write_reports
    from .review import Flag
    from .setload import load_for_grading
    from .sources import sources

    if args.rules_version != RULES_VERSION:
        raise InputError("--rules-version", None, f"rules version {args.rules_version} requested, but this "
                         f"pumpbill has {RULES_VERSION}; install the matching version to regrade")
    if not Path(args.set).is_dir():
        raise InputError(args.set, None, "not an exercise set folder (a folder with set.yaml)")
    loaded, meta = load_for_grading(args.set)
    exercise_set = prepare_set(loaded, args.set)
    if not exercise_set.exercises:
        raise InputError(args.set, None, "the set has no exercises")
    book_warning = check_book_url(args.book_url)
    header, canvas_warning = assignment_column(exercise_set.title, args.canvas_assignment, args.canvas_assignment_id)
    roster = read_roster(args.roster) if args.roster else None
    schedule = schedule_from(meta, str(Path(args.set) / "set.yaml"), due=args.due, per_day=args.late_penalty_per_day,
                             max_penalty=args.late_max_penalty, grace=args.grace_minutes, extensions=args.extensions,
                             rule=args.resubmission, as_of=datetime.now(UTC))
    ext_flags = follow_renames(schedule, exercise_set, args.extensions or "")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(args.out, None, "--out must be a folder, and this is a file")
    srcs, skipped = sources(args.submissions, args.names, exclude=[out])
    if not srcs and not any(s.unreadable for s in skipped):
        raise InputError(" ".join(args.submissions), None, "no submission files (*.yaml, *.yml, *.json) found")
    mode = "always" if args.progress else "never" if args.no_progress else "auto"
    bar = Bar(Bar.wanted(mode, len(srcs) * len(exercise_set.exercises)))
    jobs = args.jobs or default_jobs()
    with OutputSet(out) as output:  # the lock is held from here to the end (two runs cannot interleave)
        for note in output.notes:
            _warn(note)
        for w in (book_warning, canvas_warning, _points_warning(roster, header, exercise_set),
                  *(f"roster: {x} left out" for x in (roster.skipped if roster else ()))):
            if w:
                _warn(w)
        pool = Workers.start(jobs, exercise_set) if len(srcs) >= batch.PARALLEL_MIN_FILES else None
        try:
            bar.phase("reading", len(srcs), 0.3)
            entries = read_sources(srcs, bar.advance, pool)
            entries += [Entry(s.name, "", len(entries) + i, reason=s.reason) for i, s in
                        enumerate(x for x in skipped if x.unreadable)]
            flags = identify(entries, roster, exercise_set)
            if pool is None and len(entries) >= batch.PARALLEL_MIN_GRADES:
                pool = Workers.start(jobs, exercise_set)
            bar.phase("grading", len(entries), 0.4)
            people = [s.key for s in roster.students] if roster else None
            results = grade_all(exercise_set, entries, args.rules_version, bar.advance, pool, schedule, people, flags)
            if pool is not None:
                pool.close()
                pool = None
            flags += copied_answers(exercise_set, results)
            ids = exercise_set.known_ids
            extra: dict[str, list[tuple[str, str]]] = {}
            for s in skipped:
                hint = widget_name(Path(s.name).name, ids)
                flags.append(Flag("unreadable" if s.unreadable else "skipped-file", hint[0] if hint else "", "",
                                  s.name, s.reason))
                if hint and not s.unreadable:
                    extra.setdefault(roster.by_id[hint[0]].key if roster and hint[0] in roster.by_id else hint[0],
                                     []).append((s.name, s.reason))
            known = {a for e in entries for a in (*e.aliases, e.trainee) if a}
            flags += ext_flags
            for ext in schedule.extensions:
                if ext.trainee not in known:
                    flags.append(Flag("extension-unknown", ext.trainee, ext.exercise, args.extensions or "",
                                      "an extension for someone who handed in nothing (or an id not in the batch)"))
            canvas_ids, names = {}, {}
            if roster is None:
                for e in entries:
                    if e.lms is not None and e.trainee == e.lms.user and not e.lms.anonymous:
                        canvas_ids[e.trainee] = e.lms.user
                        if e.file_trainee and e.trainee not in names:
                            names[e.trainee] = e.file_trainee
            options = Options(people=people, roster=roster, canvas_header=header, missing=args.missing,
                              not_gradable=args.not_gradable, canvas_ids=canvas_ids, names=names, flags=flags,
                              extra_files=extra, due_text=_due_text(schedule), compare=args.compare)
            bar.phase("reports", len(people) if people is not None else
                      len({r.trainee for r in results if r.trainee}) + 1, 0.3)
            summary = write_reports(out, exercise_set, results, book_base(args.book_url, out), bar.advance, options,
                                    output)
        finally:
            if pool is not None:
                pool.close()
            bar.close()
    _summary(summary, exercise_set.id, out)
    return 1 if summary["not_gradable"] else 0


def _points_warning(roster, header: str, exercise_set) -> str:
    """The roster (a Canvas export) knows the assignment's points possible: say when the set differs."""
    given = roster.points_possible.get(header, "") if roster is not None else ""
    total = float(sum(ex.max_points for ex in exercise_set.exercises))
    try:
        differs = given != "" and abs(float(given) - total) > 1e-9
    except ValueError:
        differs = False
    if not differs:
        return ""
    return (f"Canvas has {given} points possible for {header!r}, the set has {total:g}: lms_canvas.csv's Points "
            "Possible row says the set's; check the assignment in Canvas")


def _due_text(schedule) -> str:
    if schedule.due is None:
        return ""
    return f"Due {schedule.due.isoformat()} ({schedule.policy.describe()})."


def _summary(summary: dict, set_id: str, out: Path) -> None:
    mean = summary["mean_percent"]
    print(f"graded {summary['graded']} submission(s) from {summary['trainees']} trainee(s) on "
          f"{summary['exercises']} exercise(s) of set {set_id}")
    print(f"mean score: {mean:.1f}%" if mean == mean else "mean score: n/a")
    print(f"not gradable: {summary['not_gradable']}   superseded: {summary['superseded']}   "
          f"missing: {summary['missing']}   late: {summary['late']}")
    if summary["not_gradable"]:
        print(f"see {out / 'not_gradable.csv'} for the reasons")
    if summary["review"]:
        print(f"to review: {summary['review']} item(s) in {out / 'review.csv'}")
    if summary["compared"]:
        print(f"changed since the previous outputs: {summary['changes']} row(s) in {out / 'changes.csv'}")
    if summary["canvas_blank"] or summary["canvas_ex"]:
        print(f"lms_canvas.csv: {summary['canvas_blank']} blank, {summary['canvas_ex']} excused (EX)")
    print(f"reports in {out}")


def add_grade_parser(subparsers) -> argparse.ArgumentParser:
    g = subparsers.add_parser(
        "grade", help="grade trainees' submissions against an exercise set and write instructor reports",
        description="Grade submission files (YAML/JSON; folders and LMS zip archives are searched) against an "
        "exercise set. Writes results.csv, grades.csv, gradebook.csv, lms_canvas.csv, not_gradable.csv, "
        "review.csv, changes.csv, item_analysis.csv/.html/.png and feedback/<trainee>.html into --out, replacing "
        "the older outputs as a set. Exit status 0: all graded; 1: some submission was not gradable; 2: unusable "
        "set, roster, options or output folder (nothing written).")
    g.add_argument("set", help="exercise set folder (set.yaml and one YAML per exercise)")
    g.add_argument("submissions", nargs="+", metavar="SUBMISSIONS",
                   help="submission files or folders, or a Canvas \"Download submissions\" zip")
    g.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    who = g.add_argument_group("identity (who handed in what)")
    who.add_argument("--roster", metavar="CSV", help="Canvas gradebook export (Student, ID, SIS User ID, SIS Login "
                     "ID, Section, ...): everyone on it gets a row; hand-ins from anyone else are not graded")
    who.add_argument("--names", choices=NAMES, default="auto",
                     help="file names as Canvas writes them in \"Download submissions\" (name_[LATE_]userid_"
                     "attachmentid_file): 'auto' reads them in zip archives, and in folders where every file has one")
    lms = g.add_argument_group("Canvas file (lms_canvas.csv)")
    lms.add_argument("--canvas-assignment", metavar="'TITLE (ID)'",
                     help="the assignment column exactly as Canvas's own export names it, e.g. 'Week 1 (48213)'")
    lms.add_argument("--canvas-assignment-id", metavar="ID", help="the assignment's numeric id (the set's title is "
                     "used as the title)")
    lms.add_argument("--missing", choices=MISSING, default="zero",
                     help="the cell of a trainee who handed in nothing at all (default: zero)")
    lms.add_argument("--not-gradable", choices=NOT_GRADABLE, default="blank",
                     help="the cell of a trainee with work that was not gradable: blank (no grade until it is "
                     "fixed; default), zero, or ex (Canvas's excused)")
    late = g.add_argument_group("due date and late work (default: set.yaml's due: and late:)")
    late.add_argument("--due", metavar="ISO", help="due date-time with its UTC offset, e.g. 2026-03-09T23:59:00-05:00")
    late.add_argument("--late-penalty-per-day", metavar="PCT", help="percent of the points deducted per started day "
                      "late (default 0: late work is flagged, not penalised)")
    late.add_argument("--late-max-penalty", metavar="PCT", help="the most a late penalty takes, in percent (default "
                      "100)")
    late.add_argument("--grace-minutes", metavar="N", help="minutes after the due date that still count as on time")
    late.add_argument("--extensions", metavar="FILE", help="CSV or YAML: trainee, due or extra_days, optional "
                      "exercise")
    late.add_argument("--resubmission", choices=RESUBMISSION, default="best",
                      help="which of several submissions counts: best (the latest on-time one, unless a late one "
                      "scores more after its penalty; default), on-time (late never replaces on-time), latest")
    g.add_argument("--book-url", default=DEFAULT_BOOK, metavar="URL",
                   help="where feedback links point: the http(s) address of the published book (recommended: links "
                   "then work in e-mailed pages), or the folder of the built book, linked relatively from the "
                   f"feedback files (default: {DEFAULT_BOOK}, as scripts/build-book.sh builds it)")
    g.add_argument("--compare", metavar="DIR", help="compare with the grades.csv in DIR instead of the previous "
                   "outputs in --out (changes.csv)")
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


__all__ = ["Bar", "add_grade_parser", "book_base", "check_book_url", "cmd_grade"]
