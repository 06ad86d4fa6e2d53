"""Benchmark: median time to check one scenario in-process, and throughput over 10,000 scenarios.

    .venv/bin/python benchmarks/bench_check.py [--n 10000]

Scenarios are varied (services, performers, drugs, claims with errors) and built once; the timed part is
validation + check, as `pumpbill check` does after reading the file. Target: under 1 ms per scenario.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta

from pumpbill.engine import check
from pumpbill.loader import scenario_from_data

DRUGS = [("baclofen", "2000 mcg/mL"), ("morphine", "25 mg/mL"), ("ziconotide", "25 mcg/mL"),
         ("hydromorphone", "10 mg/mL"), ("fentanyl", "50 mcg/mL"), ("clonidine", "1000 mcg/mL")]


def make(rng: random.Random) -> dict:
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    data = [make(rng) for _ in range(args.n)]
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

    print(f"scenarios: {args.n}")
    print(f"median per scenario (validate + check): {statistics.median(times) * 1000:.3f} ms")
    print(f"p95 per scenario: {sorted(times)[int(0.95 * len(times))] * 1000:.3f} ms")
    print(f"check only (already validated), mean: {check_only * 1000:.3f} ms")
    print(f"throughput: {args.n / total:,.0f} scenarios/s ({total:.2f} s total)")


if __name__ == "__main__":
    main()
