"""Bad input becomes one readable line naming the file and the field, never a traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not imported at run time: `pumpbill rules` and friends start without pydantic
    from pydantic import ValidationError


class InputError(Exception):
    """A file that cannot be used: which file, which field, what is wrong (exit status 2)."""

    def __init__(self, path: str, field: str | None, problem: str):
        problem = " ".join(str(problem).split())  # always one line
        if field is not None:  # a field name from the file itself may hold line breaks or control characters
            field = "".join(c if c.isprintable() else "?" for c in str(field))
        self.path, self.field, self.problem = path, field, problem
        where = f"{path}: {field}: " if field else f"{path}: "
        super().__init__(where + problem)


def field_path(loc: tuple) -> str:
    """('encounter', 'refill', 'lines', 0, 'code') -> 'encounter.refill.lines[0].code'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "constrained-")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _clean(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    return msg


def from_validation(path: str, exc: ValidationError, prefix: tuple = ()) -> InputError:
    """Describe the first problem (and count the rest) in one line."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = prefix + tuple(first["loc"])
    problem = _clean(first["msg"])
    if first["type"] == "extra_forbidden":
        problem = "unknown field (check the spelling; see the scenario reference)"
    elif first["type"] == "missing":
        problem = "required field is missing"
    if len(errors) > 1:
        problem += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return InputError(path, field_path(loc), problem)
