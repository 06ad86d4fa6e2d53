"""Writing files: atomically (a failure never leaves a half-written file or destroys an earlier
one) and, for CSV, column-wise (several times faster than ``DataFrame.to_csv`` on big frames)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pandas as pd

_SPECIAL = r'[",\r\n]'


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[IO[str]], object]) -> None:
    """Write through a temporary file in the same folder, then ``os.replace`` it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            write(fh)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv_column(col: pd.Series) -> pd.Series:
    """Text of one column for CSV: "" for missing, quoted (RFC 4180) where needed."""
    text = col.astype(object).where(col.notna(), "").astype(str)
    if pd.Series(pd.unique(text.to_numpy(dtype=object)), dtype=object).str.contains(_SPECIAL).any():
        needs = text.str.contains(_SPECIAL)
        text = text.where(~needs, '"' + text.str.replace('"', '""', regex=False) + '"')
    return text


def write_csv(frame: pd.DataFrame, fh: IO[str]) -> None:
    """Write ``frame`` as CSV (header, "\\n" line ends) by joining whole columns at once."""
    cols = [_csv_column(frame[c]).to_numpy(dtype=object) for c in frame.columns]
    fh.write(",".join(_csv_column(pd.Series(frame.columns, dtype=object))) + "\n")
    if len(frame) and cols:
        line = cols[0]
        for c in cols[1:]:
            line = line + "," + c
        fh.write("\n".join(line.tolist()) + "\n")
