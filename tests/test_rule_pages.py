"""The book's rule pages read like guidance for coders: a plain title, a real message from the engine,
the bad and the good example side by side with the differences marked, and no placeholder or reference
to a document the reader cannot open."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pumpbill.bookgen import index_markdown, page_markdown, write
from pumpbill.docs import example_comparison, example_edits, example_text, public_source, rule_text
from pumpbill.engine import check
from pumpbill.loader import loads_scenario
from pumpbill.rules import FAMILIES, REGISTRY

ROOT = Path(__file__).resolve().parents[1]
CODES = list(REGISTRY)
# '{name}' as str.format would fill it; MyST's own ':::{dropdown}' and '{bdg}`...`' are not placeholders.
PLACEHOLDER = re.compile(r"(?<![:`])\{[a-z_][a-z0-9_]*\}(?!`)")
UNOPENABLE = ("seed article", "project's reference", "FACTS.md", "FACTS s.", "FACTS section")


def engine_finding(code: str):
    """The rule's first finding on its bad example, straight from the engine."""
    text = example_text(code, "bad")
    result = check(loads_scenario(text, f"{code}/bad.yaml"), edits=example_edits(code))
    return next(f for f in result.findings if f.rule == code)


def test_every_rule_has_a_plain_title() -> None:
    titles = [r.title for r in REGISTRY.values()]
    assert len(set(titles)) == len(titles), "two rules share a title"
    for code, r in REGISTRY.items():
        assert r.title.strip() and r.title != r.name and "{" not in r.title, code
        assert not re.fullmatch(r"[a-z0-9-]+", r.title), f"{code}: the title is a slug"
        assert r.title[0].isupper() or r.title[0].isdigit(), f"{code}: {r.title!r}"
        assert len(r.title) <= 70 and not r.title.endswith("."), code
    assert REGISTRY["PB001"].title == "Billed code doesn't match the documented work"


@pytest.mark.parametrize("code", CODES)
def test_rule_page(code: str) -> None:
    rule = REGISTRY[code]
    page = page_markdown(code)
    # the H1 is the plain title with the code as a badge; the slug stays, in small print
    assert page.splitlines()[0] == f"# {{bdg}}`{code}` {rule.title}"
    assert f"stable name <code>{rule.name}</code>" in page
    # no template: the message and fix are the engine's, on the bad example
    assert not PLACEHOLDER.search(page), PLACEHOLDER.search(page)
    assert "\u2039" not in page
    found = engine_finding(code)
    assert found.message in page and f"{code} {found.severity}: {found.message}" in page
    assert f"**Fix for the example above: {found.fix}**" in page
    # both examples, side by side as claim tables, with at least one changed cell marked, and in full below
    assert page.count('<section class="pb-side') == 2 and page.count('<table class="pb-claim">') == 2
    assert '<td class="pb-diff"><span class="pb-mark" aria-hidden="true">' in page or \
        '<span class="pb-diff"><span class="pb-mark"' in page
    assert f"id: {code.lower()}-bad" in page and f"id: {code.lower()}-good" in page
    assert page.count("::::{dropdown}") == 2
    # the fixed sections, and a public source instead of internal documents
    for section in ("What it checks", "Why it matters", "Example", "Correct coding", "Source", "Confidence"):
        assert f"\n## {section}\n" in page
    assert public_source(rule) in page
    for word in UNOPENABLE:
        assert word not in page, f"{code}: {word!r}"


def test_raw_html_blocks_have_no_blank_line() -> None:
    """MyST ends a raw HTML block at a blank line: the rest would be read as Markdown and shown as text."""
    for code in CODES:
        page = page_markdown(code)
        block = page[page.index('<div class="pb-compare">'):]
        block = block[:block.index("\n</div>\n")]
        assert "\n\n" not in block, code


def test_page_styles_wrap_outputs_and_stack_on_a_phone() -> None:
    page = page_markdown("PB001")
    css = page[page.index("<style>"):page.index("</style>")]
    assert "white-space:pre-wrap" in css and "@media (min-width:700px)" in css
    assert ".pb-diff{" in css and "font-weight:700" in css
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgb", css), "colours come from the theme's variables (dark mode)"


def test_marks_only_what_changed() -> None:
    pb001 = example_comparison("PB001")
    (bad,), (good,) = pb001.bad.rows, pb001.good.rows
    assert [c.changed for c in bad.cells] == [False, True, False, False, False]
    assert (bad.cells[1].text, good.cells[1].text) == ("62367", "62368")
    assert bad.note == "the reprogramming is not reported" and pb001.bad.fields == ()
    assert pb001.changes() == ["line 1 code: 62367 -> 62368"]


def test_an_extra_line_is_marked_whole_and_the_rest_still_match() -> None:
    pb101 = example_comparison("PB101")
    assert [r.only_here for r in pb101.bad.rows] == [True, False, False]
    assert not any(r.only_here for r in pb101.good.rows)
    assert all(c.changed for c in pb101.bad.rows[0].cells)
    assert not any(c.changed for r in pb101.bad.rows[1:] for c in r.cells)
    html = page_markdown("PB101")
    assert "<li>Line 1 (not on the other claim): already inside 62369</li>" in html


def test_note_fields_and_diagnosis_order() -> None:
    pb801 = example_comparison("PB801")
    labels = [label for label, _ in pb801.bad.fields]
    assert "Reprogramming \u203a old value" in labels and "Services \u203a reprogramming" in labels
    assert dict(pb801.good.fields)["Reprogramming \u203a old value"].text == "not recorded"
    pb404 = example_comparison("PB404")
    assert [d.text for d in pb404.bad.diagnoses][:2] == ["A G80.1", "B Z45.1"]
    assert [d.text for d in pb404.good.diagnoses][:2] == ["A Z45.1", "B G80.1"]
    assert all(d.changed for d in pb404.good.diagnoses[:2])


def test_explain_prints_the_title_and_the_changes() -> None:
    text = rule_text("PB001")
    assert text.startswith("# PB001 Billed code doesn't match the documented work\n")
    assert "- line 1 code: 62367 -> 62368" in text and "<" not in text.replace("<=", "")


def test_index_lists_rules_by_family_with_their_titles() -> None:
    index = index_markdown()
    assert not PLACEHOLDER.search(index) and "\u2039" not in index
    positions = [index.index(f"## {prefix}xx ") for prefix in FAMILIES]
    assert positions == sorted(positions)
    for code, r in REGISTRY.items():
        row = f"| [{code}]({code.lower()}.md) | [{r.title}]({code.lower()}.md) |"
        assert row in index
        family_at = max(p for p in positions if p < index.index(row))
        assert index[family_at:].startswith(f"## {code[:3]}xx ")


def test_bookgen_output_is_stable(tmp_path: Path) -> None:
    """Regenerating gives byte-identical files, in this process and in a fresh one with other hash seeds."""
    first = {p.name: p.read_bytes() for p in write(tmp_path / "a")}
    assert {p.name: p.read_bytes() for p in write(tmp_path / "a")} == first
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                        "from pumpbill.bookgen import write; write(Path(sys.argv[1]))", str(out)],
                       check=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed})
        assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_public_source_drops_internal_references() -> None:
    payer = next(r for r in REGISTRY.values() if r.source == "payer-policy")
    assert "FACTS" not in public_source(payer)
    assert public_source(payer).startswith("Payer policies differ (Medicare Advantage, Medicaid, commercial plans)")


def test_no_book_page_mentions_documents_the_reader_cannot_open() -> None:
    pages = [p for p in (ROOT / "book").rglob("*") if p.suffix in (".md", ".ipynb")
             and not any(part.startswith(("_", ".")) for part in p.relative_to(ROOT / "book").parts)]
    assert len(pages) > 20
    for page in pages:
        text = page.read_text("utf-8")
        for word in ("seed article", "project's reference", "FACTS.md"):
            assert word not in text, f"{page.relative_to(ROOT)} mentions {word!r}"
