"""Benchmark the practice audit at 1M and 20M lines, against a plain pandas read and a row-by-row baseline.

    python benchmarks/bench_audit.py [--lines 1000000] [--big 20000000] [--spark-lines 200000]
                                     [--sample 50000] [--seed 7] [--dir bench-out] [--skip-big] [--skip-spark]

Every measurement runs in a fresh child process (``ru_maxrss`` of that child is its peak memory: a
child's peak starts from its parent's on Linux, so the parent never holds data):

1. ``--lines`` (1,000,000) synthetic lines (``pumpbill synth``, cached in ``--dir``). Measured: the
   whole ``pumpbill audit`` process (read, validate, checks on DuckDB, all four outputs) and, beside
   it, a whole process that only imports pandas and calls ``pandas.read_csv`` on the same file. The
   issue's target is audit <= 2x that read. In-process times (imports excluded) are shown too, and the
   floor of the design: a process that only has DuckDB read the file into a table.
2. ``--big`` (20,000,000) lines: the 1M file repeated with distinct patient/claim IDs per copy (a
   streaming rewrite, so the generator never holds 20M rows). Audited with DuckDB's memory capped
   (``PUMPBILL_AUDIT_MEMORY``, default here 3GB) so that it must spill to disk; time and peak memory,
   and the same plain pandas read for the ratio.
3. Spark local mode (``local[2]``) runs the same SQL checks on a ``--spark-lines`` sample; its
   findings are compared with DuckDB's.
4. The row-by-row baseline (``csv`` module, dicts) on a ``--sample`` file, extrapolated linearly
   (labelled), with per-rule counts compared against the vectorised audit, as before; and the pandas
   reference engine on the same sample.
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


def child(path: str, out: str, engine: str = "duckdb") -> None:
    """Run inside the measured process: audit in-process, write outputs, print one JSON line."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    from pumpbill.audit.pipeline import audit_file
    from pumpbill.audit.report import write_outputs

    t1, c1 = time.perf_counter(), time.process_time()
    result = audit_file(path, engine=engine)
    t2, c2 = time.perf_counter(), time.process_time()
    write_outputs(result, out)
    t3 = time.perf_counter()
    print(json.dumps({
        "engine": engine, "lines": result.claims.rows_read, "findings": len(result.findings),
        "by_rule": result.findings["rule"].value_counts().to_dict(),
        "import_s": t1 - t0, "audit_s": t2 - t1, "outputs_s": t3 - t2, "total_s": t3 - t0,
        "stages": result.timings, "cpu_s": time.process_time() - c0, "audit_cpu_s": c2 - c1,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: KiB
    }))


def read_child(path: str) -> None:
    """The comparison: a process that imports pandas and reads the CSV with its defaults."""
    t0 = time.perf_counter()
    import pandas as pd

    t1 = time.perf_counter()
    frame = pd.read_csv(path)
    t2 = time.perf_counter()
    print(json.dumps({"rows": len(frame), "import_s": t1 - t0, "read_s": t2 - t1,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def floor_child(path: str) -> None:
    """The floor of the design: a process that imports DuckDB and reads the CSV into a table (text columns,
    no quoting, strict), nothing else: no validation, no checks, no output."""
    t0 = time.perf_counter()
    import duckdb

    t1 = time.perf_counter()
    con = duckdb.connect()
    con.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, header=true, all_varchar=true, quote='', escape='', "
                "strict_mode=true)", [path])
    rows = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    t2 = time.perf_counter()
    print(json.dumps({"rows": rows, "import_s": t1 - t0, "read_s": t2 - t1,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def spark_child(path: str) -> None:
    """Spark local mode: the same SQL checks as DuckDB on ``path``; findings compared with DuckDB's."""
    from pumpbill.audit.engines import spark_session
    from pumpbill.audit.pipeline import audit_file

    t0 = time.perf_counter()
    spark = spark_session()
    t1 = time.perf_counter()
    on_spark = audit_file(path, engine="spark", spark=spark)
    t2 = time.perf_counter()
    on_duckdb = audit_file(path, engine="duckdb")
    same = on_spark.findings.astype(str).equals(on_duckdb.findings.astype(str))
    spark.stop()
    print(json.dumps({"lines": on_spark.claims.rows_read, "session_s": t1 - t0, "audit_s": t2 - t1,
                      "findings": len(on_spark.findings), "identical_to_duckdb": bool(same),
                      "stages": on_spark.timings}))


def run_child(args: list[str], wall: bool = True, env: dict | None = None) -> dict:
    """Run this script with ``args`` in a child process; its last stdout line is JSON (plus the wall time)."""
    t = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False,
                       env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    if wall:
        out["process_s"] = elapsed
    return out


def measure(path: Path, out: Path, engine: str = "duckdb", env: dict | None = None) -> dict:
    return run_child(["--child", str(path), str(out), engine], env=env)


def make_big(src: Path, lines: int, folder: Path) -> Path:
    """``lines`` lines: copies of ``src`` whose IDs get a copy number (SYN-k03-...), streamed in blocks."""
    path = folder / f"claims-{lines}-from-{src.stem}.csv"
    if path.exists():
        return path
    per = sum(1 for _ in open(src, "rb")) - 1
    copies = -(-lines // per)
    tmp = path.with_suffix(".tmp")
    t = time.perf_counter()
    written = 0
    with open(tmp, "wb") as out:
        with open(src, "rb") as fh:
            out.write(fh.readline())
        for k in range(copies):
            tag = b"SYN-k%02d-" % k
            with open(src, "rb") as fh:
                fh.readline()
                for block_lines in iter(lambda: fh.readlines(1 << 24), []):
                    take = block_lines[: lines - written]
                    out.write(b"".join(take).replace(b"SYN-", tag))
                    written += len(take)
                    if written >= lines:
                        break
            if written >= lines:
                break
    tmp.replace(path)
    print(f"made {path} ({written:,} lines) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


# --- the row-by-row baseline (the same checks, one Python loop over the rows) -------------------------------

FAMILY = {"62367", "62368", "62369", "62370"}
REFILL = {"95990", "95991"}
PUMP = FAMILY | REFILL | {"96521", "96522"}
INTERVAL_REFILL = {"62369", "62370", "95990", "95991", "96521", "96522"}
INCIDENT_TO = {"95990", "96521", "96522"}
FACILITY = {"19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53", "56", "61"}
EM = {"99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215"}
DRUGS = {"J0475", "J0476", "J2274", "J2278", "J1171", "J1170", "J3010", "J0735", "J0665"}
J1170_TERMINATED = date(2024, 9, 30)  # FACTS s.3: the last date of service for J1170 (CMS HCPCS file)
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
        if r["code"] == "J1170" and r["day"] > J1170_TERMINATED:
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


def _ratio_line(name: str, audit: dict, read: dict) -> str:
    whole = audit["process_s"] / read["process_s"]
    inproc = (audit["audit_s"] + audit["outputs_s"]) / read["read_s"]
    return (f"  {name}: audit {audit['process_s']:.2f} s whole process (in-process {audit['audit_s']:.2f} s audit + "
            f"{audit['outputs_s']:.2f} s outputs; stages {audit['stages']}), peak {audit['peak_mb']:.0f} MB\n"
            f"      plain pandas read: {read['process_s']:.2f} s whole process ({read['read_s']:.2f} s read_csv), "
            f"peak {read['peak_mb']:.0f} MB\n"
            f"      ratio audit / pandas read: {whole:.2f}x whole process (target <= 2x: "
            f"{'met' if whole <= 2 else 'NOT met'}), {inproc:.2f}x in-process")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--big", type=int, default=20_000_000)
    ap.add_argument("--spark-lines", type=int, default=200_000)
    ap.add_argument("--sample", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--memory", default="3GB", help="DuckDB memory limit for the big run (it spills beyond)")
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument("--dir", type=Path, default=ROOT / "bench-out", help="cache and output folder (git-ignored)")
    ap.add_argument("--child", nargs=3, metavar=("CSV", "OUT", "ENGINE"), help=argparse.SUPPRESS)
    ap.add_argument("--read", metavar="CSV", help=argparse.SUPPRESS)
    ap.add_argument("--floor", metavar="CSV", help=argparse.SUPPRESS)
    ap.add_argument("--spark", metavar="CSV", help=argparse.SUPPRESS)
    ap.add_argument("--make", nargs=3, metavar=("LINES", "SEED", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    if args.read:
        read_child(args.read)
        return 0
    if args.floor:
        floor_child(args.floor)
        return 0
    if args.spark:
        spark_child(args.spark)
        return 0
    if args.make:
        _make(int(args.make[0]), int(args.make[1]), Path(args.make[2]))
        return 0
    args.dir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    report: dict = {"machine": {"cores": os.cpu_count(), "load_average_start": load}}
    big = make_file(args.lines, args.seed, args.dir)
    sample = make_file(args.sample, args.seed + 1, args.dir)

    read_1m = min((run_child(["--read", str(big)]) for _ in range(3)), key=lambda r: r["process_s"])
    full = min((measure(big, args.dir / "out-full") for _ in range(3)), key=lambda r: r["process_s"])
    report.update(audit_1m=full, pandas_read_1m=read_1m)
    print(f"pumpbill audit benchmark  (machine: {os.cpu_count()} cores, load average {load[0]:.1f} at start; "
          "best of 3 runs each, every run a fresh process)")
    print(_ratio_line(f"{full['lines']:,} lines", full, read_1m))
    floor = min((run_child(["--floor", str(big)]) for _ in range(3)), key=lambda r: r["process_s"])
    report["duckdb_read_only_1m"] = floor
    print(f"      floor of the design: DuckDB reading the file into a table, nothing else: {floor['process_s']:.2f} s "
          f"whole process ({floor['process_s'] / read_1m['process_s']:.2f}x the pandas read); the checks' SQL "
          f"comes on top ({full['stages'].get('check_s', float('nan')):.2f} s of checks in the audit above)")

    if not args.skip_big:
        huge = make_big(big, args.big, args.dir)
        env = {"PUMPBILL_AUDIT_MEMORY": args.memory}
        audit_big = measure(huge, args.dir / "out-big", env=env)
        read_big = run_child(["--read", str(huge)])
        report.update(audit_20m=audit_big, pandas_read_20m=read_big, duckdb_memory_limit=args.memory)
        print(_ratio_line(f"{audit_big['lines']:,} lines (DuckDB memory limit {args.memory}, spills beyond)",
                          audit_big, read_big))

    if not args.skip_spark:
        spark_file = make_file(args.spark_lines, args.seed + 2, args.dir)
        sp = run_child(["--spark", str(spark_file)])
        report["spark_local"] = sp
        print(f"  Spark local[2], {sp['lines']:,} lines: session start {sp['session_s']:.1f} s, audit "
              f"{sp['audit_s']:.1f} s (stages {sp['stages']}); findings identical to DuckDB: "
              f"{sp['identical_to_duckdb']}")

    small = measure(sample, args.dir / "out-sample")
    small_pd = measure(sample, args.dir / "out-sample-pandas", engine="pandas")
    t, c = time.perf_counter(), time.process_time()
    base = baseline(sample)
    base_s, base_cpu = time.perf_counter() - t, time.process_time() - c
    per_line = base_s / args.sample
    vec_rules = {k: v for k, v in small["by_rule"].items() if not k.startswith("AUD0") or k == "AUD03"}
    same = {r: (base.get(r, 0), vec_rules.get(r, 0)) for r in sorted(set(base) | set(vec_rules))}
    mismatched = {r: v for r, v in same.items() if v[0] != v[1]}
    engines_agree = small["by_rule"] == small_pd["by_rule"]
    est = per_line * args.lines
    print(f"  row-by-row baseline on a {args.sample:,}-line sample: wall {base_s:.1f} s "
          f"({per_line * 1e6:.0f} us/line); EXTRAPOLATED (linear) to {args.lines:,} lines: {est:.0f} s")
    print(f"  on the same sample: DuckDB {small['audit_s']:.2f} s, pandas reference {small_pd['audit_s']:.2f} s; "
          f"findings per rule: baseline {'identical' if not mismatched else 'DIFFER: ' + str(mismatched)}, "
          f"pandas reference {'identical' if engines_agree else 'DIFFERENT'}")
    report.update(sample=small, sample_pandas=small_pd, baseline_sample_s=base_s, baseline_sample_cpu_s=base_cpu,
                  baseline_extrapolated_s=est, baseline_by_rule=dict(base), mismatched=mismatched,
                  load_average_end=os.getloadavg())
    (args.dir / "bench_audit.json").write_text(json.dumps(report, indent=2))
    return 0 if not mismatched and engines_agree else 1


if __name__ == "__main__":
    sys.exit(main())
