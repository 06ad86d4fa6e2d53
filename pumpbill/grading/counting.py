"""Which of a trainee's submissions to one exercise counts, and why, in words the outputs can show.

Why its own module: this is the rule a trainee will ask about ("why did my resubmission not count?"),
so it is written once, small, and every decision carries its explanation. The rule (``--resubmission``):

* ``best`` (default): the latest on-time submission counts; the latest late one replaces it only if it
  scores more after its late penalty;
* ``on-time``: a late submission never replaces an on-time one;
* ``latest``: the latest submission counts, late or not (its penalty applies).

Without a due date nothing is late, so every rule is "the latest counts". "Latest" is by
``submitted_at``; a submission whose time is unknown (none, impossible, in the future) counts as the
earliest; ties go to the later LMS upload (Canvas attachment ids grow), then to the file that sorts last.
A practice-mode file counts only when the trainee handed in no assignment-mode one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .deadlines import Schedule, parse_instant
from .review import Flag

_MIN = datetime.min.replace(tzinfo=UTC)


@dataclass
class Timed:
    """A submission placed in time: when (None: unknown), against which due date, how many days late."""

    entry: object  # batch.Entry (not imported: batch imports this module)
    when: datetime | None
    due: datetime | None
    days: int

    def key(self) -> tuple:
        e = self.entry
        return (self.when is not None, self.when or _MIN, e.attachment, e.position)  # type: ignore[attr-defined]

    @property
    def source(self) -> str:
        return self.entry.source  # type: ignore[attr-defined]


def place(group: Sequence[object], schedule: Schedule, flags: list[Flag]) -> tuple[list[Timed], list[tuple]]:
    """(the submissions that compete, [(practice-mode entry, reason)] that do not)."""
    dropped = []
    if len(group) > 1:
        assignment = [e for e in group if e.submission.mode != "practice"]  # type: ignore[attr-defined]
        if assignment and len(assignment) < len(group):
            for e in group:
                if e.submission.mode == "practice":  # type: ignore[attr-defined]
                    dropped.append((e, "practice-mode file; the assignment-mode submission counts"))
                    flags.append(Flag("practice-mode", e.trainee, e.exercise, e.source,  # type: ignore[attr-defined]
                                      "a practice-mode file next to assignment-mode ones: not counted"))
            group = assignment
    timed = []
    tz, as_of, plain_due = schedule.default_tz, schedule.as_of, not schedule.extensions
    for e in group:
        stamp = e.stamp  # type: ignore[attr-defined]
        when, why = parse_instant(stamp, tz, as_of)
        due = schedule.due if plain_due else schedule.due_for(e.aliases or (e.trainee,), e.exercise)  # type: ignore[attr-defined]
        t = Timed(e, when, due, schedule.days_late(when, due))
        timed.append(t)
        if when is None:
            if stamp not in (None, ""):
                flags.append(Flag("bad-timestamp", e.trainee, e.exercise, e.source,  # type: ignore[attr-defined]
                                  why + ": treated as unknown (never late, never preferred)"))
            elif due is not None or len(group) > 1:
                flags.append(Flag("no-timestamp", e.trainee, e.exercise, e.source,  # type: ignore[attr-defined]
                                  "no submitted_at: counted as on time (whether it was late cannot be told)"
                                  if due is not None else "no submitted_at: counts as the earliest submission"))
        elif e.lms is not None and e.lms.late and due is not None and t.days == 0:  # type: ignore[attr-defined]
            flags.append(Flag("lms-late", e.trainee, e.exercise, e.source,  # type: ignore[attr-defined]
                              f"the LMS marked it late, but submitted_at {stamp} is on time for the due date "
                              f"{due.isoformat()}"))
    known = [t for t in timed if t.when is not None] if len(timed) > 1 else []
    for t in known:
        same = [u for u in known if u is not t and u.when == t.when]
        if same and t is max([t, *same], key=Timed.key):
            flags.append(Flag("same-time", t.entry.trainee, t.entry.exercise, t.source,  # type: ignore[attr-defined]
                              f"same submitted_at as {', '.join(u.source for u in same)}; this one counts as the "
                              "later upload or the file that sorts last"))
    return timed, dropped


def candidates(timed: Sequence[Timed], rule: str) -> list[Timed]:
    """The one or two submissions to grade before deciding."""
    on_time = [t for t in timed if t.days == 0]
    late = [t for t in timed if t.days > 0]
    if rule == "latest" or not late or not on_time:
        return [max(timed, key=Timed.key)]
    if rule == "on-time":
        return [max(on_time, key=Timed.key)]
    return [max(on_time, key=Timed.key), max(late, key=Timed.key)]


def decide(timed: Sequence[Timed], chosen: Sequence[Timed], rule: str, score: Callable[[Timed], float | None],
           flags: list[Flag]) -> tuple[Timed, str, list[tuple[object, str]]]:
    """(the submission that counts, why, [(superseded entry, why)])."""
    on_time = [t for t in timed if t.days == 0]
    late = [t for t in timed if t.days > 0]
    if len(chosen) == 2:  # rule 'best': on-time vs late
        first, second = chosen
        a, b = score(first), score(second)
        if b is not None and (a is None or b > a):
            win = second
            why = (f"the late submission scored more after its {second.days}-day penalty ({_n(b)}) than the on-time "
                   f"one in {first.source} ({'not gradable' if a is None else _n(a)})")
        else:
            win = first
            why = f"the latest on-time submission; the late one in {second.source} did not score more after its " \
                  f"penalty ({'not gradable' if b is None else _n(b)} vs {_n(a)})"
            flags.append(Flag("late-not-counted", second.entry.trainee, second.entry.exercise,  # type: ignore[attr-defined]
                              second.source, f"late resubmission ({second.days} day(s)) scored "
                              f"{'not gradable' if b is None else _n(b)} after its penalty, not more than the "
                              f"on-time {_n(a)} in {first.source}"))
    else:
        win = chosen[0]
        if len(timed) == 1:
            why = "the only submission" + (f" ({win.days} day(s) late)" if win.days else "")
        elif win.days and not on_time:
            why = "the latest submission (none was on time)"
        elif rule == "on-time" and late:
            why = "the latest on-time submission (--resubmission on-time: late ones do not replace it)"
        elif rule == "latest" and win.days:
            why = "the latest submission, although late (--resubmission latest)"
        else:
            why = "the latest submission" if not late else "the latest on-time submission"
    losers = []
    for t in timed:
        if t is win:
            continue
        losers.append((t.entry, _why_not(t, win, rule, chosen)))
        if rule == "on-time" and t.days > 0 and win.days == 0 and t.key() > win.key():
            flags.append(Flag("late-not-counted", t.entry.trainee, t.entry.exercise, t.source,  # type: ignore[attr-defined]
                              f"late resubmission ({t.days} day(s)); the on-time one in {win.source} counts "
                              "(--resubmission on-time)"))
    return win, why, losers


def _why_not(t: Timed, win: Timed, rule: str, chosen: Sequence[Timed]) -> str:
    if t.key() < win.key():
        if win.days and not t.days:
            return f"superseded by the late submission in {win.source}, which scored more after its penalty"
        if win.when is not None and (t.when is None or win.when > t.when):
            return f"superseded by the later submission in {win.source}"
        return f"superseded by the submission in {win.source} (same or no submitted_at; the later upload or the " \
               "last file wins)"
    # a later submission that does not count: it was late
    if rule == "on-time":
        return f"late ({t.days} day(s)); the on-time submission in {win.source} counts (--resubmission on-time)"
    if t not in chosen:
        later = max(chosen, key=Timed.key)
        return f"superseded by the later late submission in {later.source} (only the latest late one is " \
               "compared with the on-time one)"
    return f"late ({t.days} day(s)); it did not score more after its penalty than the on-time submission in " \
           f"{win.source}"


def _n(x: float | None) -> str:
    return "" if x is None else (f"{x:.2f}".rstrip("0").rstrip(".") or "0")


__all__ = ["Timed", "candidates", "decide", "place"]
