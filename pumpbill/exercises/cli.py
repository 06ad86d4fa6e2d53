"""``pumpbill validate SET...`` and ``pumpbill pack SET --out FILE``: an instructor's safety net and publishing.

validate: one line per problem (``FILE: FIELD: message``; warnings and notes say so), then a summary.
Exit status 0: no error (warnings too with --strict); 1: problems; 2: a SET that cannot be read as a set.
``--show-keys`` prints each exercise's key in the terminal (never put that output where trainees see it).

pack: validates the set first (a set with errors is refused, exit 1), then writes one JSON course pack with
no answer key; exit 2 when the set or --out cannot be used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError


def _print_keys(exercises, file=None) -> None:
    from ..grading.grade import derive_key
    from .validate import fmt_lines, key_differences

    file = file or sys.stdout
    print("\nanswer keys (for this terminal only: never paste them where trainees can see them)", file=file)
    for ex in exercises:
        try:
            engine = derive_key(ex)
        except Exception:  # noqa: BLE001 - reported by validate already
            engine = None
        key = ex.key or engine
        if key is None:
            print(f"  {ex.id}: no key (the engine cannot derive one)", file=file)
            continue
        if ex.kind == "choose_claim":
            text = f"lines {fmt_lines(key)}"
            if "diagnoses" in ex.rubric.points:
                text += f"; diagnoses {', '.join(key.diagnoses or []) or '(none)'}"
        elif ex.kind in ("find_gaps", "review_claim"):
            text = f"rules {', '.join(sorted(key.rules or [])) or '(none)'}"
        else:
            doc = key.documentation or {}
            text = "model answer " + (", ".join(f"{k}: {v}" for k, v in doc.items()) or "(none)")
        if ex.key is None:
            origin = "from the engine (no key in the file)"
        elif engine is not None and key_differences(ex, ex.key, engine):
            origin = "stored; DIFFERS from the engine" + (" (key_note)" if ex.key_note else "")
        else:
            origin = "stored; the engine agrees"
        print(f"  {ex.id} ({ex.kind}): {text}  [{origin}]", file=file)


def cmd_validate(args: argparse.Namespace) -> int:
    from .store import exercise_files
    from .validate import REPO_BOOK, errors, summary, validate_set_with_exercises

    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    book = None if args.no_book else Path(args.book) if args.book else REPO_BOOK
    unreadable = False
    problems, exercises, n_files = [], [], 0
    n_sets = 0
    for path in args.sets:
        try:
            found, loaded, _meta = validate_set_with_exercises(path, book_dir=book)
        except InputError as exc:
            print(f"pumpbill validate: {exc}", file=sys.stderr)
            unreadable = True
            continue
        n_sets += 1
        n_files += len(exercise_files(Path(path)))
        for p in found:
            print(p)
        problems += found
        exercises += loaded
    print(summary(problems, n_sets, n_files))
    if args.show_keys and exercises:
        _print_keys(exercises)
    if unreadable:
        return 2
    return 1 if errors(problems, strict=args.strict) else 0


def cmd_pack(args: argparse.Namespace) -> int:
    from .pack import make_pack, write_pack
    from .store import load_set
    from .validate import errors, validate_set

    out = Path(args.out)
    if out.is_dir():
        raise InputError(args.out, None, "--out must be a file name (e.g. course.json), and this is a folder")
    if not out.parent.is_dir():
        raise InputError(args.out, None, f"no folder {out.parent} to write the pack into")
    problems = validate_set(args.set)
    for p in problems:
        if p.severity != "note":
            print(p, file=sys.stderr)
    bad = errors(problems)
    if bad:
        print(f"pumpbill pack: {args.set} does not validate ({len(bad)} error{'s' if len(bad) != 1 else ''}); "
              "nothing written. Fix the set first (pumpbill validate shows every problem)", file=sys.stderr)
        return 1
    exercise_set = load_set(args.set)
    pack = make_pack(exercise_set, args.mode)
    write_pack(pack, out)
    meta = pack["set"]
    due = f", due {meta['due']}" if meta["due"] else ""
    print(f"wrote {out}: set {meta['id']} ({meta['mode']}{due}), {len(pack['exercises'])} exercise(s), "
          "no answer keys")
    page = "assignment" if meta["mode"] == "assignment" else "practice"
    print(f"publish it with the site as book/exercises/packs/{out.name} and send trainees the link "
          f"book/exercises/{page}.html?pack=packs/{out.name} (or send them the file: the page opens it too)")
    return 0


def add_validate_parser(subparsers) -> argparse.ArgumentParser:
    v = subparsers.add_parser(
        "validate", help="check exercise sets: every problem in every file, keys against the engine",
        description="Check exercise sets before trainees see them: every problem in every exercise file "
        "(.yaml and .yml), the key against the engine, codes, modifiers and ICD-10-CM diagnoses, payer profiles, "
        "ids against file names, book references, and findings the scenario draws by itself. One line per "
        "problem (FILE: FIELD: message), then a summary. Exit status 0: no error; 1: problems; 2: a SET that is "
        "not a readable set folder.")
    v.add_argument("sets", nargs="+", metavar="SET", help="exercise set folder (set.yaml and one file per exercise)")
    v.add_argument("--strict", action="store_true", help="warnings count as problems too (exit status 1)")
    v.add_argument("--show-keys", action="store_true",
                   help="also print each exercise's key (or the engine's, when the file has none) in the terminal")
    book = v.add_mutually_exclusive_group()
    book.add_argument("--book", metavar="DIR", help="the book folder that references.book points into (default: "
                      "the book of this checkout, when there is one)")
    book.add_argument("--no-book", action="store_true", help="do not check book references")
    v.set_defaults(func=cmd_validate)
    return v


def add_pack_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "pack", help="turn an exercise set into a course pack for the site (one JSON file, no keys)",
        description="Validate SET, then write a course pack: one JSON file with the set's title, mode and due "
        "date and each exercise's public part, never a key (an assignment also leaves out hints, objectives and "
        "references). The site's assignment page opens it from a link (assignment.html?pack=packs/ID.json, "
        "same site only) or from the file itself. Exit status 0: written; 1: the set does not validate; 2: "
        "unusable SET or --out.")
    p.add_argument("set", metavar="SET", help="exercise set folder")
    p.add_argument("--out", required=True, metavar="FILE", help="the pack to write, e.g. wk1.json")
    p.add_argument("--mode", choices=("assignment", "practice"),
                   help="override the set's mode (set.yaml 'mode', default practice)")
    p.set_defaults(func=cmd_pack)
    return p


__all__ = ["add_pack_parser", "add_validate_parser", "cmd_pack", "cmd_validate"]
