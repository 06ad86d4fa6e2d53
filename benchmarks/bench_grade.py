"""Benchmark: `pumpbill grade` on 500 trainees x 40 exercises, end to end and step by step.

    .venv/bin/python benchmarks/bench_grade.py [--trainees 500] [--exercises 40] [--format yaml|json]
                                              [--jobs N] [--variants] [--no-reuse] [--input canvas|folder|both]

Builds a 40-exercise set in a temporary folder: the first 40 real exercises under exercises/ when there are
that many and they load, else variants of the foundations exercise (choose_claim with other drugs, volumes,
performers, reprogramming; find_gaps with documentation left out; review_claim with claim errors; and
complete_documentation), keys derived by the engine. Each trainee hands in one file with 40 answers: the
key with seeded random mistakes. Prints wall and CPU seconds (CPU includes the worker processes; on a busy
machine it is the steadier number) for:

* end to end: `pumpbill grade SET SUBS --out DIR` in-process (validating the set, reading, grading, every
  report; the first import of pandas and matplotlib included), as the CLI runs it, for the class
  handed in as
  - ``canvas``: a Canvas "Download submissions" zip (Canvas's file names) with a Canvas gradebook export
    as the roster, a due date and a late policy (a tenth of the hand-ins are late), an extension file,
    ``--canvas-assignment``: the whole course path (identity, deadlines, copy checks, Canvas file);
  - ``folder``: a folder of hand-in files, as before;
* the same steps one by one, grading in one process, and (--no-reuse) grade() on every answer afresh.

Target: end to end under 5 s on the 2-core machine (issue 12).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import random
import resource
import tempfile
import time
import zipfile
from pathlib import Path

import yaml

from pumpbill.cli import main as pumpbill_main
from pumpbill.errors import InputError
from pumpbill.exercises.models import Exercise
from pumpbill.exercises.store import load_set
from pumpbill.grading import grade
from pumpbill.grading.batch import Workers, default_jobs, grade_all, identify, prepare_set, read_sources
from pumpbill.grading.deadlines import schedule_from
from pumpbill.grading.identity import read_roster
from pumpbill.grading.integrity import copied_answers
from pumpbill.grading.reports import Options, write_reports
from pumpbill.grading.setload import load_for_grading
from pumpbill.grading.sources import sources

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "exercises" / "foundations" / "f01-refill-no-reprogramming.yaml"
DUE = "2026-03-09T23:59:00-05:00"
ON_TIME, LATE = "2026-03-09T18:00:00-05:00", "2026-03-11T09:00:00-05:00"
DRUGS = [("baclofen", "2000 mcg/mL"), ("morphine", "25 mg/mL"), ("hydromorphone", "10 mg/mL"),
         ("baclofen", "500 mcg/mL"), ("clonidine", "1000 mcg/mL")]


def _base() -> dict:
    return yaml.safe_load(BASE.read_text(encoding="utf-8"))


def variant(i: int, rng: random.Random) -> dict:
    """One exercise (as data, without key: the engine derives it)."""
    d = _base()
    d["id"] = f"bench-{i:02d}"
    d["title"] = f"Benchmark variant {i}"
    d.pop("key", None)
    enc = d["scenario"]["encounter"]
    drug, conc = DRUGS[i % len(DRUGS)]
    enc["refill"].update(drug=drug, concentration=conc, volume_added_ml=rng.choice([18, 20, 36, 40]))
    if drug != "baclofen":
        enc["diagnoses"] = ["Z45.1", "G89.4"]
    if i % 3 == 1:
        enc["services"]["reprogramming"] = True
        enc["reprogramming"] = {"changes": ["daily_dose"], "reason": "spasticity", "old_value": "400 mcg/day",
                                "new_value": "450 mcg/day"}
    if i % 4 == 2:
        enc["performed_by"] = "physician"
    kind = ("choose_claim", "find_gaps", "review_claim", "complete_documentation")[i % 4] if i >= 8 else \
        "choose_claim"
    d["kind"] = kind
    if kind == "choose_claim":
        d["rubric"] = {"points": {"codes": 4, "modifiers": 2, "units": 2, "diagnoses": 2}}
    elif kind == "find_gaps":
        for field in rng.sample(["next_refill_date", "performed_by"], 1):
            enc.pop(field, None)
        enc["refill"].pop(rng.choice(["lot", "port"]), None)
        d["rubric"] = {"points": {"rules": 5}}
    elif kind == "review_claim":
        d["scenario"]["claim"] = {"lines": [{"code": "62369"}, {"code": "J0475", "units": 40}]}
        d["rubric"] = {"points": {"rules": 5}}
    else:
        enc.pop("next_refill_date", None)
        enc["refill"].pop("lot", None)
        d["scenario"]["claim"] = {"lines": [{"code": "95990"}]}
        d["rubric"] = {"points": {"documentation": 4, "consistency": 2}}
    return d


def build_set(folder: Path, n: int, seed: int, variants: bool = False) -> tuple[list[Exercise], str]:
    """The first n real exercises (all sets) when there are enough and they load, else n variants."""
    real = [p for p in sorted((ROOT / "exercises").glob("*/*.yaml")) if p.name != "set.yaml"]
    folder.mkdir(parents=True)
    (folder / "set.yaml").write_text(yaml.safe_dump({
        "id": "bench", "title": "Benchmark set", "due": DUE,
        "late": {"penalty_per_day": 10, "max_penalty": 50, "grace_minutes": 15}}), encoding="utf-8")
    if len(real) >= n and not variants:
        for p in real[:n]:
            (folder / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
        try:
            return prepare_set(load_set(folder)).exercises, "real exercises from exercises/"
        except InputError as exc:
            print(f"(real exercises do not load: {exc}; using variants)")
            for p in folder.glob("*.yaml"):
                if p.name != "set.yaml":
                    p.unlink()
    rng = random.Random(seed)
    for i in range(n):
        (folder / f"bench-{i:02d}.yaml").write_text(yaml.safe_dump(variant(i, rng), sort_keys=False),
                                                   encoding="utf-8")
    return prepare_set(load_set(folder)).exercises, "variants of the foundations exercise"


def answer(ex: Exercise, rng: random.Random) -> dict:
    """The key, with a seeded random mistake about half the time."""
    key = ex.key.model_dump(mode="json", exclude_none=True) if ex.key else {}
    if ex.kind == "choose_claim":
        ans = copy.deepcopy({k: key[k] for k in ("lines", "diagnoses") if k in key})
        ans.setdefault("lines", [])
        ans.setdefault("diagnoses", [])
        roll = rng.random()
        if not ans["lines"]:
            roll = 0.4 + roll * 0.6  # no line to change: a diagnosis mistake or none
        if roll < 0.12:
            ans["lines"][0]["code"] = rng.choice(["62369", "62370", "95991"])
        elif roll < 0.24 and len(ans["lines"]) > 1:
            ans["lines"][1]["units"] = ans["lines"][1]["units"] * 10
        elif roll < 0.36 and len(ans["lines"]) > 1:
            ans["lines"][1]["modifiers"] = []
        elif roll < 0.46:
            ans["diagnoses"] = list(reversed(ans["diagnoses"]))
        elif roll < 0.52:
            ans["lines"] = ans["lines"][:1]
        return ans
    if ex.kind in ("find_gaps", "review_claim"):
        rules = list(key.get("rules", []))
        roll = rng.random()
        if roll < 0.25 and rules:
            rules.remove(rng.choice(rules))
        elif roll < 0.45:
            rules.append(rng.choice(["PB001", "PB404", "PB506", "PB703"]))
        return {"rules": rules}
    doc: dict = {}
    if rng.random() < 0.7:
        doc["next_refill_date"] = "2026-05-25"
    if rng.random() < 0.7:
        doc["refill"] = {"lot": f"SYN-{rng.randrange(100)}"}
    return {"documentation": doc}


def build_submissions(folder: Path, exercises: list[Exercise], trainees: int, seed: int, fmt: str) -> int:
    """One hand-in file per trainee (a tenth of them late), in a folder, and the same files in a Canvas
    archive (``folder.zip``, Canvas's names) with its roster (``folder.csv``, a gradebook export)."""
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    roster = ["Student,ID,SIS User ID,SIS Login ID,Section,Benchmark set (48213)", "    Points Possible,,,,,"]
    with zipfile.ZipFile(folder.with_suffix(".zip"), "w") as z:
        for t in range(trainees):
            trainee = f"trainee-{t:04d}"
            hand_in = {"trainee": trainee, "submitted_at": LATE if t % 10 == 9 else ON_TIME,
                       "answers": [{"exercise": ex.id, "answer": answer(ex, rng)} for ex in exercises]}
            name = f"submission-{trainee}.{fmt}"
            text = json.dumps(hand_in) if fmt == "json" else yaml.safe_dump(hand_in, sort_keys=False)
            (folder / name).write_text(text, encoding="utf-8")
            user = 100000 + t
            z.writestr(f"student{t:04d}{'_LATE' if t % 10 == 9 else ''}_{user}_{900000 + t}_{name}", text)
            roster.append(f"\"Student {t:04d}, Synthetic\",{user},{trainee},{trainee}@example.org,Section {t % 4}")
    folder.with_suffix(".csv").write_text("\n".join(roster) + "\n", encoding="utf-8")
    (folder.parent / "extensions.csv").write_text("trainee,extra_days\ntrainee-0009,3\n", encoding="utf-8")
    return trainees * len(exercises)


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn):
    """(wall seconds, CPU seconds incl. finished workers, value): CPU shows the cost on a busy machine."""
    start, cpu = time.perf_counter(), _cpu()
    value = fn()
    return time.perf_counter() - start, _cpu() - cpu, value


def row(label: str, wall: float, cpu: float, note: str = "") -> None:
    print(f"{label:44} {wall:8.2f} {cpu:8.2f}   {note}")


def end_to_end(root: Path, jobs: int, kind: str) -> tuple[float, float, int]:
    """`pumpbill grade` as the CLI runs it; (wall s, CPU s, exit status)."""
    argv = ["grade", str(root / "set"), "--out", str(root / f"out-{kind}"), "--no-progress", "--jobs", str(jobs),
            "--book-url", "https://training.example.org/pumpbill"]
    if kind == "canvas":
        argv[2:2] = [str(root / "subs.zip")]
        argv += ["--roster", str(root / "subs.csv"), "--canvas-assignment", "Benchmark set (48213)",
                 "--extensions", str(root / "extensions.csv")]
    else:
        argv[2:2] = [str(root / "subs")]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return timed(lambda: pumpbill_main(argv))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trainees", type=int, default=500)
    ap.add_argument("--exercises", type=int, default=40)
    ap.add_argument("--format", choices=("yaml", "json"), default="yaml")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (default: one per CPU)")
    ap.add_argument("--variants", action="store_true", help="use generated variants even if exercises/ has enough")
    ap.add_argument("--no-reuse", action="store_true", help="also time grade() on every answer afresh (slow)")
    ap.add_argument("--input", choices=("canvas", "folder", "both"), default="both",
                    help="the class as a Canvas archive with a roster, as a folder, or both (default)")
    args = ap.parse_args()
    jobs = args.jobs or default_jobs()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        exercises, origin = build_set(root / "set", args.exercises, args.seed, args.variants)
        n = build_submissions(root / "subs", exercises, args.trainees, args.seed, args.format)
        grade(exercises[0], _warm(exercises[0]))  # import and load the registry and the ICD index once
        kinds = ["canvas", "folder"] if args.input == "both" else [args.input]
        runs = {kind: end_to_end(root, jobs, kind) for kind in kinds}

        # The steps one by one (imports are warm now), on the Canvas archive with its roster.
        t_load, c_load, (loaded, meta) = timed(lambda: load_for_grading(root / "set"))
        exercise_set = prepare_set(loaded)
        schedule = schedule_from(meta, "set.yaml", extensions=str(root / "extensions.csv"))
        roster = read_roster(str(root / "subs.csv"))
        t_pool, c_pool, pool = timed(lambda: Workers.start(jobs, exercise_set))
        srcs, _ = sources([root / "subs.zip"])
        t_read, c_read, entries = timed(lambda: read_sources(srcs, pool=pool))
        t_who, c_who, flags = timed(lambda: identify(entries, roster, exercise_set))
        people = [s.key for s in roster.students]
        t_grade, c_grade, results = timed(lambda: grade_all(exercise_set, entries, pool=pool, schedule=schedule,
                                                            people=people, flags=flags))
        if pool is not None:
            pool.close()
        t_copy, c_copy, _ = timed(lambda: copied_answers(exercise_set, results))
        options = Options(people=people, roster=roster, canvas_header="Benchmark set (48213)", flags=flags)
        t_rep, c_rep, _ = timed(lambda: write_reports(root / "out2", exercise_set, results,
                                                      "https://training.example.org/pumpbill", options=options))
        t_g1, c_g1, _ = timed(lambda: grade_all(exercise_set, entries, schedule=schedule, people=people))

        print(f"\n{args.trainees} trainees x {args.exercises} exercises = {n} submissions "
              f"({args.format}; {origin}); {jobs} worker(s); load average {os.getloadavg()[0]:.1f}")
        print(f"{'':44} {'wall s':>8} {'CPU s':>8}")
        for kind, (t_all, c_all, rc) in runs.items():
            label = "Canvas zip + roster + deadlines" if kind == "canvas" else "folder of hand-ins"
            row(f"end to end, {label} (exit {rc})", t_all, c_all, "target < 5 s")
        row("  load + validate the set", t_load, c_load)
        row("  start workers", t_pool, c_pool)
        row("  reading the archive", t_read, c_read)
        row("  identities (roster)", t_who, c_who)
        row("  grading (grade_all, deadlines)", t_grade, c_grade, f"{t_grade / n * 1e3:.3f} ms per submission")
        row("  copy checks", t_copy, c_copy)
        row("  reports (write_reports, warm imports)", t_rep, c_rep)
        row("grading in one process", t_g1, c_g1, f"{t_g1 / n * 1e3:.3f} ms per submission")
        distinct = len({(e.exercise, e.akey) for e in entries if e.submission})
        print(f"graded records: {sum(r.status == 'graded' for r in results)}; late: "
              f"{sum(1 for r in results if r.counted and r.late_days)}; distinct answers graded: {distinct}")
        if args.no_reuse:
            subs = [e for e in entries if e.submission is not None]
            by_id = {ex.id: ex for ex in exercise_set.exercises}
            t_raw, c_raw, _ = timed(lambda: [grade(by_id[e.exercise], e.submission) for e in subs])
            row("grade() on every submission, no reuse", t_raw, c_raw, f"{t_raw / len(subs) * 1e3:.3f} ms each")


def _warm(ex: Exercise):
    from pumpbill.exercises.models import Submission

    return Submission(trainee="warm", exercise=ex.id, answer=ex.key or {})


if __name__ == "__main__":
    main()
