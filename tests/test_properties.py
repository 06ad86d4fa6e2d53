"""Property tests: any valid scenario checks without a crash and never gets two pump-service codes;
any invalid input becomes an InputError (one line, file and field), never another exception."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import valid_scenarios

from pumpbill import facts
from pumpbill.cli import main
from pumpbill.engine import check
from pumpbill.errors import InputError
from pumpbill.loader import scenario_from_data

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


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
