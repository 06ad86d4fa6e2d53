"""Property tests: any valid scenario checks without a crash and never gets two pump-service codes;
any invalid input becomes an InputError (one line, file and field), never another exception."""

from __future__ import annotations

import re
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pumpbill import facts
from pumpbill.cli import main
from pumpbill.engine import check
from pumpbill.errors import InputError
from pumpbill.loader import scenario_from_data
from pumpbill.models import KNOWN_CODES

CODES = sorted(KNOWN_CODES)
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
DX = ["Z45.1", "G80.1", "G89.4", "G35", "G35.A", "T85.610A", "Z45.42", "Z96.41", "Z45.49", "G80", "R25.2"]
POS = sorted(facts.FACILITY_POS | facts.NON_FACILITY_POS | {"99", "02"})
CHANGES = ["daily_dose", "rate", "mode", "bolus", "concentration", "reservoir_volume", "alarm"]
DRUGS = sorted(facts.DRUGS) + ["other"]


@st.composite
def valid_scenarios(draw):
    dos = draw(st.dates(date(2023, 1, 1), date(2027, 12, 31)))
    services = {k: draw(st.booleans()) for k in ("analysis", "reprogramming", "refill")}
    enc = {
        "date": dos.isoformat(),
        "place_of_service": draw(st.sampled_from(POS)),
        "payer": draw(st.sampled_from(["medicare", "example-commercial"])),
        "performed_by": draw(st.sampled_from([None, "physician", "qhp", "clinical_staff"])),
        "pump": {"type": draw(st.sampled_from(["programmable", "nonprogrammable", "portable"])),
                 "route": draw(st.sampled_from(["intrathecal", "epidural", "intraventricular", "intravenous",
                                                "intra_arterial"]))},
        "services": services,
        "imaging": draw(st.sampled_from(["none", "ultrasound", "fluoroscopy", "ct"])),
        "diagnoses": draw(st.lists(st.sampled_from(DX), max_size=4, unique=True)),
    }
    if services["reprogramming"]:
        changes = draw(st.lists(st.sampled_from(CHANGES), min_size=1, max_size=3, unique=True))
        enc["reprogramming"] = {"changes": changes}
    if services["refill"]:
        unit = draw(st.sampled_from(["mg/mL", "mcg/mL"]))
        enc["refill"] = {
            "drug": draw(st.sampled_from(DRUGS)),
            "concentration": f"{draw(st.integers(1, 5000))} {unit}",
            "volume_added_ml": draw(st.decimals("0.1", "60", places=1)),
            "supplied_by": draw(st.sampled_from(["practice", "pharmacy", "facility"])),
            "container": draw(st.sampled_from(["single_dose", "multi_dose"])),
            "discarded": draw(st.one_of(st.none(), st.sampled_from(["0 mg", "4 mg", "250 mcg", "35 mg"]))),
            "residual_ml": draw(st.one_of(st.none(), st.decimals("0", "40", places=1))),
            "expected_residual_ml": draw(st.one_of(st.none(), st.decimals("0", "40", places=1))),
            "undiluted": draw(st.one_of(st.none(), st.booleans())),
        }
        if draw(st.booleans()):
            enc["prescription"] = {"daily_dose": f"{draw(st.integers(1, 2000))} mcg"}
        if draw(st.booleans()):
            enc["previous_refill"] = {"date": (dos - timedelta(days=draw(st.integers(1, 200)))).isoformat(),
                                      "volume_ml": draw(st.decimals("0", "40", places=1)),
                                      "daily_dose": f"{draw(st.integers(1, 2000))} mcg"}
        if draw(st.booleans()):
            enc["next_refill_date"] = (dos + timedelta(days=draw(st.integers(1, 200)))).isoformat()
    if draw(st.booleans()):
        enc["em_visit"] = {"performed": True, "separately_identifiable": draw(st.booleans()),
                           "code": draw(st.sampled_from(sorted(facts.EM_CODES))),
                           "diagnoses": draw(st.lists(st.sampled_from(DX), max_size=2))}
    data = {"encounter": enc}
    if draw(st.booleans()):
        data["claim"] = {"lines": draw(st.lists(st.fixed_dictionaries({
            "code": st.sampled_from(CODES),
            "modifiers": st.lists(st.sampled_from(["25", "26", "TC", "JZ", "JW", "59", "XU"]), max_size=2),
            "units": st.integers(1, 600),
            "diagnoses": st.lists(st.sampled_from(DX), max_size=3)}), max_size=6))}
    return data


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_scenarios())
def test_valid_scenarios_never_crash_and_get_at_most_one_pump_code(data):
    sc = scenario_from_data("gen.yaml", data)
    result = check(sc)
    codes = [ln.code for ln in result.recommended]
    assert sum(c in facts.PUMP_SERVICE_CODES for c in codes) <= 1
    for ln in result.recommended:
        pub = ln.public()
        assert isinstance(pub["units"], int) and pub["units"] >= 1 and pub["modifiers"] == sorted(pub["modifiers"])
    n = len(sc.claim.lines) if sc.claim else 0
    for f in result.findings:
        assert f.line is None or 1 <= f.line <= n
        assert f.message and not PLACEHOLDER.search(f.message + f.fix) and "\n" not in f.message
    if result.selection.hospital_bills:
        assert not any(c in facts.PUMP_SERVICE_CODES for c in codes)
    assert result.exit_code == (1 if any(f.severity == "error" for f in result.findings) else 0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)


@st.composite
def mutated(draw):
    """A valid scenario with one field replaced by junk, or plain junk."""
    data = draw(valid_scenarios())
    if draw(st.booleans()):
        return draw(json_values)
    enc = data["encounter"]
    key = draw(st.sampled_from(sorted(enc)))
    enc[key] = draw(json_values)
    return data


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_invalid_data_is_an_input_error_or_valid(data):
    try:
        sc = scenario_from_data("junk.yaml", data)
    except InputError as exc:
        assert str(exc).startswith("junk.yaml: ") and "\n" not in str(exc)
        return
    check(sc)  # what validated must also check without a crash


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_cli_on_random_bytes_exits_0_1_or_2_without_traceback(tmp_path_factory, capsys, raw):
    f = tmp_path_factory.mktemp("b") / "x.yaml"
    f.write_bytes(raw)
    capsys.readouterr()
    code = main(["check", str(f), "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in err and "internal error" not in err
    if code == 2:
        assert out == "" and err.count("\n") == 1 and str(f) in err
