"""``python -m pumpbill.audit``: the audit and synth subcommands on their own (until the lead wires them)."""

from __future__ import annotations

import argparse
import sys

from .cli import add_audit_parser, add_synth_parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pumpbill.audit",
                                     description="Practice audit of pump-service billing, and synthetic claims.")
    sub = parser.add_subparsers(dest="command", required=True)
    add_audit_parser(sub)
    add_synth_parser(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
