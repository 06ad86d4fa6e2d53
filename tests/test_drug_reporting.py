"""Compounded drugs, NOC codes and NDCs: rules PB214-PB217, the PB2xx rules' quiet on compounded lines,
``pumpbill.ndc`` and the NDC builder widget (FACTS section 3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pumpbill.ndc import parse_ndc, quantity_text, shaded_line
from pumpbill.teaching import DX, REFILL, case
from pumpbill.widgets_ndc import eleven_html, ndc_builder, ndc_builder_html, recommended_drug_line

NOTE = "baclofen 2000 mcg/mL + clonidine 100 mcg/mL, 20 mL"
MIX = {**REFILL, "compounded": True, "description": "baclofen 2000 mcg/mL + clonidine 100 mcg/mL",
       "ndc": "99999-123-45"}
SERVICE = {"code": "95990", "diagnoses": DX}
NDC_MIX = {"code": "99999012345", "unit": "ML", "quantity": 20}


def line(code: str, units: int = 1, **extra):
    return {"code": code, "units": units, "diagnoses": DX, **extra}


def errors(result) -> set[str]:
    return {f.rule for f in result.findings if f.severity == "error"}


# --- pumpbill.ndc ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "eleven", "hyphenated", "segment"), [
    ("9999-1234-01", "09999123401", "09999-1234-01", "labeler"),   # 4-4-2
    ("99999-123-45", "99999012345", "99999-0123-45", "product"),   # 5-3-2
    ("99999-1234-1", "99999123401", "99999-1234-01", "package"),   # 5-4-1
    ("99999-1234-01", "99999123401", "99999-1234-01", None),       # already 5-4-2 with hyphens
    ("99999123401", "99999123401", "99999-1234-01", None),         # 11 digits
    (" 99999-123-45 ", "99999012345", "99999-0123-45", "product"),  # surrounding blanks
])
def test_parse_ndc_layouts(label, eleven, hyphenated, segment) -> None:
    n = parse_ndc(label)
    assert (n.eleven, n.eleven_hyphenated, n.padded_segment) == (eleven, hyphenated, segment)
    assert len(n.eleven) == 11 and n.eleven.isdigit()


def test_ten_digits_without_hyphens_is_refused_as_ambiguous() -> None:
    with pytest.raises(ValueError, match="ambiguous"):
        parse_ndc("9999912345")


@pytest.mark.parametrize("bad", ["", "abc", "99999-12-345", "999-1234-01", "99999-123-4", "99999--123-45",
                                 "99999 123 45", "99999-123-45-6", "999990123456", "9999-1234-0a", "-",
                                 "99999_123_45"])
def test_garbage_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_ndc(bad)


# Arabic-Indic digits, fullwidth digits, U+2010 hyphens
@pytest.mark.parametrize("text", ["٩٩٩٩٩-١٢٣-٤٥", "９９９９９-１２３-４５", "99999‐123‐45"])
def test_non_ascii_digits_and_hyphens_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ASCII"):
        parse_ndc(text)


def test_shaded_line_and_quantity_text() -> None:
    assert shaded_line("99999-123-45", "ML", Decimal(20)) == "N499999012345ML20"
    assert shaded_line("9999-1234-01", "ML", Decimal("12.50")) == "N409999123401ML12.5"
    assert quantity_text(Decimal("0.1234")) == "0.123"
    assert quantity_text(Decimal("20.000")) == "20"
    with pytest.raises(ValueError):
        shaded_line("9999912345", "ML", Decimal(1))


# --- PB214: compounded drug billed with a single-drug J-code (or the other NOC code) ---------------------


def test_pb214_single_drug_code_for_a_mix() -> None:
    r = case(refill=MIX, claim=[SERVICE, line("J0475", 4, modifiers=["JZ"])])
    assert [(f.rule, f.line) for f in r.findings if f.severity == "error"] == [("PB214", 2)]
    # the unit and drug-code rules stay quiet on a compounded line, and PB207 leaves it to PB214
    assert not {"PB202", "PB203", "PB205", "PB207"} & set(r.fired())


def test_pb214_each_single_code_line_of_a_split_mix() -> None:
    r = case(refill=MIX, claim=[SERVICE, line("J0475", 40), line("J0735", 2)])
    assert [f.line for f in r.findings if f.rule == "PB214"] == [2, 3]
    assert not {"PB202", "PB203", "PB205"} & set(r.fired())


def test_pb214_other_noc_code_names_the_payers_code() -> None:
    r = case(refill=MIX, payer="example-medicaid", claim=[SERVICE, line("J7999", note=NOTE, ndc=NDC_MIX)])
    f = next(f for f in r.findings if f.rule == "PB214")
    assert "takes J3490" in f.message and "J3490" in f.fix


def test_pb214_good_claims() -> None:
    assert not case(refill=MIX, claim=[SERVICE, line("J7999", note=NOTE)]).findings
    r = case(refill=MIX, payer="example-medicaid", claim=[SERVICE, line("J3490", note=NOTE, ndc=NDC_MIX)])
    assert not errors(r)
    # a plain (not compounded) refill never draws PB214
    assert "PB214" not in case(claim=[SERVICE, line("J0475", 4, modifiers=["JZ"])]).fired()


def test_pharmacy_billed_mix_is_pb208_not_pb214() -> None:
    r = case(refill={**MIX, "supplied_by": "pharmacy"}, claim=[SERVICE, line("J7999", note=NOTE)])
    assert "PB208" in r.fired() and "PB214" not in r.fired()
    assert [ln.code for ln in r.recommended] == ["95990"]


# --- PB215: NDC required but missing ------------------------------------------------------------------------


def test_pb215_fires_for_noc_and_j_code_lines() -> None:
    r = case(refill=MIX, payer="example-medicaid", claim=[SERVICE, line("J3490", note=NOTE)])
    f = next(f for f in r.findings if f.rule == "PB215")
    assert f.line == 2 and "N499999012345ML20" in f.message
    plain = case(refill={**REFILL, "ndc": "9999-1234-01"}, payer="example-medicaid",
                 claim=[SERVICE, line("J0475", 4)])
    assert "PB215" in plain.fired()


def test_pb215_without_a_label_ndc_asks_for_it() -> None:
    r = case(payer="example-medicaid", claim=[SERVICE, line("J0475", 4)])
    f = next(f for f in r.findings if f.rule == "PB215")
    assert "record the label NDC" in f.message


def test_pb215_quiet_for_payers_without_the_requirement_and_when_present() -> None:
    assert "PB215" not in case(refill=MIX, claim=[SERVICE, line("J7999", note=NOTE)]).fired()
    r = case(refill=MIX, payer="example-medicaid", claim=[SERVICE, line("J3490", note=NOTE, ndc=NDC_MIX)])
    assert "PB215" not in r.fired()


# --- PB216: NDC not the label's, or the quantity differs ----------------------------------------------------


def _medicaid_plain(ndc: dict):
    return case(refill={**REFILL, "ndc": "9999-1234-01"}, payer="example-medicaid",
                claim=[SERVICE, line("J0475", 4, ndc=ndc)])


def test_pb216_zero_in_the_wrong_place() -> None:
    r = _medicaid_plain({"code": "99991234010", "unit": "ML", "quantity": 20})
    f = next(f for f in r.findings if f.rule == "PB216")
    assert "wrong place" in f.message and "N409999123401ML20" in f.fix


def test_pb216_another_ndc_altogether() -> None:
    r = _medicaid_plain({"code": "12345678901", "unit": "ML", "quantity": 20})
    f = next(f for f in r.findings if f.rule == "PB216")
    assert "wrong place" not in f.message and "09999123401" in f.message


@pytest.mark.parametrize("ndc", [{"code": "09999123401", "unit": "ML", "quantity": 4},
                                 {"code": "09999123401", "unit": "UN", "quantity": 20}])
def test_pb216_quantity_or_unit_differs(ndc: dict) -> None:
    r = _medicaid_plain(ndc)
    f = next(f for f in r.findings if f.rule == "PB216")
    assert "ML 20" in f.message


def test_pb216_good() -> None:
    r = _medicaid_plain({"code": "09999123401", "unit": "ML", "quantity": 20})
    assert not errors(r)
    r = _medicaid_plain({"code": "09999123401", "unit": "ML", "quantity": "20.000"})
    assert "PB216" not in r.fired()


def test_pb216_label_check_applies_even_when_the_payer_does_not_ask() -> None:
    r = case(refill={**REFILL, "ndc": "9999-1234-01"},
             claim=[SERVICE, line("J0475", 4, modifiers=["JZ"], ndc={"code": "99991234010", "unit": "ML",
                                                                       "quantity": 20})])
    assert "PB216" in r.fired()


# --- PB217: NOC line without a useful note ------------------------------------------------------------------


@pytest.mark.parametrize(("note", "why"), [(None, "no claim note"), ("baclofen clonidine mix", "no amount"),
                                           ("compounded syringe, 20 mL", "does not name the drug")])
def test_pb217_note_problems(note, why) -> None:
    extra = {"note": note} if note is not None else {}
    r = case(refill=MIX, claim=[SERVICE, line("J7999", **extra)])
    f = next(f for f in r.findings if f.rule == "PB217")
    assert why in f.message and NOTE in f.fix


def test_pb217_good_note_and_other_wordings() -> None:
    assert "PB217" not in case(refill=MIX, claim=[SERVICE, line("J7999", note=NOTE)]).fired()
    assert "PB217" not in case(refill=MIX, claim=[SERVICE, line("J7999", note="Baclofen+clonidine 20 mL")]).fired()


# --- the widget ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "marked", "shaded"), [
    ("9999-1234-01", "<mark title='added zero'>0</mark>9999", "N409999123401ML20"),
    ("99999-123-45", "<mark title='added zero'>0</mark>123", "N499999012345ML20"),
    ("99999-1234-1", "<mark title='added zero'>0</mark>1", "N499999123401ML20"),
])
def test_builder_three_layouts(label, marked, shaded) -> None:
    h = ndc_builder_html(label)
    assert marked in h and shaded in h and "made-up" in h.lower()
    assert "837P LIN" in h and "837P CTP" in h
    assert "<code>J0475</code>" in h  # the engine's line for example-medicaid: no JZ, the NDC on it


def test_builder_eleven_digits_marks_nothing() -> None:
    h = ndc_builder_html("99999123401")
    assert "<mark" not in h and "nothing is added" in h


def test_builder_compounded_line_has_ndc_and_note() -> None:
    h = ndc_builder_html("99999-123-45", compounded=True, description="baclofen 2000 mcg/mL + clonidine 100 mcg/mL")
    assert "<code>J3490</code>" in h and NOTE in h and "N499999012345ML20" in h


def test_builder_quantity_follows_the_volume() -> None:
    h = ndc_builder_html("99999-123-45", volume_ml=12.5)
    assert "N499999012345ML12.5" in h and "<td>3</td>" in h


@pytest.mark.parametrize(("args", "says"), [
    (("9999912345",), "ambiguous"),
    (("garbage",), "not written like one"),
    (("٩٩٩٩٩-١٢٣-٤٥",), "ASCII"),
    (("",), "Cannot check"),
    (("99999-123-45", "baclofen", "2000 mcg/mL", -3), "volume instilled"),
    (("99999-123-45", "baclofen", "2000 mcg/mL", "lots"), "volume instilled"),
    (("99999-123-45", "baclofen", "2000 mcg/mL", float("nan")), "volume instilled"),
    (("99999-123-45", "baclofen", "not a strength", 20), "concentration"),
    (("99999-123-45", "baclofen", "2000 mcg/mL", 20, False, "", "no-such-payer"), "payer"),
])
def test_builder_never_raises(args, says) -> None:
    h = ndc_builder_html(*args)
    assert "Cannot check" in h and says in h and "Traceback" not in h


def test_builder_other_payer_has_no_ndc_on_the_line() -> None:
    h = ndc_builder_html("99999-123-45", payer="medicare")
    assert "does not ask for the NDC" in h and "<td>JZ</td>" in h


def test_builder_pieces() -> None:
    assert eleven_html(parse_ndc("99999-1234-01")).count("<mark") == 0
    lines = recommended_drug_line("9999-1234-01", "baclofen", "2000 mcg/mL", 20)
    assert [(ln.code, ln.units, ln.ndc) for ln in lines] == [("J0475", 4, ("09999123401", "ML", "20"))]
    w = ndc_builder()
    assert "N499999012345ML20" in w.children[-1].value
