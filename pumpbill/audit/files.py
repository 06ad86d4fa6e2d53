"""Writing files: atomically (a failure never leaves a half-written file or destroys an earlier
one), never over anything but a regular file, and, for CSV, column-wise (several times faster than
``DataFrame.to_csv`` on big frames) with every cell spreadsheet-safe (:mod:`pumpbill.csvsafe`)."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from ..csvsafe import safe_cell, safe_series

_SPECIAL = r'[",\r\n]'
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link (not followed)"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class NotARegularFile(OSError):
    """The target exists and is not a regular file: replacing it would destroy a device node, FIFO,
    folder or symbolic link (security review S1). An OSError, so the CLI's one-line handler reports it."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_target(path: Path) -> None:
    """Raise :class:`NotARegularFile` when ``path`` exists and is not a regular file (``lstat``: a
    symbolic link is refused, never followed). Call it for every target of a set before writing any."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode):
        return
    kind = next((label for test, label in _KINDS if test(mode)), "not a regular file")
    raise NotARegularFile(errno.EEXIST, f"exists and is {kind}; refusing to replace it (give the path of a "
                          "regular file, or one that does not exist yet)", str(path))


def atomic_write(path: Path, write: Callable[[IO[str]], object]) -> None:
    """Write through a temporary file in the same folder, then ``os.replace`` it over ``path``.

    Refuses (:class:`NotARegularFile`, nothing written) when ``path`` exists and is not a regular file:
    checked before the temporary file is made and again with ``lstat`` just before the rename, so a
    FIFO or device that appears while we write is not replaced either. (The rename itself never
    follows a symbolic link or writes into a device; the second check keeps the window to the
    microseconds between ``lstat`` and ``rename``.)"""
    check_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            write(fh)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        check_target(path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv_column(col: pd.Series, number: bool = False) -> pd.Series:
    """Text of one column for CSV: "" for missing, spreadsheet-safe, quoted (RFC 4180) where needed.

    A column of numbers (numeric or boolean dtype) holds numbers we produced: ``-1`` stays a number.
    ``number`` says the same of a text column the caller formatted from numbers (e.g. synth's units).
    Any other text that starts like a formula gets the ``'`` prefix (vectorised, see csvsafe)."""
    text = col.astype(object).where(col.notna(), "").astype(str)
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        if col.dtype.kind == "f" or str(col.dtype).startswith("Float"):  # only -inf is not a plain number
            neg_inf = np.isneginf(col.to_numpy(dtype=float, na_value=np.nan))
            if neg_inf.any():
                text = text.where(~neg_inf, safe_cell(float("-inf")))
    else:
        text = safe_series(text, numbers=number)
    if pd.Series(pd.unique(text.to_numpy(dtype=object)), dtype=object).str.contains(_SPECIAL).any():
        needs = text.str.contains(_SPECIAL)
        text = text.where(~needs, '"' + text.str.replace('"', '""', regex=False) + '"')
    return text


def write_csv(frame: pd.DataFrame, fh: IO[str], numbers: Collection[str] = ()) -> None:
    """Write ``frame`` as CSV (header, "\\n" line ends) by joining whole columns at once.

    Every cell is spreadsheet-safe. ``numbers``: text columns that hold numbers this program
    formatted (not user text), whose negative values stay numbers; numeric-dtype columns are numbers
    anyway, and user text is never named here."""
    cols = [_csv_column(frame[c], c in numbers).to_numpy(dtype=object) for c in frame.columns]
    fh.write(",".join(_csv_column(pd.Series(frame.columns, dtype=object))) + "\n")
    if len(frame) and cols:
        line = cols[0]
        for c in cols[1:]:
            line = line + "," + c
        fh.write("\n".join(line.tolist()) + "\n")
