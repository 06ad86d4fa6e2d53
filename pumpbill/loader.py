"""Read scenario files (YAML or JSON) safely: size-capped, text-only, no YAML aliases, no code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import InputError, from_validation
from .models import Scenario

MAX_BYTES = 1_000_000


class _SafeNoAliasLoader(yaml.SafeLoader):
    """SafeLoader without anchors/aliases: no 'billion laughs' from a hand-in file."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(f"YAML aliases are not allowed (line {event.start_mark.line + 1})")
        return super().compose_node(parent, index)


def read_text(path: str | Path, *, max_bytes: int = MAX_BYTES) -> str:
    """The file's text, or an InputError for missing, huge or binary files."""
    p = Path(path)
    name = str(path)
    try:
        if p.is_dir():
            raise InputError(name, None, "is a directory, not a file")
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(name, None, f"file is too large ({size:,} bytes; the limit is {max_bytes:,})")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(name, None, "no such file") from None
    except PermissionError:
        raise InputError(name, None, "permission denied") from None
    except OSError as exc:
        raise InputError(name, None, f"cannot read: {exc.strerror or exc}") from None
    return decode(name, raw)


def decode(name: str, raw: bytes) -> str:
    if b"\x00" in raw:
        raise InputError(name, None, "binary file (contains NUL bytes); expected YAML or JSON text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, None, f"not UTF-8 text (bad byte at offset {exc.start})") from None


def parse_data(name: str, text: str) -> Any:
    """YAML (a superset of JSON) or JSON, by file name; errors name the line."""
    if name.lower().endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(name, None, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        except RecursionError:
            raise InputError(name, None, "invalid JSON: nested too deeply") from None
    try:
        return yaml.load(text, Loader=_SafeNoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise InputError(name, None, f"invalid YAML{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(name, None, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise InputError(name, None, "invalid YAML: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date such as 2026-13-01
        raise InputError(name, None, f"invalid YAML value: {exc}") from None


def scenario_from_data(name: str, data: Any, prefix: tuple = ()) -> Scenario:
    if not isinstance(data, dict):
        where = ".".join(map(str, prefix)) or None
        raise InputError(name, where, f"expected a mapping with an 'encounter', got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise from_validation(name, exc, prefix) from None
    except RecursionError:
        raise InputError(name, None, "nested too deeply") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file; raises InputError with file and field."""
    name = str(path)
    return scenario_from_data(name, parse_data(name, read_text(path)))


def loads_scenario(text: str, name: str = "<scenario>") -> Scenario:
    """Validate scenario text (from a widget or a test)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise InputError(name, None, "text is too large")
    return scenario_from_data(name, parse_data(name, text))
