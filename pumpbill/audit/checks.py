"""The audit's checks, each vectorised over all claim lines and returning a findings frame.

Why vectorised: an export has a million lines; each check is a handful of ``isin``,
``groupby`` and ``shift`` calls on integer keys (patient x day, claim x code), so a check
costs a fraction of a second where a per-row Python loop costs minutes. Python-level
work happens only on the (small) set of flagged rows, to format messages.

The facts come from ``pumpbill.facts`` (FACTS.md); the rule codes, severities and sources
from ``catalog.RULES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from pumpbill import facts

from .catalog import RULE_ORDER, RULES

#: Columns of every findings frame, in this order (the findings CSV).
FINDING_COLUMNS: list[str] = [
    "rule", "name", "severity", "line", "lines", "claim_id", "patient_id", "provider_id",
    "date_of_service", "code", "message", "source",
]
#: Codes that refill the pump, for refill intervals (62369/62370 refill with reprogramming).
INTERVAL_REFILL_CODES: tuple[str, ...] = (
    ("62369", "62370") + facts.REFILL_CODES + (facts.PORTABLE_REFILL_CODE, facts.SYSTEMIC_REFILL_CODE)
)
ZICONOTIDE_CODE = facts.DRUGS["ziconotide"].hcpcs
DAY_SHIFT = 16  # key = id << 16 | days since 1970 (days stay below 65536 until 2149)
#: Builds the message column from the per-finding frame.
Message = Callable[[pd.DataFrame], pd.Series]


def unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct integers (sort + mask: much faster than np.unique's hash path on 1M ints)."""
    s = np.sort(a)
    return s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s


def isin(a: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Hash-based membership (pandas), ~20x faster than np.isin on a million keys."""
    return pd.Series(a, copy=False).isin(values).to_numpy()


def join_groups(gid: np.ndarray, values: np.ndarray, sep: str) -> np.ndarray:
    """For rows sorted by ``gid``: each group's values joined by ``sep`` (one entry per group).

    Vectorised by rank within the group: groups are small (a visit's lines), so a few passes.
    """
    values = values.astype(object)
    starts = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]])
    sizes = np.diff(np.r_[starts, len(gid)])
    out = values[starts].copy()
    for k in range(1, int(sizes.max(initial=1))):
        has = sizes > k
        out[has] = out[has] + sep + values[starts[has] + k]
    return out


def epoch_day(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def day_to_iso(days: np.ndarray | pd.Series) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype(str)


@dataclass
class Work:
    """Claim lines plus the integer keys every check groups on (computed once)."""

    lines: pd.DataFrame
    pat: np.ndarray  # patient code
    prov: np.ndarray  # provider code
    claim: np.ndarray  # claim code
    day: np.ndarray  # days since 1970
    pday: np.ndarray  # patient x day key
    ppday: np.ndarray  # patient x provider x day key: ((pat * nprov + prov) << 16) | day
    nprov: int  # the multiplier in ppday (at least 1)
    present: frozenset[str] = field(default_factory=frozenset)  # optional columns the file has

    @classmethod
    def from_lines(cls, lines: pd.DataFrame, present: frozenset[str] = frozenset()) -> Work:
        """Build the keys once for every check."""
        pat = lines["patient_id"].cat.codes.to_numpy().astype(np.int64)
        prov = lines["provider_id"].cat.codes.to_numpy().astype(np.int64)
        day = lines["day"].to_numpy().astype(np.int64)
        nprov = max(len(lines["provider_id"].cat.categories), 1)
        return cls(
            lines=lines, pat=pat, prov=prov, claim=lines["claim_id"].cat.codes.to_numpy().astype(np.int64),
            day=day, pday=(pat << DAY_SHIFT) | day, ppday=((pat * nprov + prov) << DAY_SHIFT) | day,
            nprov=nprov, present=present,
        )

    def code_in(self, codes: Iterable[str]) -> np.ndarray:
        return self.lines["code"].isin(list(codes)).to_numpy()


@cache
def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "line" else object) for c in FINDING_COLUMNS})


def empty_findings() -> pd.DataFrame:
    """A findings frame with no rows (built once; a copy each time)."""
    return _empty().copy()


def _finish(rule: str, f: pd.DataFrame, message: pd.Series) -> pd.DataFrame:
    r = RULES[rule]
    f = f.assign(rule=rule, name=r.name, severity=r.severity, message=message.to_numpy(),
                 source=f"{r.facts}; {facts.SOURCES[r.source].title}")
    f["line"] = f["line"].astype("Int64")
    return f[FINDING_COLUMNS].reset_index(drop=True)


def group_rows(rule: str, rows: Mapping[str, np.ndarray], message: Message) -> pd.DataFrame:
    """One finding per group of flagged lines; ``message(frame) -> Series``.

    ``rows`` holds one entry per flagged line: grp (the group key, an integer), line, claim_id,
    patient_id, provider_id, day, code, and any extra column the message needs (taken from the
    group's first line). Shared by the pandas checks and the SQL runner (``sqlchecks``), so the
    two cannot format a finding differently. The frame passed to ``message`` has one row per
    group: line, lines, claim_id, patient_id, provider_id, day, code (the group's distinct codes
    joined by "+", in line order), date_of_service, then the extras.
    """
    g = np.asarray(rows["grp"], dtype=np.int64)
    if len(g) == 0:
        return empty_findings()
    line = np.asarray(rows["line"], dtype=np.int64)
    order = np.lexsort((line, g))
    g, line = g[order], line[order]
    first = np.r_[True, g[1:] != g[:-1]]
    head = order[first]
    code = np.asarray(rows["code"], dtype=object)[order]
    seen = pd.DataFrame({"g": g, "c": pd.factorize(code)[0]}).duplicated().to_numpy()  # distinct codes per group
    day = np.asarray(rows["day"], dtype=np.int64)[head]
    extra = [c for c in rows if c not in _ROW_COLUMNS]
    f = pd.DataFrame({
        "line": line[first],
        "lines": join_groups(g, line.astype(str), ";"),
        **{c: np.asarray(rows[c], dtype=object)[head] for c in ("claim_id", "patient_id", "provider_id")},
        "day": day,
        "code": join_groups(g[~seen], code[~seen], "+"),
        "date_of_service": day_to_iso(day),
        **{c: np.asarray(rows[c], dtype=object)[head] for c in extra},
    })
    return _finish(rule, f, message(f))


_ROW_COLUMNS = frozenset({"grp", "line", "claim_id", "patient_id", "provider_id", "day", "code"})


def group_findings(w: Work, rule: str, mask: np.ndarray, gid: np.ndarray, extra: tuple[str, ...] = ()
                   ) -> pd.DataFrame:
    """One finding per group of flagged lines (e.g. per patient-day), with ``MESSAGES[rule]``."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return empty_findings()
    L = w.lines
    rows = {"grp": gid[idx], "line": L["line"].to_numpy()[idx], "day": w.day[idx],
            **{c: L[c].to_numpy()[idx] for c in ("claim_id", "patient_id", "provider_id", "code", *extra)}}
    return group_rows(rule, rows, MESSAGES[rule])


def _line_findings(w: Work, rule: str, mask: np.ndarray, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    return group_findings(w, rule, mask, w.lines["line"].to_numpy(), extra)


# --- same-day coding --------------------------------------------------------------------------------


def check_multiple_family(w: Work) -> pd.DataFrame:
    """PB101: more than one pump-service code (units) per patient and day (FACTS s.1).

    As in the registry, a single 62367-62370 + 95990/95991 pair is PB102's finding, not PB101's.
    """
    pump = w.code_in(facts.PUMP_SERVICE_CODES)
    units = w.lines["units"].to_numpy()
    key = w.pday[pump]
    per_day = pd.DataFrame({
        "n": units[pump],
        "fam": np.where(w.code_in(facts.FAMILY_CODES)[pump], units[pump], 0),
        "ref": np.where(w.code_in(facts.REFILL_CODES)[pump], units[pump], 0),
    }).groupby(key).transform("sum")
    pair = (per_day["n"] == 2) & (per_day["fam"] == 1) & (per_day["ref"] == 1)
    mask = np.zeros(len(pump), bool)
    mask[np.flatnonzero(pump)[((per_day["n"] > 1) & ~pair).to_numpy()]] = True
    return group_findings(w, "PB101", mask, w.pday)


def check_family_with_refill(w: Work) -> pd.DataFrame:
    """PB102: 62367-62370 and 95990/95991 for the same patient and day (FACTS s.1)."""
    fam = w.code_in(facts.FAMILY_CODES)
    ref = w.code_in(facts.REFILL_CODES)
    both = w.pday[ref][isin(w.pday[ref], w.pday[fam])]
    mask = (fam | ref) & isin(w.pday, both)
    return group_findings(w, "PB102", mask, w.pday)


def pump_day_keys(w: Work) -> np.ndarray:
    """Patient x provider x day keys with a pump-service line (62367-62370, 95990/95991, 96521/96522)."""
    return unique(w.ppday[w.code_in(facts.PUMP_SERVICE_CODES)])


def check_em_without_25(w: Work) -> pd.DataFrame:
    """PB103: E/M on a pump-service day (same patient, provider, date) without modifier 25 (FACTS s.5)."""
    em = w.code_in(facts.EM_CODES) & ~w.lines["m25"].to_numpy()
    mask = em & isin(w.ppday, pump_day_keys(w))
    return _line_findings(w, "PB103", mask)


def check_j1170(w: Work) -> pd.DataFrame:
    """PB206: J1170 after its termination (2024-09-30, CMS HCPCS file; FACTS s.3)."""
    mask = (w.lines["code"] == "J1170").to_numpy() & (w.day > epoch_day(facts.J1170_TERMINATED))
    return _line_findings(w, "PB206", mask)


#: Payer names (lower case) whose claims follow the Medicare Part B JZ/JW rules (FACTS s.3).
JZ_JW_PAYERS = frozenset({"medicare", "medicare part b", "original medicare", "traditional medicare"})


def is_jz_jw_payer(payer: str) -> bool:
    """A payer name whose claims follow the Medicare Part B JZ/JW rules (the SQL runner uses it too)."""
    return payer.strip().lower() in JZ_JW_PAYERS


def _jz_jw_payer(w: Work) -> np.ndarray:
    """Rows JZ/JW apply to: Medicare Part B claims, or every row when the export has no payer column (the
    audit then assumes Medicare and says so in the rule text). Other payers require JZ/JW only by their own
    policy, so a missing JZ there is not this rule's error."""
    if "payer" not in w.present:
        return np.ones(len(w.lines), bool)
    payer = w.lines["payer"]
    known = np.array([is_jz_jw_payer(str(c)) for c in payer.cat.categories] + [True])
    return known[payer.cat.codes.to_numpy()]  # code -1 (blank payer) picks the last entry: treated as Medicare


def check_jz_jw(w: Work) -> pd.DataFrame:
    """PB302: a FACTS s.3 drug code with neither JZ nor JW on any of its lines on the claim.

    Grouped by claim and code so that a claim reporting the discarded amount on a separate JW
    line is not flagged for its administered line.
    """
    drug = w.code_in(facts.DRUG_CODES) & (w.day >= epoch_day(facts.JZ_REQUIRED_FROM)) & _jz_jw_payer(w)
    if not drug.any():
        return empty_findings()
    ncode = len(w.lines["code"].cat.categories)
    gid = w.claim * ncode + w.lines["code"].cat.codes.to_numpy()
    has = pd.Series((w.lines["mjz"].to_numpy() | w.lines["mjw"].to_numpy())[drug])
    covered = has.groupby(gid[drug]).transform("any").to_numpy()
    mask = np.zeros(len(drug), bool)
    mask[np.flatnonzero(drug)[~covered]] = True
    return group_findings(w, "PB302", mask, gid)


def check_bare_g35(w: Work) -> pd.DataFrame:
    """PB402: bare G35 on a date of service on or after 2025-10-01 (FACTS s.4); one finding per claim."""
    if "diagnoses" not in w.present:
        return empty_findings()
    mask = w.lines["bare_g35"].to_numpy() & (w.day >= epoch_day(facts.G35_EXPANDED_ON))
    return group_findings(w, "PB402", mask, w.claim)


def check_incident_to_facility(w: Work) -> pd.DataFrame:
    """PB701: 95990/96521/96522 with a facility place of service (FACTS s.2, PC/TC 5)."""
    mask = w.code_in(facts.INCIDENT_TO_CODES) & w.lines["pos"].isin(list(facts.FACILITY_POS)).to_numpy()
    return _line_findings(w, "PB701", mask, extra=("pos",))


# --- refill intervals and code consistency ---------------------------------------------------------------


def refill_events(w: Work) -> pd.DataFrame:
    """One row per patient and refill day, sorted by patient then day, with the previous refill.

    Dose data and notes are taken from any line of that patient-day (first value present).
    Columns: pat, prov, day, row, line, code, n_pump (pump-service lines that day), days_to_alarm
    (FACTS s.7, NaN without usable dose data), ziconotide, diluted, has_note, daily_dose_mcg,
    concentration_mcg_per_ml, then prev_day, prev_line, interval, prev_alarm, prev_zic,
    prev_diluted, prev_dose, prev_conc (NaN on a patient's first refill).
    """
    L = w.lines
    ref = w.code_in(INTERVAL_REFILL_CODES)
    if not ref.any():
        return pd.DataFrame(columns=["pat", "day", "line", "code", "interval"])
    on_day = isin(w.pday, unique(w.pday[ref]))
    pump = w.code_in(facts.PUMP_SERVICE_CODES)
    d = pd.DataFrame({
        "key": w.pday[on_day],
        "prov": w.prov[on_day],
        "row": np.where(ref[on_day], np.flatnonzero(on_day), np.iinfo(np.int64).max),
        "pump": pump[on_day].astype(np.int32),
        "zic": (L["code"] == ZICONOTIDE_CODE).to_numpy()[on_day],
        "has_note": L["has_note"].to_numpy()[on_day],
        "diluted": L["diluted"].to_numpy()[on_day],
        **{c: L[c].to_numpy()[on_day] for c in ("reservoir_ml", "volume_added_ml", "volume_after_ml",
                                                "concentration_mcg_per_ml", "daily_dose_mcg", "alarm_ml")},
    })
    g = d.groupby("key", sort=True)
    ev = g.agg(prov=("prov", "first"), row=("row", "min"), n_pump=("pump", "sum"), ziconotide=("zic", "any"),
               has_note=("has_note", "any"), diluted=("diluted", "first"), reservoir=("reservoir_ml", "first"),
               added=("volume_added_ml", "first"), after=("volume_after_ml", "first"),
               concentration_mcg_per_ml=("concentration_mcg_per_ml", "first"),
               daily_dose_mcg=("daily_dose_mcg", "first"), alarm=("alarm_ml", "first"))
    key = ev.index.to_numpy()
    ev = ev.reset_index(drop=True)
    ev["pat"] = key >> DAY_SHIFT
    ev["day"] = key & ((1 << DAY_SHIFT) - 1)
    row = ev["row"].to_numpy()  # the day's first refill line
    ev["line"] = L["line"].to_numpy()[row]
    ev["code"] = L["code"].to_numpy()[row].astype(object)
    # FACTS s.7: days to alarm = (volume after refill - alarm volume) / (daily dose / concentration),
    # the same arithmetic as pumpbill.intervals.days_to_alarm (a test keeps them equal).
    after = ev["after"].fillna(np.fmin(ev["added"], ev["reservoir"]))
    alarm = ev["alarm"].fillna(float(facts.DEFAULT_ALARM_ML))
    daily_ml = ev["daily_dose_mcg"] / ev["concentration_mcg_per_ml"]
    t = (after - alarm) / daily_ml
    ev["days_to_alarm"] = t.where(np.isfinite(t) & (t > 0))
    same = ev["pat"].eq(ev["pat"].shift())
    for src, dst in (("day", "prev_day"), ("line", "prev_line"), ("days_to_alarm", "prev_alarm"),
                     ("ziconotide", "prev_zic"), ("diluted", "prev_diluted"), ("daily_dose_mcg", "prev_dose"),
                     ("concentration_mcg_per_ml", "prev_conc")):
        ev[dst] = ev[src].shift().where(same)
    ev["interval"] = ev["day"] - ev["prev_day"]
    return ev


def event_rows(rule: str, e: pd.DataFrame, message: Message) -> pd.DataFrame:
    """Findings on flagged refill events (the later refill of an interval), naming both lines.

    ``e`` has one row per finding: line, prev_line (NaN on a patient's first refill), claim_id,
    patient_id, provider_id, day, code, and the columns ``message(e) -> Series`` reads. Shared by
    the pandas checks and the SQL runner (``sqlchecks``).
    """
    if e.empty:
        return empty_findings()
    e = e.reset_index(drop=True)
    prev = e["prev_line"]
    f = pd.DataFrame({
        "line": e["line"].to_numpy(),
        "lines": np.where(prev.notna(), prev.fillna(0).astype(np.int64).astype(str) + ";", "")
        + e["line"].astype(str).to_numpy(),
        **{c: e[c].to_numpy().astype(object) for c in ("claim_id", "patient_id", "provider_id")},
        "date_of_service": day_to_iso(e["day"]),
        "code": e["code"].to_numpy(),
    })
    return _finish(rule, f, message(e))


def _event_findings(w: Work, rule: str, ev: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """``event_rows`` for the events where ``mask`` holds, with ``MESSAGES[rule]``."""
    e = ev.loc[mask.fillna(False).to_numpy()]
    if e.empty:
        return empty_findings()
    L = w.lines
    pos = e["row"].to_numpy()
    e = e.assign(**{c: L[c].to_numpy()[pos].astype(object) for c in ("claim_id", "patient_id", "provider_id")})
    return event_rows(rule, e, MESSAGES[rule])


def _fmt(x: pd.Series, digits: int = 0) -> pd.Series:
    """Numbers as text for messages ("" for NaN, so both branches of an np.where can be built)."""
    text = x.fillna(0).round(digits).astype(np.int64 if digits == 0 else float).astype(str)
    return text.where(x.notna(), "")


def check_refill_intervals(w: Work, ev: pd.DataFrame) -> list[pd.DataFrame]:
    """PB601 (too soon), PB602 (past the alarm date), PB603 (past ziconotide's labelled limit)."""
    if ev.empty or "prev_day" not in ev:
        return []
    ratio = float(facts.SHORT_INTERVAL_RATIO)
    iv = ev["interval"]
    zic_prev = ev["prev_zic"].fillna(False).astype(bool)
    limit = pd.Series(np.where(ev["prev_diluted"] == 0, facts.ZICONOTIDE_UNDILUTED_DAYS,
                               facts.ZICONOTIDE_DILUTED_DAYS), index=ev.index)
    stats = iv.groupby(ev["pat"]).agg(["median", "count"])
    ev = ev.assign(
        # FACTS s.7: schedule before the alarm date and never beyond the drug's labelled limit.
        expected=ev["prev_alarm"].where(~zic_prev, np.fmin(ev["prev_alarm"], limit)),
        median=ev["pat"].map(stats["median"]),
        n_intervals=ev["pat"].map(stats["count"]),
        limit=limit,
    )
    has_t = ev["expected"].notna()
    short = (has_t & (iv < ratio * ev["expected"])) | (~has_t & (ev["n_intervals"] >= 3) & (iv < ratio * ev["median"]))
    return [
        _event_findings(w, "PB601", ev, short),
        _event_findings(w, "PB602", ev, ev["prev_alarm"].notna() & (iv > ev["prev_alarm"])),
        _event_findings(w, "PB603", ev, zic_prev & (iv > limit)),
    ]


def check_code_drift(w: Work, ev: pd.DataFrame) -> pd.DataFrame:
    """AUD03: a refill visit coded unlike the patient's usual refill code, with no documented change.

    Documented change: a change note that day, or daily dose / concentration different from the
    previous refill. The usual code is the strict majority code among the patient's undocumented
    single-code refill visits (at least 3); visits with several pump codes are left to PB101/PB102.
    """
    if ev.empty or "prev_day" not in ev:
        return empty_findings()
    changed = ((ev["daily_dose_mcg"] != ev["prev_dose"]) & ev["daily_dose_mcg"].notna() & ev["prev_dose"].notna()) \
        | ((ev["concentration_mcg_per_ml"] != ev["prev_conc"]) & ev["concentration_mcg_per_ml"].notna()
           & ev["prev_conc"].notna())
    cand = ev.loc[(ev["n_pump"] == 1) & ~ev["has_note"] & ~changed, ["pat", "code"]]
    counts = cand.groupby(["pat", "code"]).size().rename("n").reset_index()
    total = counts.groupby("pat")["n"].transform("sum")
    top = counts.assign(total=total).sort_values(["pat", "n"], ascending=[True, False], kind="stable")
    top = top.drop_duplicates("pat")
    usual = top.loc[(top["total"] >= 3) & (2 * top["n"] > top["total"])].set_index("pat")
    ev = ev.assign(usual=ev["pat"].map(usual["code"]), usual_n=ev["pat"].map(usual["n"]),
                   usual_total=ev["pat"].map(usual["total"]))
    drift = pd.Series(False, index=ev.index)
    drift.loc[cand.index] = ev.loc[cand.index, "usual"].notna() & (cand["code"] != ev.loc[cand.index, "usual"])
    return _event_findings(w, "AUD03", ev, drift)


# --- messages and final order (shared with the SQL runner) -------------------------------------------------


def _pb601(e: pd.DataFrame) -> pd.Series:
    return pd.Series(np.where(
        e["expected"].notna(),
        "refill " + _fmt(e["interval"]) + " days after the previous one; the dose data (and any drug "
        "limit) allow " + _fmt(e["expected"]) + " days (flag: under half)",
        "refill " + _fmt(e["interval"]) + " days after the previous one; this patient's median "
        "interval is " + _fmt(e["median"], 1) + " days (flag: under half)"))


def _pb603(e: pd.DataFrame) -> pd.Series:
    return ("ziconotide refill " + _fmt(e["interval"]) + " days after the previous one: over the "
            + _fmt(e["limit"]) + "-day labelled limit ("
            + pd.Series(np.where(e["prev_diluted"] == 0, "undiluted)", np.where(
                e["prev_diluted"].isna(), f"dilution not given, so the diluted limit; "
                f"{facts.ZICONOTIDE_UNDILUTED_DAYS} days if undiluted)", "diluted)")), index=e.index))


#: Rule -> message builder. Group rules get the per-group frame of ``group_rows`` (PB701 with "pos");
#: refill rules the event frame of ``event_rows`` (interval, expected, median, prev_alarm, limit,
#: prev_diluted; AUD03: usual, usual_n, usual_total).
MESSAGES: dict[str, Message] = {
    "PB101": lambda f: f["code"] + " billed for one patient on one day: one pump-service code per session",
    "PB102": lambda f: (f["code"] + " the same day: do not report 62367-62370 with 95990/95991 (interrogation is "
                        "included in 95990/95991 when performed)"),
    "PB103": lambda f: ("E/M " + f["code"] + " on a pump-service day without modifier 25: bill it only if "
                        "significant and separately identifiable, with 25"),
    "PB206": lambda f: pd.Series(
        f"J1170 was terminated on {facts.J1170_TERMINATED.isoformat()}: hydromorphone is "
        f"{facts.DRUGS['hydromorphone'].hcpcs} from {facts.J1171_FIRST_DOS.isoformat()}", index=f.index),
    "PB302": lambda f: ("drug " + f["code"] + " without JZ or JW: JZ when nothing is discarded, JW on the discarded "
                        "amount (single-dose containers; not for multi-dose or drug the practice did not buy)"),
    "PB402": lambda f: pd.Series(
        f"bare G35 is invalid from {facts.G35_EXPANDED_ON.isoformat()}: use {facts.G35_REPLACEMENTS}",
        index=f.index),
    "PB701": lambda f: (f["code"] + " in facility POS " + f["pos"]
                        + ": not payable to the practitioner in a facility setting (the hospital bills it)"),
    "PB601": _pb601,
    "PB602": lambda e: ("refill " + _fmt(e["interval"]) + " days after the previous one, past the computed "
                        "low-reservoir alarm at " + _fmt(e["prev_alarm"], 1) + " days"),
    "PB603": _pb603,
    "AUD03": lambda e: (e["code"] + " where this patient's usual refill code is " + e["usual"] + " ("
                        + _fmt(e["usual_n"]) + " of " + _fmt(e["usual_total"])
                        + " undocumented visits), with no change note and no dose change"),
}


def order_findings(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """All findings in report order: rule order, then line, then provider (line-less findings last)."""
    parts = [p for p in parts if not p.empty]
    findings = pd.concat(parts, ignore_index=True) if parts else empty_findings()
    order = {r: i for i, r in enumerate(RULE_ORDER)}
    findings = findings.assign(_o=findings["rule"].map(order)).sort_values(
        ["_o", "line", "provider_id"], kind="stable", na_position="last").drop(columns="_o")
    return findings.reset_index(drop=True)[FINDING_COLUMNS]
