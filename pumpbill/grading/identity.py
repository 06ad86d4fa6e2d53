"""Who handed a file in: the LMS says, the file only confirms.

Why: the trainee id inside a file is typed by the trainee, so any file can claim to be anyone (security
review G6, instructor review problem 2). With a Canvas "Download submissions" archive the file name
carries the Canvas user id of the person who uploaded it, and a Canvas gradebook export (the roster)
links that id to the student. The id inside the file is then only checked, and a mismatch is flagged.

Canvas names each file in the archive (``lib/content_zipper.rb``, ``get_filename`` and
``add_upload_submission``)::

    <sortable name, lower case, word characters only>[_LATE]_<user id>_<attachment id>_<original name>
    [LATE_]anon_<anonymous id>_<attachment id>_<original name>        (anonymous grading)

Ids are compared exactly: ``t07``, ``T07`` and ``t-07`` are three different ids (never merged, never
colliding in a file name); ids that differ only in case or punctuation are flagged for review.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import InputError
from ..loader import read_text
from .review import Flag

ROSTER_MAX_BYTES = 20_000_000
DEFAULT_ID = "trainee"  # what the assignment widget writes until the trainee changes it

_CANVAS = re.compile(r"^(?:(?P<name>\w*?)_)?(?:(?P<late>LATE)_)?(?P<user>\d+)_(?P<att>\d+)_(?P<orig>.+)$", re.S)
_ANON = re.compile(r"^(?:(?P<late>LATE)_)?anon_(?P<user>[A-Za-z0-9]+)_(?P<att>\d+)_(?P<orig>.+)$", re.S)


@dataclass(frozen=True)
class LmsName:
    """What a Canvas archive file name says about its uploader."""

    user: str  # Canvas user id, or "anon_<id>"
    late: bool
    attachment: int
    original: str  # the file name the trainee uploaded

    @property
    def anonymous(self) -> bool:
        return self.user.startswith("anon_")


def lms_name(file_name: str) -> LmsName | None:
    """Parse a Canvas "Download submissions" file name (the base name); None when it is not one."""
    m = _ANON.match(file_name)
    if m:
        return LmsName("anon_" + m["user"], bool(m["late"]), int(m["att"]), m["orig"])
    m = _CANVAS.match(file_name)
    if m:
        return LmsName(m["user"], bool(m["late"]), int(m["att"]), m["orig"])
    return None


_COPY = re.compile(r"(?: \(\d+\)|-\d+)$")  # "x (1).yaml" (browser), "x-1.yaml" (Canvas re-upload)


def widget_name(file_name: str, exercise_ids: Iterable[str]) -> tuple[str, str] | None:
    """(trainee, exercise) from the assignment widget's ``submission-<trainee>-<exercise>.yaml``."""
    stem = file_name
    for _ in range(2):  # .yaml, and a .txt a mail client added
        stem = re.sub(r"\.(ya?ml|json|txt)$", "", stem, flags=re.I)
    if not stem.startswith("submission-"):
        return None
    body = stem[len("submission-"):]
    ordered = sorted(exercise_ids, key=len, reverse=True)
    for candidate in (body, _COPY.sub("", body)):
        for ex in ordered:
            if candidate.endswith("-" + ex) and len(candidate) > len(ex) + 1:
                return candidate[: -len(ex) - 1], ex
    return None


def folded(ident: str) -> str:
    """Case and punctuation removed: only to *flag* look-alike ids, never to merge them."""
    return re.sub(r"[\W_]+", "", ident.casefold())


# ------------------------------------------------------------------------------------------ roster


@dataclass(frozen=True)
class Student:
    key: str  # the id every output uses: SIS User ID, else SIS Login ID, else Canvas ID
    name: str
    canvas_id: str
    sis_user_id: str
    sis_login_id: str
    section: str

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i for i in (self.sis_user_id, self.sis_login_id, self.canvas_id) if i))


@dataclass
class Roster:
    students: list[Student]
    source: str = ""
    skipped: tuple[str, ...] = ()  # rows left out (the test student), for the terminal
    points_possible: dict[str, str] = field(default_factory=dict)  # assignment column -> its Points Possible

    def __post_init__(self) -> None:
        self.by_canvas = {s.canvas_id: s for s in self.students if s.canvas_id}
        self.by_id: dict[str, Student] = {}
        for s in self.students:
            for i in s.ids:
                self.by_id.setdefault(i, s)
        self.by_key = {s.key: s for s in self.students}

    def near(self, ident: str) -> Student | None:
        """A student whose id differs only in case or punctuation (for a hint, never a match)."""
        f = folded(ident)
        hits = {s.key: s for s in self.students for i in s.ids if folded(i) == f}
        return next(iter(hits.values())) if len(hits) == 1 else None


def _sniff(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_roster(path: str) -> Roster:
    """A Canvas gradebook export: Student (or LastName, FirstName), ID, [SIS User ID], [SIS Login ID],
    [Integration ID], [Root Account], Section, then assignment columns (ignored). The "Points Possible"
    row, a "Muted"/"Manual Posting" row and Canvas's test student are left out."""
    text = read_text(path, max_bytes=ROSTER_MAX_BYTES)
    first = text.split("\n", 1)[0]
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(first)))
    except csv.Error as exc:  # e.g. a carriage return inside an unquoted field
        raise InputError(path, None, f"not a readable CSV roster ({exc})") from None
    if not rows:
        raise InputError(path, None, "empty roster; expected a Canvas gradebook export")
    head = [h.strip() for h in rows[0]]

    def col(name: str) -> int | None:
        return head.index(name) if name in head else None

    i_id = col("ID")
    i_student, i_last, i_first = col("Student"), col("LastName"), col("FirstName")
    if i_id is None or (i_student is None and (i_last is None or i_first is None)):
        raise InputError(path, None, "not a Canvas gradebook export: the header needs Student (or LastName, "
                         "FirstName) and ID, then SIS User ID, SIS Login ID and Section")
    i_sis, i_login, i_section = col("SIS User ID"), col("SIS Login ID"), col("Section")
    students: list[Student] = []
    skipped = []
    possible: dict[str, str] = {}
    seen_canvas: dict[str, int] = {}
    seen_key: dict[str, int] = {}
    for n, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row]
        get = (lambda i, cells=cells: cells[i] if i is not None and i < len(cells) else "")  # noqa: E731
        if cells and "Points Possible" in cells[0]:
            possible = {h: c for h, c in zip(head, cells, strict=False) if h and c}
            continue
        if not any(cells):
            continue
        if all(re.fullmatch(r"(Muted|Manual Posting.*)?", c, re.I) for c in cells):
            continue
        name = get(i_student) if i_student is not None else f"{get(i_last)}, {get(i_first)}".strip(", ")
        if name in ("Student, Test", "Test Student"):
            skipped.append(f"row {n}: Canvas's test student")
            continue
        canvas_id, sis, login = get(i_id), get(i_sis), get(i_login)
        if canvas_id and not canvas_id.isdigit():
            raise InputError(f"{path}: row {n}", "ID", f"{canvas_id!r} is not a Canvas user id (digits)")
        key = sis or login or canvas_id
        if not key:
            raise InputError(f"{path}: row {n}", None, "no ID, SIS User ID or SIS Login ID")
        if canvas_id in seen_canvas:
            raise InputError(f"{path}: row {n}", "ID", f"Canvas user {canvas_id} is also on row "
                             f"{seen_canvas[canvas_id]}")
        if key in seen_key:
            raise InputError(f"{path}: row {n}", None, f"id {key!r} is also on row {seen_key[key]}")
        if canvas_id:
            seen_canvas[canvas_id] = n
        seen_key[key] = n
        students.append(Student(key, name, canvas_id, sis, login, get(i_section)))
    if not students:
        raise InputError(path, None, "the roster lists no students")
    return Roster(students, path, tuple(skipped), possible)


# ------------------------------------------------------------------------------------------ resolving


@dataclass
class Claim:
    """One entry's identity evidence, filled in by the reader."""

    source: str
    file_trainee: str  # from the file's content ("" when unreadable)
    exercise: str
    lms: LmsName | None
    name_hint: tuple[str, str] | None  # (trainee, exercise) from the widget's file name


@dataclass
class Decision:
    trainee: str  # the key every output uses ("" when nobody can be told)
    exercise: str  # possibly filled in from the file name
    problem: str = ""  # not gradable because of identity (not on the roster)
    aliases: tuple[str, ...] = ()  # every id this person is known by (for extensions)


def resolve(claims: Sequence[Claim], roster: Roster | None) -> tuple[list[Decision], list[Flag]]:
    """Decide who each entry belongs to, and flag what a person should check."""
    decisions: list[Decision] = []
    flags: list[Flag] = []
    by_user_ids: dict[str, set[str]] = defaultdict(set)
    by_file_id_users: dict[str, set[str]] = defaultdict(set)
    for c in claims:
        d = _decide(c, roster, flags)
        decisions.append(d)
        if c.lms and c.file_trainee:
            by_user_ids[c.lms.user].add(c.file_trainee)
            by_file_id_users[c.file_trainee].add(d.trainee or c.lms.user)
        if c.file_trainee == DEFAULT_ID:
            flags.append(Flag("default-id", d.trainee, c.exercise, c.source,
                              "the file says trainee 'trainee' (the widget's default id)"))
    for user, ids in sorted(by_user_ids.items()):
        if len(ids) > 1:
            flags.append(Flag("several-ids", _key_of(user, roster), "", "",
                              f"LMS user {user} handed in files saying {', '.join(sorted(ids))}"))
    for fid, users in sorted(by_file_id_users.items()):
        if len(users) > 1 and fid != DEFAULT_ID:
            flags.append(Flag("shared-file-id", "", "", "", f"trainee id {fid!r} is inside files handed in by "
                              f"{', '.join(sorted(users))}"))
    if roster is None:  # ids are the file's own: look-alikes may be one person typing two ways
        groups: dict[str, set[str]] = defaultdict(set)
        for d in decisions:
            if d.trainee:
                groups[folded(d.trainee)].add(d.trainee)
        for ids in sorted(sorted(g) for g in groups.values() if len(g) > 1):
            flags.append(Flag("similar-ids", ids[0], "", "", "ids that differ only in case or punctuation, graded "
                              f"as different trainees: {', '.join(ids)}"))
    return decisions, flags


def _key_of(user: str, roster: Roster | None) -> str:
    if roster is not None and user in roster.by_canvas:
        return roster.by_canvas[user].key
    return user


def _decide(c: Claim, roster: Roster | None, flags: list[Flag]) -> Decision:
    exercise = c.exercise or (c.name_hint[1] if c.name_hint and not c.file_trainee else "")
    if c.lms is not None:
        if c.lms.anonymous:
            if roster is not None:
                flags.append(Flag("anonymous", c.lms.user, exercise, c.source, "the archive comes from an "
                                  "assignment with anonymous grading; turn it off to match hand-ins to the roster"))
                return Decision(c.lms.user, exercise, "anonymous archive name: cannot be matched to the roster")
            return Decision(c.lms.user, exercise, aliases=(c.lms.user,))
        if roster is None:
            student_ids: tuple[str, ...] = (c.lms.user,)
            key = c.lms.user
        else:
            s = roster.by_canvas.get(c.lms.user)
            if s is None:
                flags.append(Flag("not-on-roster", c.lms.user, exercise, c.source,
                                  f"Canvas user {c.lms.user} is not on the roster {roster.source}"))
                return Decision(c.lms.user, exercise, f"Canvas user {c.lms.user} is not on the roster")
            key, student_ids = s.key, s.ids
        if c.file_trainee and c.file_trainee not in student_ids and roster is not None:
            how = ("differs only in case or punctuation from" if any(folded(c.file_trainee) == folded(i)
                                                                     for i in student_ids) else "is not")
            flags.append(Flag("id-mismatch", key, exercise, c.source, f"the file says trainee {c.file_trainee!r}, "
                              f"which {how} the LMS identity ({', '.join(student_ids)}); graded as {key}"))
        return Decision(key, exercise, aliases=student_ids)
    claimed = c.file_trainee or (c.name_hint[0] if c.name_hint else "")
    if roster is None or not claimed:
        return Decision(claimed, exercise, aliases=(claimed,) if claimed else ())
    s = roster.by_id.get(claimed)
    if s is None:
        near = roster.near(claimed)
        hint = f" (the roster has {near.key!r}, which differs only in case or punctuation)" if near else ""
        flags.append(Flag("not-on-roster", claimed, exercise, c.source, f"trainee {claimed!r} is not on the roster"
                          f"{hint}"))
        return Decision(claimed, exercise, f"trainee {claimed!r} is not on the roster{hint}")
    return Decision(s.key, exercise, aliases=s.ids)


__all__ = ["Claim", "DEFAULT_ID", "Decision", "LmsName", "Roster", "Student", "folded", "lms_name",
           "read_roster", "resolve", "widget_name"]
