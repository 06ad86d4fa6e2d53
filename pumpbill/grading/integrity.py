"""Answers that look copied, flagged for a person to look at (never a penalty by themselves).

Why these two signals and not "identical answers": in a coding exercise most right answers are
identical, and so are the most common wrong ones (the seed article's myths). What stands out is:

* the same **free text** (a reason, a note: strings in a documentation answer) written by several
  trainees, when the text is not in the exercise itself; short texts (fewer than 12 characters after
  spacing and case are evened out) are too common to mean anything;
* two trainees sharing the same **uncommon wrong answers** on two exercises or more, when chance would
  explain it less than once in 20 classes: each shared answer counts by how few others gave it (for a
  given trainee, the chance that another one gave the same answer is (n - 1) / (class - 1)), and the
  product of those chances must stay below 0.05 / the number of pairs in the class. A wrong answer
  given by more than one trainee in ten (and more than two) is a common mistake and does not count.
  In a class of 30 or of 500, three wrong answers that only the two of them gave are enough (or more
  answers that a few others gave too).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from ..exercises.models import ExerciseSet
from .batch import Result, answer_key
from .review import Flag

MIN_TEXT = 12
RARE_SHARE = 0.1  # a wrong answer given by more than 1 in 10 of the class is a common mistake, not a sign
ALPHA = 0.05  # flag a pair when chance would explain it less than once in 20 classes


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _strings(data: Any) -> Iterable[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for v in data.values():
            yield from _strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _strings(v)


def _exercise_texts(ex: Any) -> set[str]:
    """Texts the exercise itself holds: copying them from the note is not copying from a classmate."""
    dumped = ex.model_dump(mode="json")
    return {_norm(s) for s in _strings(dumped)}


def _quote(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= 60 else text[:59] + "…"


def copied_answers(exercise_set: ExerciseSet, results: Sequence[Result]) -> list[Flag]:
    counted = [r for r in results if r.counted and r.status == "graded" and r.answer is not None]
    flags: list[Flag] = []
    by_id = {ex.id: ex for ex in exercise_set.exercises}
    # 1. identical free text
    texts: dict[tuple[str, str], set[str]] = defaultdict(set)
    own: dict[str, set[str]] = {}
    for r in counted:
        doc = r.answer.documentation  # type: ignore[union-attr]
        if not doc:
            continue
        if r.exercise not in own:
            own[r.exercise] = _exercise_texts(by_id[r.exercise])
        for s in _strings(doc):
            n = _norm(s)
            if len(n) >= MIN_TEXT and n not in own[r.exercise]:
                texts[(r.exercise, n)].add(r.trainee)
    for (ex_id, text), people in sorted(texts.items()):
        if len(people) > 1:
            who = sorted(people)
            flags.append(Flag("identical-free-text", who[0], ex_id, "",
                              f"{len(who)} trainees wrote \"{_quote(text)}\": {', '.join(who)}"))
    # 2. the same uncommon wrong answers, weighed by how uncommon they are
    class_size = len({r.trainee for r in counted})
    pairs = class_size * (class_size - 1) / 2
    if class_size < 3:
        return flags
    wrong: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in counted:
        if r.raw < r.max_points - 1e-9:
            wrong[r.exercise][r.akey or answer_key(r.answer)].append(r.trainee)  # type: ignore[arg-type]
    score: dict[tuple[str, str], float] = defaultdict(float)
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for ex in exercise_set.exercises:
        for people in wrong[ex.id].values():
            if len(people) < 2 or len(people) > max(2, RARE_SHARE * class_size):
                continue  # a common mistake says nothing about copying
            chance = (len(people) - 1) / (class_size - 1)  # that another given trainee gave this same answer
            for a, b in itertools.combinations(sorted(people), 2):
                score[(a, b)] += math.log(chance)
                shared[(a, b)].append(ex.id)
    limit = math.log(ALPHA / pairs)
    for (a, b), exs in sorted(shared.items()):
        if len(exs) >= 2 and score[(a, b)] < limit:
            flags.append(Flag("identical-wrong-answers", a, "", "", f"{a} and {b} gave the same uncommon wrong "
                              f"answer on {len(exs)} exercise(s): {', '.join(exs)} (by chance: about 1 in "
                              f"{math.exp(-score[(a, b)]):.3g})"))
    return flags


__all__ = ["copied_answers"]
