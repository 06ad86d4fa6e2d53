"""Read exercises and sets from disk (YAML/JSON), with the same one-line errors as scenarios."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from ..errors import InputError, from_validation
from ..loader import parse_data, read_text
from .models import Exercise, ExerciseSet


def load_exercise(path: str | Path) -> Exercise:
    name = str(path)
    data = parse_data(name, read_text(path))
    if not isinstance(data, dict):
        raise InputError(name, None, "expected a mapping (an exercise)")
    try:
        return Exercise.model_validate(data)
    except ValidationError as exc:
        raise from_validation(name, exc) from None


#: Exercise files in a set folder: YAML under either suffix (an exercise saved as ``.yml`` is not skipped).
EXERCISE_SUFFIXES = (".yaml", ".yml")
SET_FILE = "set.yaml"


def exercise_files(root: Path) -> list[Path]:
    """The exercise files of a set folder, in name order: every ``*.yaml``/``*.yml`` but ``set.yaml``, hidden
    files (editor back-ups, ``.#x.yaml``) left out."""
    return sorted(p for p in root.iterdir()
                  if p.suffix.lower() in EXERCISE_SUFFIXES and p.name != SET_FILE and not p.name.startswith(".")
                  and p.is_file())


def load_set(folder: str | Path) -> ExerciseSet:
    """A set is a folder with ``set.yaml`` (id, title, description, mode, due) and one YAML file per exercise
    (``.yaml`` or ``.yml``). Stops at the first problem; ``pumpbill.exercises.validate`` reports them all."""
    root = Path(folder)
    meta_path = root / SET_FILE
    if not meta_path.is_file():
        raise InputError(str(root), None, "not an exercise set (no set.yaml)")
    meta = parse_data(str(meta_path), read_text(meta_path)) or {}
    if not isinstance(meta, dict):
        raise InputError(str(meta_path), None, "expected a mapping with id and title")
    exercises = [load_exercise(p) for p in exercise_files(root)]
    ids = [e.id for e in exercises]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(str(root), "id", f"duplicate exercise id(s): {', '.join(dupes)}")
    try:
        return ExerciseSet.model_validate({**meta, "exercises": exercises})
    except ValidationError as exc:
        raise from_validation(str(meta_path), exc) from None


__all__ = ["EXERCISE_SUFFIXES", "SET_FILE", "exercise_files", "load_exercise", "load_set", "yaml"]
