"""Read scenario files (YAML or JSON) safely: size-capped, text-only, no YAML aliases, no code.

Only regular files are read (a FIFO would block, /dev/zero would never end), and never more than the cap
plus one byte, whatever ``st_size`` says (0 for /proc files and devices).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import InputError, from_validation
from .models import Scenario

MAX_BYTES = 1_000_000


class _DatesAsText:
    """A date YAML cannot build (2026-02-30, ``!!timestamp not-a-date``) stays text, so that the model's
    date check names the field instead of the parser failing on the whole file."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except (ValueError, TypeError, AttributeError, OverflowError):
            return self.construct_scalar(node)  # type: ignore[attr-defined]


class _SafeNoAliasLoader(_DatesAsText, yaml.SafeLoader):
    """SafeLoader without anchors/aliases: no 'billion laughs' from a hand-in file."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(f"YAML aliases are not allowed (line {event.start_mark.line + 1})")
        return super().compose_node(parent, index)


_SafeNoAliasLoader.add_constructor("tag:yaml.org,2002:timestamp", _SafeNoAliasLoader.construct_yaml_timestamp)
_FastLoader: type | None = None

if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(_DatesAsText, yaml.CSafeLoader):  # type: ignore[no-redef, name-defined, misc]
        """libyaml's parser, four to five times faster (a 16,000-line claim: 0.3 s instead of 1.2 s), same rules.
        libyaml shares an aliased node, so a node built a second time is an alias: refused before it is
        expanded. Anything it refuses goes to the pure-Python loader, which words the error."""

        def construct_object(self, node, deep=False):  # type: ignore[override]
            if node in self.constructed_objects:
                raise yaml.YAMLError("YAML aliases are not allowed")
            return super().construct_object(node, deep)

    _FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _FastLoader.construct_yaml_timestamp)


def _not_a_file(mode: int) -> str | None:
    """Why a path of this kind cannot be read as a file, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file"
    return "is not a regular file"


def read_text(path: str | Path, *, max_bytes: int = MAX_BYTES) -> str:
    """The file's text, or an InputError for missing, huge, special or binary files."""
    name = str(path)
    try:
        st = os.stat(path)
        why = _not_a_file(st.st_mode)  # checked before opening: opening a FIFO blocks
        if why:
            raise InputError(name, None, why)
        if st.st_size > max_bytes:
            raise InputError(name, None, f"file is too large ({st.st_size:,} bytes; the limit is {max_bytes:,})")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as f:
            why = _not_a_file(os.fstat(f.fileno()).st_mode)  # it may have been replaced since the stat
            if why:
                raise InputError(name, None, why)
            raw = f.read(max_bytes + 1)  # st_size is 0 for /proc files: never trust it alone
    except FileNotFoundError:
        raise InputError(name, None, "no such file") from None
    except PermissionError:
        raise InputError(name, None, "permission denied") from None
    except OSError as exc:
        raise InputError(name, None, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise InputError(name, None, f"file is too large (more than the limit of {max_bytes:,} bytes)")
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
    if _FastLoader is not None:
        try:
            return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a CSafeLoader subclass
        except Exception:  # noqa: BLE001, S110 - the pure-Python loader below decides and words the error
            pass
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
