"""Grade a batch: read trainees' submission files safely, decide who and what counts, grade every one.

No pandas here (the reports add it). Submissions are data: files are read with the size cap and the
text/binary checks of :mod:`pumpbill.loader`, parsed with safe constructors and no aliases (libyaml's
parser when present, else ``loader.parse_data``), validated by the pydantic models, and never executed.
Every problem becomes a 'not gradable' record naming the file, the trainee and exercise when known,
and one line of reason; nothing a submission contains stops the rest of the batch (odd text, an
impossible ``submitted_at``: security review G1, G3).

A submission file holds one of:

* one submission: ``{trainee, exercise, answer, submitted_at?, mode?}``
* a hand-in: ``{trainee, submitted_at?, mode?, answers: [{exercise, answer, submitted_at?, mode?}, ...]}``
* a list of submissions.

Where files come from (folders, LMS archives) is :mod:`.sources`; who handed them in (the LMS identity
and the roster) is :mod:`.identity`; due dates and which of several submissions counts is
:mod:`.deadlines`. Duplicates (one trainee, one exercise, several submissions): the rule of the
schedule decides (without a due date: the latest ``submitted_at``; one without a usable time counts as
earliest; ties go to the later LMS upload, then to the last in sorted file order); the others are kept
as 'superseded' records with the reason. A trainee who did not submit an exercise of the set gets a
'missing' record with 0 points, so that the gradebook is complete.

A large batch may use worker processes (:class:`Workers`) to parse files and grade distinct answers;
results come back in order, so the outputs are byte-identical whatever the number of workers.
"""

from __future__ import annotations

import dataclasses
import json
import os
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from .. import RULES_VERSION
from ..errors import InputError, from_validation
from ..exercises.models import Answer, Exercise, ExerciseSet, Ident, Submission
from ..loader import MAX_BYTES, read_text
from .deadlines import Schedule
from .formulas import COMPATIBLE, DEFAULTS
from .grade import Grade, derive_key, grade
from .identity import Claim, LmsName, Roster, resolve, widget_name
from .parsing import parse_submission
from .review import Flag
from .sources import Source, read_bytes, sources, text_of

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
    trainee: str = ""  # who it counts for (the LMS identity once resolved; else the file's own id)
    exercise: str = ""
    submission: Submission | None = None
    reason: str = ""
    stamp: Any = None  # submitted_at as written (text), read against the due date later
    file_trainee: str = ""  # the trainee id inside the file
    lms: LmsName | None = None  # what an LMS archive's file name says about the uploader
    aliases: tuple[str, ...] = ()  # every id the trainee is known by (roster), for extensions
    akey: str = ""  # answer_key of the answer, once computed

    @property
    def source(self) -> str:
        return f"{self.file}#{self.where}" if self.where else self.file

    @property
    def attachment(self) -> int:
        return self.lms.attachment if self.lms is not None else -1


@dataclass
class Result:
    """A row of the batch: one trainee, one exercise, one status; ``counted`` marks the record that
    the gradebook uses for that trainee and exercise. ``points`` is after any late penalty; ``raw`` is
    the sum of the rubric parts, unrounded (totals are rounded once, at the end)."""

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
    answer: Answer | None = None
    late_days: int = 0
    penalty: float = 0.0
    due: str = ""  # the due date that applied (ISO), "" without one
    why: str = ""  # why this record counts (which file, which rule)
    file_trainee: str = ""
    akey: str = ""  # answer_key(answer): the same text for the same answer
    raw: float | None = None  # computed from the grade when not given
    points: float = dataclasses.field(init=False, default=0.0)

    def __post_init__(self) -> None:
        # stored, not properties: reports read them many times
        if self.grade is None or self.status != "graded":
            self.raw = 0.0
        elif self.raw is None:
            self.raw = sum(p.points for p in self.grade.parts)
        self.points = max(0.0, self.raw - self.penalty) if self.raw else 0.0

    def set_penalty(self, days: int, penalty: float) -> None:
        self.late_days, self.penalty = days, penalty
        self.points = max(0.0, self.raw - penalty) if self.status == "graded" else 0.0  # type: ignore[operator]

    @property
    def fraction(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0

    @property
    def raw_fraction(self) -> float:
        return self.raw / self.max_points if self.max_points else 0.0  # type: ignore[operator]

    def sort_key(self) -> tuple:
        return (self.trainee, self.exercise, STATUS_ORDER[self.status], self.position, self.source)


# --------------------------------------------------------------------------------------------- reading


def submission_files(paths: Iterable[str | Path]) -> list[Path]:
    """The plain files that would be read (see :func:`.sources.sources`), sorted and without repeats."""
    return [Path(s.path) for s in sources(paths)[0] if not s.member]


def _ident_or_empty(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    try:
        return _IDENT.validate_python(str(value).strip())
    except (ValidationError, ValueError):
        return ""


def _timestamp(value: Any) -> tuple[Any, str]:
    """(value for the model, problem). Only the form is checked here: whether the time is possible,
    and how late it is, is for :mod:`.deadlines` (an impossible one must not stop the batch)."""
    if value is None:
        return None, ""
    if isinstance(value, datetime | date):  # YAML reads an unquoted 2026-03-02 as a date
        try:
            return value.isoformat(), ""
        except (ValueError, OverflowError):
            return str(value), ""
    if not isinstance(value, str):
        return value, ""  # the model reports the wrong type
    text = value.strip()
    try:
        datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return text, "not an ISO date or timestamp (e.g. 2026-03-02T14:30:00)"
    return text, ""


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _entry(name: str, where: str, loc: tuple, position: int, data: Any) -> Entry:
    base = dict(file=name, where=where, position=position)
    if not isinstance(data, dict):
        return Entry(**base, reason=f"{where or '(top level)'}: expected a mapping (a submission with trainee, "
                     f"exercise and answer), got {type(data).__name__}")
    data = dict(data)
    stamp, problem = _timestamp(data.get("submitted_at"))
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
        who = _ident_or_empty(data.get("trainee"))
        base.update(trainee=who, file_trainee=who, exercise=_ident_or_empty(data.get("exercise")))
        return Entry(**base, reason=problem, stamp=stamp)
    base.update(trainee=sub.trainee, file_trainee=sub.trainee, exercise=sub.exercise)
    return Entry(**base, submission=sub, stamp=sub.submitted_at)


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
            return [Entry(name, "", start, trainee=trainee, reason=problem, file_trainee=trainee)]
        out = []
        for i, item in enumerate(answers):
            where = f"answers[{i}]"
            if isinstance(item, dict):
                if "trainee" in item and _ident_or_empty(item["trainee"]) != trainee:
                    out.append(Entry(name, where, start + i, trainee=trainee, file_trainee=trainee,
                                     exercise=_ident_or_empty(item.get("exercise")),
                                     reason=f"{where}.trainee: differs from the hand-in's trainee {trainee!r}"))
                    continue
                item = {**{k: data[k] for k in ("submitted_at", "mode") if k in data}, **item, "trainee": trainee}
            out.append(_entry(name, where, ("answers", i), start + i, item))
        return out
    return [_entry(name, "", (), start, data)]


def _text(src: Source, archives: dict[str, zipfile.ZipFile]) -> str:
    """The hand-in's text; a file that is not UTF-8 gets a precise reason (UTF-16 is not "binary")."""
    if src.member:
        return text_of(src.name, read_bytes(src, archives))
    try:
        return read_text(src.path)
    except InputError as exc:
        if not exc.problem.startswith("binary file"):
            raise
        with open(src.path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
        text_of(src.name, raw)  # raises the UTF-16 reason when it is one
        raise


def _parse_source(src: Source, archives: dict[str, zipfile.ZipFile] | None = None) -> tuple[Any, str]:
    """(parsed data, "") or (data or None, the problem in one line). A file with a known problem (a
    ``.yaml.txt``) is still parsed when it can be, only to tell whose it is and for which exercise."""
    archives = {} if archives is None else archives
    try:
        data = parse_submission(src.name, _text(src, archives))
        return data, src.problem
    except InputError as exc:
        return None, src.problem or exc.problem
    except RecursionError:  # e.g. deeply nested JSON
        return None, src.problem or "nested too deeply"
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop the batch
        return None, src.problem or _one_line(f"cannot read ({type(exc).__name__}: {exc})")


def _parse_sources(srcs: list[Source]) -> list[tuple[Any, str]]:
    """In a worker: plain data travels back cheaply (validated models would not)."""
    archives: dict[str, zipfile.ZipFile] = {}
    try:
        return [_parse_source(s, _open_archive(s, archives)) for s in srcs]
    finally:
        for zf in archives.values():
            zf.close()


def _open_archive(src: Source, archives: dict[str, zipfile.ZipFile]) -> dict[str, zipfile.ZipFile]:
    if src.member and src.path not in archives:
        try:
            archives[src.path] = zipfile.ZipFile(src.path)
        except (OSError, zipfile.BadZipFile):
            pass  # read_bytes reports it for this member
    return archives


def _entries(src: Source, parsed: tuple[Any, str]) -> list[Entry]:
    data, problem = parsed
    try:
        found = entries_from_data(src.name, data) if data is not None or not problem else []
    except RecursionError:
        found = []
        problem = problem or "nested too deeply"
    if problem:  # keep whose and which exercise it is, when the content could tell
        found = [Entry(src.name, e.where, 0, trainee=e.trainee, exercise=e.exercise, reason=problem,
                       file_trainee=e.file_trainee) for e in found] or [Entry(src.name, "", 0, reason=problem)]
    for e in found:
        e.lms = src.lms
    return found


def read_sources(srcs: Sequence[Source], progress: Progress | None = None,
                 pool: Workers | None = None) -> list[Entry]:
    """Every submission in the sources, in a deterministic order (the same with or without worker
    processes). Never raises for a bad file: its problem is an entry with a reason."""
    srcs = list(srcs)
    entries: list[Entry] = []
    if pool is not None and len(srcs) >= PARALLEL_MIN_FILES:
        for chunk, parsed in pool.map(_parse_sources, _chunks(srcs, pool.size)):
            for src, one in zip(chunk, parsed, strict=True):
                entries.extend(_entries(src, one))
            if progress:
                progress(len(chunk))
    else:
        archives: dict[str, zipfile.ZipFile] = {}
        try:
            for src in srcs:
                entries.extend(_entries(src, _parse_source(src, _open_archive(src, archives))))
                if progress:
                    progress(1)
        finally:
            for zf in archives.values():
                zf.close()
    for i, e in enumerate(entries):  # positions: unique and increasing over all files
        e.position = i
        if e.reason:
            e.reason = _one_line(e.reason)
    return entries


def read_submissions(paths: Iterable[str | Path], progress: Progress | None = None,
                     pool: Workers | None = None) -> list[Entry]:
    """Every submission in the files, folders and archives given (see :mod:`.sources`); a folder that
    cannot be read is an entry with its reason too."""
    srcs, skipped = sources(paths)
    entries = read_sources(srcs, progress, pool)
    for s in skipped:
        if s.unreadable:
            entries.append(Entry(s.name, "", len(entries), reason=_one_line(s.reason)))
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


def identify(entries: Sequence[Entry], roster: Roster | None, exercise_set: ExerciseSet) -> list[Flag]:
    """Decide who each entry counts for (see :mod:`.identity`): the LMS identity when the file came
    from an LMS archive, the roster's student for the file's own id, else the file's own id. An entry
    from someone not on the roster becomes not gradable. Returns the flags for review.csv.

    The entries of one file share their evidence (a hand-in holds 40 answers): decided once per file."""
    ids = exercise_set.known_ids  # a file name may carry a former id (the set's renamed)
    groups: dict[tuple, list[Entry]] = {}
    for e in entries:
        groups.setdefault((e.file, e.file_trainee, e.lms, bool(e.file_trainee and e.exercise)), []).append(e)
    claims = []
    for (file, file_trainee, lms, known), members in groups.items():
        hint = None if known else widget_name(Path(lms.original if lms else file.rsplit("!", 1)[-1]).name, ids)
        if hint:
            hint = (hint[0], exercise_set.current_id(hint[1]))
        exercise = members[0].exercise if len(members) == 1 else ""
        claims.append(Claim(members[0].source if len(members) == 1 else file, file_trainee, exercise, lms, hint))
    decisions, flags = resolve(claims, roster)
    for members, d in zip(groups.values(), decisions, strict=True):
        for e in members:
            e.trainee, e.aliases = d.trainee, d.aliases
            e.exercise = e.exercise or d.exercise
            if d.problem and not e.reason:
                e.submission, e.reason = None, d.problem
    return flags


def _stamp(e: Entry) -> str:
    return e.submission.submitted_at or "" if e.submission else ""


def answer_key(answer: Answer) -> str:
    """A text that is the same for the same answer: the cache key of identical answers. Odd text (a
    lone surrogate, G3) cannot be JSON-encoded by pydantic; it is escaped instead of stopping the batch."""
    try:
        return answer.model_dump_json()
    except Exception:  # noqa: BLE001 - PydanticSerializationError and friends
        return json.dumps(answer.model_dump(mode="python"), default=repr, ensure_ascii=True, sort_keys=True)


def grade_all(exercise_set: ExerciseSet, entries: Sequence[Entry], rules_version: str = RULES_VERSION,
              progress: Progress | None = None, pool: Workers | None = None, schedule: Schedule | None = None,
              people: Sequence[str] | None = None, flags: list[Flag] | None = None) -> list[Result]:
    """Grade every entry against the set; sorted by trainee, exercise, status, file order.

    Which submission counts is decided per trainee and exercise (see :mod:`.counting`); the one or two
    candidates are graded. Identical answers to one exercise are graded once (``grade`` is pure: the
    trainee only names the grade), which makes a class where many trainees answer alike fast; with
    ``pool`` (see :class:`Workers`, whose processes must hold the same set) the distinct answers are
    graded in parallel. ``people``: everyone who must have a row (the roster); by default, everyone who
    handed something in. ``flags`` collects what review.csv lists.
    """
    from .counting import candidates, decide, place

    schedule = schedule or Schedule()
    flags = [] if flags is None else flags
    by_id = {ex.id: ex for ex in exercise_set.exercises}
    results: list[Result] = []
    groups: dict[tuple[str, str], list[Entry]] = {}
    for e in entries:
        now = exercise_set.current_id(e.exercise)
        if now != e.exercise:  # handed in under a former id (the set's ``renamed``): graded as the exercise now
            flags.append(Flag("renamed-exercise", e.trainee, now, e.source,
                              f"the file names {e.exercise!r}, this exercise's former id; graded as {now!r}"))
            e.exercise = now
            if e.submission is not None:
                e.submission = e.submission.model_copy(update={"exercise": now})
        ex = by_id.get(e.exercise)
        if e.submission is None:
            results.append(Result(e.trainee, e.exercise, "not gradable", e.reason, e.source, _text_stamp(e.stamp),
                                  max_points=ex.max_points if ex else 0.0, position=e.position,
                                  file_trainee=e.file_trainee))
        elif ex is None:
            results.append(Result(e.trainee, e.exercise, "not gradable",
                                  f"exercise {e.exercise!r} is not in set {exercise_set.id!r}", e.source,
                                  _stamp(e), e.submission.mode, position=e.position, answer=e.submission.answer,
                                  file_trainee=e.file_trainee))
        else:
            groups.setdefault((e.trainee, e.exercise), []).append(e)
    # 1. place every submission in time; pick the one or two to grade per trainee and exercise
    plans = []
    for key in sorted(groups, key=lambda k: groups[k][0].position):
        timed, dropped = place(groups[key], schedule, flags)
        plans.append((timed, candidates(timed, schedule.rule), dropped))
    # 2. grade the candidates, each distinct answer once
    todo = [t.entry for _, chosen, _ in plans for t in chosen]
    todo.sort(key=lambda x: x.position)
    grades = _grade_entries(by_id, todo, rules_version, progress, pool)
    raws = {id(g): sum(p.points for p in g.parts) for g in {id(g): g for g in grades.values()}.values()}
    if progress and len(entries) > len(todo):
        progress(len(entries) - len(todo))
    # 3. decide, and record every submission with its reason
    for timed, chosen, dropped in plans:
        def score(t, by_id=by_id):
            g = grades[id(t.entry)]
            if g.status != "graded":
                return None
            raw = raws[id(g)]
            return raw - schedule.penalty(raw, by_id[t.entry.exercise].max_points, t.days)

        win, why, losers = decide(timed, chosen, schedule.rule, score, flags)
        for e, reason in [*dropped, *losers]:
            results.append(Result(e.trainee, e.exercise, "superseded", reason, e.source, _stamp(e),
                                  e.submission.mode, by_id[e.exercise].max_points, position=e.position,
                                  answer=e.submission.answer, file_trainee=e.file_trainee, akey=e.akey))
        e, ex = win.entry, by_id[win.entry.exercise]
        shared = grades[id(e)]
        g = dataclasses.replace(shared, trainee=e.trainee)  # parts and feedback are shared, never changed
        r = Result(e.trainee, e.exercise, g.status, g.reason, e.source, _stamp(e), e.submission.mode,
                   ex.max_points, g, position=e.position, answer=e.submission.answer,
                   due=win.due.isoformat() if win.due else "", why=why, file_trainee=e.file_trainee, akey=e.akey,
                   raw=raws[id(shared)])
        if win.days:
            r.set_penalty(win.days, schedule.penalty(r.raw, ex.max_points, win.days) if r.status == "graded" else 0)
        results.append(r)
    _complete(exercise_set, results, people)
    results.sort(key=Result.sort_key)
    return results


def _text_stamp(stamp: Any) -> str:
    return stamp if isinstance(stamp, str) else ""


def _grade_entries(by_id: dict[str, Exercise], todo: list[Entry], rules_version: str,
                   progress: Progress | None, pool: Workers | None) -> dict[int, Grade]:
    """id(entry) -> its grade; each distinct (exercise, answer) is graded once."""
    for e in todo:
        e.akey = e.akey or answer_key(e.submission.answer)  # type: ignore[union-attr]
    keys = [(e.exercise, e.akey) for e in todo]
    first: dict[tuple[str, str], tuple[str, Submission, str]] = {}
    for k, e in zip(keys, todo, strict=True):
        if k not in first:
            first[k] = (e.exercise, e.submission, rules_version)  # type: ignore[assignment]
    uses = Counter(keys)
    cache: dict[tuple[str, str], Grade] = {}
    jobs = list(first.items())
    if pool is not None and len(jobs) >= PARALLEL_MIN_GRADES:
        key_chunks = _chunks([k for k, _ in jobs], pool.size)
        for kc, (_, done) in zip(key_chunks, pool.map(_grade_chunk, [[first[k] for k in kc] for kc in key_chunks]),
                                 strict=True):
            cache.update(zip(kc, done, strict=True))
            if progress:
                progress(sum(uses[k] for k in kc))
    else:
        for k, (ex_id, sub, rv) in jobs:
            cache[k] = _grade_one(by_id[ex_id], sub, rv)
            if progress:
                progress(uses[k])
    return {id(e): cache[k] for k, e in zip(keys, todo, strict=True)}


def _complete(exercise_set: ExerciseSet, results: list[Result], people: Sequence[str] | None = None) -> None:
    """Mark the record each gradebook cell uses, and add 'missing' ones for exercises not handed in."""
    known = {ex.id: ex for ex in exercise_set.exercises}
    everyone = set(people) if people is not None else {r.trainee for r in results if r.trainee}
    best: dict[tuple[str, str], Result] = {}
    for r in results:
        if r.trainee not in everyone or r.exercise not in known or r.status == "superseded":
            continue
        cur = best.get((r.trainee, r.exercise))
        # a graded record beats a 'not gradable' one; among these, the earlier file position
        if cur is None or (STATUS_ORDER[r.status], r.position) < (STATUS_ORDER[cur.status], cur.position):
            best[(r.trainee, r.exercise)] = r
    for r in best.values():
        r.counted = True
    for t in sorted(everyone):
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


__all__ = ["Entry", "Result", "Workers", "answer_key", "default_jobs", "entries_from_data", "grade_all", "grade_paths",
           "identify", "prepare_set", "read_sources", "read_submissions", "submission_files", "trainees"]
