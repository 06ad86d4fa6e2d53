"""JSON Schemas for editors: instructors validate their files as they type."""

from __future__ import annotations

from typing import Any


def schema_for(kind: str) -> dict[str, Any]:
    if kind == "scenario":
        from .models import Scenario

        return Scenario.model_json_schema()
    from .exercises.models import Exercise, Submission  # the exercise package is optional at import time

    return (Exercise if kind == "exercise" else Submission).model_json_schema()
