"""Due dates, a late policy, per-trainee extensions, and which of several submissions counts.

Why here and not in the grader: lateness is about the course, not the answer; ``grade()`` stays pure.

* **Due date**: ``due:`` in the set's ``set.yaml`` (or ``--due``), an ISO date-time *with* its UTC
  offset (``2026-03-09T23:59:00-05:00``); without one there is no lateness at all.
* **Policy** (``late:`` in set.yaml, or the command line): ``penalty_per_day`` percent of the exercise's
  points deducted per started day after the due date, at most ``max_penalty`` percent, never below 0;
  a submission within ``grace_minutes`` after the due date is on time. This is Canvas's own late
  policy (a share of the points possible per day), so the two agree.
* **Extensions**: a CSV or YAML file giving a trainee (optionally one exercise) a later due date or
  extra days.
* **Which submission counts** (``--resubmission``): ``best`` (default): the latest on-time submission
  counts, and a late one replaces it only if it scores higher after its penalty; ``on-time``: a late
  one never replaces an on-time one; ``latest``: the latest counts, late or not (the penalty applies).
  Whatever the rule, the outputs say which file counted and why.

Timestamps (``submitted_at``) come from the trainee's computer. One without a UTC offset is read in the
due date's offset (in UTC when there is no due date): a documented assumption. One that cannot be a
real time (year 1 with an offset, which overflows; before 2000; more than a day after the run) is
*unknown*: it never counts as the latest, is never penalised, and is flagged for review.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from ..errors import InputError
from ..loader import parse_data, read_text
from .review import Flag

RULES = ("best", "on-time", "latest")
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


# ------------------------------------------------------------------------------------------ times


def parse_instant(value: Any, default_tz: tzinfo = UTC, as_of: datetime | None = None
                  ) -> tuple[datetime | None, str]:
    """(aware UTC instant, "") or (None, why the time is unknown). Never raises."""
    if value is None or value == "":
        return None, "no submitted_at"
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    else:
        try:
            when = datetime.fromisoformat(str(value).strip())
        except (ValueError, OverflowError):
            return None, f"submitted_at {str(value)[:40]!r} is not an ISO date-time"
    try:
        if when.tzinfo is None:
            when = when.replace(tzinfo=default_tz)
        when = when.astimezone(UTC)
    except (OverflowError, ValueError):
        return None, f"submitted_at {str(value)[:40]!r} is not a possible time"
    if when < EARLIEST:
        return None, f"submitted_at {str(value)[:40]!r} is before 2000"
    if as_of is not None and when > as_of + FUTURE_SLACK:
        return None, f"submitted_at {str(value)[:40]!r} is in the future"
    return when, ""


def parse_due(value: Any, where: str) -> datetime:
    """A due date-time with its offset, or InputError (exit 2): a due date must not depend on the
    machine's time zone."""
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = datetime.fromisoformat(str(value).strip())
        except ValueError:
            when = None
        if when is None or (isinstance(value, date) and not isinstance(value, datetime)):
            raise InputError(where, None, f"due date {str(value)[:40]!r}: give a date-time with its UTC offset, "
                             "e.g. 2026-03-09T23:59:00-05:00")
    if when.tzinfo is None:
        raise InputError(where, None, f"due date {str(value)[:40]!r} has no UTC offset; write e.g. "
                         f"{when.isoformat()}-05:00 (or Z for UTC)")
    return when


# ------------------------------------------------------------------------------------------ policy


@dataclass(frozen=True)
class Policy:
    penalty_per_day: float = 0.0  # percent of the exercise's points per started day late
    max_penalty: float = 100.0  # percent
    grace_minutes: float = 0.0

    def describe(self) -> str:
        if not self.penalty_per_day:
            return "late work is flagged but not penalised"
        cap = f", at most {self.max_penalty:g}%" if self.max_penalty < 100 else ""
        grace = f"; {self.grace_minutes:g} minutes' grace" if self.grace_minutes else ""
        return f"{self.penalty_per_day:g}% of the points per started day late{cap}{grace}"


def _percent(value: Any, where: str) -> float:
    text = str(value).strip().removesuffix("%").strip()
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not (0 <= number <= 100):
        raise InputError(where, None, f"{value!r}: expected a percentage from 0 to 100")
    return number


def _minutes(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (0 <= number <= 60 * 24 * 365):
        raise InputError(where, None, f"{value!r}: expected a number of minutes (0 or more)")
    return number


def policy_from(meta: dict[str, Any] | None, where: str) -> Policy:
    """The ``late:`` mapping of set.yaml."""
    if not meta:
        return Policy()
    if not isinstance(meta, dict):
        raise InputError(where, "late", "expected a mapping: penalty_per_day, max_penalty, grace_minutes")
    extra = sorted(set(meta) - {"penalty_per_day", "max_penalty", "grace_minutes"})
    if extra:
        raise InputError(where, f"late.{extra[0]}", "unknown field (expected penalty_per_day, max_penalty, "
                         "grace_minutes)")
    return Policy(_percent(meta.get("penalty_per_day", 0), f"{where}: late.penalty_per_day"),
                  _percent(meta.get("max_penalty", 100), f"{where}: late.max_penalty"),
                  _minutes(meta.get("grace_minutes", 0), f"{where}: late.grace_minutes"))


# ------------------------------------------------------------------------------------------ extensions


@dataclass(frozen=True)
class Extension:
    trainee: str
    exercise: str  # "" for every exercise of the set
    due: datetime | None = None
    extra_days: float = 0.0

    def apply(self, due: datetime | None) -> datetime | None:
        if self.due is not None:
            return self.due
        return None if due is None else due + timedelta(days=self.extra_days)


def read_extensions(path: str) -> list[Extension]:
    """CSV (header ``trainee,due`` or ``trainee,extra_days``; optional ``exercise``) or YAML (a list of
    mappings with the same keys)."""
    text = read_text(path)
    if path.lower().endswith((".yaml", ".yml", ".json")):
        rows = parse_data(path, text)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError(path, None, "expected a list of {trainee, due or extra_days, exercise?}")
        lines = [(i + 1, r) for i, r in enumerate(rows)]
    else:
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            if not reader.fieldnames or "trainee" not in [f.strip() for f in reader.fieldnames]:
                raise InputError(path, None, "expected a header with 'trainee' and 'due' or 'extra_days'")
            lines = [(i + 2, {k.strip(): (v if isinstance(v, str) else "").strip() for k, v in r.items() if k})
                     for i, r in enumerate(reader)]
        except csv.Error as exc:  # e.g. a carriage return inside an unquoted field
            raise InputError(path, None, f"not a readable CSV ({exc})") from None
    out = []
    for n, row in lines:
        where = f"{path}: row {n}"
        extra = sorted(set(row) - {"trainee", "exercise", "due", "extra_days", "note"})
        if extra:
            raise InputError(where, extra[0], "unknown column (expected trainee, exercise, due, extra_days, note)")
        trainee = str(row.get("trainee") or "").strip()
        if not trainee:
            raise InputError(where, "trainee", "required")
        due, days = row.get("due"), row.get("extra_days")
        if bool(due not in (None, "")) == bool(days not in (None, "")):
            raise InputError(where, None, "give either due (a date-time with its offset) or extra_days")
        if due not in (None, ""):
            out.append(Extension(trainee, str(row.get("exercise") or "").strip(), due=parse_due(due, where)))
        else:
            try:
                number = float(days)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                number = math.nan
            if not (0 <= number <= 3650):
                raise InputError(where, "extra_days", f"{days!r}: expected a number of days")
            out.append(Extension(trainee, str(row.get("exercise") or "").strip(), extra_days=number))
    return out


# ------------------------------------------------------------------------------------------ schedule


@dataclass
class Schedule:
    """What the batch needs to know about time: due date, policy, extensions, resubmission rule."""

    due: datetime | None = None
    policy: Policy = Policy()
    extensions: list[Extension] = field(default_factory=list)
    rule: str = "best"
    as_of: datetime | None = None  # "now", to recognise timestamps in the future

    @property
    def default_tz(self) -> tzinfo:
        return self.due.tzinfo if self.due is not None and self.due.tzinfo is not None else UTC

    def due_for(self, aliases: Iterable[str], exercise: str) -> datetime | None:
        """The due date for one trainee (known by any of their ids) and exercise; an extension for the
        exercise wins over one for the whole set."""
        names = set(aliases)
        best: Extension | None = None
        for ext in self.extensions:
            if ext.trainee in names and ext.exercise in ("", exercise):
                if best is None or (ext.exercise and not best.exercise):
                    best = ext
        return best.apply(self.due) if best is not None else self.due

    def days_late(self, when: datetime | None, due: datetime | None) -> int:
        """Started days after the due date (0: on time, within the grace, or time unknown)."""
        if when is None or due is None:
            return 0
        if when <= due + timedelta(minutes=self.policy.grace_minutes):
            return 0
        return max(1, math.ceil((when - due) / timedelta(days=1)))

    def penalty(self, raw: float, max_points: float, days: int) -> float:
        """Points deducted: a share of the points possible per day, capped, never below a score of 0."""
        if days <= 0 or not self.policy.penalty_per_day:
            return 0.0
        share = min(self.policy.penalty_per_day * days, self.policy.max_penalty) / 100
        return min(raw, share * max_points)

    def describe(self) -> str:
        if self.due is None:
            return "no due date"
        return f"due {self.due.isoformat()}; {self.policy.describe()}; resubmission rule: {self.rule}"


def follow_renames(schedule: Schedule, exercise_set: Any, source: str) -> list[Flag]:
    """Point each extension at the exercise's id now. One written under a former id (the set's ``renamed``)
    is moved to the current id, and one for an exercise the set does not have is flagged: it would
    silently apply to nothing, and the trainee would be marked late."""
    flags: list[Flag] = []
    ids = {e.id for e in exercise_set.exercises}
    for i, ext in enumerate(schedule.extensions):
        if not ext.exercise:
            continue
        now = exercise_set.current_id(ext.exercise)
        if now != ext.exercise:
            schedule.extensions[i] = replace(ext, exercise=now)
            flags.append(Flag("renamed-exercise", ext.trainee, now, source,
                              f"the extension names {ext.exercise!r}, this exercise's former id; applied to {now!r}"))
        elif now not in ids:
            flags.append(Flag("extension-unknown", ext.trainee, ext.exercise, source,
                              f"an extension for exercise {ext.exercise!r}, which is not in set {exercise_set.id!r}: "
                              "it applies to nothing"))
    return flags


def schedule_from(set_meta: dict[str, Any], set_yaml: str, *, due: str | None = None,
                  per_day: str | None = None, max_penalty: str | None = None, grace: str | None = None,
                  extensions: str | None = None, rule: str = "best", as_of: datetime | None = None) -> Schedule:
    """set.yaml's ``due`` and ``late``, each overridable on the command line."""
    policy = policy_from(set_meta.get("late"), set_yaml)
    policy = Policy(_percent(per_day, "--late-penalty-per-day") if per_day is not None else policy.penalty_per_day,
                    _percent(max_penalty, "--late-max-penalty") if max_penalty is not None else policy.max_penalty,
                    _minutes(grace, "--grace-minutes") if grace is not None else policy.grace_minutes)
    when = None
    if due is not None:
        when = parse_due(due, "--due")
    elif set_meta.get("due") not in (None, ""):
        when = parse_due(set_meta["due"], f"{set_yaml}: due")
    if rule not in RULES:
        raise InputError("--resubmission", None, f"{rule!r}: use one of {', '.join(RULES)}")
    ext = read_extensions(extensions) if extensions else []
    if (policy.penalty_per_day or ext) and when is None and not any(e.due for e in ext):
        raise InputError(set_yaml, "due", "a late policy or extensions need a due date (due: in set.yaml or --due)")
    return Schedule(when, policy, ext, rule, as_of)


_OFFSET = re.compile(r"(Z|[+-]\d\d:?\d\d)$")


def has_offset(text: str) -> bool:
    return bool(_OFFSET.search(str(text).strip()))


__all__ = ["Extension", "Policy", "RULES", "Schedule", "has_offset", "parse_due", "parse_instant",
           "read_extensions", "schedule_from"]

