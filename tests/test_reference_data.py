"""ICD-10-CM index, edit tables with provenance, payer profiles, the registry's shape."""

from __future__ import annotations

import gzip
import random
import re
from datetime import date
from importlib import resources

import pytest
from helpers import fired, scenario

from pumpbill import facts
from pumpbill.edits import EditData, load_mue, load_ptp, teaching_table
from pumpbill.errors import InputError
from pumpbill.icd import code_set
from pumpbill.payers import get_profile, profiles
from pumpbill.rules import FAMILIES, REGISTRY


# --- ICD-10-CM ---------------------------------------------------------------------------------
def test_index_matches_the_maintained_code_set():
    cm = pytest.importorskip("simple_icd_10_cm")
    cs = code_set()
    sample = random.Random(7).sample(sorted(cs.codes), 400) + ["G35", "G35.A", "Z45.1", "T85.610A", "G80.1"]
    for code in sample:
        assert cm.is_valid_item(code)
        assert cs.codes[code][0] == cm.is_leaf(code), code
        assert cs.description(code) == " ".join(cm.get_description(code).replace("\t", " ").split("\n"))


def test_index_states_its_fiscal_year():
    assert "FY2026" in code_set().label
    head = gzip.decompress(resources.files("pumpbill").joinpath("data/icd10cm.tsv.gz").read_bytes())[:200]
    assert head.startswith(b"# ICD-10-CM FY2026")


@pytest.mark.parametrize(("code", "status"), [
    ("G35", "header"), ("G35.A", "billable"), ("Z45.1", "billable"), ("T85.6", "header"),
    ("T85.610A", "billable"), ("S14.109S", "billable"), ("Q99.99", "unknown")])
def test_code_status(code, status):
    assert code_set().status(code) == status


def test_g35_by_date_of_service():
    before = scenario({"date": "2025-09-30", "diagnoses": ["Z45.1", "G35"], "next_refill_date": None})
    after = scenario({"date": "2025-10-01", "diagnoses": ["Z45.1", "G35"], "next_refill_date": None})
    assert "PB402" not in fired(before) and "PB401" not in fired(before)
    assert "PB402" in fired(after)


def test_header_and_unknown_codes_are_invalid():
    assert "PB401" in fired(scenario({"diagnoses": ["Z45.1", "G80"]}))
    assert "PB401" in fired(scenario({"diagnoses": ["Z45.1", "Q99.99"]}))
    assert "PB401" not in fired(scenario({"diagnoses": ["Z45.1", "G80.1"]}))


# --- edits ---------------------------------------------------------------------------------------
def test_teaching_table_is_labelled_and_keyed_by_date():
    t = teaching_table()
    r = t.lookup("62369", "95990", date(2026, 3, 2))
    assert r.answer == "applies" and not r.official and "not official" in r.provenance
    assert t.lookup("62369", "J0475", date(2026, 3, 2)).answer == "not applicable"
    assert t.lookup("62367", "62368", date(2026, 1, 1)).answer == "applies"


PTP = """\
CPT codes and descriptions only are copyright American Medical Association.
Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\tModifier\tPTP Edit Rationale
\t\t\t\t\t0=not allowed 1=allowed 9=not applicable\t
11111\t22222\t\t20240101\t20250701\t1\tMisuse of column two code with column one code
11111\t22222\t\t20250701\t*\t0\tMutually exclusive procedures
33333\t44444\t*\t19960101\t*\t1\tStandards of medical / surgical services
"""


def test_official_ptp_loader_by_date(tmp_path):
    f = tmp_path / "ccipra-v313r0-f1.txt"
    f.write_text(PTP)
    table = load_ptp(f)
    assert table.official and table.version == "ccipra-v313r0-f1"
    assert table.lookup("11111", "22222", date(2024, 6, 1)).edit.modifier_indicator == "1"
    assert table.lookup("22222", "11111", date(2025, 8, 1)).edit.modifier_indicator == "0"
    assert table.lookup("11111", "22222", date(2023, 6, 1)).answer == "not applicable"
    assert table.lookup("11111", "55555", date(2025, 8, 1)).answer == "not applicable"
    table.covers = (date(2025, 7, 1), date(2025, 9, 30))
    assert table.lookup("11111", "22222", date(2026, 1, 1)).answer == "no data"
    assert EditData(ptp=[table], shipped=False).official_pair("11111", "22222", date(2026, 1, 1)) is None
    # with the shipped CMS rows, a loaded table without data for the date falls through to them
    shipped = EditData(ptp=[table]).official_pair("62369", "95990", date(2026, 1, 1))
    assert shipped.answer == "applies" and "v32.3" in shipped.provenance


def test_files_marked_synthetic_are_never_official(tmp_path):
    f = tmp_path / "ptp.txt"
    f.write_text("NOT CMS DATA\n11111\t22222\t\t20240101\t*\t0\tSYNTHETIC TEST ROW\n")
    table = load_ptp(f)
    assert not table.official and "SYNTHETIC" in table.name
    r = table.lookup("11111", "22222", date(2025, 1, 1))
    assert r.answer == "applies" and "not official" in r.provenance


def test_official_ptp_loader_rejects_bad_rows(tmp_path):
    f = tmp_path / "ptp.txt"
    f.write_text("11111\t22222\t\t2024-01-01\t*\t1\tx\n")
    with pytest.raises(InputError, match="line 1 effective date"):
        load_ptp(f)
    f.write_text("nothing useful here\n")
    with pytest.raises(InputError, match="no PTP rows"):
        load_ptp(f)


def test_official_mue_loader(tmp_path):
    f = tmp_path / "mue.txt"
    f.write_text("HCPCS/CPT Code\tPractitioner Services MUE Values\tMUE Adjudication Indicator\tMUE Rationale\n"
                 "11111\t1\t2 Date of Service Edit: Policy\tSYNTHETIC\n")
    t = load_mue(f, valid_from=date(2026, 1, 1), valid_to=date(2026, 3, 31))
    assert t.lookup("11111", date(2026, 2, 1)).mue == 1
    assert t.lookup("11111", date(2026, 4, 1)).answer == "no data"
    assert t.lookup("99999", date(2026, 2, 1)).answer == "no data"


# --- payers --------------------------------------------------------------------------------------
def test_profiles_differ_in_documented_ways():
    med, com = get_profile("medicare"), get_profile("example-commercial")
    assert not med.example and com.example and "EXAMPLE" in com.title
    assert (med.reprogramming_reading, com.reprogramming_reading) == ("strict", "lenient")
    assert med.em_same_day != com.em_same_day
    assert set(profiles()) >= {"medicare", "example-commercial"}
    with pytest.raises(KeyError):
        get_profile("acme")


# --- registry --------------------------------------------------------------------------------------
def test_registry_shape():
    assert len(REGISTRY) >= 30
    names = set()
    for code, r in REGISTRY.items():
        assert re.fullmatch(r"PB\d{3}", code) and code[:3] in FAMILIES
        assert r.name not in names and re.fullmatch(r"[a-z0-9-]+", r.name)
        names.add(r.name)
        assert r.severity in ("error", "warning", "info")
        assert r.what and r.why and r.correct and r.fix and r.message and "\n" not in r.message
        assert r.source in facts.SOURCES and r.since
        assert all(s in REGISTRY for s in r.supersedes)
    assert {c[:3] for c in REGISTRY} == set(FAMILIES)


def test_findings_show_confidence_below_high():
    result_rules = {f.rule: f for f in __import__("pumpbill.engine").engine.check(
        scenario({"imaging": "ultrasound"})).findings}
    assert result_rules["PB106"].confidence == "medium"


def test_packed_index_finds_codes_per_letter_as_the_whole_text_does():
    """pack_index: one gzip member per first letter; a lookup decompresses only its letter."""
    from pumpbill.icd import IcdCodeSet

    cs = code_set()
    fresh = IcdCodeSet(cs.label, cs.packed, cs.toc, cs.body_start)
    sample = random.Random(3).sample(sorted(cs.codes), 300)
    for code in sample:
        assert fresh.status(code) == ("billable" if cs.codes[code][0] else "header")
    assert fresh.status("Q99.99X") == "unknown" and fresh.status("9") == "unknown"
    one = IcdCodeSet(cs.label, cs.packed, cs.toc, cs.body_start)
    assert one.status("Z45.1") == "billable" and set(one._letters) == {"Z"}
