"""The exercise sets are held to the engine: a key and the engine that disagree fail the build.

For every exercise in ``exercises/*/``:

* the stored key equals ``derive_key`` on the graded fields (choose_claim: the lines as
  (code, sorted modifiers, units) in order, and the diagnoses in order; find_gaps and review_claim:
  the rules as sets);
* submitting the key (for complete_documentation, the model answer ``key.documentation``) gets full
  points and ``all_correct``; an empty or wrong answer gets less;
* references name rules that exist and book pages that the book has;
* ``Exercise.public()`` ships no key.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from pumpbill.engine import check
from pumpbill.exercises import Answer, Exercise, ExerciseSet, Submission, load_exercise, load_set
from pumpbill.exercises.models import PART_NAMES
from pumpbill.grading import derive_key, grade
from pumpbill.grading.formulas import COMPATIBLE
from pumpbill.grading.grade import DOC_FIELDS, _merge
from pumpbill.models import Scenario
from pumpbill.rules import REGISTRY

ROOT = Path(__file__).resolve().parent.parent / "exercises"
SET_DIRS = sorted(p.parent for p in ROOT.glob("*/set.yaml"))
EXERCISE_FILES = sorted(p for d in SET_DIRS for p in d.glob("*.yaml") if p.name != "set.yaml")
KINDS = ("choose_claim", "complete_documentation", "find_gaps", "review_claim")
LEVELS = ("easy", "medium", "hard")
#: The book's pages an exercise may point to.
#: Chapters an exercise may reference: every page of the table of contents (not the generated rule pages).
BOOK_PAGES = frozenset(
    c["file"] for part in yaml.safe_load((ROOT.parent / "_toc.yml").read_text(encoding="utf-8"))["parts"]
    for c in part["chapters"])
LINE_PARTS = {"codes", "modifiers", "units"}


@cache
def _exercise(path: Path) -> Exercise:
    return load_exercise(path)


@cache
def _sets() -> tuple[ExerciseSet, ...]:
    return tuple(load_set(d) for d in SET_DIRS)


def _all() -> list[Exercise]:
    return [ex for s in _sets() for ex in s.exercises]


def _ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.stem}" for p in paths]


def _lines(answer: Answer) -> list[tuple[str, tuple[str, ...], int]]:
    return [ln.key() for ln in answer.lines or []]


def _submit(ex: Exercise, answer: Answer | dict[str, Any]):
    answer = answer if isinstance(answer, Answer) else Answer.model_validate(answer)
    return grade(ex, Submission(trainee="test-trainee", exercise=ex.id, answer=answer))


def _key_answer(ex: Exercise) -> Answer:
    """What a trainee who knows the answer submits."""
    assert ex.key is not None
    if ex.kind == "complete_documentation":
        return Answer(documentation=ex.key.documentation)
    return ex.key


def _wrong_answers(ex: Exercise) -> list[dict[str, Any]]:
    """An empty answer and a plainly wrong one, shaped for the exercise's kind."""
    key = ex.key
    assert key is not None
    if ex.kind == "choose_claim":
        if not key.lines:  # "bill nothing" is the answer: the empty claim is right, a line is wrong
            return [{"lines": [{"code": "95990", "modifiers": [], "units": 1}], "diagnoses": ["Z45.42"]}]
        return [{"lines": [], "diagnoses": []},
                {"lines": [{"code": "62367", "modifiers": ["59"], "units": 2}], "diagnoses": ["Z45.42"]}]
    if ex.kind in ("find_gaps", "review_claim"):
        bogus = sorted(set(REGISTRY) - set(key.rules or []))[:2]
        return [{"rules": []}, {"rules": bogus}]
    return [{"documentation": {}}]


# --- the collection as a whole ---------------------------------------------------------------------


def test_every_set_loads():
    assert len(SET_DIRS) >= 3, f"expected at least 3 exercise sets under {ROOT}, found {len(SET_DIRS)}"
    for s in _sets():
        assert s.exercises, f"set {s.id} has no exercises"
        assert s.title.strip()


def test_at_least_40_exercises_in_3_sets():
    sets = _sets()
    assert sum(len(s.exercises) for s in sets) >= 40
    assert len([s for s in sets if s.exercises]) >= 3


def test_set_ids_and_exercise_ids_are_unique():
    set_ids = [s.id for s in _sets()]
    assert len(set_ids) == len(set(set_ids))
    ids = Counter(ex.id for ex in _all())
    assert not [i for i, n in ids.items() if n > 1], "duplicate exercise ids across sets"


def test_every_file_is_in_a_loaded_set():
    assert len(EXERCISE_FILES) == len(_all())


def test_every_kind_appears_several_times_and_every_level_is_present():
    kinds = Counter(ex.kind for ex in _all())
    levels = Counter(ex.level for ex in _all())
    for kind in KINDS:
        assert kinds[kind] >= 3, f"kind {kind} appears {kinds[kind]} time(s)"
    for level in LEVELS:
        assert levels[level] >= 3, f"level {level} appears {levels[level]} time(s)"


def test_each_set_spans_more_than_one_level():
    for s in _sets():
        assert len({ex.level for ex in s.exercises}) >= 2, f"set {s.id} has a single level"


# --- each exercise ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=_ids(EXERCISE_FILES))
def test_format(path: Path):
    ex = _exercise(path)
    assert path.stem == ex.id, "the file is named after the exercise id"
    assert 1 <= len(ex.objectives) <= 3
    assert 1 <= len(ex.hints) <= 3
    assert ex.narrative.strip() and ex.ask.strip() and ex.title.strip()
    assert ex.key is not None, "every exercise in the repository carries its key"
    for part, name in ex.rubric.formulas.items():
        assert part in PART_NAMES
        assert name in COMPATIBLE[part], f"formula {name!r} cannot grade part {part!r}"


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=_ids(EXERCISE_FILES))
def test_references_exist(path: Path):
    ex = _exercise(path)
    assert ex.references.book or ex.references.rules, "an exercise points to the book or the rules"
    for code in ex.references.rules:
        assert code in REGISTRY, f"{code} is not a rule"
    for page in ex.references.book:
        assert page in BOOK_PAGES, f"{page} is not a page of the book"


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=_ids(EXERCISE_FILES))
def test_key_agrees_with_the_engine(path: Path):
    ex = _exercise(path)
    key, engine = ex.key, derive_key(ex)
    assert key is not None
    parts = set(ex.rubric.points)
    if ex.kind == "choose_claim":
        if parts & LINE_PARTS:
            assert _lines(key) == _lines(engine), f"{ex.id}: key lines differ from the engine's"
        if "diagnoses" in parts:
            assert list(key.diagnoses or []) == list(engine.diagnoses or []), \
                f"{ex.id}: key diagnoses differ from the engine's"
    elif ex.kind in ("find_gaps", "review_claim"):
        assert key.rules, f"{ex.id}: a {ex.kind} key names at least one rule"
        assert set(key.rules) == set(engine.rules or []), f"{ex.id}: key rules differ from the engine's"
    else:
        assert key.documentation, f"{ex.id}: a complete_documentation key gives the model answer"


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=_ids(EXERCISE_FILES))
def test_the_key_gets_full_points(path: Path):
    ex = _exercise(path)
    g = _submit(ex, _key_answer(ex))
    assert g.status == "graded", g.reason
    assert g.all_correct, g.summary()
    assert g.points == pytest.approx(ex.max_points)
    assert {p.part for p in g.parts} == set(ex.rubric.points)


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=_ids(EXERCISE_FILES))
def test_empty_or_wrong_answers_get_less(path: Path):
    ex = _exercise(path)
    for answer in _wrong_answers(ex):
        g = _submit(ex, answer)
        assert g.status == "graded", g.reason
        assert not g.all_correct
        assert g.points < ex.max_points, f"{answer} scored {g.points}/{ex.max_points}"


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=_ids(EXERCISE_FILES))
def test_public_view_has_no_key(path: Path):
    ex = _exercise(path)
    public = ex.public()
    assert "key" not in public
    assert public["id"] == ex.id and public["scenario"]


# --- complete_documentation: the note has gaps, the model answer closes them -----------------------

DOC_FILES = [p for p in EXERCISE_FILES if _exercise(p).kind == "complete_documentation"]


@pytest.mark.parametrize("path", DOC_FILES, ids=_ids(DOC_FILES))
def test_documentation_model_answer_closes_every_gap(path: Path):
    ex = _exercise(path)
    before = check(ex.scenario, payer=ex.payer)
    assert any(f.rule.startswith("PB5") for f in before.findings), "the note has a documentation gap to fill"
    doc = ex.key.documentation  # type: ignore[union-attr]
    for field, value in doc.items():
        assert field in DOC_FIELDS, f"{field} cannot be recorded by a trainee"
        allowed = DOC_FIELDS[field]
        if allowed is not None:
            assert set(value) <= allowed, f"{field}: {sorted(set(value) - allowed)} cannot be recorded"
    data = ex.scenario.model_dump(mode="json", exclude_none=True)
    data["encounter"] = _merge(data["encounter"], doc)
    after = check(Scenario.model_validate(data), payer=ex.payer)
    assert not [f.rule for f in after.findings if f.rule.startswith("PB5")]
    assert not [f.rule for f in after.findings if f.severity == "error"]
    assert not [f.rule for f in after.findings if f.rule in ("PB604", "PB602", "PB603")], \
        "the model answer's next refill date respects the alarm and the drug's limit"


def test_the_beyond_set_covers_every_kind_with_at_least_20_exercises():
    """Issue 10: at least 20 exercises beyond the routine refill, every kind represented, each topic's chapter
    referenced by at least three of them."""
    beyond = load_set(ROOT / "beyond")
    assert len(beyond.exercises) >= 20
    assert {ex.kind for ex in beyond.exercises} == {"choose_claim", "complete_documentation", "find_gaps",
                                                     "review_claim"}
    chapters = Counter(page for ex in beyond.exercises for page in set(ex.references.book if ex.references else []))
    for page in ("book/coverage/medical-necessity", "book/coverage/payers", "book/drugs/compounded",
                 "book/payment/facility", "book/diagnosis/complications", "book/modifiers/incomplete-sessions",
                 "book/procedures/surrounding"):
        assert chapters[page] >= 3, (page, chapters[page])
