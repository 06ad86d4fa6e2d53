"""Where hand-ins come from: files, folders, and LMS archives (zip), with nothing skipped in silence.

Why its own module: deciding what counts as a hand-in is where files used to vanish (a ``.yaml.txt``
from a mail client, a folder the grader could not read, a symbolic link out of the folder; security
review G7, G9, instructor review problem 9). Every file under a folder is either read, or reported:

* ``.yaml``, ``.yml``, ``.json``: read;
* the same with an extra suffix a mail client or an editor adds (``.yaml.txt``): not gradable, with the
  reason and the fix (rename it), so the trainee hears about it;
* any file in an LMS archive: it is something a trainee uploaded, so it is read, or not gradable with a
  reason (a PDF is "not YAML or JSON");
* anything else (``notes.txt``, ``.DS_Store``, ``__MACOSX/``): listed as skipped;
* a symbolic link that leads out of the folder is not followed (listed); a folder that cannot be read
  is reported as not gradable, so the exit status says something was missed.

Archives are read in memory, member by member and size-capped: nothing is unpacked to disk.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..loader import MAX_BYTES, decode
from .identity import LmsName, lms_name

SUFFIXES = (".yaml", ".yml", ".json")
_WRAPPED = re.compile(r"\.(ya?ml|json)\.(txt|text|doc|rtf|htm|html|bak|download|part)$", re.I)
MAX_MEMBERS = 100_000
NAMES = ("auto", "canvas", "plain")


@dataclass(frozen=True)
class Source:
    """One thing to read: a file, or a member of a zip archive."""

    name: str  # shown in every report: the path, or "<archive>!<member>"
    path: str  # the file, or the archive
    member: str = ""  # the member of the archive, "" for a plain file
    lms: LmsName | None = None
    problem: str = ""  # known before reading: not gradable for this reason

    @property
    def base(self) -> str:
        return (self.member or self.path).replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str
    unreadable: bool = False  # a folder that could not be listed: reported as not gradable


def _hidden(rel_parts: Iterable[str]) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in rel_parts)


def _classify(base: str, from_lms: bool) -> tuple[bool, str]:
    """(is it a hand-in?, problem when it cannot be read as one)."""
    low = base.lower()
    if low.endswith(SUFFIXES):
        return True, ""
    m = _WRAPPED.search(low)
    if m:
        fixed = base[: m.start()] + "." + m.group(1)
        return True, (f"file name ends in .{m.group(1)}.{m.group(2)} (a mail client or editor added "
                      f".{m.group(2)}): rename it to {fixed} and hand it in again")
    if from_lms:
        return True, "not a YAML or JSON hand-in (expected a .yaml or .json file saved by the assignment page)"
    return False, ""


def sources(paths: Iterable[str | Path], names: str = "auto", exclude: Iterable[str | Path] = ()
            ) -> tuple[list[Source], list[Skipped]]:
    """Every hand-in under the paths (sorted, without repeats) and everything left out, with why.
    ``exclude``: folders not to look into (the output folder, when it is inside a hand-in folder)."""
    found: dict[str, Source] = {}
    skipped: list[Skipped] = []
    away = {os.path.realpath(x) for x in exclude}
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            _folder(p, names, found, skipped, away)
        elif p.suffix.lower() == ".zip" and p.is_file():
            _archive(p, names, found, skipped)
        else:  # named on the command line: read (or reported) whatever it is called
            lms = lms_name(p.name) if names == "canvas" else None
            _, problem = _classify(p.name, True)
            found.setdefault(str(p), Source(str(p), str(p), lms=lms, problem=problem))
    return [found[k] for k in sorted(found)], sorted(set(skipped), key=lambda s: s.name)


def _folder(root: Path, names: str, found: dict[str, Source], skipped: list[Skipped], away: set[str]) -> None:
    real_root = os.path.realpath(root)
    files: list[tuple[str, Path]] = []

    def unreadable(err: OSError) -> None:
        skipped.append(Skipped(str(err.filename or root), f"cannot read this folder: {err.strerror or err}", True))

    for here, dirs, names_ in os.walk(root, onerror=unreadable, followlinks=False):
        base = Path(here)
        for d in sorted(dirs):
            full = base / d
            rel = full.relative_to(root).parts
            if full.is_symlink():
                skipped.append(Skipped(str(full), "a symbolic link to a folder: not followed"))
            elif _hidden(rel):
                skipped.append(Skipped(str(full), "hidden folder: not read"))
        dirs[:] = sorted(d for d in dirs if not (base / d).is_symlink() and not _hidden((d,))
                         and os.path.realpath(base / d) not in away)
        for f in sorted(names_):
            full = base / f
            rel = full.relative_to(root).parts
            if _hidden(rel):
                skipped.append(Skipped(str(full), "hidden file: not read"))
                continue
            if full.is_symlink():
                target = os.path.realpath(full)
                if os.path.commonpath([real_root, target]) != real_root:
                    skipped.append(Skipped(str(full), "a symbolic link to a file outside the folder: not followed"))
                    continue
            try:
                mode = os.stat(full).st_mode
            except OSError as exc:
                skipped.append(Skipped(str(full), f"cannot read: {exc.strerror or exc}", True))
                continue
            if not stat.S_ISREG(mode):
                skipped.append(Skipped(str(full), "not a regular file (a pipe, device or socket): not read"))
                continue
            files.append((f, full))
    canvas = names == "canvas" or (names == "auto" and files and all(lms_name(f) for f, _ in files))
    for f, full in files:
        lms = lms_name(f) if canvas else None
        is_handin, problem = _classify(lms.original if lms else f, lms is not None)
        if is_handin:
            found.setdefault(str(full), Source(str(full), str(full), lms=lms, problem=problem))
        else:
            skipped.append(Skipped(str(full), "not a .yaml, .yml or .json file: not read"))


def _archive(path: Path, names: str, found: dict[str, Source], skipped: list[Skipped]) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise InputError(str(path), None, f"cannot read this zip archive: {exc}") from None
    if len(infos) > MAX_MEMBERS:
        raise InputError(str(path), None, f"the archive has {len(infos):,} files (more than {MAX_MEMBERS:,})")
    for info in infos:
        member = info.filename
        parts = [p for p in member.replace("\\", "/").split("/") if p]
        if info.is_dir() or not parts:
            continue
        name = f"{path}!{member}"
        if _hidden(parts):
            skipped.append(Skipped(name, "hidden file or __MACOSX folder in the archive: not read"))
            continue
        lms = lms_name(parts[-1]) if names != "plain" else None
        _, problem = _classify(lms.original if lms else parts[-1], True)
        if info.flag_bits & 0x1:
            problem = "encrypted file in the archive"
        elif info.file_size > MAX_BYTES:
            problem = f"file is too large ({info.file_size:,} bytes; the limit is {MAX_BYTES:,})"
        found.setdefault(name, Source(name, str(path), member, lms, problem))


def read_bytes(src: Source, archives: dict[str, zipfile.ZipFile] | None = None) -> bytes:
    """The raw bytes of a source (at most the size cap plus one byte)."""
    if not src.member:
        raise ValueError("plain files are read by loader.read_text")
    zf = (archives or {}).get(src.path)
    close = zf is None
    if zf is None:
        zf = zipfile.ZipFile(src.path)
    try:
        with zf.open(src.member) as fh:
            data = fh.read(MAX_BYTES + 1)
    finally:
        if close:
            zf.close()
    if len(data) > MAX_BYTES:
        raise InputError(src.name, None, f"file is too large (more than the limit of {MAX_BYTES:,} bytes)")
    return data


def text_of(name: str, raw: bytes) -> str:
    """Text of a hand-in, with a precise reason for UTF-16 (Notepad's "Unicode") and other encodings."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(raw) > 3 and (raw[1:2] == b"\x00" or raw[0:1] == b"\x00")
                                                 and raw.count(b"\x00") * 3 >= len(raw)):
        raise InputError(name, None, "UTF-16 text (saved as \"Unicode\" by Notepad): save it again as UTF-8 "
                         "and hand it in again")
    return decode(name, raw)


__all__ = ["NAMES", "SUFFIXES", "Skipped", "Source", "read_bytes", "sources", "text_of"]
