"""Find the answer keys of the shipped exercises in a built site (or any folder of text files).

A key "appears" when one of its renderings is in a file: the key block as written in the exercise file,
the key as JSON or YAML (what a printed exercise file, a submission or a pack would hold), claim lines as
a trainee types them in the widget ("95990 / J0475 JZ x4") or as ``pumpbill validate --show-keys`` prints
them ("95990 x 1; J0475-JZ x 4"), rule lists ("[PB501, PB504, PB506]", "rules: [PB002]"), and the values of
a documentation model answer. Text is compared "squashed": HTML tags and entities, quotes, backslash
escapes and all white space removed, upper case; so the same key matches in highlighted HTML, in page
sources, in notebooks' JSON and in wheels. A short rendering (under 25 characters once squashed, e.g.
"RULES:[PB002]") counts only in a file that also names the exercise's id, so that a rule code taught on
a rule page is not taken for a key.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from pumpbill.exercises import Exercise, load_exercise
from pumpbill.exercises.store import exercise_files

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
STRONG = 25  # a rendering this long (squashed) is specific on its own
TEXT_SUFFIXES = (".html", ".txt", ".md", ".ipynb", ".json", ".yaml", ".yml", ".py", ".csv")
#: Third-party code served by the site: no page text, and large (Pyodide, JupyterLab bundles).
SKIP_PARTS = {("lite", "build"), ("lite", "extensions"), ("_static", "vendor"), ("_static", "locales")}
_TAG = re.compile(r"<[^>]*>")


def squash(text: str, *, is_html: bool = False) -> str:
    if is_html:
        text = html.unescape(_TAG.sub("", text))
    text = text.replace("\\n", " ").replace("\\t", " ")
    return re.sub(r"[\s'\"\\`\u00a0]+", "", text).upper()


@dataclass(frozen=True)
class Fingerprint:
    exercise: str
    what: str
    text: str  # squashed
    partial: bool = False  # a part of the key (its claim lines, one field): counts only beside the exercise's id

    @property
    def strong(self) -> bool:
        return len(self.text) >= STRONG and not self.partial

    def found_in(self, text: str) -> bool:
        """In text, and not merely the start of something longer (more digits, or more units: 'X4')."""
        start = text.find(self.text)
        while start >= 0:
            after = text[start + len(self.text):start + len(self.text) + 2]
            if not (after[:1].isdigit() or (after[:1] == "X" and after[1:2].isdigit())):
                return True
            start = text.find(self.text, start + 1)
        return False


def _key_block(source: str) -> str:
    """The ``key:`` block of an exercise file as written (without the ``key:`` line itself)."""
    lines = source.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"^key\s*:", ln)), None)
    if start is None:
        return ""
    body = [lines[start].split(":", 1)[1]]
    for ln in lines[start + 1:]:
        if ln and not ln[0].isspace() and not ln.startswith("#"):
            break
        body.append(ln)
    return "\n".join(body)


def _line_forms(ex: Exercise) -> list[tuple[str, str]]:
    """The claim lines alone (partial renderings); a single line is too common in the book to tell."""
    lines = ex.key.lines or []  # type: ignore[union-attr]
    if len(lines) < 2:
        return []
    widget = "\n".join(f"{ln.code} {' '.join(sorted(ln.modifiers))} x{ln.units}".replace("  ", " ") for ln in lines)
    widget_bare = "\n".join(f"{ln.code} {' '.join(sorted(ln.modifiers))}" + (f" x{ln.units}" if ln.units != 1 else "")
                            for ln in lines)
    shown = "; ".join(f"{ln.code}{'-' + '-'.join(ln.modifiers) if ln.modifiers else ''} x {ln.units}" for ln in lines)
    dumped = [ln.model_dump(mode="json") for ln in lines]
    return [("claim lines as typed in the widget", widget), ("claim lines as typed in the widget", widget_bare),
            ("claim lines as validate --show-keys prints them", shown),
            ("claim lines as JSON", json.dumps(dumped)),
            ("claim lines as YAML", yaml.safe_dump({"lines": dumped}, sort_keys=False)),
            ("claim lines as YAML (flow)", yaml.safe_dump({"lines": dumped}, sort_keys=False,
                                                          default_flow_style=None))]


def fingerprints(path: Path) -> list[Fingerprint]:
    ex = load_exercise(path)
    if ex.key is None:
        return []
    key = ex.key
    data = key.model_dump(mode="json", exclude_none=True)
    whole: list[tuple[str, str]] = [("the key block of the exercise file", _key_block(path.read_text("utf-8"))),
                                    ("the key as JSON", json.dumps(data)),
                                    ("the key as YAML", yaml.safe_dump(data, sort_keys=False))]
    part: list[tuple[str, str]] = list(_line_forms(ex))
    if key.diagnoses and "diagnoses" in ex.rubric.points and len(key.lines or []) > 1:
        part.append(("the claim lines and diagnoses as typed in the widget", "\n".join(
            f"{ln.code} {' '.join(sorted(ln.modifiers))}" + (f" x{ln.units}" if ln.units != 1 else "")
            for ln in key.lines or []) + "\n" + ", ".join(key.diagnoses)))
    if key.rules:
        for order in (list(key.rules), sorted(key.rules)):
            whole += [("the key's rules", f"rules: [{', '.join(order)}]"),
                      ("the key's rules", "rules:\n" + "".join(f"- {r}\n" for r in order)),
                      ("the key's rules as --show-keys prints them", f"rules {', '.join(order)}")]
            if len(order) > 1:
                whole.append(("the key's rules as a list", f"[{', '.join(order)}]"))
    if data.get("documentation"):
        doc = data["documentation"]
        whole += [("the model answer as YAML", yaml.safe_dump(doc, sort_keys=False)),
                  ("the model answer as JSON", json.dumps(doc)),
                  ("the model answer (flow YAML)", yaml.safe_dump({"documentation": doc}, sort_keys=False,
                                                                  default_flow_style=True))]
        for field, value in doc.items():  # a field with a value of its own (not a date or a name other notes share)
            if isinstance(value, dict) or (isinstance(value, str) and len(value) >= 30):
                part += [(f"the model answer's {field}", yaml.safe_dump({field: value}, default_flow_style=True)),
                         (f"the model answer's {field}", yaml.safe_dump({field: value}, sort_keys=False))]
    out, seen = [], set()
    for forms, partial in ((whole, False), (part, True)):
        for what, text in forms:
            s = squash(text.replace("{}", "").rstrip())
            s = s.removeprefix("{").removesuffix("}") if s.startswith("{") and s.count("{") == 1 else s
            if len(s) >= 8 and s not in seen:
                seen.add(s)
                out.append(Fingerprint(ex.id, what, s, partial))
    return out


def shipped_exercises() -> list[Path]:
    return [p for d in sorted(EXERCISES.iterdir()) if (d / "set.yaml").is_file() for p in exercise_files(d)]


def _texts(root: Path) -> Iterator[tuple[str, str]]:
    """(name, squashed text) of every text file under root, and of the text members of pumpbill wheels."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or tuple(rel.parts[:2]) in SKIP_PARTS:
            continue
        if path.suffix == ".whl":
            if not path.name.startswith("pumpbill-"):
                continue
            with zipfile.ZipFile(path) as zf:
                for member in zf.namelist():
                    if member.endswith(TEXT_SUFFIXES):
                        yield f"{rel}!{member}", squash(zf.read(member).decode("utf-8", "replace"))
            continue
        if path.suffix not in TEXT_SUFFIXES:
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        yield str(rel), squash(text, is_html=path.suffix == ".html")


def scan(root: Path, paths: list[Path] | None = None) -> list[tuple[str, Fingerprint]]:
    """(file, fingerprint) for every key rendering found under root."""
    prints = [fp for p in (paths or shipped_exercises()) for fp in fingerprints(p)]
    ids = {fp.exercise: squash(fp.exercise) for fp in prints}
    hits = []
    for name, text in _texts(root):
        named = {i for i, sq in ids.items() if sq in text}
        for fp in prints:
            if (fp.strong or fp.exercise in named) and fp.text in text and fp.found_in(text):
                hits.append((name, fp))
    return hits
