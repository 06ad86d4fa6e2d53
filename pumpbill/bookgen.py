"""Write the book's rule catalogue from the registry: one page per rule plus an index.

    python -m pumpbill.bookgen [OUTDIR]     (default: book/reference/rules)

The pages are generated at build time (scripts/build-book.sh) and git-ignored, so the
catalogue can never drift from the rules: they are written once, in the registry.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import RULES_VERSION
from .docs import rule_markdown
from .rules import FAMILIES, REGISTRY

DEFAULT_OUT = Path("book/reference/rules")

# The rule pages' own styles, inlined: Jupyter Book 1 adds a _static folder's CSS only when it sits beside
# _config.yml (the repository root here), and a <style> in the page cannot go missing from the build.
# Colours come from the theme's variables, so light and dark mode both keep their contrast.
PAGE_CSS = """<style>
.pb-rule-meta{font-size:.875rem;color:var(--pst-color-text-muted)}
h1 .sd-badge{font-size:.55em;vertical-align:middle;font-family:var(--pst-font-family-monospace);
 background:var(--pst-color-primary-bg);color:var(--pst-color-text-base);border:1px solid var(--pst-color-primary)}
.pb-compare{display:grid;grid-template-columns:minmax(0,1fr);gap:1rem;margin:1rem 0}
@media (min-width:700px){.pb-compare{grid-template-columns:repeat(2,minmax(0,1fr))}}
.pb-side{min-width:0;border:1px solid var(--pst-color-border);border-top-width:.3rem;border-radius:.25rem;
 padding:.5rem .75rem;background:transparent;color:inherit}
.pb-bad{border-top-color:var(--pst-color-danger)}
.pb-good{border-top-color:var(--pst-color-success)}
.pb-side p{margin:0 0 .5rem}
.pb-side-head{font-weight:600}
.pb-narrative,.pb-same,.pb-notes,.pb-dx{font-size:.9rem}
.pb-scroll{overflow-x:auto;margin:0 0 .5rem;padding:0 1px}
.pb-side table{width:100%;border-collapse:collapse;margin:0;font-size:.9rem;background:transparent;color:inherit}
.pb-side caption{caption-side:top;text-align:left;font-weight:600;color:inherit;padding:0 0 .25rem}
.pb-side th,.pb-side td{border:1px solid var(--pst-color-border);padding:.2rem .4rem;text-align:left;
 vertical-align:top;background:transparent;color:inherit}
.pb-side thead th,.pb-side tbody th{background:var(--pst-color-surface);color:var(--pst-color-text-base)}
.pb-side .pb-diff{background:var(--pst-color-warning-bg);color:var(--pst-color-text-base);font-weight:700}
span.pb-diff{padding:0 .2rem;border-radius:.2rem}
@media (max-width:480px){.pb-side{padding:.5rem}.pb-side table{font-size:.8rem}
 .pb-side th,.pb-side td{padding:.15rem .25rem}}
.pb-mark{margin-right:.2em}
.pb-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.bd-article pre,.bd-article .highlight pre{white-space:pre-wrap;overflow-wrap:anywhere}
</style>"""


def page_markdown(code: str) -> str:
    """A rule's book page: its documentation with the page styles after the title."""
    title, rest = rule_markdown(REGISTRY[code], myst=True).split("\n", 1)
    return "\n".join([title, "", PAGE_CSS, rest])


def index_markdown() -> str:
    out = ["# Rule catalogue", "",
           f"Every check `pumpbill` runs, generated from its rule registry (rules version {RULES_VERSION}). "
           "Each rule has a stable code (PB001), a plain title, and a page with fixed sections: what it checks, "
           "why it matters, an example claim next to the same claim done right, the correct coding, the public "
           "source and how confident that source is. Rules below *high* confidence carry a **verify** note: check "
           "them against the current CPT book (ICD-10-CM Guidelines for diagnosis rules), your MAC and your payer.",
           "", "From the command line: `pumpbill rules` lists them and `pumpbill explain PB002` prints a page.", ""]
    for prefix, family in FAMILIES.items():
        rules = [r for r in REGISTRY.values() if r.code.startswith(prefix)]
        out += [f"## {prefix}xx {family[:1].upper()}{family[1:]}", "", "| Code | Rule | Severity | Confidence |",
                "|---|---|---|---|"]
        out += [f"| [{r.code}]({r.code.lower()}.md) | [{r.title}]({r.code.lower()}.md) | {r.severity} "
                f"| {r.confidence_level} |" for r in rules]
        out.append("")
    return "\n".join(out)


def write(outdir: Path = DEFAULT_OUT) -> list[Path]:
    """Write the pages; files whose content did not change are left alone (keeps Sphinx's cache warm)."""
    outdir.mkdir(parents=True, exist_ok=True)
    pages = {outdir / "index.md": index_markdown()}
    for code in REGISTRY:
        pages[outdir / f"{code.lower()}.md"] = page_markdown(code)
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
