"""Benchmark ``pumpbill check``: wall time as a tool sees it (a fresh process), and the engine in-process.

    .venv/bin/python benchmarks/bench_check.py [--runs 15] [--n 10000] [--skip-engine] [--checkout DIR]

Part 1 (subprocess, median and minimum of --runs): Python start-up alone, importing what ``check`` needs, ``check`` on
one file, on 10 files one process each, and on 10 files (and a folder of them) in one run. The target for
one file is under 0.2 s: most of it is start-up and imports, which is why ``check`` takes several files
and loads only what it uses. ``--checkout DIR`` times another copy of the package (e.g. an older commit
unpacked with ``git archive COMMIT pumpbill | tar -x -C DIR``) for a before/after comparison; a row that
copy cannot run shows "n/a". The machine's load shows in every row: compare rows of one run.

Part 2 (in-process, --n varied scenarios built once): median time of validation + check per scenario,
and the throughput. Target: under 1 ms per scenario.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DRUGS = [("baclofen", "2000 mcg/mL"), ("morphine", "25 mg/mL"), ("ziconotide", "25 mcg/mL"),
         ("hydromorphone", "10 mg/mL"), ("fentanyl", "50 mcg/mL"), ("clonidine", "1000 mcg/mL")]


def make(rng: random.Random) -> dict:
    """A varied, fully documented scenario with a billed claim (some claims wrong on purpose)."""
    dos = date(2025, 1, 1) + timedelta(days=rng.randrange(700))
    drug, conc = rng.choice(DRUGS)
    reprog = rng.random() < 0.5
    enc = {
        "date": dos, "place_of_service": rng.choice(["11", "11", "11", "22", "19"]),
        "performed_by": rng.choice(["clinical_staff", "physician"]),
        "supervising_practitioner": "Dr. Synthetic", "supervision": "direct",
        "pump": {"type": "programmable", "route": "intrathecal", "manufacturer": "Medtronic", "model": "SynchroMed II"},
        "services": {"analysis": True, "reprogramming": reprog, "refill": True},
        "refill": {"drug": drug, "concentration": conc, "volume_added_ml": rng.choice([18, 20, 36, 40]),
                   "discarded": rng.choice(["0 mg", "4 mg"]), "residual_ml": 2, "lot": "SYN", "port": "central"},
        "prescription": {"daily_dose": f"{rng.randrange(100, 900)} mcg"},
        "previous_refill": {"date": dos - timedelta(days=rng.randrange(20, 120)), "volume_ml": 20},
        "diagnoses": rng.choice([["Z45.1", "G80.1"], ["G89.4", "Z45.1"], ["Z45.1", "G35"]]),
    }
    if reprog:
        enc["reprogramming"] = {"changes": [rng.choice(["daily_dose", "reservoir_volume"])], "reason": "pain"}
    lines = [{"code": rng.choice(["62369", "62370", "95990", "95991"])},
             {"code": "J0475", "units": rng.choice([4, 40]), "modifiers": rng.choice([[], ["JZ"]])}]
    if rng.random() < 0.3:
        lines.append({"code": "99213", "modifiers": rng.choice([[], ["25"]])})
    return {"encounter": enc, "claim": {"lines": lines}}


#: Children may write .pyc files, as an installed package has them: without them every run compiles.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _wall(cmd: list[str], runs: int, cwd: str | None = None, repeat: int = 1) -> tuple[float, float] | None:
    """(median, minimum) wall time of ``repeat`` runs of a command in a row, after one warm-up run (OS file
    cache, .pyc files); None when the command fails (a feature the timed copy does not have). On a shared
    machine the minimum is the better estimate of the cost itself; the median shows what the load adds."""
    if subprocess.run(cmd, capture_output=True, check=False, env=ENV, cwd=cwd).returncode not in (0, 1):
        return None
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(repeat):
            subprocess.run(cmd, capture_output=True, check=False, env=ENV, cwd=cwd)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def processes(runs: int, checkout: str | None = None) -> list[tuple[str, tuple[float, float] | None]]:
    """Part 1: fresh-process wall times (what a script calling `pumpbill check` per file pays)."""
    py = sys.executable
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(10):
            f = Path(tmp) / f"s{i:02d}.yaml"
            f.write_text(yaml.safe_dump(make(rng), sort_keys=False))
            files.append(str(f))
        check = [py, "-m", "pumpbill", "check"]
        each = max(3, runs // 3)  # 10 processes per run: fewer runs
        rows = [
            ("python start-up (python -c pass)", _wall([py, "-c", "pass"], runs, checkout)),
            ("import for check (cli, engine, loader, output)",
             _wall([py, "-c", "import pumpbill.cli, pumpbill.engine, pumpbill.loader, pumpbill.output"],
                          runs, checkout)),
            ("pumpbill check, 1 file", _wall([*check, files[0]], runs, checkout)),
            ("pumpbill check, 1 file --format json",
             _wall([*check, files[0], "--format", "json"], runs, checkout)),
            ("pumpbill check, 10 files, one process each", _wall([*check, files[0]], each, checkout, 10)),
            ("pumpbill check, 10 files in one run", _wall([*check, *files], runs, checkout)),
            ("pumpbill check, a folder of 10 files", _wall([*check, tmp], runs, checkout)),
        ]
    return rows


def engine(n: int, seed: int) -> list[tuple[str, str]]:
    """Part 2: the engine in-process (validation + check), as grading and the widgets use it."""
    from pumpbill.engine import check
    from pumpbill.loader import scenario_from_data

    rng = random.Random(seed)
    data = [make(rng) for _ in range(n)]
    check(scenario_from_data("warm", data[0]))  # load the ICD index and the registry once
    times = []
    start = time.perf_counter()
    for d in data:
        t0 = time.perf_counter()
        check(scenario_from_data("bench", d))
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    only_check = [scenario_from_data("bench", d) for d in data[:2000]]
    t0 = time.perf_counter()
    for sc in only_check:
        check(sc)
    check_only = (time.perf_counter() - t0) / len(only_check)
    return [("scenarios", f"{n}"),
            ("median per scenario (validate + check)", f"{statistics.median(times) * 1000:.3f} ms"),
            ("p95 per scenario", f"{sorted(times)[int(0.95 * len(times))] * 1000:.3f} ms"),
            ("check only (already validated), mean", f"{check_only * 1000:.3f} ms"),
            ("throughput", f"{n / total:,.0f} scenarios/s ({total:.2f} s total)")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="subprocess runs per row (median)")
    ap.add_argument("--n", type=int, default=10_000, help="scenarios for the in-process part")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-engine", action="store_true", help="only the subprocess timings")
    ap.add_argument("--checkout", metavar="DIR", help="time the pumpbill package in DIR instead (subprocesses)")
    args = ap.parse_args()

    print(f"{'wall time in seconds, ' + str(args.runs) + ' runs':<48} {'median':>8} {'min':>8}")
    for label, t in processes(args.runs, args.checkout):
        print(f"{label:<48} " + ("     n/a      n/a" if t is None else f"{t[0]:>8.3f} {t[1]:>8.3f}"))
    if not args.skip_engine:
        print()
        for label, value in engine(args.n, args.seed):
            print(f"{label:<48} {value:>24}")


if __name__ == "__main__":
    main()
