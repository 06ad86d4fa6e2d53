"""The core must run in Pyodide, where pandas (and numpy) may be missing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CORE = ["pumpbill", "pumpbill.models", "pumpbill.loader", "pumpbill.engine", "pumpbill.rules", "pumpbill.docs",
        "pumpbill.cli", "pumpbill.intervals", "pumpbill.edits", "pumpbill.icd", "pumpbill.payers", "pumpbill.ndc",
        "pumpbill.facility"]
OPTIONAL_CORE = ["pumpbill.widgets", "pumpbill.widgets_ndc", "pumpbill.widgets_facility", "pumpbill.widgets_payers",
                 "pumpbill.exercises", "pumpbill.grading"]

BLOCKER = textwrap.dedent("""
    import importlib.abc, sys
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("pandas", "numpy", "matplotlib"):
                raise ImportError(f"{name} is blocked for this test")
            return None
    sys.meta_path.insert(0, Block())
""")


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKER + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120)


SCENARIO = """
encounter:
  date: 2026-03-02
  place_of_service: "11"
  performed_by: clinical_staff
  pump: {type: programmable, route: intrathecal}
  services: {refill: true}
  refill: {drug: baclofen, concentration: 2000 mcg/mL, volume_added_ml: 20, discarded: 0 mg}
"""


def test_core_imports_and_checks_without_pandas():
    r = run(f"""
        import importlib, sys
        for name in {CORE!r}:
            importlib.import_module(name)
        for name in {OPTIONAL_CORE!r}:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:  # the module exists but needs something missing
                    raise
        from pumpbill.loader import loads_scenario
        from pumpbill.engine import check
        s = loads_scenario({SCENARIO!r})
        assert [l.code for l in check(s).recommended] == ["95990", "J0475"]
        assert not any(m.split(".")[0] in ("pandas", "numpy") for m in sys.modules)
        print("ok")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_blocker_really_blocks():
    r = run("import pandas")
    assert r.returncode != 0 and "blocked" in r.stderr
