"""Read a practice's claim-line CSV: map its columns, validate every row, keep physical line numbers.

The export, one claim line per row (UTF-8, comma-separated, header row; other columns ignored):

========================  ======================================================================
claim_id                  required; any text
patient_id, provider_id   required; any text (de-identified: never real identifiers)
date_of_service           required; YYYY-MM-DD (or MM/DD/YYYY), 2000-2099
place_of_service          required; CMS two-digit POS ("1" is read as "01")
code                      required; CPT (5 digits), HCPCS (letter + 4 digits) or CPT II/III
modifiers                 required column, may be empty; two-character modifiers, separated by
                          spaces, commas, semicolons, pipes or colons ("25", "JZ", "25 59")
units                     required; a whole number above 0
diagnoses                 optional; ICD-10-CM codes, same separators, dots optional
payer                     optional; text
reservoir_ml, volume_added_ml, volume_after_ml, concentration_mcg_per_ml, daily_dose_mcg,
alarm_ml                  optional dose data (FACTS s.7) on the refill line; numbers. Volume
                          after refill = volume_after_ml, else min(volume_added_ml,
                          reservoir_ml); alarm volume defaults to 2 mL
drug_diluted              optional; yes/no, for the ziconotide limit (40 / 84 days)
change_note               optional; any text = a documented change at that visit (AUD03)
========================  ======================================================================

Headers are matched case-insensitively, with a few aliases (``ALIASES``: "DOS", "POS", "CPT",
"NPI", "Dx"...).

Why this shape: a claims export is big (a million lines) but has few distinct values per
column (codes, modifiers, dates, places of service). Every column is read as text, turned
into a pandas ``category``, and each *distinct* value is validated once, then mapped back
to the rows by its integer code: validation costs in proportion to the distinct values, not
the rows. Rows that fail are never dropped silently: they go to ``Claims.malformed`` with
their line number in the file and the reason, and the run goes on.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from .progress import Progress

#: Columns every export must have (after alias mapping).
REQUIRED: tuple[str, ...] = (
    "claim_id", "patient_id", "provider_id", "date_of_service", "place_of_service", "code", "modifiers",
    "units",
)
#: Documented columns that may be missing; the checks that need them are skipped and say so.
OPTIONAL: tuple[str, ...] = ("diagnoses", "payer")
#: Optional dose data per refill line (FACTS s.7), numbers; used for the computed refill interval.
DOSE_COLUMNS: tuple[str, ...] = (
    "reservoir_ml", "volume_added_ml", "volume_after_ml", "concentration_mcg_per_ml", "daily_dose_mcg",
    "alarm_ml",
)
#: Optional documentation columns: ziconotide dilution (yes/no) and a free-text change note.
DOC_COLUMNS: tuple[str, ...] = ("drug_diluted", "change_note")
ALL_COLUMNS: tuple[str, ...] = REQUIRED + OPTIONAL + DOSE_COLUMNS + DOC_COLUMNS

#: Other spellings accepted for a column header (compared after lower-casing and turning runs
#: of non-alphanumerics into "_").
ALIASES: dict[str, tuple[str, ...]] = {
    "claim_id": ("claim", "claim_number", "claim_no", "icn"),
    "patient_id": ("patient", "member_id", "patient_key"),
    "provider_id": ("provider", "rendering_provider", "rendering_npi", "npi"),
    "date_of_service": ("dos", "service_date", "from_date"),
    "place_of_service": ("pos",),
    "code": ("cpt", "hcpcs", "cpt_hcpcs", "procedure_code"),
    "modifiers": ("modifier", "mods"),
    "units": ("unit", "service_units", "qty"),
    "diagnoses": ("diagnosis", "dx", "icd10", "diagnosis_codes"),
    "payer": ("payer_name", "insurance"),
}

#: Default upper bound on the input size; bigger files are refused (exit 2), see ``--max-mb``.
MAX_BYTES = 2 * 1024**3
#: Dates outside this window are treated as typing errors.
MIN_DATE, MAX_DATE = np.datetime64("2000-01-01", "D"), np.datetime64("2099-12-31", "D")

_CODE_RE = r"^(?:\d{5}|[A-Z]\d{4}|\d{4}[FTU])$"  # CPT, HCPCS level II, CPT category II/III
_MOD_TOKEN_RE = re.compile(r"^[A-Z0-9]{2}$")
_DX_TOKEN_RE = re.compile(r"^([A-Z]\d[0-9A-Z])\.?([0-9A-Z]{0,4})$")
_SPLIT_RE = re.compile(r"[\s,;|:/+]+")
_TRUE = frozenset({"y", "yes", "true", "t", "1", "diluted"})
_FALSE = frozenset({"n", "no", "false", "f", "0", "undiluted"})


class AuditInputError(Exception):
    """The input cannot be audited at all (missing, binary, too big, no usable header)."""


@dataclass
class Claims:
    """The validated claim lines of one export, and what was set aside."""

    path: str
    size: int
    lines: pd.DataFrame  # valid rows, normalised (see ``_normalise``)
    malformed: pd.DataFrame  # line, reason, then the raw documented fields
    columns: dict[str, str]  # canonical name -> header as spelled in the file
    rows_read: int
    notes: list[str] = field(default_factory=list)

    def has(self, column: str) -> bool:
        return column in self.columns


def _norm_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def map_columns(header: list[str]) -> dict[str, str]:
    """Canonical column -> header in the file; the first matching header wins."""
    by_norm: dict[str, str] = {}
    for h in header:
        by_norm.setdefault(_norm_header(h), h)
    mapping: dict[str, str] = {}
    for canon in ALL_COLUMNS:
        for spelling in (canon, *ALIASES.get(canon, ())):
            if spelling in by_norm:
                mapping[canon] = by_norm[spelling]
                break
    return mapping


def _sniff(path: Path, head: bytes) -> None:
    """Refuse what is plainly not CSV text (a spreadsheet, an archive, an image)."""
    if b"\x00" in head:
        raise AuditInputError(f"{path}: binary file (NUL bytes), not a CSV text export")
    b = np.frombuffer(head, dtype=np.uint8)
    control = int(((b < 9) | ((b > 13) & (b < 32))).sum())
    if head and control / len(head) > 0.01:
        raise AuditInputError(f"{path}: binary file (control bytes), not a CSV text export")


def record_start_lines(path: Path) -> np.ndarray:
    """Physical line number at which each CSV record starts (record 1 is the header).

    A newline inside a quoted field does not end a record, so line numbers stay right when a
    field spans lines. Scans the bytes in 16 MiB blocks with numpy (quote parity carried over).
    """
    starts = [np.array([1], dtype=np.int64)]
    carry = 0
    lines_before = 0
    last = b""
    with open(path, "rb") as fh:
        while block := fh.read(1 << 24):
            buf = np.frombuffer(block, dtype=np.uint8)
            nl = np.flatnonzero(buf == 10)
            q = np.flatnonzero(buf == 34)
            unquoted = np.flatnonzero(((carry + np.searchsorted(q, nl)) & 1) == 0)
            starts.append(lines_before + unquoted.astype(np.int64) + 2)
            lines_before += len(nl)
            carry = (carry + len(q)) & 1
            last = block[-1:]
    out = np.concatenate(starts)
    if last == b"\n":  # the "record" after the final newline is empty
        out = out[:-1]
    return out


def _read_header(path: Path) -> list[str]:
    try:
        return list(pd.read_csv(path, nrows=0, encoding="utf-8-sig", encoding_errors="replace").columns)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError, ValueError) as exc:
        raise AuditInputError(f"{path}: no readable CSV header ({_one_line(exc)})") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


class _Unterminated(Exception):
    """A quote opened and never closed: the parser reads the rest of the file as one field."""

    def __init__(self, record: int) -> None:
        self.record = record  # 0-based, header = 0


def _read_chunks(path: Path, usecols: list[str], size: int, head: bytes, progress: Progress,
                 chunk_rows: int, nrows: int | None = None) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Parse every used column as text, then ``category``, in chunks (for the progress bar)."""
    est_rows = max(1, int(size * max(head.count(b"\n"), 1) / max(len(head), 1)))
    skipped: list[tuple[int, str]] = []
    chunks: list[pd.DataFrame] = []
    done = 0
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            reader = pd.read_csv(
                path, usecols=usecols, dtype=object, encoding="utf-8-sig", encoding_errors="replace",
                on_bad_lines="warn", skip_blank_lines=False, keep_default_na=False, na_values=[""],
                chunksize=chunk_rows, nrows=nrows,
            )
            with reader:
                for chunk in reader:
                    chunks.append(_categorise(chunk))
                    done += len(chunk)
                    progress.update(done / est_rows, "reading")
        for w in caught:
            for m in re.finditer(r"Skipping line (\d+): ([^\n]*)", str(w.message)):
                skipped.append((int(m.group(1)), m.group(2).strip()))
    except (pd.errors.ParserError, UnicodeError, ValueError) as exc:
        m = re.search(r"EOF inside string starting at row (\d+)", str(exc))
        if m and nrows is None:
            raise _Unterminated(int(m.group(1))) from None
        raise AuditInputError(f"{path}: not a readable CSV ({_one_line(exc)})") from None
    if not chunks:
        return pd.DataFrame({c: pd.Categorical([]) for c in usecols}), skipped
    if len(chunks) == 1:
        return chunks[0].reset_index(drop=True), skipped
    data = {c: union_categoricals([ch[c] for ch in chunks]) for c in usecols}
    return pd.DataFrame(data), skipped


def _categorise(chunk: pd.DataFrame) -> pd.DataFrame:
    """Text columns to ``category`` via factorize (read_csv's own "category" dtype infers numbers
    and loses "007"; ``astype("category")`` is twice as slow)."""
    out = {}
    for c in chunk.columns:
        codes, uniques = pd.factorize(chunk[c].to_numpy(dtype=object), use_na_sentinel=True)
        out[c] = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))
    return pd.DataFrame(out)


# --- per distinct value validation -------------------------------------------------------------------


def _cats(s: pd.Series) -> tuple[pd.Index, np.ndarray]:
    """Distinct values (as stripped strings) and each row's index into them (-1 = missing)."""
    cats = pd.Index(s.cat.categories.astype(str)).str.strip()
    return cats, s.cat.codes.to_numpy()


def _take(values: np.ndarray, codes: np.ndarray, missing: object) -> np.ndarray:
    """Map per-category values to rows; code -1 (missing) gets ``missing``."""
    ext = np.empty(len(values) + 1, dtype=values.dtype if values.dtype != bool else bool)
    ext[:-1] = values
    ext[-1] = missing
    return ext[codes]


def _normalised_categorical(cats: pd.Index, codes: np.ndarray, new: pd.Index) -> pd.Categorical:
    """Re-categorise rows after normalising each distinct value ("" becomes missing)."""
    new = new.where(new != "", None)
    new_codes, uniques = pd.factorize(new, use_na_sentinel=True)
    row_codes = _take(new_codes.astype(np.int64), codes, -1)
    return pd.Categorical.from_codes(row_codes, categories=uniques)


def _parse_dates(cats: pd.Index) -> np.ndarray:
    """Days since 1970-01-01 per distinct value (ISO 8601 or MM/DD/YYYY); -1 when invalid."""
    iso = cats.str.replace(r"[T ]00:00(:00)?$", "", regex=True)
    d1 = pd.to_datetime(pd.Series(iso.where(iso.str.fullmatch(r"\d{4}-\d{2}-\d{2}"))),
                        format="%Y-%m-%d", errors="coerce")
    d2 = pd.to_datetime(pd.Series(cats.where(cats.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}"))),
                        format="%m/%d/%Y", errors="coerce")
    d = d1.fillna(d2).to_numpy(dtype="datetime64[D]")
    ok = ~np.isnat(d) & (d >= MIN_DATE) & (d <= MAX_DATE)
    return np.where(ok, d.astype("int64", copy=False), -1)


def _modifier_values(cats: pd.Index) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    norm, ok, m25, mjz, mjw = [], [], [], [], []
    for value in cats:  # distinct values only: a handful
        tokens = [t for t in _SPLIT_RE.split(value.upper()) if t]
        norm.append(" ".join(tokens))
        ok.append(all(_MOD_TOKEN_RE.match(t) for t in tokens))
        m25.append("25" in tokens)
        mjz.append("JZ" in tokens)
        mjw.append("JW" in tokens)
    return pd.Index(norm, dtype=object), np.array(ok, bool), np.array(m25, bool), np.array(mjz, bool), \
        np.array(mjw, bool)


def _diagnosis_values(cats: pd.Index) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Normalise ICD-10-CM lists ("Z451,g35" -> "Z45.1;G35"); flag bad tokens and bare G35."""
    norm, ok, g35 = [], [], []
    for value in cats:  # distinct combinations: thousands at most
        tokens, good = [], True
        for t in _SPLIT_RE.split(value.upper()):
            if not t:
                continue
            m = _DX_TOKEN_RE.match(t)
            if m is None:
                good = False
                tokens.append(t)
            else:
                tokens.append(m.group(1) + ("." + m.group(2) if m.group(2) else ""))
        norm.append(";".join(tokens))
        ok.append(good)
        g35.append("G35" in tokens)
    return pd.Index(norm, dtype=object), np.array(ok, bool), np.array(g35, bool)


# --- the whole file ----------------------------------------------------------------------------------


def read_claims(path: str | Path, progress: Progress | None = None, max_bytes: int = MAX_BYTES,
                chunk_rows: int = 250_000) -> Claims:
    """Read, map and validate a claims CSV. Raises ``AuditInputError`` when nothing can be read."""
    p = Path(path)
    progress = progress or Progress(False)
    if not p.exists():
        raise AuditInputError(f"{p}: no such file")
    if not p.is_file():
        raise AuditInputError(f"{p}: not a regular file")
    size = p.stat().st_size
    if size == 0:
        raise AuditInputError(f"{p}: empty file (no header row; expected columns: {', '.join(REQUIRED)})")
    if size > max_bytes:
        raise AuditInputError(f"{p}: file is {size / 1e6:.0f} MB, over the {max_bytes / 1e6:.0f} MB limit "
                              "(split it, or raise --max-mb)")
    with open(p, "rb") as fh:
        head = fh.read(65536)
    _sniff(p, head)
    header = _read_header(p)
    mapping = map_columns(header)
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        shown = ", ".join(str(h) for h in header[:12]) or "(none)"
        raise AuditInputError(f"{p}: missing required column(s): {', '.join(missing)} (found: {shown})")
    notes: list[str] = []
    progress.update(0.0, "reading", force=True)
    usecols = list(dict.fromkeys(mapping.values()))
    unterminated: list[tuple[int, str]] = []
    try:
        raw, skipped = _read_chunks(p, usecols, size, head, progress, chunk_rows)
    except _Unterminated as u:  # keep every record before the stray quote, report the rest as one
        raw, skipped = _read_chunks(p, usecols, size, head, progress, chunk_rows, nrows=max(u.record - 1, 0))
        unterminated.append((u.record, "unterminated quote: from this line to the end of the file is one "
                                       "unreadable field"))
    raw = raw.rename(columns={v: k for k, v in mapping.items()})
    raw = raw[[c for c in ALL_COLUMNS if c in mapping]]

    starts = record_start_lines(p)
    skipped_records = {rec for rec, _ in skipped}
    keep = np.ones(len(starts) + 1, bool)
    keep[:2] = False  # record numbers are 1-based and record 1 is the header
    keep[[r for r in skipped_records if r < len(keep)]] = False
    data_records = np.flatnonzero(keep)
    if unterminated:
        data_records = data_records[: len(raw)]
    if len(data_records) == len(raw):
        line_no = starts[data_records - 1]
        bad_lines = [(int(starts[r - 1]) if r <= len(starts) else r, f"wrong number of fields ({msg})")
                     for r, msg in skipped]
        bad_lines += [(int(starts[r]) if r < len(starts) else r + 1, msg) for r, msg in unterminated]
    else:  # unusual quoting confused the scan: fall back to record numbers
        notes.append("line numbers are record numbers (the file's quoting could not be mapped to lines)")
        line_no = np.arange(2, len(raw) + 2, dtype=np.int64)
        bad_lines = [(r, f"wrong number of fields ({msg})") for r, msg in skipped] + unterminated
    progress.update(1.0, "validating", force=True)
    lines, malformed = _normalise(raw, line_no, mapping)
    if bad_lines:
        extra = pd.DataFrame({"line": [ln for ln, _ in bad_lines], "reason": [msg for _, msg in bad_lines]})
        malformed = pd.concat([malformed, extra], ignore_index=True).sort_values("line", kind="stable")
        malformed = malformed.reset_index(drop=True)
    return Claims(str(p), size, lines, malformed, mapping, len(raw) + len(bad_lines), notes)


def _normalise(raw: pd.DataFrame, line_no: np.ndarray, mapping: dict[str, str]) -> tuple[pd.DataFrame,
                                                                                          pd.DataFrame]:
    """Validate each column per distinct value; return (valid normalised rows, malformed rows)."""
    n = len(raw)
    problems: list[tuple[np.ndarray, str, str | None]] = []  # (row mask, reason, column to quote)
    out: dict[str, object] = {"line": line_no}

    def ident(col: str) -> None:
        cats, codes = _cats(raw[col])
        cat = _normalised_categorical(cats, codes, cats)
        out[col] = cat
        problems.append((np.asarray(cat.codes) < 0, f"missing {col}", None))

    for col in ("claim_id", "patient_id", "provider_id"):
        ident(col)

    cats, codes = _cats(raw["date_of_service"])
    day = _take(_parse_dates(cats), codes, -2)
    problems.append((day == -2, "missing date_of_service", None))
    problems.append((day == -1, "bad date_of_service", "date_of_service"))
    out["day"] = day.astype(np.int32)

    cats, codes = _cats(raw["place_of_service"])
    pos_ok = _take(np.asarray(cats.str.fullmatch(r"\d{1,2}"), bool), codes, True)
    out["pos"] = _normalised_categorical(cats, codes, cats.str.zfill(2))
    problems.append((codes < 0, "missing place_of_service", None))
    problems.append((~pos_ok, "bad place_of_service", "place_of_service"))

    cats, codes = _cats(raw["code"])
    up = cats.str.upper()
    code_ok = _take(np.asarray(up.str.fullmatch(_CODE_RE), bool), codes, True)
    out["code"] = _normalised_categorical(cats, codes, up)
    problems.append((codes < 0, "missing code", None))
    problems.append((~code_ok, "unknown code format", "code"))

    cats, codes = _cats(raw["modifiers"])
    norm, ok, m25, mjz, mjw = _modifier_values(cats)
    out["modifiers"] = _normalised_categorical(cats, codes, norm)
    out["m25"], out["mjz"], out["mjw"] = _take(m25, codes, False), _take(mjz, codes, False), \
        _take(mjw, codes, False)
    problems.append((~_take(ok, codes, True), "bad modifier", "modifiers"))

    cats, codes = _cats(raw["units"])
    u = pd.to_numeric(pd.Series(cats), errors="coerce").to_numpy(dtype=float)
    units = _take(u, codes, np.nan)
    problems.append((codes < 0, "missing units", None))
    problems.append(((codes >= 0) & np.isnan(units), "units not a number", "units"))
    problems.append((units < 0, "negative units", "units"))
    problems.append((units == 0, "zero units", "units"))
    problems.append(((units > 0) & (units != np.floor(units)), "units not a whole number", "units"))
    out["units"] = units

    if "diagnoses" in mapping:
        cats, codes = _cats(raw["diagnoses"])
        norm, ok, g35 = _diagnosis_values(cats)
        out["diagnoses"] = _normalised_categorical(cats, codes, norm)
        out["bare_g35"] = _take(g35, codes, False)
        problems.append((~_take(ok, codes, True), "bad diagnosis code", "diagnoses"))
    else:
        out["diagnoses"] = pd.Categorical.from_codes(np.full(n, -1), categories=[])
        out["bare_g35"] = np.zeros(n, bool)
    if "payer" in mapping:
        cats, codes = _cats(raw["payer"])
        out["payer"] = _normalised_categorical(cats, codes, cats)
    else:
        out["payer"] = pd.Categorical.from_codes(np.full(n, -1), categories=[])

    for col in DOSE_COLUMNS:
        if col not in mapping:
            out[col] = np.full(n, np.nan)
            continue
        cats, codes = _cats(raw[col])
        v = _take(pd.to_numeric(pd.Series(cats), errors="coerce").to_numpy(dtype=float), codes, np.nan)
        problems.append(((codes >= 0) & np.isnan(v), f"{col} not a number", col))
        problems.append((v < 0, f"negative {col}", col))
        out[col] = v
    if "drug_diluted" in mapping:
        cats, codes = _cats(raw["drug_diluted"])
        low = cats.str.lower()
        val = np.where(low.isin(_TRUE), 1.0, np.where(low.isin(_FALSE), 0.0, np.nan))
        diluted = _take(val, codes, np.nan)
        problems.append(((codes >= 0) & np.isnan(diluted), "drug_diluted not yes/no", "drug_diluted"))
        out["diluted"] = diluted
    else:
        out["diluted"] = np.full(n, np.nan)
    if "change_note" in mapping:
        cats, codes = _cats(raw["change_note"])
        out["has_note"] = _take(np.asarray(cats != "", bool), codes, False)
    else:
        out["has_note"] = np.zeros(n, bool)

    empty = np.asarray(raw.isna().all(axis=1)) if n else np.zeros(0, bool)
    bad = empty.copy()
    for mask, _, _ in problems:
        bad |= mask
    lines = pd.DataFrame(out)
    malformed = _describe(raw, line_no, bad, empty, problems)
    return lines.loc[~bad].reset_index(drop=True), malformed


def _describe(raw: pd.DataFrame, line_no: np.ndarray, bad: np.ndarray, empty: np.ndarray,
              problems: list[tuple[np.ndarray, str, str | None]]) -> pd.DataFrame:
    """The malformed rows: line number, every reason (quoting the bad value), the raw fields."""
    idx = np.flatnonzero(bad)
    sub = raw.iloc[idx].astype(object).fillna("").astype(str)
    reason = np.full(len(idx), "", dtype=object)

    def add(part: np.ndarray) -> None:
        nonlocal reason
        reason = np.where(part == "", reason, np.where(reason == "", part, reason + "; " + part))

    add(np.where(empty[idx], "empty row", "").astype(object))
    for mask, label, col in problems:
        m = mask[idx] & ~empty[idx]
        if not m.any():
            continue
        text = label + " '" + sub[col].to_numpy(dtype=object) + "'" if col else np.full(len(idx), label, object)
        add(np.where(m, text, "").astype(object))
    frame = pd.DataFrame({"line": line_no[idx], "reason": reason})
    return pd.concat([frame, sub.reset_index(drop=True)], axis=1)

