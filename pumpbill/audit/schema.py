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
"NPI", "Dx"...). The canonical name wins over another spelling next to it (with a note); one header
twice, or several other spellings without the canonical name, are refused (exit status 2).

How a file is read (``ingest`` for CSV, ``x12`` for 837P, then ``validate``; ``load`` runs them):
every physical line is accounted for. A row is either checked (``Claims.lines``) or listed in
``Claims.malformed`` with its line number and the reason; ``rows_read == rows_checked +
rows_malformed`` always (the summary shows it). The rows live in a DuckDB table, so a file bigger
than memory is read out of core; ``Claims.lines`` turns them into a pandas frame only when asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .progress import Progress

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

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
class AuditInputError(Exception):
    """The input cannot be audited at all (missing, binary, too big, no usable header)."""


@dataclass
class Claims:
    """The claim lines of one input file: the checked ones (in DuckDB) and what was set aside."""

    path: str
    size: int
    malformed: pd.DataFrame  # line, reason, the raw documented fields, text (the line as written)
    columns: dict[str, str]  # canonical name -> header as spelled in the file (837P: the element)
    rows_read: int
    notes: list[str] = field(default_factory=list)
    con: Any = None  # the DuckDB connection holding the table ``lines`` (LINE SCHEMA)
    format: str = "csv"  # "csv" or "837p"
    unit: str = "line"  # what ``line`` counts: a physical line, or an X12 segment
    rows_checked: int = 0
    lines_in_file: int | None = None  # CSV: physical lines counted from the bytes, the header included
    continuation_lines: int | None = None  # CSV: lines inside multi-line quoted records
    _frame: pd.DataFrame | None = field(default=None, repr=False)
    _stats: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    def has(self, column: str) -> bool:
        return column in self.columns

    @property
    def lines(self) -> pd.DataFrame:
        """The checked rows as the pandas frame the reference checks use (built on first use)."""
        if self._frame is None:
            from .lines import to_frame
            from .load import arrow

            self._frame = to_frame(arrow(self.con, "SELECT * FROM lines ORDER BY line"))
        return self._frame

    @property
    def rows_malformed(self) -> int:
        """Rows set aside. For an 837P, ``malformed`` also lists the file's other errors (not rows)."""
        return self.rows_read - self.rows_checked

    def stats(self) -> dict[str, Any]:
        """Counts for the summary, computed where the rows are (no pandas frame of the lines); once, since the
        checked rows never change after loading (the summary, the report and the banner all ask)."""
        if self._stats is None:
            self._stats = self._count()
        return {k: list(v) if isinstance(v, list) else v for k, v in self._stats.items()}

    def _count(self) -> dict[str, Any]:
        n, claims, patients, providers, first, last, synthetic = self.con.execute(
            "SELECT count(*), count(DISTINCT claim_id), count(DISTINCT patient_id), count(DISTINCT provider_id), "
            "min(day), max(day), coalesce(bool_and(starts_with(patient_id, 'SYN-')), false) FROM lines").fetchall()[0]
        from datetime import date, timedelta

        def iso(day: int | None) -> str | None:
            return None if day is None else (date(1970, 1, 1) + timedelta(days=int(day))).isoformat()

        return {"lines": n, "claims": claims, "patients": patients, "providers": providers,
                "date_range": [iso(first), iso(last)] if n else None, "synthetic": bool(synthetic) and n > 0}


def _norm_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def map_columns(header: list[str], source: str = "", notes: list[str] | None = None) -> dict[str, str]:
    """Canonical column -> header in the file.

    A header with the canonical name ("patient_id") is the column, and other spellings of it next to
    it ("Member ID") are ignored with a note in ``notes``: exports often carry related fields. What is
    refused (exit status 2) is a choice we cannot make: one header twice ("Modifier" four times), or
    several other spellings and no canonical name ("CPT" and "HCPCS"). Taking the first would silently
    leave the other's values unaudited."""
    norms = [_norm_header(h) for h in header]
    mapping: dict[str, str] = {}
    for canon in ALL_COLUMNS:
        spellings = {canon, *ALIASES.get(canon, ())}
        found = [(h, n) for h, n in zip(header, norms, strict=True) if n in spellings]
        if not found:
            continue
        exact = [h for h, n in found if n == canon]
        repeated = sorted({n for _, n in found if sum(1 for _, m in found if m == n) > 1})
        if repeated or (len(found) > 1 and len(exact) != 1):
            shown = " and ".join(repr(str(h)) for h, _ in found[:4]) + (" ..." if len(found) > 4 else "")
            each = "both" if len(found) == 2 else "all"
            fix = ("combine them into one column" if repeated else
                   "keep the one that holds what was billed (rename or remove the others)")
            raise AuditInputError(f"{source}: columns {shown} {each} mean {canon}: {fix}, so that it is clear "
                                  "which values are audited")
        mapping[canon] = exact[0] if exact else found[0][0]
        if len(found) > 1 and notes is not None:
            others = ", ".join(repr(str(h)) for h, n in found if h != mapping[canon])
            notes.append(f"column {mapping[canon]!r} read as {canon}; {others} ignored (another spelling of it)")
    return mapping


# --- the whole file ----------------------------------------------------------------------------------


def read_claims(path: str | Path, progress: Progress | None = None, max_bytes: int = MAX_BYTES,
                chunk_rows: int | None = None) -> Claims:
    """Read and validate a claims CSV or X12 837P file (see ``ingest`` and ``validate``).

    Raises ``AuditInputError`` when nothing can be read. ``chunk_rows`` is accepted for compatibility.
    """
    from .load import load

    return load(path, progress=progress, max_bytes=max_bytes)
