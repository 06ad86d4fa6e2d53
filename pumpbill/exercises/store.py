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


def load_set(folder: str | Path) -> ExerciseSet:
    """A set is a folder with ``set.yaml`` (id, title, description) and one YAML file per exercise."""
    root = Path(folder)
    meta_path = root / "set.yaml"
    if not meta_path.is_file():
        raise InputError(str(root), None, "not an exercise set (no set.yaml)")
    meta = parse_data(str(meta_path), read_text(meta_path)) or {}
    if not isinstance(meta, dict):
        raise InputError(str(meta_path), None, "expected a mapping with id and title")
    exercises = [load_exercise(p) for p in sorted(root.glob("*.yaml")) if p.name != "set.yaml"]
    ids = [e.id for e in exercises]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(str(root), "id", f"duplicate exercise id(s): {', '.join(dupes)}")
    try:
        return ExerciseSet.model_validate({**meta, "exercises": exercises})
    except ValidationError as exc:
        raise from_validation(str(meta_path), exc) from None


__all__ = ["load_exercise", "load_set", "yaml"]
