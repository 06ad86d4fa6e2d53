"""Each audit check on tiny hand-written claim files: it fires where it should and only there."""

from __future__ import annotations

import pytest

pytest.importorskip("pandas")

from pumpbill.audit.pipeline import audit_file  # noqa: E402

HEADER = ("claim_id,patient_id,provider_id,date_of_service,place_of_service,code,modifiers,units,diagnoses,payer,"
          "reservoir_ml,volume_added_ml,concentration_mcg_per_ml,daily_dose_mcg,alarm_ml,drug_diluted,change_note")


def row(claim="C1", patient="P1", provider="D1", dos="2026-03-02", pos="11", code="95990", mods="", units="1",
        dx="Z45.1;G80.1", payer="medicare", dose="", diluted="", note="") -> str:
    dose_cols = dose or ",,,,"
    return ",".join([claim, patient, provider, dos, pos, code, mods, units, dx, payer, dose_cols, diluted, note])


def findings(tmp_path, rows: list[str]):
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return audit_file(path).findings


def rules(tmp_path, rows: list[str]) -> list[tuple[str, int | None]]:
    f = findings(tmp_path, rows)
    return sorted((r, None if ln is None or ln != ln else int(ln)) for r, ln in zip(f["rule"], f["line"].astype(object),
                                                                                   strict=True))


def test_clean_visit_has_no_finding(tmp_path):
    assert rules(tmp_path, [row(), row(code="J0475", mods="JZ", units="4")]) == []


def test_pb101_two_pump_codes_same_day(tmp_path):
    assert rules(tmp_path, [row(code="62369"), row(claim="C2", code="62368")]) == [("PB101", 2)]
    assert rules(tmp_path, [row(code="95990", units="2")]) == [("PB101", 2)]
    # another day or another patient: fine
    assert rules(tmp_path, [row(code="62369"), row(claim="C2", dos="2026-03-03", code="62368"),
                            row(claim="C3", patient="P2", code="62368")]) == []


def test_pb102_family_with_refill_code(tmp_path):
    assert rules(tmp_path, [row(code="95990"), row(code="62367")]) == [("PB102", 2)]


def test_pb103_em_without_25_only_on_pump_days(tmp_path):
    out = rules(tmp_path, [row(), row(code="99213", dx="G80.1"),
                           row(claim="C2", dos="2026-03-20", code="99213"),  # no pump service that day
                           row(claim="C3", patient="P2", code="95990"), row(claim="C3", patient="P2", code="99214",
                                                                             mods="25")])
    assert out == [("PB103", 3)]


def test_pb206_j1170_only_after_its_termination_on_2024_09_30(tmp_path):
    """The CMS HCPCS file terminates J1170 on 2024-09-30 (FACTS v2 s.3): valid that day, not the next."""
    out = rules(tmp_path, [row(dos="2024-09-30"), row(dos="2024-09-30", code="J1170", mods="JZ", units="20"),
                           row(claim="C2", dos="2024-10-01"), row(claim="C2", dos="2024-10-01", code="J1170",
                                                                  mods="JZ", units="20")])
    assert out == [("PB206", 5)]


def test_pb302_drug_without_jz_or_jw_but_a_jw_line_covers_the_claim(tmp_path):
    out = rules(tmp_path, [row(), row(code="J0475", units="4"),
                           row(claim="C2", patient="P2"), row(claim="C2", patient="P2", code="J0475", units="4"),
                           row(claim="C2", patient="P2", code="J0475", mods="JW", units="1")])
    assert out == [("PB302", 3)]


def test_pb302_only_for_medicare_claims(tmp_path):
    """FACTS v2 s.3: JZ/JW are Medicare Part B rules; other payers require them only by their own policy."""
    out = rules(tmp_path, [row(), row(code="J0475", units="4"),
                           row(claim="C2", patient="P2", payer="Commercial PPO"),
                           row(claim="C2", patient="P2", code="J0475", units="4", payer="Commercial PPO"),
                           row(claim="C3", patient="P3", payer=""), row(claim="C3", patient="P3", code="J0475",
                                                                        units="4", payer="")])
    assert out == [("PB302", 3), ("PB302", 7)]


def test_pb402_bare_g35_from_2025_10_01(tmp_path):
    out = rules(tmp_path, [row(dos="2025-09-30", dx="Z45.1;G35"), row(claim="C2", dos="2025-10-01", dx="Z45.1;G35"),
                           row(claim="C3", dos="2025-11-01", dx="Z45.1;G35.B1")])
    assert out == [("PB402", 3)]


def test_pb701_incident_to_code_in_facility(tmp_path):
    out = rules(tmp_path, [row(pos="22"), row(claim="C2", patient="P2", pos="22", code="95991"),
                           row(claim="C3", patient="P3", pos="11", code="96522", dx="Z45.1")])
    assert out == [("PB701", 2)]


DOSE = "20,20,2000,400,2"  # FACTS s.7 example: (20 - 2) / (400 / 2000) = 90 days to the alarm


def test_refill_intervals_with_dose_data(tmp_path):
    out = rules(tmp_path, [row(dos="2026-01-01", dose=DOSE),
                           row(claim="C2", dos="2026-02-10", dose=DOSE),    # 40 days: under 45 -> PB601
                           row(claim="C3", dos="2026-05-15", dose=DOSE),    # 94 days: past 90 -> PB602
                           row(claim="C4", dos="2026-08-01", dose=DOSE)])   # 78 days: fine
    assert out == [("PB601", 3), ("PB602", 4)]


def test_pb603_ziconotide_limit_depends_on_dilution(tmp_path):
    zic = "20,20,100,2,2"  # 900 days to alarm: the labelled limit decides
    out = rules(tmp_path, [
        row(dos="2026-01-01", dose=zic, diluted="yes"), row(dos="2026-01-01", code="J2278", mods="JZ", units="2000"),
        row(claim="C2", dos="2026-02-15", dose=zic, diluted="yes"),  # 45 days > 40
        row(claim="C2", dos="2026-02-15", code="J2278", mods="JZ", units="2000"),
        row(claim="C3", patient="P2", dos="2026-01-01", dose=zic, diluted="no"),
        row(claim="C3", patient="P2", dos="2026-01-01", code="J2278", mods="JZ", units="2000"),
        row(claim="C4", patient="P2", dos="2026-03-20", dose=zic, diluted="no"),  # 78 days <= 84
        row(claim="C4", patient="P2", dos="2026-03-20", code="J2278", mods="JZ", units="2000"),
    ])
    assert out == [("PB603", 4)]


def test_pb601_without_dose_data_uses_the_patients_median(tmp_path):
    dates = ["2026-01-01", "2026-03-02", "2026-05-01", "2026-05-11", "2026-07-10"]
    out = rules(tmp_path, [row(claim=f"C{i}", dos=d) for i, d in enumerate(dates)])
    assert out == [("PB601", 5)]


def test_aud03_code_drift_unless_documented(tmp_path):
    dates = ["2026-01-01", "2026-03-01", "2026-05-01", "2026-07-01", "2026-09-01"]
    codes = ["95990", "95990", "62369", "95990", "62369"]
    notes = ["", "", "", "", "dose increased"]
    out = rules(tmp_path, [row(claim=f"C{i}", dos=d, code=c, note=n)
                           for i, (d, c, n) in enumerate(zip(dates, codes, notes, strict=True))])
    assert out == [("AUD03", 4)]


def test_messages_and_sources_are_filled(tmp_path):
    f = findings(tmp_path, [row(pos="22")])
    assert f.loc[0, "message"].startswith("95990 in facility POS 22")
    assert "FACTS s.2" in f.loc[0, "source"]
    assert f.loc[0, "severity"] == "error"


def test_days_to_alarm_agrees_with_the_core(tmp_path):
    """The vectorised arithmetic gives the same days as pumpbill.intervals (FACTS s.7 example: 90)."""
    from decimal import Decimal

    from pumpbill.audit.checks import Work, refill_events
    from pumpbill.audit.schema import read_claims
    from pumpbill.intervals import days_to_alarm
    from pumpbill.quantities import Amount, Concentration

    path = tmp_path / "claims.csv"
    path.write_text(HEADER + "\n" + row(dose="20,20,2000,400,2") + "\n" + row(claim="C2", patient="P2",
                                                                                dose="40,35,500,150,4") + "\n")
    c = read_claims(path)
    ev = refill_events(Work.from_lines(c.lines, frozenset(c.columns)))
    core = [days_to_alarm(Decimal(v), Decimal(a), Amount.parse(d), Concentration.parse(k))
            for v, a, d, k in (("20", "2", "400 mcg", "2000 mcg/mL"), ("35", "4", "150 mcg", "500 mcg/mL"))]
    assert ev["days_to_alarm"].round(6).tolist() == [float(round(x, 6)) for x in core] == [90.0, 103.333333]
