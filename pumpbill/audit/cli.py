"""``pumpbill audit`` and ``pumpbill synth``: argparse wiring for the lead's CLI.

The lead's ``pumpbill/cli.py`` calls ``add_audit_parser(subparsers)`` and
``add_synth_parser(subparsers)``; each sets ``func`` to a handler ``handler(args) -> int``.
This module imports neither pandas nor numpy: they load only when a handler runs, so the
core CLI starts fast and works without the ``reports`` extra installed.

Exit codes of ``audit``: 0 no error-severity finding, 1 at least one, 2 unusable input (one
line on stderr naming the file and the problem, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from .catalog import RULE_ORDER, RULES

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
DEFAULT_MAX_MB = 2048


def _need_pandas(cmd: str) -> str | None:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return f"pumpbill {cmd}: error: needs pandas: pip install 'pumpbill[reports]'"
    return None


def _megabytes(text: str) -> float:
    """A size limit in MB: a finite number above 0 (``nan`` and ``inf`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 1e9:
        raise argparse.ArgumentTypeError(f"must be a number of MB above 0: {text!r}")
    return value


def add_audit_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``audit CLAIMS.csv --out DIR [--format text|json] [--no-progress]``."""
    rules = "; ".join(f"{r} {RULES[r].name}" for r in RULE_ORDER)
    p = subparsers.add_parser(
        "audit", help="find pump-billing risks in a practice's (de-identified) claims export",
        description="Audit a CSV of claim lines or an X12 837P (5010) professional claim file (CSV columns: "
                    "claim_id, patient_id, provider_id, date_of_service, "
                    "place_of_service, code, modifiers, units, diagnoses, payer; optional dose columns "
                    "reservoir_ml, volume_added_ml, volume_after_ml, concentration_mcg_per_ml, daily_dose_mcg, "
                    "alarm_ml, drug_diluted, change_note; other columns are ignored). Writes findings.csv, "
                    "malformed_rows.csv, summary.json and report.html to --out. De-identified/synthetic data "
                    "only; do not paste real patient information.",
        epilog=f"Rules: {rules}. Exit: 0 no errors, 1 error findings, 2 unusable input.",
    )
    p.add_argument("claims", help="the claims file: CSV, or X12 837P (recognised by its ISA header)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the report files (created)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="terminal summary format")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                   help="progress bar: auto = on a terminal for files over 5 MB (default)")
    p.add_argument("--max-mb", type=_megabytes, default=DEFAULT_MAX_MB, metavar="MB",
                   help=f"refuse bigger input files (default {DEFAULT_MAX_MB})")
    p.add_argument("--engine", choices=("duckdb", "pandas", "spark"), default="duckdb",
                   help="where the checks run: duckdb (default; spills to disk, any size), pandas (the reference "
                        "implementation, in memory) or spark (the same SQL on Spark: local mode, or the cluster "
                        "named by SPARK_REMOTE / spark-submit)")
    p.set_defaults(func=run_audit)
    return p


def run_audit(args: argparse.Namespace) -> int:
    """Handler of ``pumpbill audit``."""
    if msg := _need_pandas("audit"):
        print(msg, file=sys.stderr)
        return EXIT_INPUT
    from pumpbill.errors import InputError

    from .pipeline import audit_file
    from .progress import Progress
    from .report import summary, text_summary, write_outputs
    from .schema import AuditInputError

    path = Path(args.claims)
    mode = "never" if args.no_progress else args.progress
    size = path.stat().st_size if path.is_file() else 0
    progress = Progress.for_file(mode, size)
    try:
        result = audit_file(path, progress=progress, max_bytes=int(args.max_mb * 1024 * 1024), engine=args.engine)
        progress.update(1.0, "writing report", force=True)
        out = Path(args.out)
        s = summary(result)
        write_outputs(result, out, s)
    except (AuditInputError, InputError) as exc:
        progress.close(ok=False)
        print(f"pumpbill audit: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:
        progress.close(ok=False)
        print(f"pumpbill audit: error: {exc.filename or args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    progress.close()
    if args.format == "json":
        print(json.dumps(s, indent=2))
    else:
        print(text_summary(result, out, s))
    return EXIT_FINDINGS if result.exit_code else EXIT_OK


def add_synth_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``synth --out FILE.csv --patients N --seed S [--error-rate R] ...``."""
    p = subparsers.add_parser(
        "synth", help="write a synthetic claims history with seeded errors (fake IDs)",
        description="Write a realistic but entirely synthetic claims CSV (fake SYN- IDs) with errors seeded at "
                    "known rates, plus FILE.truth.json (what was seeded where). For tests, benchmarks and "
                    "teaching; never real patient information.",
    )
    p.add_argument("--out", required=True, metavar="FILE.csv", help="the CSV to write (truth goes beside it)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--patients", type=int, default=500, help="number of patients (default 500)")
    size.add_argument("--lines", type=int, help="instead of --patients: size the file to about this many lines")
    p.add_argument("--seed", type=int, default=0, help="random seed; same seed, same file (default 0)")
    p.add_argument("--error-rate", type=float, default=0.03,
                   help="share of eligible visits given each seeded error pattern (default 0.03, max 0.09)")
    p.add_argument("--providers", type=int, default=None, help="number of providers (default patients/60, min 10)")
    p.add_argument("--outlier-providers", type=int, default=1,
                   help="providers seeded as outliers, per pattern AUD01/AUD02 (default 1)")
    p.add_argument("--dose-share", type=float, default=0.7, help="share of patients with dose data (default 0.7)")
    p.add_argument("--malformed-rate", type=float, default=0.0,
                   help="extra corrupted rows, as a share of lines (default 0)")
    p.add_argument("--837p", dest="x12", metavar="FILE.837",
                   help="also write the same history as an X12 837P (5010) claim file (dose columns cannot be "
                        "carried in an 837P)")
    p.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1), help="first date (2024-01-01)")
    p.add_argument("--end", type=date.fromisoformat, default=date(2026, 6, 30), help="last date (2026-06-30)")
    p.set_defaults(func=run_synth)
    return p


def run_synth(args: argparse.Namespace) -> int:
    """Handler of ``pumpbill synth``."""
    if msg := _need_pandas("synth"):
        print(msg, file=sys.stderr)
        return EXIT_INPUT
    from .synth import SynthConfig, patients_for, truth_path, write_synth

    try:
        cfg = SynthConfig(patients=args.patients, seed=args.seed, error_rate=args.error_rate,
                          providers=args.providers, start=args.start, end=args.end, dose_share=args.dose_share,
                          outlier_providers=args.outlier_providers, malformed_rate=args.malformed_rate)
        if args.lines:
            cfg = SynthConfig(**{**cfg.__dict__, "patients": patients_for(args.lines, cfg)})
        truth = write_synth(cfg, args.out, args.x12)
    except ValueError as exc:
        print(f"pumpbill synth: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:
        print(f"pumpbill synth: error: {exc.filename or args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    print(f"wrote {args.out}: {truth['lines']:,} lines, {cfg.patients:,} patients, {cfg.n_providers} providers "
          f"(SYNTHETIC, fake IDs); ground truth in {truth_path(args.out)}"
          + (f"; the same history as 837P in {args.x12}" if args.x12 else ""))
    return EXIT_OK
