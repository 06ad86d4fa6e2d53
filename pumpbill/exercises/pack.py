"""Course packs: an instructor's set as ONE JSON file the static site can open, without any answer key.

``pumpbill pack SET --out course.json`` validates the set (``pumpbill.exercises.validate``; a set with errors
is refused) and writes::

    {"format": "pumpbill-course-pack", "version": 1, "rules_version": "...",
     "set": {"id", "title", "description", "mode": "assignment" | "practice", "due": ISO date-time | null},
     "exercises": [each exercise's public part]}

What an exercise's public part leaves out: always ``key`` and ``key_note``; in an assignment also ``hints``,
``objectives`` and ``references``, which often name the answer (a hint that does the arithmetic, an objective
that says "choose 95990", the rules a review exercise practises). What stays is what the trainee must read
to answer (story, question, scenario, rubric points, payer). The engine can still work an answer out from
the scenario, as a trainee can on the site's checker: assignments hide feedback, not the engine.

The site's assignment page opens a pack from a link (``assignment.html?pack=packs/wk1.json``: an address
on the same site, relative to the page; anything else is refused) or from a file the trainee picks. The
practice page refuses an assignment pack. This module has no pandas and runs in Pyodide.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import RULES_VERSION
from .models import ANSWER_FIELDS, Exercise, ExerciseSet, Ident, SetMode

FORMAT = "pumpbill-course-pack"
VERSION = 1
#: A pack is read whole in the browser: a generous cap (a 40-exercise set is about 100 KB).
MAX_PACK_BYTES = 5_000_000
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class PackError(ValueError):
    """A pack that cannot be used: the message is written for the trainee or the instructor."""


class PackExercise(Exercise):
    """An exercise as a pack carries it: no key, and no learning fields required (assignments drop them)."""

    key: None = None  # type: ignore[assignment]
    key_note: None = None  # type: ignore[assignment]
    objectives: list[str] = Field(default_factory=list)  # type: ignore[assignment]


class PackSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: Ident
    title: str
    description: str = ""
    mode: SetMode
    due: datetime | None = None


class CoursePack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["pumpbill-course-pack"]
    version: Literal[1]
    rules_version: str
    set: PackSet
    exercises: list[PackExercise] = Field(min_length=1, max_length=500)

    def payload(self) -> dict[str, Any]:
        """The set as the exercise picker lists it (the shape of ``catalog.public_sets()`` values)."""
        return {"title": self.set.title, "description": self.set.description, "order": 0, "mode": self.set.mode,
                "due": self.set.due.isoformat() if self.set.due else None,
                "exercises": [e.model_dump(mode="json", exclude=set(ANSWER_FIELDS)) for e in self.exercises]}


# --- making a pack ------------------------------------------------------------------------------------


def _find_answer_fields(data: Any, where: str = "") -> list[str]:
    """Every place in ``data`` holding a key or a key note (a pack must have none)."""
    found: list[str] = []
    if isinstance(data, dict):
        for k, v in data.items():
            here = f"{where}.{k}" if where else str(k)
            if k in ANSWER_FIELDS and v is not None:
                found.append(here)
            found += _find_answer_fields(v, here)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += _find_answer_fields(v, f"{where}[{i}]")
    return found


def make_pack(exercise_set: ExerciseSet, mode: SetMode | None = None) -> dict[str, Any]:
    """The pack of a loaded set (``mode`` overrides the set's own). Never contains a key."""
    mode = mode or exercise_set.mode
    pack = {"format": FORMAT, "version": VERSION, "rules_version": RULES_VERSION,
            "set": {"id": exercise_set.id, "title": exercise_set.title, "description": exercise_set.description,
                    "mode": mode, "due": exercise_set.due.isoformat() if exercise_set.due else None},
            "exercises": [ex.public(mode) for ex in exercise_set.exercises]}
    leaks = _find_answer_fields(pack)
    if leaks:  # public() drops them; this guards the guarantee itself
        raise RuntimeError(f"refusing to write a pack with answer fields: {', '.join(leaks)}")
    CoursePack.model_validate(pack)  # what the browser will read must load
    return pack


def pack_text(pack: dict[str, Any]) -> str:
    return json.dumps(pack, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def write_pack(pack: dict[str, Any], out: str | Path) -> Path:
    """Write atomically (a reader never sees half a pack)."""
    out = Path(out)
    text = pack_text(pack)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


# --- reading a pack (in the browser, or from a file) ------------------------------------------------


def load_pack(data: str | bytes | dict[str, Any], name: str = "the course pack") -> CoursePack:
    """A pack from its JSON text (or the parsed object); PackError with one readable message otherwise."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if len(raw) > MAX_PACK_BYTES:
            raise PackError(f"{name} is too large ({len(raw):,} bytes; a course pack is at most {MAX_PACK_BYTES:,})")
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PackError(f"{name} is not a course pack (not UTF-8 text)") from None
    if isinstance(data, str):
        if len(data) > MAX_PACK_BYTES:
            raise PackError(f"{name} is too large (a course pack is at most {MAX_PACK_BYTES:,} bytes)")
        try:
            data = json.loads(data)
        except (json.JSONDecodeError, RecursionError) as exc:
            where = f" (line {exc.lineno} column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
            raise PackError(f"{name} is not a course pack: not valid JSON{where}. Open the .json file your "
                            "instructor made with pumpbill pack") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PackError(f"{name} is not a course pack (made with pumpbill pack): an exercise or submission "
                        "file cannot be opened here")
    leaks = _find_answer_fields(data)
    if leaks:
        raise PackError(f"{name} contains answer keys ({', '.join(leaks[:3])}); it must not be published. "
                        "Make the pack with pumpbill pack, which leaves the keys out")
    if data.get("version") != VERSION:
        raise PackError(f"{name} is a version {data.get('version')!r} pack; this site reads version {VERSION}")
    try:
        return CoursePack.model_validate(data)
    except ValidationError as exc:
        from ..errors import from_validation

        err = from_validation("pack", exc)
        raise PackError(f"{name} cannot be used: {err.field}: {err.problem}") from None


# --- the pack named in a page link --------------------------------------------------------------------


def pack_ref_problem(ref: str) -> str | None:
    """Why ``ref`` (the ``?pack=`` of a page link) is refused, or None. Only an address on the same site,
    relative to the page (``packs/wk1.json``, ``../packs/wk1.json``, ``/packs/wk1.json``), is accepted."""
    text = ref or ""
    if not text.strip():
        return "the link names no course pack (?pack= is empty)"
    if len(text) > 2000:
        return "the course pack address in the link is too long"
    shown = text if len(text) <= 120 else text[:117] + "..."
    if any(ord(c) < 32 or ord(c) == 127 for c in text) or "\\" in text:
        return f"the course pack address {shown!r} contains characters a web address cannot have"
    if _SCHEME.match(text) or text.startswith("//"):
        return (f"the course pack address {shown!r} points to another site (or is a full URL): only a pack on "
                "this site, written relative to this page (e.g. ?pack=packs/wk1.json), is opened")
    return None


def resolve_pack_url(ref: str, page_url: str) -> str:
    """The absolute URL of the pack named by ``ref`` on the page at ``page_url``; PackError if refused."""
    problem = pack_ref_problem(ref)
    if problem:
        raise PackError(problem)
    page = urlsplit(page_url)
    url = urljoin(page_url, ref)
    target = urlsplit(url)
    if (target.scheme, target.netloc) != (page.scheme, page.netloc):
        raise PackError(f"the course pack address {ref!r} is not on this site")
    return target._replace(fragment="").geturl()


def fetch_text(url: str) -> str:
    """GET ``url`` as text: in Pyodide with the browser's XMLHttpRequest (synchronous: the kernel runs in a
    web worker), elsewhere with urllib."""
    try:
        from js import XMLHttpRequest  # type: ignore[import-not-found]
    except ImportError:
        from urllib.request import urlopen

        with urlopen(url, timeout=30) as resp:  # noqa: S310 - same-origin http(s), checked by resolve_pack_url
            return resp.read(MAX_PACK_BYTES + 1).decode("utf-8-sig")
    req = XMLHttpRequest.new()
    req.open("GET", url, False)
    req.send(None)
    if req.status != 200:
        what = "not found" if req.status == 404 else f"HTTP status {req.status}"
        raise PackError(f"the course pack at {url} could not be fetched ({what}); check the link with your "
                        "instructor")
    return str(req.responseText)


def fetch_pack(ref: str, page_url: str, fetch=fetch_text) -> CoursePack:
    """The pack a page link names: checked, fetched from the same site, and loaded."""
    url = resolve_pack_url(ref, page_url)
    try:
        text = fetch(url)
    except PackError:
        raise
    except Exception as exc:  # noqa: BLE001 - any network failure is the same message for a trainee
        raise PackError(f"the course pack at {url} could not be fetched ({type(exc).__name__}: {exc})") from None
    return load_pack(text, name=f"the file at {ref}")


# --- the page side: the script that hands a link's ?pack= to the live widget ---------------------------

#: The status box the page script fills (see pumpbill/data/pack-link.js).
_PAGE_BOX = ('<div class="pumpbill-pack-link" data-mode="{mode}" role="status" aria-live="polite" hidden '
             'style="border:1px solid #1565c0;border-left-width:6px;padding:0.6em 0.9em;margin:0.8em 0"></div>')


def page_script(mode: SetMode) -> str:
    """The HTML (a status box and its script) that a book page adds above its live block so that a link's
    ``?pack=`` opens in the live widget; refused addresses get a message on the page itself."""
    from importlib import resources

    if mode not in ("practice", "assignment"):
        raise ValueError(f"mode must be practice or assignment, not {mode!r}")
    script = resources.files("pumpbill").joinpath("data/pack-link.js").read_text("utf-8")
    return _PAGE_BOX.format(mode=mode) + "\n<script>\n" + script + "</script>\n"


__all__ = ["FORMAT", "MAX_PACK_BYTES", "VERSION", "CoursePack", "PackError", "PackExercise", "PackSet",
           "fetch_pack", "fetch_text", "load_pack", "make_pack", "pack_ref_problem", "pack_text", "page_script",
           "resolve_pack_url", "write_pack"]
