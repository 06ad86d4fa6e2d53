"""The exercises the book offers, without their keys.

The site never ships an answer key: practice feedback is computed in the reader's browser by the
engine itself (``grade`` derives the key from the scenario), and assignments show no feedback at all.
At build time ``python -m pumpbill.bookgen`` writes ``pumpbill/data/exercises-public.json`` (keys
stripped) so the browser's wheel carries the exercises; in a checkout they are read from ``exercises/``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .models import Exercise

PUBLIC_JSON = "data/exercises-public.json"
REPO_EXERCISES = Path(__file__).resolve().parents[2] / "exercises"


def public_payload(root: Path = REPO_EXERCISES) -> dict[str, Any]:
    """{set id: {title, description, order, mode, due, exercises: [public exercise dicts]}} from the exercise
    folders. An assignment set ships as a pack would (no hints, objectives or references); the practice page
    leaves it out."""
    from .store import load_set

    sets = [load_set(p) for p in sorted(root.iterdir()) if (p / "set.yaml").is_file()]
    return {s.id: {"title": s.title, "description": s.description, "order": s.order, "mode": s.mode,
                   "due": s.due.isoformat() if s.due else None,
                   "exercises": [e.public(s.mode) for e in s.exercises]}
            for s in sorted(sets, key=lambda s: (s.order, s.id))}


@lru_cache(maxsize=1)
def public_sets() -> dict[str, Any]:
    """From the exercise folders in a checkout (always current); from the packaged JSON elsewhere."""
    if REPO_EXERCISES.is_dir():
        return public_payload()
    node = resources.files("pumpbill").joinpath(PUBLIC_JSON)
    if node.is_file():
        return json.loads(node.read_text("utf-8"))
    return {}


def public_exercise(exercise_id: str) -> Exercise:
    """An exercise without its key (the engine grades practice answers)."""
    from .pack import PackExercise

    for s in public_sets().values():
        for e in s["exercises"]:
            if e["id"] == exercise_id:
                return PackExercise.model_validate(e)
    raise KeyError(f"no exercise {exercise_id!r}")


def write_public_json(target: Path | None = None, root: Path = REPO_EXERCISES) -> Path:
    target = target or Path(str(resources.files("pumpbill").joinpath(PUBLIC_JSON)))
    text = json.dumps(public_payload(root), indent=1) + "\n"
    if not target.exists() or target.read_text("utf-8") != text:
        target.write_text(text, "utf-8")
    return target
