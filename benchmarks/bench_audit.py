"""Benchmark the practice audit on 1,000,000 claim lines, against a row-by-row baseline.

    python benchmarks/bench_audit.py [--lines 1000000] [--sample 50000] [--seed 7] [--dir bench-out]

1. Generates a synthetic claims file of exactly ``--lines`` lines (``pumpbill synth``; cached
   in ``--dir``, git-ignored, keyed by lines and seed).
2. Audits it in a fresh child process (read, all checks, all four output files) and reports
   the wall time, CPU time and peak resident memory (``ru_maxrss`` of that child: tracemalloc
   would slow pandas down and miss native allocations).
3. Runs a plain-Python row-by-row implementation of the same checks (``csv`` module, dicts,
   one loop per row) on a ``--sample`` line file, extrapolates its time linearly to
   ``--lines`` (clearly labelled as an extrapolation), audits the same sample with the
   vectorised code, and checks that both find the same number of findings per rule.

Targets (issue 6): under 15 s and under 2 GB for 1,000,000 lines on a 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS, TARGET_MB = 15.0, 2048.0


# --- data --------------------------------------------------------------------------------------------------


def make_file(lines: int, seed: int, folder: Path) -> Path:
    """A synthetic file of exactly ``lines`` lines (cached), made in a child process.

    Not in this process: on Linux a child's ``ru_maxrss`` starts from its parent's peak, so
    the measuring parent must never hold the generated frame.
    """
    path = folder / f"claims-{lines}-seed{seed}.csv"
    if not path.exists():
        subprocess.run([sys.executable, __file__, "--make", str(lines), str(seed), str(folder)], check=True)
    return path


def _make(lines: int, seed: int, folder: Path) -> None:
    from pumpbill.audit.files import atomic_write, write_csv
    from pumpbill.audit.synth import SynthConfig, generate, patients_for

    path = folder / f"claims-{lines}-seed{seed}.csv"
    cfg = SynthConfig(seed=seed)
    patients = int(patients_for(lines, cfg) * 1.02) + 1  # a little over, then cut at exactly `lines`
    t = time.perf_counter()
    frame = generate(SynthConfig(patients=patients, seed=seed)).frame
    if len(frame) < lines:
        raise SystemExit(f"generator made {len(frame)} lines, fewer than {lines}")
    atomic_write(path, lambda fh: write_csv(frame.iloc[:lines].drop(columns="seeded_error"), fh))
    print(f"generated {path} ({lines:,} lines, {patients:,} patients) in {time.perf_counter() - t:.1f} s",
          file=sys.stderr)


# --- the vectorised audit, measured in a child process ----------------------------------------------------


def child(path: str, out: str) -> None:
    """Run inside the measured process: audit in-process, write outputs, print one JSON line."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    from pumpbill.audit.pipeline import audit_file
    from pumpbill.audit.report import write_outputs

    t1, c1 = time.perf_counter(), time.process_time()
    result = audit_file(path)
    t2, c2 = time.perf_counter(), time.process_time()
    write_outputs(result, out)
    t3 = time.perf_counter()
    print(json.dumps({
        "lines": result.claims.rows_read, "findings": len(result.findings),
        "by_rule": result.findings["rule"].value_counts().to_dict(),
        "import_s": t1 - t0, "audit_s": t2 - t1, "outputs_s": t3 - t2, "total_s": t3 - t0,
        "stages": result.timings, "cpu_s": time.process_time() - c0, "audit_cpu_s": c2 - c1,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: KiB
    }))


def measure(path: Path, out: Path) -> dict:
    r = subprocess.run([sys.executable, __file__, "--child", str(path), str(out)], capture_output=True, text=True,
                       check=False)
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


# --- the row-by-row baseline (the same checks, one Python loop over the rows) -------------------------------

FAMILY = {"62367", "62368", "62369", "62370"}
REFILL = {"95990", "95991"}
PUMP = FAMILY | REFILL | {"96521", "96522"}
INTERVAL_REFILL = {"62369", "62370", "95990", "95991", "96521", "96522"}
INCIDENT_TO = {"95990", "96521", "96522"}
FACILITY = {"19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53", "56", "61"}
EM = {"99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215"}
DRUGS = {"J0475", "J0476", "J2274", "J2278", "J1171", "J1170", "J3010", "J0735", "J0665"}
CODE_RE = re.compile(r"^(?:\d{5}|[A-Z]\d{4}|\d{4}[FTU])$")
MOD_RE = re.compile(r"^[A-Z0-9]{2}$")
DX_RE = re.compile(r"^([A-Z]\d[0-9A-Z])\.?([0-9A-Z]{0,4})$")
SPLIT = re.compile(r"[\s,;|:/+]+")


def _num(text: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def baseline(path: Path) -> Counter:
    """Row by row: validate, then check with dicts keyed by patient/day. Returns findings per rule."""
    found: Counter = Counter()
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            try:
                day = date.fromisoformat(rec["date_of_service"])
            except ValueError:
                continue
            code = rec["code"].strip().upper()
            mods = [m for m in SPLIT.split(rec["modifiers"].upper()) if m]
            units = _num(rec["units"])
            dx = []
            for t in SPLIT.split(rec["diagnoses"].upper()):
                m = DX_RE.match(t) if t else None
                if m:
                    dx.append(m.group(1) + ("." + m.group(2) if m.group(2) else ""))
            if (not rec["claim_id"] or not rec["patient_id"] or not CODE_RE.match(code) or units is None
                    or units <= 0 or units != int(units) or not all(MOD_RE.match(m) for m in mods)):
                continue
            rows.append({"claim": rec["claim_id"], "pat": rec["patient_id"], "prov": rec["provider_id"], "day": day,
                         "pos": rec["place_of_service"].zfill(2), "code": code, "mods": set(mods), "units": units,
                         "g35": "G35" in dx, "res": _num(rec["reservoir_ml"]), "add": _num(rec["volume_added_ml"]),
                         "conc": _num(rec["concentration_mcg_per_ml"]), "dose": _num(rec["daily_dose_mcg"]),
                         "alarm": _num(rec["alarm_ml"]), "dil": rec["drug_diluted"], "note": bool(rec["change_note"])})
    by_day: dict[tuple, list] = defaultdict(list)
    by_pp_day: dict[tuple, list] = defaultdict(list)
    by_claim_code: dict[tuple, list] = defaultdict(list)
    for r in rows:
        by_day[(r["pat"], r["day"])].append(r)
        by_pp_day[(r["pat"], r["prov"], r["day"])].append(r)
        by_claim_code[(r["claim"], r["code"])].append(r)
    for r in rows:
        if r["code"] == "J1170" and r["day"] >= date(2025, 1, 1):
            found["PB206"] += 1
        if r["code"] in INCIDENT_TO and r["pos"] in FACILITY:
            found["PB701"] += 1
        if r["code"] in EM and "25" not in r["mods"] and any(x["code"] in PUMP for x in by_pp_day[(r["pat"], r["prov"],
                                                                                                    r["day"])]):
            found["PB103"] += 1
    for (_claim, code), group in by_claim_code.items():
        if code in DRUGS and group[0]["day"] >= date(2023, 7, 1) and not any({"JZ", "JW"} & x["mods"] for x in group):
            found["PB302"] += 1
    found["PB402"] = len({r["claim"] for r in rows if r["g35"] and r["day"] >= date(2025, 10, 1)})
    events: dict[str, list] = defaultdict(list)
    for (pat, day), group in sorted(by_day.items()):
        pump = [x for x in group if x["code"] in PUMP]
        n = sum(x["units"] for x in pump)
        fam = sum(x["units"] for x in pump if x["code"] in FAMILY)
        ref = sum(x["units"] for x in pump if x["code"] in REFILL)
        if n > 1 and not (n == 2 and fam == 1 and ref == 1):
            found["PB101"] += 1
        if fam and ref:
            found["PB102"] += 1
        refills = [x for x in group if x["code"] in INTERVAL_REFILL]
        if refills:
            def first(key: str, group: list = group) -> float | None:
                return next((x[key] for x in group if x[key] is not None), None)
            dil = next((x["dil"] for x in group if x["dil"]), "")
            events[pat].append({"day": day, "code": refills[0]["code"], "n_pump": len(pump), "res": first("res"),
                                "add": first("add"), "conc": first("conc"), "dose": first("dose"),
                                "alarm": first("alarm"), "zic": any(x["code"] == "J2278" for x in group),
                                "dil": dil, "note": any(x["note"] for x in group)})
    for evs in events.values():
        intervals = [(b["day"] - a["day"]).days for a, b in pairwise(evs)]
        med = statistics.median(intervals) if intervals else None
        usual_pool = []
        for i, ev in enumerate(evs):
            prev = evs[i - 1] if i else None
            changed = prev is not None and ((ev["dose"] is not None and prev["dose"] is not None
                                             and ev["dose"] != prev["dose"])
                                            or (ev["conc"] is not None and prev["conc"] is not None
                                                and ev["conc"] != prev["conc"]))
            ev["candidate"] = ev["n_pump"] == 1 and not ev["note"] and not changed
            if ev["candidate"]:
                usual_pool.append(ev["code"])
            if prev is None:
                continue
            iv = intervals[i - 1]
            t = None
            if prev["dose"] and prev["conc"] and (prev["add"] or prev["res"]):
                after = min(v for v in (prev["add"], prev["res"]) if v is not None)
                t = (after - (prev["alarm"] if prev["alarm"] is not None else 2.0)) / (prev["dose"] / prev["conc"])
                t = t if t > 0 else None
            limit = 84 if prev["dil"] in ("no", "n", "false", "0", "undiluted", "f") else 40
            expected = min(t, limit) if (t is not None and prev["zic"]) else t
            if (expected is not None and iv < 0.5 * expected) or (expected is None and len(intervals) >= 3
                                                                  and iv < 0.5 * med):
                found["PB601"] += 1
            if t is not None and iv > t:
                found["PB602"] += 1
            if prev["zic"] and iv > limit:
                found["PB603"] += 1
        counts = Counter(usual_pool)
        if counts:
            code, n = counts.most_common(1)[0]
            if len(usual_pool) >= 3 and 2 * n > len(usual_pool):
                found["AUD03"] += sum(1 for ev in evs if ev["candidate"] and ev["code"] != code)
    return found


# --- main ------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", type=Path, default=ROOT / "bench-out", help="cache and output folder (git-ignored)")
    ap.add_argument("--child", nargs=2, metavar=("CSV", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--make", nargs=3, metavar=("LINES", "SEED", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    if args.make:
        _make(int(args.make[0]), int(args.make[1]), Path(args.make[2]))
        return 0
    args.dir.mkdir(parents=True, exist_ok=True)
    big = make_file(args.lines, args.seed, args.dir)
    sample = make_file(args.sample, args.seed + 1, args.dir)
    load = os.getloadavg()

    full = measure(big, args.dir / "out-full")
    small = measure(sample, args.dir / "out-sample")
    t, c = time.perf_counter(), time.process_time()
    base = baseline(sample)
    base_s, base_cpu = time.perf_counter() - t, time.process_time() - c
    per_line = base_s / args.sample
    vec_rules = {k: v for k, v in small["by_rule"].items() if not k.startswith("AUD0") or k == "AUD03"}
    same = {r: (base.get(r, 0), vec_rules.get(r, 0)) for r in sorted(set(base) | set(vec_rules))}
    mismatched = {r: v for r, v in same.items() if v[0] != v[1]}

    print(f"pumpbill audit benchmark  (machine: {os.cpu_count()} cores, load average {load[0]:.1f} at start, "
          f"{os.getloadavg()[0]:.1f} at end: wall time > cpu time means other processes shared the cores)")
    print(f"  vectorised, {full['lines']:,} lines, one child process, everything (read, checks, 4 outputs):")
    print(f"    wall {full['total_s']:.1f} s  (imports {full['import_s']:.1f}, audit {full['audit_s']:.1f} = "
          f"{full['stages']}, outputs {full['outputs_s']:.1f})")
    print(f"    cpu  {full['cpu_s']:.1f} s   peak memory (ru_maxrss) {full['peak_mb']:.0f} MB")
    print(f"    targets: < {TARGET_SECONDS:.0f} s -> {'met' if full['total_s'] < TARGET_SECONDS else 'NOT met'}, "
          f"< {TARGET_MB / 1024:.0f} GB -> {'met' if full['peak_mb'] < TARGET_MB else 'NOT met'}")
    print(f"  row-by-row baseline on a {args.sample:,}-line sample: wall {base_s:.1f} s, cpu {base_cpu:.1f} s "
          f"({per_line * 1e6:.0f} us/line)")
    est, est_cpu = per_line * args.lines, base_cpu / args.sample * args.lines
    print(f"    EXTRAPOLATED (linear) to {args.lines:,} lines: wall {est:.0f} s, cpu {est_cpu:.0f} s")
    print(f"    ratio baseline / vectorised (same read + checks, no outputs): wall {est / full['audit_s']:.1f}x, "
          f"cpu {est_cpu / full['audit_cpu_s']:.1f}x")
    print(f"  vectorised on the same sample: {small['audit_s']:.2f} s audit; findings per rule "
          f"{'identical to the baseline' if not mismatched else 'DIFFER: ' + str(mismatched)}")
    (args.dir / "bench_audit.json").write_text(json.dumps({
        "full": full, "sample": small, "baseline_sample_s": base_s, "baseline_sample_cpu_s": base_cpu,
        "baseline_extrapolated_s": est, "baseline_extrapolated_cpu_s": est_cpu,
        "load_average": load, "baseline_by_rule": dict(base), "mismatched": mismatched}, indent=2))
    return 0 if not mismatched else 1


if __name__ == "__main__":
    sys.exit(main())
