"""Load a set for grading, and refuse it when ``pumpbill validate`` finds an error in it.

Why here: a key that disagrees with the engine, an unknown payer or a misspelt id used to surface as
every trainee's wrong grade or "internal error" (instructor review, problems 3 and 10). Grading a set
that does not validate is refused with exit 2 before anything is read or written. ``set.yaml`` also
carries the course settings that grading reads: ``due:`` and ``late:`` (see :mod:`.deadlines`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from ..exercises.models import ExerciseSet
from ..exercises.store import load_set
from ..loader import parse_data, read_text


def set_meta(folder: str | Path) -> dict[str, Any]:
    """set.yaml as written (the schedule is read from it as the instructor wrote it)."""
    path = Path(folder) / "set.yaml"
    if not path.is_file():
        raise InputError(str(folder), None, "not an exercise set (no set.yaml)")
    meta = parse_data(str(path), read_text(path)) or {}
    if not isinstance(meta, dict):
        raise InputError(str(path), None, "expected a mapping with id and title")
    return meta


def load_for_grading(folder: str | Path) -> tuple[ExerciseSet, dict[str, Any]]:
    """(the set, set.yaml as a mapping); InputError (exit 2) when the set does not validate."""
    refuse_if_invalid(folder)
    return load_set(folder), set_meta(folder)


def refuse_if_invalid(folder: str | Path) -> bool:
    """InputError (exit 2) when ``pumpbill validate`` finds an error in the set (warnings and notes do not
    stop grading); False when the validator is not installed (the check is then skipped)."""
    try:
        from ..exercises.validate import validate_set
    except ImportError:  # pragma: no cover - the authoring side ships it
        return False
    problems = [p for p in validate_set(Path(folder)) if getattr(p, "severity", "error") == "error"]
    if problems:
        first = problems[0]
        where = ": ".join(str(x) for x in (getattr(first, "file", ""), getattr(first, "field", "")) if x)
        raise InputError(str(folder), None, f"the set does not validate ({len(problems)} error(s); first: "
                         f"{where}: {getattr(first, 'message', first)}); run `pumpbill validate {folder}`")
    return True


__all__ = ["load_for_grading", "refuse_if_invalid", "set_meta"]
