"""The ``pumpbill`` command: check, rules, explain, schema (and audit/synth/grade where installed).

Exit status: 0 no error finding, 1 an error finding, 2 unusable input (one line on stderr naming
file and field; stdout empty). Never a traceback. ``check`` takes several files and folders in one
run (one process, so the start-up cost is paid once); its status is then the worst of them.

Start-up time matters (tools call ``check`` once per file): modules load only in the command that
needs them, and the optional subcommands (audit, synth, grade) are wired only when one of them, or
the full help, is asked for.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from datetime import date

from . import RULES_VERSION, __version__
from .errors import InputError

#: Subcommands defined here; anything else (or none, or --help) wires the optional ones too.
CORE_COMMANDS = frozenset({"check", "rules", "explain", "schema"})
#: The other commands: the module that adds each one's parser, and the function that does.
OPTIONAL_COMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("pumpbill.audit.cli", "add_audit_parser"), "synth": ("pumpbill.audit.cli", "add_synth_parser"),
    "grade": ("pumpbill.grading.cli", "add_grade_parser"),
    "validate": ("pumpbill.exercises.cli", "add_validate_parser"),
    "pack": ("pumpbill.exercises.cli", "add_pack_parser"),
}
#: What a folder given to ``check`` contributes: its scenario files (not its sub-folders).
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


def _edits(args: argparse.Namespace):
    from .edits import EditData, load_mue, load_ptp

    def named(load, path: str, **kw):
        """An edit file's problem names that file (not the scenario), even where the parser did not word it."""
        try:
            return load(path, **kw)
        except (ValueError, OverflowError) as exc:  # InputError is not a ValueError: it passes unchanged
            raise InputError(path, None, f"cannot read this edit file ({exc})") from None

    data = EditData()
    for path in args.ptp or []:
        data.ptp.append(named(load_ptp, path))
    if args.mue:
        if not (args.mue_from and args.mue_to):
            raise InputError(args.mue, None, "--mue needs --mue-from and --mue-to (the quarter the file covers)")
        data.mue.append(named(load_mue, args.mue, valid_from=args.mue_from, valid_to=args.mue_to))
    return data


def _scenario_files(paths: list[str]) -> Iterator[str | InputError]:
    """Each file argument, and each folder's *.yaml/*.yml/*.json files in name order; an InputError
    in place of a folder that has none (so that it is reported like any other bad input)."""
    for path in paths:
        if not os.path.isdir(path):
            yield path
            continue
        try:
            names = sorted(e.name for e in os.scandir(path)
                           if e.name.lower().endswith(SCENARIO_SUFFIXES) and not e.is_dir())
        except OSError as exc:
            yield InputError(path, None, f"cannot list the folder: {exc.strerror or exc}")
            continue
        if not names:
            yield InputError(path, None, "is a directory with no .yaml, .yml or .json files")
        yield from (os.path.join(path, n) for n in names)


def cmd_check(args: argparse.Namespace) -> int:
    """Check each file; one report per file, bad files reported on stderr without stopping the others."""
    from .engine import check
    from .loader import load_scenario
    from .output import as_json, as_json_line, as_text, printable

    if hasattr(sys.stdout, "reconfigure"):  # a non-ASCII title on an ASCII terminal must not crash the run
        sys.stdout.reconfigure(errors="backslashreplace")
    edits = _edits(args)  # an unusable --ptp/--mue file stops the run: every check would depend on it
    several = len(args.files) > 1 or any(os.path.isdir(f) for f in args.files)

    def bad(problem: str) -> int:
        """One line on stderr for a file that could not be checked; its exit status."""
        print(f"pumpbill: {printable(problem)}", file=sys.stderr)
        return 2

    worst, shown = 0, 0
    for item in _scenario_files(args.files):
        if isinstance(item, InputError):
            worst = bad(str(item))
            continue
        try:
            result = check(load_scenario(item), payer=args.payer, edits=edits, source=item)
        except InputError as exc:
            worst = bad(str(exc))
            continue
        except Exception as exc:  # noqa: BLE001 - one file's bug must not stop the others
            worst = bad(f"{item}: internal error ({type(exc).__name__}: {str(exc)[:300]}); please report it")
            continue
        if args.format == "json":
            print(as_json_line(result, item) if several else as_json(result))
        else:
            print(("\n" if shown else "") + as_text(result, item))
        shown += 1
        worst = max(worst, result.exit_code)
    return worst


def cmd_rules(args: argparse.Namespace) -> int:
    from .rules import REGISTRY

    if args.format == "json":
        print(json.dumps({"rules_version": RULES_VERSION, "rules": [r.describe() for r in REGISTRY.values()]},
                         indent=2))
        return 0
    family = None
    for r in REGISTRY.values():
        if r.family != family:
            family = r.family
            print(f"\n{family}")
        print(f"  {r.code}  {r.severity:<7}  {r.confidence_level:<11}  {r.title}  ({r.name})")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from .docs import rule_text
    from .rules import REGISTRY

    code = args.code.upper()
    if code not in REGISTRY:
        print(f"pumpbill explain: unknown rule {args.code!r}; run 'pumpbill rules' for the list", file=sys.stderr)
        return 2
    print(rule_text(code))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .schemas import schema_for

    print(json.dumps(schema_for(args.kind), indent=2))
    return 0


def _iso(text: str) -> date:
    from .dates import parse_iso_date

    try:
        return parse_iso_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _command(argv: list[str]) -> str | None:
    """The subcommand named on the command line (the top-level options take no value); None when the
    top-level help comes first (``pumpbill --help grade`` lists every command)."""
    for a in argv:
        if a in ("-h", "--help"):
            return None
        if not a.startswith("-"):
            return a
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser; given one of CORE_COMMANDS, without importing the optional subcommands' modules."""
    p = argparse.ArgumentParser(prog="pumpbill", description="Check and teach drug-pump service coding. "
                                "Synthetic data only: never paste real patient information.")
    p.add_argument("--version", action="version", version=f"pumpbill {__version__} (rules {RULES_VERSION})")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="check scenario files (YAML or JSON)",
                       description="Check scenario files. A folder means its *.yaml, *.yml and *.json files. "
                       "With several files (or a folder), --format json prints JSON Lines: one object per "
                       "file, with a 'file' key. Exit status: the worst of the files (2 bad input, 1 an "
                       "error finding, 0 none).")
    c.add_argument("files", nargs="+", metavar="FILE", help="a scenario file, or a folder of them")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("--payer", help="payer profile to use instead of the scenario's")
    c.add_argument("--ptp", action="append", metavar="FILE", help="official CMS NCCI PTP file (repeatable)")
    c.add_argument("--mue", metavar="FILE", help="official CMS NCCI MUE file")
    c.add_argument("--mue-from", type=_iso, help="first date of service the MUE file covers")
    c.add_argument("--mue-to", type=_iso, help="last date of service the MUE file covers")
    c.set_defaults(func=cmd_check)

    r = sub.add_parser("rules", help="list the rule registry")
    r.add_argument("--format", choices=("text", "json"), default="text")
    r.set_defaults(func=cmd_rules)

    e = sub.add_parser("explain", help="print a rule's documentation")
    e.add_argument("code")
    e.set_defaults(func=cmd_explain)

    s = sub.add_parser("schema", help="print a JSON Schema (scenario, exercise, submission)")
    s.add_argument("kind", choices=("scenario", "exercise", "submission"))
    s.set_defaults(func=cmd_schema)

    if command in CORE_COMMANDS:
        return p
    # A named optional command imports its own module only (the grader's pulls in pandas, the audit's the rule
    # registry for its help); no command, an unknown one or --help alone gets them all.
    wanted = [OPTIONAL_COMMANDS[command]] if command in OPTIONAL_COMMANDS else list(OPTIONAL_COMMANDS.values())
    for module, adder in wanted:
        try:
            mod = __import__(module, fromlist=[adder])
        except ImportError:
            continue  # optional part not installed (e.g. pandas missing)
        getattr(mod, adder)(sub)
    return p


def _no_pydantic_plugins() -> None:
    """pumpbill uses no pydantic plugins. Looking for them imports importlib.metadata and scans every installed
    package (about 15 ms of a 0.2 s check), so the program answers pydantic's plugin loader with "none"."""
    import types

    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__" and "pydantic.plugin._loader" not in sys.modules:
        loader = types.ModuleType("pydantic.plugin._loader")
        loader.get_plugins = lambda: ()  # type: ignore[attr-defined]
        sys.modules["pydantic.plugin._loader"] = loader


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # run as the program (not called from Python)
        _no_pydantic_plugins()
        argv = sys.argv[1:]
    argv = list(argv)
    parser = build_parser(_command(argv))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        from .output import printable

        print(f"pumpbill: {printable(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pumpbill: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - a bug must still not show a traceback to a coder
        from .output import printable

        print(f"pumpbill: {args.command}: internal error ({type(exc).__name__}: {printable(str(exc))}); please "
              "report it", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
