"""Fuzz the whole schema-valid space (security review C1): the supported date range and its ends, tiny and
huge quantities at the input bounds, every drug, pump, route, POS, performer and service, claims with any
known code, modifier and unit count, diagnoses as plain codes and as {code, certainty}. The engine raises
nothing but InputError, and the CLI answers 0, 1 or 2 without an internal error."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import DX, valid_scenarios

from pumpbill.cli import main
from pumpbill.dates import MAX_DATE, MIN_DATE
from pumpbill.engine import check
from pumpbill.errors import InputError
from pumpbill.loader import scenario_from_data
from pumpbill.quantities import MAX_AMOUNT_MCG, MAX_CONCENTRATION_MCG_PER_ML, MAX_DIGITS

CERTAINTIES = ["confirmed", "suspected", "probable", "rule_out"]
EDGE_DATES = [MIN_DATE, MIN_DATE + timedelta(days=1), MAX_DATE - timedelta(days=1), MAX_DATE]


@st.composite
def quantity(draw, max_mcg: Decimal, per_ml: str = "") -> str:
    """A positive amount with at most MAX_DIGITS digits, from 1e-12 up to the bound, in mg or mcg."""
    unit = draw(st.sampled_from(["mg", "mcg"]))
    limit = max_mcg / (1000 if unit == "mg" else 1)
    edge = [limit, Decimal("0.000000000001"), Decimal(1)]
    places = draw(st.integers(0, MAX_DIGITS))
    value = draw(st.one_of(st.sampled_from(edge),
                           st.integers(1, 10**MAX_DIGITS - 1).map(lambda m: Decimal(m).scaleb(-places))))
    value = min(value, limit)
    return f"{value:f} {unit}{per_ml}"


WIDE = dict(
    dates=st.one_of(st.sampled_from(EDGE_DATES), st.dates(MIN_DATE, MAX_DATE)),
    concentrations=quantity(MAX_CONCENTRATION_MCG_PER_ML, "/mL"),
    doses=quantity(MAX_AMOUNT_MCG),
    discards=st.one_of(st.none(), st.just("0 mg"), quantity(MAX_AMOUNT_MCG)),
    volumes=st.one_of(st.sampled_from([Decimal("0.001"), Decimal(1000)]), st.decimals("0.001", "1000", places=3)),
    diagnoses=st.one_of(st.sampled_from(DX), st.fixed_dictionaries({"code": st.sampled_from(DX),
                                                                     "certainty": st.sampled_from(CERTAINTIES)})),
    units=st.one_of(st.sampled_from([1, 99999]), st.integers(1, 99999)),
    max_gap_days=(MAX_DATE - MIN_DATE).days,
    max_lines=12,
)


def _plain(node):
    """What a file holds: Decimals as numbers' text; dates as YAML's own (unquoted) dates."""
    if isinstance(node, dict):
        return {k: (date.fromisoformat(v) if k in ("date", "next_refill_date") and isinstance(v, str) else _plain(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return str(node) if isinstance(node, Decimal) else node


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(valid_scenarios(**WIDE), st.sampled_from(["yaml", "json"]))
def test_any_schema_valid_scenario_checks_and_the_cli_answers_0_1_or_2(tmp_path_factory, capsys, data, kind):
    try:
        result = check(scenario_from_data("fuzz.yaml", data))
    except InputError as exc:  # allowed, but it must be the one-line kind
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.yaml: ")
        expected = 2
    else:
        for ln in result.recommended:
            assert 1 <= ln.units < 10**10, ln
        expected = result.exit_code
    f = tmp_path_factory.mktemp("fuzz") / f"case.{kind}"
    text = (json.dumps(data, default=str) if kind == "json"
            else yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True))
    f.write_text(text, encoding="utf-8")
    capsys.readouterr()
    code = main(["check", str(f), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == expected, err
    assert "internal error" not in err and "Traceback" not in err
    if code == 2:
        assert out == "" and err.count("\n") == 1 and str(f) in err
    else:
        assert err == "" and set(json.loads(out)) >= {"recommended", "findings"}
