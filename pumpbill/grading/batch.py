"""Grade a batch: read trainees' submission files safely, resolve duplicates, grade every one.

No pandas here (the reports add it). Submissions are data: files are read with the size cap and the
text/binary checks of :mod:`pumpbill.loader`, parsed with safe constructors and no aliases (libyaml's
parser when present, else ``loader.parse_data``), validated by the pydantic models, and never executed.
Every problem becomes a 'not gradable' record naming the file, the trainee and exercise when known,
and one line of reason; nothing a submission contains stops the rest of the batch.

A submission file holds one of:

* one submission: ``{trainee, exercise, answer, submitted_at?, mode?}``
* a hand-in: ``{trainee, submitted_at?, mode?, answers: [{exercise, answer, submitted_at?, mode?}, ...]}``
* a list of submissions.

Duplicates (one trainee, one exercise, several submissions): the latest ``submitted_at`` wins (a
submission without one counts as earliest; ties go to the last in sorted file order); the others are
kept as 'superseded' records, visible in the results but not graded. A trainee who did not submit an
exercise of the set gets a 'missing' record with 0 points, so that the gradebook is complete.

A large batch may use worker processes (:class:`Workers`) to parse files and grade distinct answers;
results come back in order, so the outputs are byte-identical whatever the number of workers.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import TypeAdapter, ValidationError

from .. import RULES_VERSION
from ..errors import InputError, from_validation
from ..exercises.models import Exercise, ExerciseSet, Ident, Submission
from ..loader import parse_data, read_text
from .formulas import COMPATIBLE, DEFAULTS
from .grade import Grade, derive_key, grade

SUFFIXES = (".yaml", ".yml", ".json")
Status = Literal["graded", "not gradable", "superseded", "missing"]
#: Order of statuses within one trainee and exercise in the results.
STATUS_ORDER = {"graded": 0, "not gradable": 1, "superseded": 2, "missing": 3}
_IDENT = TypeAdapter(Ident)
_HANDIN_FIELDS = {"trainee", "answers", "submitted_at", "mode"}

Progress = Callable[[int], None]
"""Called with the number of items just finished (files read, submissions graded)."""


@dataclass
class Entry:
    """One submission as read from a file, or the problem that kept it from being read."""

    file: str
    where: str  # "" for a whole file, else e.g. "answers[3]" or "[2]"
    position: int  # order over all files (sorted) and entries within a file
    trainee: str = ""
    exercise: str = ""
    submission: Submission | None = None
    reason: str = ""
    submitted_at: datetime | None = None

    @property
    def source(self) -> str:
        return f"{self.file}#{self.where}" if self.where else self.file


@dataclass
class Result:
    """A row of the batch: one trainee, one exercise, one status; ``counted`` marks the record that
    the gradebook uses for that trainee and exercise."""

    trainee: str
    exercise: str
    status: Status
    reason: str = ""
    source: str = ""
    submitted_at: str = ""
    mode: str = ""
    max_points: float = 0.0
    grade: Grade | None = None
    counted: bool = False
    position: int = -1
    points: float = dataclasses.field(init=False, default=0.0)

    def __post_init__(self) -> None:
        # stored, not a property: reports read it many times
        self.points = self.grade.points if (self.grade is not None and self.status == "graded") else 0.0

    @property
    def fraction(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0

    def sort_key(self) -> tuple:
        return (self.trainee, self.exercise, STATUS_ORDER[self.status], self.position, self.source)


# --------------------------------------------------------------------------------------------- reading


def submission_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, and every *.yaml/*.yml/*.json under named folders (hidden ones skipped);
    sorted by path and without repeats, so that the order never depends on the command line."""
    found: dict[str, Path] = {}
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in p.rglob("*"):
                rel = f.relative_to(p).parts
                if f.suffix.lower() in SUFFIXES and f.is_file() and not any(x.startswith(".") for x in rel):
                    found.setdefault(str(f), f)
        else:
            found.setdefault(str(p), p)  # a missing file is reported when it is read
    return [found[k] for k in sorted(found)]


def _ident_or_empty(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    try:
        return _IDENT.validate_python(str(value).strip())
    except ValidationError:
        return ""


def _timestamp(value: Any) -> tuple[Any, datetime | None, str]:
    """(value for the model, comparable UTC-naive datetime or None, problem)."""
    if value is None:
        return None, None, ""
    if isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, date):  # YAML reads an unquoted 2026-03-02 as a date
        text = value.isoformat()
    elif isinstance(value, str):
        text = value.strip()
    else:
        return value, None, ""  # the model reports the wrong type
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return text, None, "not an ISO date or timestamp (e.g. 2026-03-02T14:30:00)"
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return text, when, ""


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _entry(name: str, where: str, loc: tuple, position: int, data: Any) -> Entry:
    base = dict(file=name, where=where, position=position)
    if not isinstance(data, dict):
        return Entry(**base, reason=f"{where or '(top level)'}: expected a mapping (a submission with trainee, "
                     f"exercise and answer), got {type(data).__name__}")
    data = dict(data)
    stamp, when, problem = _timestamp(data.get("submitted_at"))
    if "submitted_at" in data:
        data["submitted_at"] = stamp
    if not problem:
        try:
            sub = Submission.model_validate(data)
        except ValidationError as exc:
            err = from_validation(name, exc, loc)
            problem = f"{err.field}: {err.problem}" if err.field else err.problem
        except RecursionError:
            problem = f"{where or '(top level)'}: nested too deeply"
    else:
        problem = f"{'.'.join(x for x in (where, 'submitted_at') if x)}: {problem}"
    if problem:  # name the trainee and exercise when they can be told
        base.update(trainee=_ident_or_empty(data.get("trainee")), exercise=_ident_or_empty(data.get("exercise")))
        return Entry(**base, reason=problem)
    base.update(trainee=sub.trainee, exercise=sub.exercise)
    return Entry(**base, submission=sub, submitted_at=when)


def entries_from_data(name: str, data: Any, start: int = 0) -> list[Entry]:
    """The submissions in one parsed file (see the module doc for the three shapes)."""
    if data is None:
        return [Entry(name, "", start, reason="empty file; expected a submission, a hand-in or a list")]
    if isinstance(data, list):
        if not data:
            return [Entry(name, "", start, reason="empty list; expected submissions")]
        return [_entry(name, f"[{i}]", (i,), start + i, item) for i, item in enumerate(data)]
    if isinstance(data, dict) and "answers" in data:
        trainee = _ident_or_empty(data.get("trainee"))
        extra = sorted(str(k) for k in data if k not in _HANDIN_FIELDS)
        answers = data["answers"]
        problem = ""
        if extra:
            problem = f"{extra[0]}: unknown field in a hand-in (expected trainee, answers, submitted_at, mode)"
        elif "trainee" not in data:
            problem = "trainee: required field is missing"
        elif not trainee:
            problem = "trainee: use letters, digits, '-', '_' or '.', at most 80 characters"
        elif not isinstance(answers, list) or not answers:
            problem = "answers: expected a non-empty list of {exercise, answer}"
        if problem:
            return [Entry(name, "", start, trainee=trainee, reason=problem)]
        out = []
        for i, item in enumerate(answers):
            where = f"answers[{i}]"
            if isinstance(item, dict):
                if "trainee" in item and _ident_or_empty(item["trainee"]) != trainee:
                    out.append(Entry(name, where, start + i, trainee=trainee,
                                     exercise=_ident_or_empty(item.get("exercise")),
                                     reason=f"{where}.trainee: differs from the hand-in's trainee {trainee!r}"))
                    continue
                item = {**{k: data[k] for k in ("submitted_at", "mode") if k in data}, **item, "trainee": trainee}
            out.append(_entry(name, where, ("answers", i), start + i, item))
        return out
    return [_entry(name, "", (), start, data)]


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


class _Fallback(Exception):
    """Not the plain subset: let the standard safe loader decide (and word any error)."""


def _build(loader: Any, node: yaml.Node, seen: set[int]) -> Any:
    """SafeConstructor's result for plain mappings, sequences and scalars, built in one pass that also
    refuses aliases: the composer reuses the node of an anchor, so a node reached twice is an alias."""
    if id(node) in seen:
        raise yaml.YAMLError("YAML aliases are not allowed")
    seen.add(id(node))
    kind = type(node)
    if kind is yaml.ScalarNode:
        return node.value if node.tag == _STR else loader.construct_object(node, deep=True)
    if kind is yaml.SequenceNode and node.tag == _SEQ:
        return [_build(loader, n, seen) for n in node.value]
    if kind is yaml.MappingNode and node.tag == _MAP:
        out = {}
        for k, v in node.value:
            if type(k) is not yaml.ScalarNode or k.tag == "tag:yaml.org,2002:merge":
                raise _Fallback
            out[_build(loader, k, seen)] = _build(loader, v, seen)
        return out
    raise _Fallback  # other tags (!!set, !!omap, !!python/...): the standard path accepts or refuses them


if getattr(yaml, "__with_libyaml__", False):

    class _Loader(yaml.CSafeLoader):  # type: ignore[misc, name-defined]
        """libyaml's parser with the safe constructors; the implicit-tag resolver (a Python callback for
        every node) remembers its answers, which depend only on its arguments."""

        _memo: dict[tuple, str] = {}

        def resolve(self, kind, value, implicit):  # type: ignore[override]
            key = (kind, value, implicit)
            tag = self._memo.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(self._memo) > 50_000:
                    self._memo.clear()
                self._memo[key] = tag
            return tag

        def descend_resolver(self, current_node, current_index):  # no path resolvers in the safe loader
            pass

        def ascend_resolver(self):
            pass


def parse_submission(name: str, text: str) -> Any:
    """Like :func:`pumpbill.loader.parse_data` (safe constructors, no aliases), with libyaml's C parser
    when available: a class's YAML hand-ins parse several times faster. Anything unusual or wrong falls
    back to ``parse_data``, so that errors read exactly as everywhere else."""
    if name.lower().endswith(".json") or not getattr(yaml, "__with_libyaml__", False):
        return parse_data(name, text)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            return None if node is None else _build(loader, node, set())
        finally:
            loader.dispose()
    except Exception:  # noqa: BLE001 - the pure-Python path gives the error (or parses what C refused)
        return parse_data(name, text)


def _parse_file(path: Path) -> tuple[Any, str]:
    """(parsed data, "") or (None, the problem in one line)."""
    name = str(path)
    try:
        return parse_submission(name, read_text(path)), ""
    except InputError as exc:
        return None, exc.problem
    except RecursionError:  # e.g. deeply nested JSON
        return None, "nested too deeply"
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop the batch
        return None, _one_line(f"cannot read ({type(exc).__name__}: {exc})")


def _parse_files(paths: list[Path]) -> list[tuple[Any, str]]:
    """In a worker: plain data travels back cheaply (validated models would not)."""
    return [_parse_file(p) for p in paths]


def _entries(path: Path, parsed: tuple[Any, str]) -> list[Entry]:
    data, problem = parsed
    if problem:
        return [Entry(str(path), "", 0, reason=problem)]
    try:
        return entries_from_data(str(path), data)
    except RecursionError:
        return [Entry(str(path), "", 0, reason="nested too deeply")]


def read_submissions(paths: Iterable[str | Path], progress: Progress | None = None,
                     pool: Workers | None = None) -> list[Entry]:
    """Every submission in the files and folders given, in a deterministic order (the same with or
    without worker processes). Never raises for a bad file: its problem is an entry with a reason."""
    files = submission_files(paths)
    entries: list[Entry] = []
    if pool is not None and len(files) >= PARALLEL_MIN_FILES:
        for chunk, parsed in pool.map(_parse_files, _chunks(files, pool.size)):
            for path, one in zip(chunk, parsed, strict=True):
                entries.extend(_entries(path, one))
            if progress:
                progress(len(chunk))
    else:
        for path in files:
            entries.extend(_entries(path, _parse_file(path)))
            if progress:
                progress(1)
    for i, e in enumerate(entries):  # positions: unique and increasing over all files
        e.position = i
        if e.reason:
            e.reason = _one_line(e.reason)
    return entries


# --------------------------------------------------------------------------------------------- workers

#: Below these sizes a batch runs in this process (starting workers costs more than it saves).
PARALLEL_MIN_FILES = 64
PARALLEL_MIN_GRADES = 400
_SET: dict[str, Exercise] = {}


def _init_worker(exercises: list[Exercise]) -> None:
    _SET.clear()
    _SET.update({ex.id: ex for ex in exercises})


def _grade_one(ex: Exercise, sub: Submission, rules_version: str) -> Grade:
    try:
        return grade(ex, sub, rules_version)
    except Exception as exc:  # noqa: BLE001 - a bug in the core must not stop the batch
        return Grade(ex.id, sub.trainee, "not gradable", rules_version,
                     reason=_one_line(f"internal error while grading ({type(exc).__name__}: {exc}); "
                                      "please report it"), max_points=ex.max_points)


def _grade_chunk(jobs: list[tuple[str, Submission, str]]) -> list[Grade]:
    return [_grade_one(_SET[ex_id], sub, rv) for ex_id, sub, rv in jobs]


def _chunks(items: list, workers: int) -> list[list]:
    size = max(1, -(-len(items) // (workers * 8)))
    return [items[i:i + size] for i in range(0, len(items), size)]


class Workers:
    """A few worker processes for reading and grading a large batch; results come back in order, so
    the outputs are the same as with none. ``Workers.start(jobs, exercise_set)`` gives None when one
    process will do (jobs <= 1, or processes cannot be started here)."""

    def __init__(self, pool: Any, size: int) -> None:
        self.pool, self.size = pool, size

    @classmethod
    def start(cls, jobs: int, exercise_set: ExerciseSet) -> Workers | None:
        if jobs <= 1:
            return None
        import multiprocessing

        try:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
            return cls(ctx.Pool(jobs, _init_worker, (list(exercise_set.exercises),)), jobs)
        except (OSError, ValueError, ImportError):
            return None

    def map(self, fn: Callable[[list], list], chunks: list[list]):
        """(chunk, fn(chunk)) in order, as each finishes."""
        yield from zip(chunks, self.pool.imap(fn, chunks), strict=True)

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def default_jobs() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


# --------------------------------------------------------------------------------------------- grading


def prepare_set(exercise_set: ExerciseSet, name: str = "SET") -> ExerciseSet:
    """Check once what grade() would otherwise fail on for every submission (a formula that cannot
    grade its part), and store derived keys so that they are not recomputed per submission."""
    exercises = []
    for ex in exercise_set.exercises:
        for part in ex.rubric.points:
            formula = ex.rubric.formulas.get(part, DEFAULTS[part])  # type: ignore[arg-type]
            if formula not in COMPATIBLE[part]:
                raise InputError(name, f"{ex.id}: rubric.formulas.{part}",
                                 f"formula {formula!r} cannot grade this part; use one of "
                                 f"{', '.join(sorted(COMPATIBLE[part]))}")
        if ex.key is None:
            try:
                ex = ex.model_copy(update={"key": derive_key(ex)})
            except Exception as exc:  # noqa: BLE001
                raise InputError(name, ex.id, f"cannot derive the answer key: {exc}") from None
        exercises.append(ex)
    return exercise_set.model_copy(update={"exercises": exercises})


def _resolve_duplicates(entries: Sequence[Entry]) -> tuple[list[Entry], list[tuple[Entry, Entry]]]:
    """(winners, [(superseded, winner)]) among readable submissions for known exercises."""
    groups: dict[tuple[str, str], list[Entry]] = {}
    for e in entries:
        groups.setdefault((e.trainee, e.exercise), []).append(e)
    winners, losers = [], []
    for group in groups.values():
        best = max(group, key=lambda e: (e.submitted_at is not None, e.submitted_at or datetime.min, e.position))
        winners.append(best)
        losers.extend((e, best) for e in group if e is not best)
    return winners, losers


def _why_superseded(e: Entry, best: Entry) -> str:
    if best.submitted_at is not None and (e.submitted_at is None or best.submitted_at > e.submitted_at):
        return f"superseded by the later submission in {best.source}"
    return f"superseded by the submission in {best.source} (same or no submitted_at; the last file wins)"


def _stamp(e: Entry) -> str:
    return e.submission.submitted_at or "" if e.submission else ""


def grade_all(exercise_set: ExerciseSet, entries: Sequence[Entry], rules_version: str = RULES_VERSION,
              progress: Progress | None = None, pool: Workers | None = None) -> list[Result]:
    """Grade every entry against the set; sorted by trainee, exercise, status, file order.

    Identical answers to one exercise are graded once (``grade`` is pure: the trainee only names the
    grade), which makes a class where many trainees answer alike fast; with ``pool`` (see
    :class:`Workers`, whose processes must hold the same set) the distinct answers are graded in parallel.
    """
    by_id = {ex.id: ex for ex in exercise_set.exercises}
    results: list[Result] = []
    readable: list[Entry] = []
    for e in entries:
        ex = by_id.get(e.exercise)
        if e.submission is None:
            results.append(Result(e.trainee, e.exercise, "not gradable", e.reason, e.source,
                                  max_points=ex.max_points if ex else 0.0, position=e.position))
        elif ex is None:
            results.append(Result(e.trainee, e.exercise, "not gradable",
                                  f"exercise {e.exercise!r} is not in set {exercise_set.id!r}", e.source,
                                  _stamp(e), e.submission.mode, position=e.position))
        else:
            readable.append(e)
    winners, losers = _resolve_duplicates(readable)
    for e, best in losers:
        results.append(Result(e.trainee, e.exercise, "superseded", _why_superseded(e, best), e.source, _stamp(e),
                              e.submission.mode if e.submission else "", by_id[e.exercise].max_points,
                              position=e.position))
    if progress and len(entries) > len(winners):
        progress(len(entries) - len(winners))
    winners.sort(key=lambda x: x.position)
    keys = [(e.exercise, e.submission.answer.model_dump_json()) for e in winners]  # type: ignore[union-attr]
    todo: dict[tuple[str, str], tuple[str, Submission, str]] = {}
    for k, e in zip(keys, winners, strict=True):
        if k not in todo:
            todo[k] = (e.exercise, e.submission, rules_version)  # type: ignore[assignment]
    uses = Counter(keys)
    cache: dict[tuple[str, str], Grade] = {}
    jobs = list(todo.items())
    if pool is not None and len(jobs) >= PARALLEL_MIN_GRADES:
        key_chunks = _chunks([k for k, _ in jobs], pool.size)
        for kc, (_, grades) in zip(key_chunks, pool.map(_grade_chunk, [[todo[k] for k in kc] for kc in key_chunks]),
                                   strict=True):
            cache.update(zip(kc, grades, strict=True))
            if progress:
                progress(sum(uses[k] for k in kc))
    else:
        for k, (ex_id, sub, rv) in jobs:
            cache[k] = _grade_one(by_id[ex_id], sub, rv)
            if progress:
                progress(uses[k])
    for k, e in zip(keys, winners, strict=True):
        ex, sub = by_id[e.exercise], e.submission
        assert sub is not None
        g = cache[k]
        g = dataclasses.replace(g, trainee=sub.trainee, parts=list(g.parts), feedback=list(g.feedback))
        results.append(Result(e.trainee, e.exercise, g.status, g.reason, e.source, _stamp(e), sub.mode,
                              ex.max_points, g, position=e.position))
    _complete(exercise_set, results)
    results.sort(key=Result.sort_key)
    return results


def _complete(exercise_set: ExerciseSet, results: list[Result]) -> None:
    """Mark the record each gradebook cell uses, and add 'missing' ones for exercises not handed in."""
    known = {ex.id: ex for ex in exercise_set.exercises}
    best: dict[tuple[str, str], Result] = {}
    for r in results:
        if not r.trainee or r.exercise not in known or r.status == "superseded":
            continue
        cur = best.get((r.trainee, r.exercise))
        # a graded record beats a 'not gradable' one; among these, the earlier file position
        if cur is None or (STATUS_ORDER[r.status], r.position) < (STATUS_ORDER[cur.status], cur.position):
            best[(r.trainee, r.exercise)] = r
    for r in best.values():
        r.counted = True
    trainees = sorted({r.trainee for r in results if r.trainee})
    for t in trainees:
        for ex in exercise_set.exercises:
            if (t, ex.id) not in best:
                results.append(Result(t, ex.id, "missing", "no submission", max_points=ex.max_points, counted=True))


def trainees(results: Iterable[Result]) -> list[str]:
    return sorted({r.trainee for r in results if r.trainee})


def grade_paths(exercise_set: ExerciseSet, paths: Iterable[str | Path], rules_version: str = RULES_VERSION,
                progress: Progress | None = None, jobs: int = 1) -> list[Result]:
    """Read and grade in one call (no reports)."""
    exercise_set = prepare_set(exercise_set)
    pool = Workers.start(jobs, exercise_set)
    try:
        return grade_all(exercise_set, read_submissions(paths, progress, pool), rules_version, progress, pool)
    finally:
        if pool is not None:
            pool.close()


__all__ = ["Entry", "Result", "Workers", "default_jobs", "entries_from_data", "grade_all", "grade_paths",
           "prepare_set", "read_submissions", "submission_files", "trainees"]
