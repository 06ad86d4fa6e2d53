"""Provider rates compared with peers: a robust, documented outlier test (warnings, never errors).

Method, for a rate r = x / n per provider (n = the provider's volume):

1. Only providers with n >= ``MIN_VOLUME`` are compared, and only when at least
   ``MIN_PEERS`` such providers exist (otherwise there is no peer group to speak of).
2. The peer rate m is the *median* of the eligible providers' rates (robust to the
   outliers themselves); the spread s is 1.4826 x MAD (the median absolute deviation,
   scaled to a standard deviation for normal data), floored at ``MIN_SPREAD``.
3. Two z-scores: the robust z = (r - m) / s (Iglewicz-Hoaglin modified z-score) says the
   provider is unusual *among peers*; the binomial z = (r - m) / sqrt(m (1 - m) / k) says
   the difference is not sampling noise. k is the provider's number of distinct *patients*,
   not lines: a patient's visits tend to be coded alike, so lines are not independent and
   counting them would overstate the evidence (a conservative design effect).
4. A provider is flagged when robust z > ``ROBUST_Z`` (3.5, Iglewicz and Hoaglin's cut-off)
   and binomial z > ``BINOMIAL_Z`` (3). Only high rates are flagged: they are the
   over-coding risk payers look for; low rates are shown in the table, not flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pumpbill import facts

from .catalog import RULES
from .checks import DAY_SHIFT, FINDING_COLUMNS, Work, empty_findings, isin, pump_day_keys, unique

MIN_VOLUME = 30
MIN_PEERS = 5
MIN_SPREAD = 0.05
ROBUST_Z = 3.5
BINOMIAL_Z = 3.0
#: The refill codes whose physician/QHP share is compared (FACTS s.1: 62370 and 95991 need the physician).
SHARE_BASE_CODES: tuple[str, ...] = ("62369", "62370") + facts.REFILL_CODES
SHARE_PHYSICIAN_CODES: tuple[str, ...] = tuple(sorted(facts.PHYSICIAN_CODES))


def compare_rates(provider: pd.Index, x: np.ndarray, n: np.ndarray, patients: np.ndarray) -> pd.DataFrame:
    """The peer comparison table: provider, n, x, patients, rate, peer_median, robust_z, binomial_z, flagged."""
    t = pd.DataFrame({"provider_id": provider.astype(str), "n": n.astype(np.int64), "x": x.astype(np.int64),
                      "patients": patients.astype(np.int64)})
    t["rate"] = t["x"] / t["n"].where(t["n"] > 0)
    eligible = t["n"] >= MIN_VOLUME
    t["compared"] = eligible & (eligible.sum() >= MIN_PEERS)
    rates = t.loc[t["compared"], "rate"]
    if rates.empty:
        t["peer_median"] = np.nan
        t["robust_z"] = np.nan
        t["binomial_z"] = np.nan
        t["flagged"] = False
        return t
    m = float(rates.median())
    spread = max(1.4826 * float((rates - m).abs().median()), MIN_SPREAD)
    mc = min(max(m, 0.01), 0.99)
    t["peer_median"] = m
    t["robust_z"] = ((t["rate"] - m) / spread).where(t["compared"])
    t["binomial_z"] = ((t["rate"] - m) / np.sqrt(mc * (1 - mc) / t["patients"])).where(t["compared"])
    t["flagged"] = t["compared"] & (t["robust_z"] > ROBUST_Z) & (t["binomial_z"] > BINOMIAL_Z)
    return t.sort_values("provider_id").reset_index(drop=True)


def physician_share(w: Work) -> pd.DataFrame:
    """Per provider: 62370/95991 lines among 62369/62370/95990/95991 lines."""
    base = w.code_in(SHARE_BASE_CODES)
    phys = w.code_in(SHARE_PHYSICIAN_CODES)
    nprov = len(w.lines["provider_id"].cat.categories)
    n = np.bincount(w.prov[base], minlength=nprov)
    x = np.bincount(w.prov[phys & base], minlength=nprov)
    npat = w.pat.max(initial=0) + 1
    pairs = unique(w.prov[base] * npat + w.pat[base]) // npat
    return compare_rates(w.lines["provider_id"].cat.categories, x, n, np.bincount(pairs, minlength=nprov))


def modifier25_rate(w: Work) -> pd.DataFrame:
    """Per provider: pump-service days (patient x provider x day) with an E/M carrying modifier 25."""
    days = pump_day_keys(w)
    em25 = w.code_in(facts.EM_CODES) & w.lines["m25"].to_numpy()
    with25 = isin(days, w.ppday[em25])
    nprov = len(w.lines["provider_id"].cat.categories)
    pat_prov = days >> DAY_SHIFT  # patient * w.nprov + provider
    prov_of_day = pat_prov % w.nprov
    n = np.bincount(prov_of_day, minlength=nprov)
    x = np.bincount(prov_of_day[with25], minlength=nprov)
    patients = np.bincount(unique(pat_prov) % w.nprov, minlength=nprov)
    return compare_rates(w.lines["provider_id"].cat.categories, x, n, patients)


def outlier_findings(rule: str, table: pd.DataFrame, what: str, code: str) -> pd.DataFrame:
    """Provider-level warnings from a comparison table (no line: they concern a pattern)."""
    t = table.loc[table["flagged"]]
    if t.empty:
        return empty_findings()
    r = RULES[rule]
    f = pd.DataFrame({
        "rule": rule, "name": r.name, "severity": r.severity, "line": pd.array([pd.NA] * len(t), dtype="Int64"),
        "lines": "", "claim_id": "", "patient_id": "", "provider_id": t["provider_id"].to_numpy(),
        "date_of_service": "", "code": code,
        "message": (what + " " + (100 * t["rate"]).round(1).astype(str) + "% of " + t["n"].astype(str)
                    + " vs peer median " + (100 * t["peer_median"]).round(1).astype(str) + "% (robust z "
                    + t["robust_z"].round(1).astype(str) + ", binomial z " + t["binomial_z"].round(1).astype(str)
                    + ", " + t["patients"].astype(str) + " patients): review, not an error").to_numpy(),
        "source": f"{r.facts}; {facts.SOURCES[r.source].title}",
    })
    return f[FINDING_COLUMNS]


#: Per outlier rule: its table's name, the message's opening words and the finding's code column.
OUTLIER_RULES: dict[str, tuple[str, str, str]] = {
    "AUD01": ("physician_share", "62370/95991 share of refill lines:", "62370+95991"),
    "AUD02": ("modifier25_rate", "E/M with 25 on pump-service days:", "25"),
}


def outlier_results(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """AUD01/AUD02 findings from their comparison tables (shared with the SQL runner)."""
    return [outlier_findings(rule, tables[name], what, code) for rule, (name, what, code) in OUTLIER_RULES.items()]


def check_outliers(w: Work) -> tuple[list[pd.DataFrame], dict[str, pd.DataFrame]]:
    """AUD01 (62370/95991 share) and AUD02 (modifier-25 rate on pump days), with their tables."""
    tables = {"physician_share": physician_share(w), "modifier25_rate": modifier25_rate(w)}
    return outlier_results(tables), tables
