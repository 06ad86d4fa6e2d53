"""``pumpbill validate SET...``: every problem in an exercise set, before a trainee sees it.

``validate_set(path) -> list[Problem]`` reads ``set.yaml`` and every exercise file (``.yaml`` and ``.yml``),
keeps going after a bad file, and reports every problem it finds, not only the first:

* the format: every field error pydantic finds (a misspelt field is named as such, with the field it
  probably meant), ``id`` against the file name, duplicate ids, unknown rules and payer profiles;
* the codes: claim codes pumpbill knows, modifiers, ICD-10-CM diagnoses (``pumpbill.icd``: unknown, or a
  header that is not billable) in the key, and diagnoses of the scenario that the code set does not have;
* the book: each ``references.book`` page must exist as ``book/<path>.md`` (when the book folder is there);
* the engine: the key must equal what the engine derives (``derive_key``), unless the exercise says why in
  ``key_note``; the key (for complete_documentation, the model answer) must earn full points; and a scenario
  that draws findings by itself (e.g. PB604 on a choose-the-claim note) is reported, since every trainee,
  even one with a perfect answer, would see them in the feedback;
* an assignment set: rule codes or key codes in the text that ships to trainees (title, ask, narrative);
* the clinical note (the authored ``note``, or the one written from the scenario): never a rule code, nor a
  code, modifier, unit count or diagnosis code of the key or of the engine's answer (``note_problems``).

Severity: ``error`` (the set must not be graded: ``pumpbill grade`` refuses it), ``warning`` (probably a
mistake; ``--strict`` makes it count) and ``note`` (information, e.g. a documented key difference).
An unusable SET (no folder, no ``set.yaml``) raises ``InputError`` (exit status 2).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from ..errors import InputError, field_path
from ..loader import parse_data, read_text
from .models import Answer, Exercise, ExerciseSet
from .store import EXERCISE_SUFFIXES, SET_FILE, exercise_files

Severity = Literal["error", "warning", "note"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "note")
#: The book next to the package in a checkout (absent from an installed package: book references unchecked).
REPO_BOOK = Path(__file__).resolve().parents[2] / "book"
_ICD_TEXT = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_RULE_CODE = re.compile(r"\bPB[0-9]{3}\b", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """One problem: which file, which field (dotted path, or ``(file)``/``(top level)``), what is wrong."""

    file: str
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.file}: {self.field}: {tag}{self.message}"


def known_modifiers() -> frozenset[str]:
    """The modifiers pumpbill's reference names (FACTS: NCCI-associated, JZ/JW, 26/TC, the ABN modifiers, 52/53,
    the facility's 73/74 and the repeat-procedure 76/77)."""
    from ..facts import (
        ABN_MODIFIERS,
        DISCONTINUED_MODIFIER,
        FACILITY_DISCONTINUED_MODIFIERS,
        NCCI_ASSOCIATED_MODIFIERS,
        REDUCED_MODIFIER,
        REPEAT_MODIFIERS,
    )

    return (NCCI_ASSOCIATED_MODIFIERS | frozenset({"JZ", "JW", "26", "TC", REDUCED_MODIFIER, DISCONTINUED_MODIFIER})
            | frozenset(ABN_MODIFIERS) | FACILITY_DISCONTINUED_MODIFIERS | REPEAT_MODIFIERS)


# --- pydantic errors, all of them, in words ----------------------------------------------------------


def _is_tag(part: Any) -> bool:
    """A union-member or validator tag pydantic puts in a location ('Diagnosis', 'function-after[...]')."""
    return isinstance(part, str) and (part[:1].isupper() or "[" in part or part.startswith(("function-",
                                                                                             "constrained-")))


def _model_of(tp: Any) -> list[Any]:
    """The candidate types behind Optional/Union/Annotated/list/dict, one level down."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(tp) for t in _model_of(a)]
    return [tp]


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names of the model at ``loc`` (a location without its last part), for suggestions."""
    current: list[Any] = [model]
    for part in loc:
        if _is_tag(part):
            named = [t for t in current if getattr(t, "__name__", None) == part]
            current = named or current
            continue
        nxt: list[Any] = []
        for tp in current:
            for t in _model_of(tp):
                origin = typing.get_origin(t)
                if isinstance(part, int) and origin in (list, tuple):
                    nxt += _model_of(typing.get_args(t)[0])
                elif isinstance(t, type) and issubclass(t, BaseModel) and part in t.model_fields:
                    nxt += _model_of(t.model_fields[part].annotation)
                elif origin is dict:
                    nxt += _model_of(typing.get_args(t)[1])
        current = nxt
        if not current:
            return []
    names: list[str] = []
    for tp in current:
        for t in _model_of(tp):
            if isinstance(t, type) and issubclass(t, BaseModel):
                names += [n for n in t.model_fields if n not in names]
    return names


def _clean(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    return msg


def validation_problems(file: str, exc: ValidationError, model: type[BaseModel], prefix: tuple = ()) -> list[Problem]:
    """Every error of a pydantic validation, one Problem each; a misspelt field says what it probably meant,
    and the required field it was meant for says it was probably misspelt."""
    errors = exc.errors(include_url=False)
    # One error per place: for a union (a diagnosis is a code or a {code, certainty} mapping), pydantic reports
    # each member; keep the members' value errors and drop "should be a valid dictionary" beside them.
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for err in errors:
        base = tuple(p for p in err["loc"] if not _is_tag(p))
        groups.setdefault(base, []).append(err)
    unknown: dict[tuple, list[str]] = {}
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = tuple(err["loc"])
            unknown.setdefault(loc[:-1], []).append(str(loc[-1]))
    out: list[Problem] = []
    # unknown fields first: a misspelt name explains the "required field is missing" that comes with it
    for errs in sorted(groups.values(), key=lambda es: es[0]["type"] != "extra_forbidden"):
        if len(errs) > 1:
            kept = [e for e in errs if not e["type"].endswith("_type")]
            errs = kept or errs[:1]
        for err in errs:
            loc = tuple(err["loc"])
            msg = _clean(err["msg"])
            if err["type"] == "extra_forbidden":
                name = str(loc[-1])
                known = [n for n in _fields_at(model, loc[:-1]) if n != "exercises"]
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
                msg = f"unknown field (did you mean {close[0]}?)" if close else (
                    "unknown field" + (f" (allowed here: {', '.join(known)})" if known else ""))
            elif err["type"] == "missing":
                name = str(loc[-1])
                typos = difflib.get_close_matches(name, unknown.get(loc[:-1], []), n=1, cutoff=0.75)
                msg = "required field is missing" + (f" (misspelt as {typos[0]}?)" if typos else "")
            out.append(Problem(file, field_path(prefix + loc), msg))
    return out


# --- checks on the file as written (they need no valid model) ----------------------------------------


def _get(data: Any, *path: Any) -> Any:
    for part in path:
        if isinstance(part, int):
            if not isinstance(data, list) or part >= len(data):
                return None
            data = data[part]
        else:
            if not isinstance(data, dict):
                return None
            data = data.get(part)
    return data


def _items(data: Any, *path: Any) -> Iterable[tuple[int, Any]]:
    value = _get(data, *path)
    return enumerate(value) if isinstance(value, list) else ()


def _icd_problem(code: str) -> tuple[Severity, str] | None:
    """Why a diagnosis code cannot stand in a key: not written like one, unknown, or a non-billable header."""
    from ..icd import code_set

    text = code.strip().upper()
    if not _ICD_TEXT.match(text):
        return "error", f"{code!r} is not written like an ICD-10-CM code (e.g. 'Z45.1', 'G80.1')"
    codes = code_set()
    status = codes.status(text)
    if status == "unknown":
        return "error", f"{text} is not in the ICD-10-CM code set ({codes.label})"
    if status == "header":
        under = codes.billable_under(text)
        more = f", e.g. {', '.join(under)}" if under else ""
        return "error", f"{text} is a category header, not a billable code: it needs more characters{more}"
    return None


def _raw_checks(file: str, path: Path, data: dict[str, Any], book_dir: Path | None) -> list[Problem]:
    from ..icd import code_set
    from ..models import KNOWN_CODES

    out: list[Problem] = []
    ident = data.get("id")
    if isinstance(ident, str) and ident.strip() and ident.strip() != path.stem:
        out.append(Problem(file, "id", f"{ident.strip()!r} differs from the file name {path.stem!r}: name the file "
                           "after the id (submissions are matched by id, and the set is found by file)"))
    mods = known_modifiers()
    for i, line in _items(data, "key", "lines"):
        code = _get(line, "code")
        if code is not None and str(code).strip().upper() not in KNOWN_CODES:
            out.append(Problem(file, f"key.lines[{i}].code", f"unknown code {str(code).strip()!r}: not a CPT/HCPCS "
                               "code pumpbill knows (pump services, drugs, E/M, implant, imaging, refill kit)"))
        for j, mod in _items(line, "modifiers"):
            if str(mod).strip().upper() not in mods:
                out.append(Problem(file, f"key.lines[{i}].modifiers[{j}]", f"unknown modifier {str(mod).strip()!r}: "
                                   "not one pumpbill knows (e.g. JZ, JW, 25, 59, XU, GA)"))
    for i, dx in _items(data, "key", "diagnoses"):
        bad = _icd_problem(str(dx))
        if bad:
            out.append(Problem(file, f"key.diagnoses[{i}]", bad[1], bad[0]))
    codes = code_set()
    scenario_dx = [(f"scenario.encounter.diagnoses[{i}]", _get(d, "code") if isinstance(d, dict) else d)
                   for i, d in _items(data, "scenario", "encounter", "diagnoses")]
    scenario_dx += [(f"scenario.encounter.em_visit.diagnoses[{i}]", d)
                    for i, d in _items(data, "scenario", "encounter", "em_visit", "diagnoses")]
    for i, line in _items(data, "scenario", "claim", "lines"):
        scenario_dx += [(f"scenario.claim.lines[{i}].diagnoses[{j}]", d) for j, d in _items(line, "diagnoses")]
    for where, dx in scenario_dx:
        text = str(dx or "").strip().upper()
        if _ICD_TEXT.match(text) and codes.status(text) == "unknown":
            out.append(Problem(file, where, f"{text} is not in the ICD-10-CM code set ({codes.label}); if that is "
                               "the point of the exercise, say so in the narrative", "warning"))
    for i, page in _items(data, "references", "book"):
        out += _book_problem(file, f"references.book[{i}]", page, book_dir)
    return out


def _book_problem(file: str, where: str, page: Any, book_dir: Path | None) -> list[Problem]:
    text = str(page).strip()
    if not text.startswith("book/"):
        return [Problem(file, where, f"{text!r}: a book page is written from the book folder, e.g. "
                        "book/choosing/family")]
    if book_dir is None or not book_dir.is_dir():
        return []
    stem = re.sub(r"\.(md|html|ipynb)$", "", text)
    source = book_dir.parent / stem
    if any(source.with_name(source.name + suffix).is_file() for suffix in (".md", ".ipynb")):
        return []
    folder = source.parent
    near = []
    if folder.is_dir():
        pages = [f"{stem.rsplit('/', 1)[0]}/{p.stem}" for p in folder.iterdir() if p.suffix in (".md", ".ipynb")]
        near = difflib.get_close_matches(stem, pages, n=1, cutoff=0.8)
    hint = f" (did you mean {near[0]}?)" if near else ""
    return [Problem(file, where, f"no page {stem} in the book{hint}")]


# --- checks with the engine --------------------------------------------------------------------------


def fmt_lines(answer: Answer) -> str:
    return "; ".join(f"{ln.code}{'-' + '-'.join(ln.modifiers) if ln.modifiers else ''} x {ln.units}"
                     for ln in answer.lines or []) or "(no lines)"


def key_differences(ex: Exercise, key: Answer, engine: Answer) -> list[tuple[str, str]]:
    """(field, message) for each graded part where the stored key and the engine's answer differ."""
    parts = set(ex.rubric.points)
    out: list[tuple[str, str]] = []
    if ex.kind == "choose_claim":
        if parts & {"codes", "modifiers", "units"} and \
                [ln.key() for ln in key.lines or []] != [ln.key() for ln in engine.lines or []]:
            out.append(("key.lines", f"the key bills {fmt_lines(key)}; the engine bills {fmt_lines(engine)}"))
        if "diagnoses" in parts and list(key.diagnoses or []) != list(engine.diagnoses or []):
            out.append(("key.diagnoses", f"the key lists {', '.join(key.diagnoses or []) or '(none)'}; the engine "
                        f"lists {', '.join(engine.diagnoses or []) or '(none)'} (in pointer order)"))
    elif ex.kind in ("find_gaps", "review_claim"):
        mine, theirs = set(key.rules or []), set(engine.rules or [])
        if mine != theirs:
            bits = []
            if mine - theirs:
                bits.append(f"the engine does not report {', '.join(sorted(mine - theirs))}")
            if theirs - mine:
                bits.append(f"the engine also reports {', '.join(sorted(theirs - mine))}")
            out.append(("key.rules", f"the key names {', '.join(sorted(mine)) or '(none)'}; " + "; ".join(bits)
                        + " (pumpbill check on the scenario shows the findings)"))
    return out


def _engine_checks(file: str, ex: Exercise, set_mode: str) -> list[Problem]:
    from ..grading.grade import derive_key, grade
    from ..rules import REGISTRY
    from .models import Submission

    out: list[Problem] = []
    try:
        engine = derive_key(ex)
    except Exception as exc:  # noqa: BLE001 - a scenario the engine cannot check is a problem of this file
        return [Problem(file, "scenario", f"the engine cannot check this scenario ({type(exc).__name__}: "
                        f"{' '.join(str(exc).split())[:200]})")]
    if ex.key is not None:
        diffs = key_differences(ex, ex.key, engine)
        for where, msg in diffs:
            if ex.key_note:
                out.append(Problem(file, where, f"{msg}; kept as written (key_note: {ex.key_note.strip()})", "note"))
            else:
                out.append(Problem(file, where, f"{msg}. Trainees who answer what the site's checker says would "
                                   "lose these points: correct the key, or say why in key_note"))
    elif ex.key_note:
        out.append(Problem(file, "key_note", "there is no key: the engine's answer is the key, so key_note has "
                           "nothing to explain", "warning"))
    key = ex.key or engine
    model = Answer(documentation=key.documentation) if ex.kind == "complete_documentation" else key
    if ex.kind == "complete_documentation" and not key.documentation:
        out.append(Problem(file, "key.documentation", "a complete_documentation exercise needs a model answer "
                           "(the fields the trainee should record), to check that it earns full points"))
        return out
    try:
        g = grade(ex, Submission(trainee="key", exercise=ex.id, answer=model))
    except Exception as exc:  # noqa: BLE001
        return out + [Problem(file, "key", f"grading the key failed ({type(exc).__name__}: {exc})")]
    if g.status != "graded":
        out.append(Problem(file, "key", f"the key is not gradable: {g.reason}"))
    elif not g.all_correct:
        lost = ", ".join(f"{p.part} {p.points:g}/{p.max_points:g} ({p.detail})" for p in g.parts
                         if abs(p.points - p.max_points) > 1e-9)
        what = "the model answer" if ex.kind == "complete_documentation" else "the key"
        out.append(Problem(file, "key", f"{what} does not earn full points: {lost}"))
    # What every trainee sees, even with the right answer (the engine's, for a claim): findings on the note itself.
    right = g
    if ex.kind == "choose_claim" and ex.key is not None and key_differences(ex, ex.key, engine):
        try:
            right = grade(ex.model_copy(update={"key": None}), Submission(trainee="key", exercise=ex.id,
                                                                         answer=engine))
        except Exception:  # noqa: BLE001 - reported above as far as it matters
            right = g
    if ex.kind in ("choose_claim", "complete_documentation") and right.status == "graded":
        shown = sorted({f.rule for f in right.feedback if f.rule and f.rule in REGISTRY})
        if shown:
            them = "it" if len(shown) == 1 else "them"
            out.append(Problem(file, "scenario", f"the scenario itself draws {', '.join(shown)}: trainees will see "
                               f"{them} in their feedback even with the right answer ("
                               + "; ".join(f"{r} {REGISTRY[r].name}, {REGISTRY[r].severity}" for r in shown)
                               + "); change the note unless that is the point", "warning"))
    if set_mode == "assignment":
        shipped = {"title": ex.title, "ask": ex.ask, "narrative": ex.narrative}
        secret = set(key.rules or []) | {ln.code for ln in key.lines or []}
        for field, text in shipped.items():
            named = sorted({m.upper() for m in _RULE_CODE.findall(text)} |
                           {c for c in secret if re.search(rf"\b{re.escape(c)}\b", text)})
            if named:
                out.append(Problem(file, field, f"names {', '.join(named)}; in an assignment this text ships to "
                                   "trainees, and a rule or key code in it gives the answer away", "warning"))
    return out


# --- the clinical note: the trainee codes from words ---------------------------------------------------

_ICD_IN_TEXT = re.compile(r"\b[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?\b")
_UNITS_IN_TEXT = re.compile(r"\b(?:[0-9]+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:billing\s+)?"
                            r"units?\b", re.IGNORECASE)


def answer_terms(ex: Exercise) -> dict[str, set[str]]:
    """What would give the answer away in the note: the codes, modifiers and diagnoses of the key and of the
    engine's answer (the recommended claim, its diagnoses and the rules the scenario draws)."""
    from ..engine import check
    from ..grading.grade import derive_key

    answers = [a for a in (ex.key, derive_key(ex)) if a is not None]
    codes = {ln.code.upper() for a in answers for ln in a.lines or []}
    mods = {m.upper() for a in answers for ln in a.lines or [] for m in ln.modifiers}
    dx = {d.upper() for a in answers for d in a.diagnoses or []}
    rules = {r.upper() for a in answers for r in a.rules or []}
    enc = ex.scenario.encounter
    dx |= {d.code for d in enc.diagnoses} | set(enc.em_visit.diagnoses if enc.em_visit else [])
    result = check(ex.scenario.model_copy(update={"claim": None}), payer=ex.payer)
    codes |= {ln.code for ln in result.recommended}
    mods |= {m for ln in result.recommended for m in ln.modifiers}
    dx |= set(result.diagnoses)
    return {"codes": codes, "modifiers": mods, "diagnoses": dx, "rules": rules}


def note_leaks(text: str, terms: dict[str, set[str]]) -> list[str]:
    """The answer-giving strings in a note: any rule code, a key/engine code, modifier or diagnosis code, or a
    unit count. Letter modifiers count as whole upper-case words; a digit modifier (25, 59) only next to the
    word "modifier" or after a hyphen, since "25 mcg/mL" is a concentration, not a modifier."""
    from ..models import KNOWN_CODES

    found = {m.upper() for m in _RULE_CODE.findall(text)}
    for code in terms["codes"] | KNOWN_CODES:
        if re.search(rf"\b{re.escape(code)}\b", text, re.IGNORECASE):
            found.add(code)
    for mod in terms["modifiers"] | known_modifiers():
        pattern = (rf"(?:\bmodifiers?\s+|-){mod}\b|\b{mod}\s+modifier" if mod.isdigit() else
                   rf"(?<![A-Za-z0-9-]){mod}(?![A-Za-z0-9-])")
        if re.search(pattern, text if not mod.isdigit() else text.lower()):
            found.add(f"modifier {mod}")
    for token in _ICD_IN_TEXT.findall(text.upper()):
        if token in terms["diagnoses"] or ("." in token and _icd_problem(token) is None):
            found.add(token)
    found |= {m.group(0) for m in _UNITS_IN_TEXT.finditer(text)}
    return sorted(found)


def note_problems(file: str, ex: Exercise) -> list[Problem]:
    """An error when the note (authored or generated) names what the trainee must find."""
    from .note import chart_note_text

    field = "note" if ex.note else "note (written from the scenario)"
    try:
        text = chart_note_text(ex)
    except Exception as exc:  # noqa: BLE001 - a scenario the note writer cannot read is a problem of this file
        return [Problem(file, field, f"cannot write the clinical note ({type(exc).__name__}: {exc})")]
    try:
        terms = answer_terms(ex)
    except Exception:  # noqa: BLE001 - the engine's own failure is reported by the engine checks
        terms = {"codes": set(), "modifiers": set(), "diagnoses": set(), "rules": set()}
    leaks = note_leaks(text, terms)
    if not leaks:
        return []
    where = "write it in words" if ex.note else "the scenario's free text (reasons, alarms, documentation) holds it"
    return [Problem(file, field, f"names {', '.join(leaks)}: the note must not give the answer ({where})")]


# --- files and sets ----------------------------------------------------------------------------------


def validate_exercise_file(path: str | Path, *, set_mode: str = "practice",
                           book_dir: Path | None = REPO_BOOK) -> tuple[list[Problem], Exercise | None]:
    """Every problem of one exercise file, and the exercise when it loads."""
    path = Path(path)
    file = str(path)
    try:
        data = parse_data(file, read_text(path))
    except InputError as exc:
        return [Problem(file, exc.field or "(file)", exc.problem)], None
    if not isinstance(data, dict):
        return [Problem(file, "(top level)", "expected a mapping (an exercise: id, title, kind, ...)")], None
    out = _raw_checks(file, path, data, book_dir)
    try:
        ex = Exercise.model_validate(data)
    except ValidationError as exc:
        found = validation_problems(file, exc, Exercise)
        # Problems only in the words around the case (level, hints, references...) do not stop the engine's
        # checks: they run on a copy with those fields set aside, so one run reports the key's problems too.
        stand_in = _without_wording(data, exc)
        if stand_in is not None:
            out += _engine_checks(file, stand_in, set_mode)
        return found + out, None
    except (RecursionError, ValueError, TypeError) as exc:
        return [Problem(file, "(top level)", f"cannot read the exercise: {exc}")] + out, None
    return out + _engine_checks(file, ex, set_mode) + note_problems(file, ex), ex


#: Top-level fields the engine does not read, with a stand-in that validates.
_WORDING = {"title": "-", "level": "easy", "objectives": ["-"], "narrative": "-", "ask": "-", "hints": [],
            "references": {}, "note": None}


def _without_wording(data: dict[str, Any], exc: ValidationError) -> Exercise | None:
    """The exercise with its invalid wording fields replaced, when only those (and unknown top-level fields)
    were wrong; None otherwise."""
    patched = dict(data)
    for err in exc.errors(include_url=False):
        top = err["loc"][0] if err["loc"] else None
        if err["type"] == "extra_forbidden" and len(err["loc"]) == 1:
            patched.pop(str(top), None)
        elif top in _WORDING:
            patched[top] = _WORDING[str(top)]
        else:
            return None
    try:
        return Exercise.model_validate(patched)
    except (ValidationError, ValueError, TypeError, RecursionError):
        return None


def _set_meta(root: Path) -> tuple[list[Problem], dict[str, Any]]:
    meta_path = root / SET_FILE
    file = str(meta_path)
    try:
        meta = parse_data(file, read_text(meta_path))
    except InputError as exc:
        return [Problem(file, exc.field or "(file)", exc.problem)], {}
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return [Problem(file, "(top level)", "expected a mapping with id and title")], {}
    if "exercises" in meta:
        return [Problem(file, "exercises", "list no exercises here: each is a file of its own in the set folder")], {}
    out: list[Problem] = []
    if meta.get("late") and not meta.get("due"):
        out.append(Problem(file, "late", "a late policy needs a due date (due: with its time zone)"))
    try:
        # renamed: checked against the exercises once they are read (validate_set_with_exercises)
        ExerciseSet.model_validate({**meta, "renamed": {}, "exercises": []})
    except ValidationError as exc:
        return validation_problems(file, exc, ExerciseSet) + out, meta
    return out, meta


def _renamed_problems(root: Path, meta: dict[str, Any], exercises: list[Exercise]) -> list[Problem]:
    """The set's former ids against the exercises that loaded (each must name one; none may be reused)."""
    if not meta.get("renamed"):
        return []
    try:
        ExerciseSet.model_validate({**meta, "exercises": exercises})
    except ValidationError as exc:
        return validation_problems(str(root / SET_FILE), exc, ExerciseSet)
    return []


def set_folder(path: str | Path) -> Path:
    """The set folder, or InputError (exit status 2) when it cannot be a set."""
    root = Path(path)
    if not root.is_dir():
        raise InputError(str(path), None, "no such folder" if not root.exists() else
                         "not an exercise set folder (a folder with set.yaml)")
    if not (root / SET_FILE).is_file():
        alt = [p.name for p in (root / "set.yml", root / "set.json") if p.is_file()]
        hint = f"; rename {alt[0]} to {SET_FILE}" if alt else ""
        raise InputError(str(path), None, f"not an exercise set (no {SET_FILE}){hint}")
    return root


def validate_set_with_exercises(path: str | Path, *, book_dir: Path | None = REPO_BOOK
                                ) -> tuple[list[Problem], list[Exercise], dict[str, Any]]:
    """validate_set, also returning the exercises that loaded and the set's metadata."""
    root = set_folder(path)
    problems, meta = _set_meta(root)
    mode = meta.get("mode") if meta.get("mode") in ("practice", "assignment") else "practice"
    try:
        files = exercise_files(root)
        others = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")
                        and p.suffix.lower() not in EXERCISE_SUFFIXES and p.name != SET_FILE)
    except OSError as exc:
        raise InputError(str(path), None, f"cannot list the folder: {exc.strerror or exc}") from None
    for p in others:
        problems.append(Problem(str(p), "(file)", f"not read: only {' and '.join(EXERCISE_SUFFIXES)} files in a "
                                "set folder are exercises", "note"))
    exercises: list[Exercise] = []
    seen: dict[str, str] = {}
    for p in files:
        found, ex = validate_exercise_file(p, set_mode=mode, book_dir=book_dir)
        problems += found
        if ex is None:
            continue
        if ex.id in seen:
            problems.append(Problem(str(p), "id", f"duplicate exercise id {ex.id!r} (also in {seen[ex.id]})"))
            continue
        seen[ex.id] = str(p)
        exercises.append(ex)
    if not files:
        problems.append(Problem(str(root), "(folder)", "the set has no exercise files (*.yaml, *.yml)"))
    if not any(p.severity == "error" for p in problems):  # a broken exercise file would read as a missing target
        problems += _renamed_problems(root, meta, exercises)
    return problems, exercises, meta


def validate_set(path: str | Path, *, book_dir: Path | None = REPO_BOOK) -> list[Problem]:
    """Every problem in the set at ``path`` (see the module docstring); [] when it is clean.
    Raises InputError when ``path`` is not a set folder at all."""
    return validate_set_with_exercises(path, book_dir=book_dir)[0]


def errors(problems: Iterable[Problem], *, strict: bool = False) -> list[Problem]:
    """The problems that make a set unusable (with strict=True, warnings too)."""
    bad = ("error", "warning") if strict else ("error",)
    return [p for p in problems if p.severity in bad]


def summary(problems: list[Problem], n_sets: int, n_files: int) -> str:
    counts = {s: sum(p.severity == s for p in problems) for s in SEVERITIES}
    if not any(counts.values()):
        return f"{n_sets} set(s), {n_files} exercise file(s): no problems"
    parts = [f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n]
    return f"{n_sets} set(s), {n_files} exercise file(s): {', '.join(parts)}"


__all__ = ["Problem", "REPO_BOOK", "errors", "fmt_lines", "key_differences", "known_modifiers", "note_leaks",
           "note_problems", "set_folder",
           "summary", "validate_exercise_file", "validate_set", "validate_set_with_exercises",
           "validation_problems"]
