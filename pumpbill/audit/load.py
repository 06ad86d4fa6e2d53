"""Open one claims file (CSV or X12 837P) into DuckDB: ingest, validate, account for every row."""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
import weakref
from pathlib import Path

from .progress import Progress
from .schema import ALL_COLUMNS, MAX_BYTES, Claims

#: DuckDB may use this much memory before it spills to its temporary folder.
DEFAULT_MEMORY_LIMIT = os.environ.get("PUMPBILL_AUDIT_MEMORY", "4GB")
#: An 837P is parsed segment by segment in Python (pyx12, a few thousand segments a second): bigger
#: batches are refused with a clear error (split them, or export a claim-line CSV instead).
X12_MAX_BYTES = 100 * 1024 * 1024
#: Inputs bigger than this are read into a database file in the temporary folder instead of memory.
ON_DISK_FROM_BYTES = 256 * 1024 * 1024


#: The private temporary folders: ``pumpbill-audit-<pid>.<random>`` in the system's temporary folder. Each
#: holds LOCK_NAME, locked (``flock``) for as long as its connection lives: the kernel drops the lock when the
#: process dies however it dies, in whatever process-id space, so a lock we can take means the folder is left
#: over. The process id in the name is for people only.
SPILL_PREFIX = "pumpbill-audit-"
LOCK_NAME = ".pumpbill-audit.lock"
#: Folders of earlier versions (``mkdtemp``'s 8 random characters, no lock): swept when unchanged for a day.
LEGACY_STALE_AFTER_S = 24 * 3600.0


def _hold_lock(folder: str) -> int | None:
    """Lock the folder's lock file while its connection lives; returns the open file. The file is locked
    before it appears under its name (a rename), so a sweep can never take the lock of a folder that is
    being set up. None on Windows (no ``flock``: nothing is swept there)."""
    if os.name == "nt":
        return None
    import fcntl

    tmp = os.path.join(folder, f"{LOCK_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.rename(tmp, os.path.join(folder, LOCK_NAME))
    return fd


def _release(folder: str, lock: int | None) -> None:
    """Remove the folder, then let go of its lock (the connection is gone, or the process is ending)."""
    shutil.rmtree(folder, ignore_errors=True)
    if lock is not None:
        os.close(lock)


def _left_over(folder: Path) -> int | None:
    """The folder's lock, taken, when its process is gone (the caller closes it once the folder is removed);
    None when it is held (its audit runs) or there is no lock file (not ours to judge)."""
    import fcntl

    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def sweep_stale_folders(root: str | None = None) -> list[str]:
    """Remove the temporary folders left behind by audits killed before they could clean up (a spill of a
    20M-line audit can be gigabytes): this user's folders whose lock no process holds, and folders of
    earlier versions unchanged for a day. Never a symbolic link, another user's folder, or one in use.
    Does nothing on Windows (no ``flock``). Returns the folders removed; never raises."""
    removed: list[str] = []
    if os.name == "nt":
        return removed
    base = Path(root or tempfile.gettempdir())
    try:
        candidates = sorted(base.glob(f"{SPILL_PREFIX}*"))
    except OSError:
        return removed
    for folder in candidates:
        lock = None
        try:
            st = folder.lstat()
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                continue
            legacy = re.fullmatch(r"[a-z0-9_]{8}", folder.name[len(SPILL_PREFIX):]) is not None
            if legacy and not (folder / LOCK_NAME).exists():
                if time.time() - st.st_mtime < LEGACY_STALE_AFTER_S:
                    continue
            else:
                lock = _left_over(folder)
                if lock is None:
                    continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
        except (OSError, ValueError):
            continue
        finally:
            if lock is not None:
                os.close(lock)
    return removed


def connect(memory_limit: str | None = None, on_disk: bool = False):
    """A DuckDB connection that spills to a private temporary folder instead of running out of memory.

    ``on_disk``: keep the tables in a database file there too (for inputs of several GB). The folder is
    removed when the connection is collected or the process ends, and by the next audit if the process
    was killed.
    """
    import duckdb

    sweep_stale_folders()
    spill = tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}.")
    lock = None
    try:
        lock = _hold_lock(spill)
        limit = memory_limit or os.environ.get("PUMPBILL_AUDIT_MEMORY", DEFAULT_MEMORY_LIMIT)
        con = duckdb.connect(os.path.join(spill, "audit.duckdb") if on_disk else ":memory:",
                             config={"memory_limit": limit, "temp_directory": spill,
                                     "preserve_insertion_order": True})
    except BaseException:
        _release(spill, lock)
        raise
    # The folder goes with the connection (or at exit, whichever comes first): a long session that audits
    # many files keeps neither their folders nor their open lock files.
    weakref.finalize(con, _release, spill, lock)
    con.execute("SET enable_progress_bar = false")
    return con


def arrow(con, query: str):
    """The result of ``query`` as an Arrow table (after finishing any earlier statement's result)."""
    con.execute("SELECT 1").fetchall()
    return con.sql(query).to_arrow_table()


def _is_x12(p: Path) -> bool:
    try:
        with open(p, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    from .x12 import looks_like_x12

    return looks_like_x12(head)


def load(path: str | Path, progress: Progress | None = None, max_bytes: int = MAX_BYTES, con=None) -> Claims:
    """Read ``path`` into the tables ``lines`` and ``bad`` of ``con`` (a new connection by default)."""
    import pyarrow as pa

    from .ingest import check_file, ingest_csv
    from .validate import validate

    p = Path(path)
    progress = progress or Progress(False)
    size = check_file(p, max_bytes)
    con = con or connect(on_disk=size > ON_DISK_FROM_BYTES)
    progress.update(0.0, "reading", force=True)
    texts: dict[int, str] = {}
    lines_in_file = continuation = None
    if _is_x12(p):
        size, columns, problems, notes, texts, unit, x12_rows, x12_malformed = _load_x12(con, p, max_bytes)
        fmt = "837p"
    else:
        ing = ingest_csv(con, p, max_bytes)
        size, columns, problems, notes, fmt, unit = ing.size, ing.columns, ing.problems, ing.notes, "csv", "line"
        lines_in_file, continuation = ing.lines_in_file, ing.continuation_lines
    progress.update(0.6, "validating", force=True)
    validate(con, set(columns))
    con.register("pb_struct", pa.table({"line": pa.array([ln for ln, _ in problems], pa.int64()),
                                        "reason": pa.array([r for _, r in problems], pa.string())}))
    fields = "".join(f", r.{c}" for c in ALL_COLUMNS if c in columns)
    n_bad = con.execute("SELECT count(*) FROM bad").fetchall()[0][0] + len(problems)
    with_text = fmt == "csv" and n_bad > 0  # the line as written; not looked up when nothing is malformed
    text = "left(ph.t, 500)" if with_text else "CAST(NULL AS VARCHAR)"
    join_text = "LEFT JOIN phys ph ON ph.line = m.line" if with_text else ""
    malformed = arrow(con, f"""
        WITH m AS (SELECT line, reason FROM bad UNION ALL SELECT line, reason FROM pb_struct)
        SELECT m.line, m.reason{fields}, {text} AS text
        FROM m LEFT JOIN {'raw' if n_bad else '(SELECT * FROM raw WHERE false)'} r ON r.line = m.line {join_text}
        ORDER BY m.line""")
    con.unregister("pb_struct")
    frame = malformed.to_pandas()
    if texts:
        frame["text"] = frame["line"].map(texts)
    frame = frame.astype({c: object for c in frame.columns if c != "line"})
    checked = con.execute("SELECT count(*) FROM lines").fetchall()[0][0]
    if fmt == "csv":
        rows_read = checked + len(frame)
    else:  # service lines: the 837P's own set-asides plus those whose values failed
        rows_read = x12_rows + x12_malformed
    progress.update(1.0, "validated", force=True)
    return Claims(str(p), size, frame, columns, rows_read, notes, con=con, format=fmt, unit=unit,
                  rows_checked=checked, lines_in_file=lines_in_file, continuation_lines=continuation)


def _load_x12(con, p: Path, max_bytes: int):
    """Read an 837P with ``x12.read_837`` into ``raw``: size, columns, problems, notes, texts, unit, and the
    numbers of service lines read and set aside by the reader."""
    import pyarrow as pa

    from .ingest import one_per_line
    from .schema import REQUIRED
    from .x12 import read_837

    x = read_837(p, min(max_bytes, X12_MAX_BYTES))
    cols = [c for c in ALL_COLUMNS if c in set(REQUIRED) | set(x.present)]
    table = pa.table({"line": pa.array([r["line"] for r in x.rows], pa.int64()),
                      **{c: pa.array([r.get(c) for r in x.rows], pa.string()) for c in cols}})
    con.register("pb_x12", table)
    con.execute("CREATE OR REPLACE TABLE raw AS SELECT * FROM pb_x12")
    con.unregister("pb_x12")
    texts: dict[int, str] = {}
    for line, _, text in x.malformed:
        texts.setdefault(line, text[:500])
    problems = one_per_line([(line, reason) for line, reason, _ in x.malformed])
    return (p.stat().st_size, {c: c for c in cols}, problems, list(x.notes), texts, x.unit, len(x.rows),
            x.lines_malformed)
