"""Write the book's rule catalogue from the registry: one page per rule plus an index.

    python -m pumpbill.bookgen [OUTDIR]     (default: book/reference/rules)

The pages are generated at build time (scripts/build-book.sh) and git-ignored, so the
catalogue can never drift from the rules: they are written once, in the registry.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import RULES_VERSION
from .docs import rule_markdown, template
from .rules import FAMILIES, REGISTRY

DEFAULT_OUT = Path("book/reference/rules")


def index_markdown() -> str:
    out = ["# Rule catalogue", "",
           f"Every check `pumpbill` runs, generated from its rule registry (rules version {RULES_VERSION}). "
           "Each rule has a stable code, a name for the bad pattern, the message it prints, a fix, and a page "
           "with fixed sections: what it checks, why it matters, an example, the correct coding, the source "
           "and how confident the reference is. Rules below *high* confidence carry a **verify** note: check "
           "them against the current CPT book (ICD-10-CM Guidelines for diagnosis rules), your MAC and your payer.", "",
           "From the command line: `pumpbill rules` lists them and `pumpbill explain PB002` prints a page.", ""]
    for prefix, family in FAMILIES.items():
        rules = [r for r in REGISTRY.values() if r.code.startswith(prefix)]
        out += [f"## {prefix}xx {family}", "", "| Code | Name | Severity | Confidence | Message |",
                "|---|---|---|---|---|"]
        for r in rules:
            msg = template(r.message).replace("|", "\\|")
            out.append(f"| [{r.code}]({r.code.lower()}.md) | {r.name} | {r.severity} | {r.confidence_level} "
                       f"| {msg} |")
        out.append("")
    return "\n".join(out)


def write(outdir: Path = DEFAULT_OUT) -> list[Path]:
    """Write the pages; files whose content did not change are left alone (keeps Sphinx's cache warm)."""
    outdir.mkdir(parents=True, exist_ok=True)
    pages = {outdir / "index.md": index_markdown()}
    for code, rule in REGISTRY.items():
        pages[outdir / f"{code.lower()}.md"] = rule_markdown(rule, myst=True)
    for stale in outdir.glob("pb*.md"):
        if stale not in pages:
            stale.unlink()
    for path, text in pages.items():
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
    return sorted(pages)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    written = write(Path(args[0]) if args else DEFAULT_OUT)
    print(f"bookgen: {len(written)} rule pages in {written[0].parent}")
    from .exercises.catalog import write_public_json

    print(f"bookgen: public exercises (no keys) in {write_public_json()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
