"""The LINE SCHEMA: validated claim lines as an Arrow table, and back to the pandas frame of the reference checks.

Why Arrow: it is what DuckDB and Spark exchange without copying row by row, so one table feeds the
SQL checks on either engine, and the pandas reference gets exactly the same rows back.

``to_frame`` gives the frame ``checks.Work.from_lines`` expects (categoricals for the text
columns, the same dtypes as ``schema.read_claims`` always gave). Its categories are the distinct
values *present*, sorted (code-point order, as SQL sorts strings): the frame's content then
depends only on the rows, never on the order values first appeared in the file or on values seen
only in malformed rows, which keeps the pandas reference and the SQL engines comparable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Text columns (categoricals in pandas); the first three are never null.
TEXT_COLUMNS: tuple[str, ...] = ("claim_id", "patient_id", "provider_id", "pos", "code", "modifiers", "diagnoses",
                                 "payer")
#: Text columns whose categories ``schema.read_claims`` always held as object (the others: str).
_OBJECT_CATEGORIES = frozenset({"modifiers", "diagnoses"})
BOOL_COLUMNS: tuple[str, ...] = ("m25", "mjz", "mjw", "bare_g35", "has_note")
DOSE_COLUMNS: tuple[str, ...] = ("reservoir_ml", "volume_added_ml", "volume_after_ml", "concentration_mcg_per_ml",
                                 "daily_dose_mcg", "alarm_ml")

#: One row per checked service line (see the shared context: BIGINT line, INTEGER day, DOUBLE numbers).
LINE_SCHEMA = pa.schema([
    pa.field("line", pa.int64(), nullable=False),
    pa.field("claim_id", pa.string(), nullable=False),
    pa.field("patient_id", pa.string(), nullable=False),
    pa.field("provider_id", pa.string(), nullable=False),
    pa.field("day", pa.int32(), nullable=False),
    pa.field("pos", pa.string()),
    pa.field("code", pa.string()),
    pa.field("modifiers", pa.string()),
    pa.field("m25", pa.bool_(), nullable=False),
    pa.field("mjz", pa.bool_(), nullable=False),
    pa.field("mjw", pa.bool_(), nullable=False),
    pa.field("units", pa.float64()),
    pa.field("diagnoses", pa.string()),
    pa.field("bare_g35", pa.bool_(), nullable=False),
    pa.field("payer", pa.string()),
    *[pa.field(c, pa.float64()) for c in DOSE_COLUMNS],
    pa.field("diluted", pa.float64()),
    pa.field("has_note", pa.bool_(), nullable=False),
])
LINE_COLUMNS: tuple[str, ...] = tuple(LINE_SCHEMA.names)


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """The pandas claim lines (``Claims.lines``) as an Arrow table in the LINE SCHEMA (NaN becomes null)."""
    missing = [c for c in LINE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"claim lines lack column(s): {', '.join(missing)}")
    arrays = []
    for f in LINE_SCHEMA:
        s = frame[f.name]
        if f.name in TEXT_COLUMNS:
            arr = pa.array(s, from_pandas=True)  # a categorical becomes a dictionary array
            arr = arr.cast(pa.string()) if not pa.types.is_dictionary(arr.type) else arr.dictionary_decode()
            if not pa.types.is_string(arr.type):
                arr = arr.cast(pa.string())
        else:
            arr = pa.array(s.to_numpy(), type=f.type, from_pandas=True)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=LINE_SCHEMA)


def _categorical(col: pa.ChunkedArray, as_object: bool) -> pd.Categorical:
    """A string column as a categorical with sorted categories (null -> code -1)."""
    import pandas as pd
    import pyarrow.compute as pc

    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    enc = arr.dictionary_encode()
    n = len(enc.dictionary)
    order = pc.array_sort_indices(enc.dictionary).to_numpy().astype(np.int64)  # UTF-8 byte order = code points
    rank = np.empty(n + 1, dtype=np.int64)
    rank[order] = np.arange(n)
    rank[-1] = -1  # null index -> -1
    idx = enc.indices.fill_null(n).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    values = enc.dictionary.take(pa.array(order, pa.int64())).to_numpy(zero_copy_only=False)
    cats = pd.Index(values, dtype=object) if as_object else pd.Index(values)  # str dtype, as read_claims gave
    return pd.Categorical.from_codes(rank[idx], dtype=pd.CategoricalDtype(cats, ordered=False), validate=False)


def to_frame(table: pa.Table) -> pd.DataFrame:
    """The Arrow/DuckDB ``lines`` table as the pandas frame of the reference checks, in line order."""
    import pandas as pd
    import pyarrow.compute as pc

    missing = [c for c in LINE_COLUMNS if c not in table.column_names]
    if missing:
        raise ValueError(f"lines table lacks column(s): {', '.join(missing)}")
    line = table.column("line")
    if len(line) > 1 and not pc.all(pc.greater(line[1:], line[:-1])).as_py():
        table = table.sort_by("line")  # the reference takes "first value" in row order = line order
    out: dict[str, object] = {}
    for f in LINE_SCHEMA:
        col = table.column(f.name)
        if f.name in TEXT_COLUMNS:
            out[f.name] = _categorical(col, f.name in _OBJECT_CATEGORIES)
        elif f.name in BOOL_COLUMNS:
            out[f.name] = col.cast(pa.bool_()).fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
        elif f.name == "line":
            out[f.name] = col.cast(pa.int64()).to_numpy(zero_copy_only=False).astype(np.int64)
        elif f.name == "day":
            out[f.name] = col.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int32)
        else:
            out[f.name] = col.cast(pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    return pd.DataFrame(out)
