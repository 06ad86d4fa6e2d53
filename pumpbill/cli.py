"""The ``pumpbill`` command: check, rules, explain, schema (and audit/synth/grade where installed).

Exit status: 0 no error finding, 1 an error finding, 2 unusable input (one line on stderr naming
file and field; stdout empty). Never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from . import RULES_VERSION, __version__
from .errors import InputError


def _edits(args: argparse.Namespace):
    from .edits import EditData, load_mue, load_ptp

    data = EditData()
    for path in args.ptp or []:
        data.ptp.append(load_ptp(path))
    if args.mue:
        if not (args.mue_from and args.mue_to):
            raise InputError(args.mue, None, "--mue needs --mue-from and --mue-to (the quarter the file covers)")
        data.mue.append(load_mue(args.mue, valid_from=args.mue_from, valid_to=args.mue_to))
    return data


def cmd_check(args: argparse.Namespace) -> int:
    from .engine import check
    from .loader import load_scenario
    from .output import as_json, as_text

    scenario = load_scenario(args.file)
    result = check(scenario, payer=args.payer, edits=_edits(args), source=args.file)
    print(as_json(result) if args.format == "json" else as_text(result, args.file))
    return result.exit_code


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
        print(f"  {r.code}  {r.severity:<7}  {r.name:<36} {r.confidence_level}")
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
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pumpbill", description="Check and teach drug-pump service coding. "
                                "Synthetic data only: never paste real patient information.")
    p.add_argument("--version", action="version", version=f"pumpbill {__version__} (rules {RULES_VERSION})")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="check a scenario file (YAML or JSON)")
    c.add_argument("file")
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

    for module, adders in (("pumpbill.audit.cli", ("add_audit_parser", "add_synth_parser")),
                           ("pumpbill.grading.cli", ("add_grade_parser",))):
        try:
            mod = __import__(module, fromlist=list(adders))
        except ImportError:
            continue  # optional part not installed (e.g. pandas missing)
        for name in adders:
            getattr(mod, name)(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(f"pumpbill: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pumpbill: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - a bug must still not show a traceback to a coder
        where = getattr(args, "file", None) or args.command
        print(f"pumpbill: {where}: internal error ({type(exc).__name__}: {exc}); please report it", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
