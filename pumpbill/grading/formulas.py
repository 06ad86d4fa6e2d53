"""Named partial-credit formulas (PrairieLearn style): each returns a fraction in [0, 1] and a reason.

A rubric names the formula per part; the default for each part is below. Formulas are pure and small
so that an instructor can read exactly how a score was reached.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

Result = tuple[float, str]


def right_minus_extra(key: Sequence[str], given: Sequence[str]) -> Result:
    """(right - extra) / expected, never below zero. Counts repeats (J0475 twice is two lines)."""
    k, g = Counter(key), Counter(given)
    right = sum((k & g).values())
    extra = sum((g - k).values())
    if not k:
        return (1.0, "nothing expected and nothing given") if not g else (0.0, f"{extra} extra")
    frac = max(0.0, (right - extra) / sum(k.values()))
    return frac, f"{right} of {sum(k.values())} right, {extra} extra"


def all_or_nothing(key: Sequence[str], given: Sequence[str]) -> Result:
    """Full credit only for exactly the expected multiset."""
    ok = Counter(key) == Counter(given)
    return (1.0 if ok else 0.0), "exact" if ok else "not exact"


def exact_sequence(key: Sequence[str], given: Sequence[str]) -> Result:
    """Full credit only for exactly the expected items in exactly the expected order (diagnosis order)."""
    ok = list(key) == list(given)
    return (1.0 if ok else 0.0), "exact, in order" if ok else "not the expected codes in the expected order"


def per_line_exact(key: Sequence[str], given: Sequence[str]) -> Result:
    """Share of expected items matched exactly (the caller pairs lines by code first)."""
    if not key:
        return 1.0, "nothing expected"
    right = sum(1 for k, g in zip(key, given, strict=False) if k == g)
    return right / len(key), f"{right} of {len(key)} right"


def first_then_set(key: Sequence[str], given: Sequence[str]) -> Result:
    """Half for the right first-listed code, half for the overlap of the sets (Jaccard)."""
    if not key:
        return (1.0, "nothing expected") if not given else (0.0, "codes given where none expected")
    first = 0.5 if given and given[0] == key[0] else 0.0
    ks, gs = set(key), set(given)
    overlap = 0.5 * len(ks & gs) / len(ks | gs) if gs else 0.0
    return first + overlap, f"first {'right' if first else 'wrong'}, {len(ks & gs)} of {len(ks)} codes"


def right_minus_wrong(key: Sequence[str], given: Sequence[str]) -> Result:
    """Rules found: (found - false alarms) / expected, never below zero."""
    return right_minus_extra(sorted(set(key)), sorted(set(given)))


def resolved_share(before: int, after: int) -> Result:
    """Documentation: share of the gaps in the original note that the trainee's record resolves."""
    if before == 0:
        return (1.0, "no gap to fill") if after == 0 else (0.0, f"{after} new gap(s)")
    frac = max(0.0, (before - after) / before)
    return frac, f"{before - after} of {before} gaps filled"


def no_contradictions(errors: int, lines: int) -> Result:
    """Consistency: the claim minus one share per error finding between the note and the claim."""
    frac = max(0.0, 1 - errors / max(lines, 1))
    return frac, "consistent" if errors == 0 else f"{errors} contradiction(s) between note and claim"


FORMULAS: dict[str, Callable[..., Result]] = {
    "right-minus-extra": right_minus_extra,
    "all-or-nothing": all_or_nothing,
    "exact-sequence": exact_sequence,
    "per-line-exact": per_line_exact,
    "first-then-set": first_then_set,
    "right-minus-wrong": right_minus_wrong,
    "resolved-share": resolved_share,
    "no-contradictions": no_contradictions,
}

DEFAULTS: dict[str, str] = {
    "codes": "right-minus-extra",
    "modifiers": "per-line-exact",
    "units": "per-line-exact",
    "diagnoses": "first-then-set",
    "rules": "right-minus-wrong",
    "documentation": "resolved-share",
    "consistency": "no-contradictions",
}

#: Which formulas may serve which part (their arguments differ).
COMPATIBLE: dict[str, set[str]] = {
    "codes": {"right-minus-extra", "all-or-nothing"},
    "modifiers": {"per-line-exact", "all-or-nothing"},
    "units": {"per-line-exact", "all-or-nothing"},
    # order matters for diagnoses (Z45.1 first-listed): only order-aware formulas
    "diagnoses": {"first-then-set", "exact-sequence"},
    "rules": {"right-minus-wrong", "all-or-nothing"},
    "documentation": {"resolved-share"},
    "consistency": {"no-contradictions"},
}
