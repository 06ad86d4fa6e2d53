"""Amounts and concentrations as written in a note ("2000 mcg/mL", "0 mg", "400 mcg").

Decimal arithmetic, so that 40 mg / 10 mg is exactly 4 units and rounding up is honest. Values are
bounded at input (digits and size): a 2,000-digit concentration would otherwise become a 2,000-digit
unit count, or overflow the alarm-interval arithmetic downstream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal

Mass = Literal["mg", "mcg"]
_TO_MCG: dict[str, Decimal] = {"mg": Decimal(1000), "mcg": Decimal(1)}
_AMOUNT = re.compile(r"^\s*(?P<n>[0-9]+(?:\.[0-9]+)?)\s*(?P<u>mg|mcg)\s*$", re.IGNORECASE)
_CONC = re.compile(r"^\s*(?P<n>[0-9]+(?:\.[0-9]+)?)\s*(?P<u>mg|mcg)\s*/\s*ml\s*$", re.IGNORECASE)
_ALIASES = {"ug": "mcg", "µg": "mcg", "μg": "mcg"}
#: At most this many digits in a number ("1234.56789" has 9): more precision than any label or syringe.
MAX_DIGITS = 12
#: Largest amount (1 kg, more than a full 1,000 mL reservoir of the most concentrated drug) and largest
#: concentration (1 g/mL: a drug cannot be denser than its solution), in mcg.
MAX_AMOUNT_MCG = Decimal(1_000_000_000)
MAX_CONCENTRATION_MCG_PER_ML = Decimal(1_000_000)


def _unit(raw: str) -> str:
    u = raw.lower()
    return _ALIASES.get(u, u)


@dataclass(frozen=True)
class Amount:
    """A mass of drug."""

    value: Decimal
    unit: Mass

    @classmethod
    def parse(cls, text: str | int | float) -> Amount:
        return _parse_amount(text) if isinstance(text, str) else cls._parse(text)

    @classmethod
    def _parse(cls, text: str | int | float) -> Amount:
        if isinstance(text, int | float) and not isinstance(text, bool):
            raise ValueError("give the unit too, e.g. '0 mg' or '500 mcg'")
        if not isinstance(text, str):
            raise ValueError("expected text such as '4 mg' or '500 mcg'")
        m = _AMOUNT.match(text.replace("µg", "mcg").replace("ug", "mcg"))
        if not m:
            raise ValueError(f"cannot read amount {text!r}; write a number and mg or mcg, e.g. '4 mg'")
        unit = _unit(m["u"])
        value = _dec(m["n"])
        if value * _TO_MCG[unit] > MAX_AMOUNT_MCG:
            raise ValueError(f"amount {_fmt(value)} {unit} is too large (at most {_fmt(MAX_AMOUNT_MCG / 1000)} mg)")
        return cls(value, unit)  # type: ignore[arg-type]

    def to(self, unit: Mass) -> Decimal:
        return self.value * _TO_MCG[self.unit] / _TO_MCG[unit]

    def __str__(self) -> str:
        return f"{_fmt(self.value)} {self.unit}"


@dataclass(frozen=True)
class Concentration:
    """Drug per millilitre."""

    value: Decimal
    unit: Mass  # per mL

    @classmethod
    def parse(cls, text: str | int | float) -> Concentration:
        return _parse_concentration(text) if isinstance(text, str) else cls._parse(text)

    @classmethod
    def _parse(cls, text: str | int | float) -> Concentration:
        if not isinstance(text, str):
            raise ValueError("give the unit too, e.g. '2000 mcg/mL' or '2 mg/mL'")
        m = _CONC.match(text.replace("µg", "mcg").replace("ug", "mcg"))
        if not m:
            raise ValueError(f"cannot read concentration {text!r}; write e.g. '2000 mcg/mL' or '2 mg/mL'")
        unit = _unit(m["u"])
        value = _dec(m["n"])
        if value <= 0:
            raise ValueError("concentration must be greater than zero")
        if value * _TO_MCG[unit] > MAX_CONCENTRATION_MCG_PER_ML:
            raise ValueError(f"concentration {_fmt(value)} {unit}/mL is too large (at most "
                             f"{_fmt(MAX_CONCENTRATION_MCG_PER_ML / 1000)} mg/mL)")
        return cls(value, unit)  # type: ignore[arg-type]

    def per_ml(self, unit: Mass) -> Decimal:
        return self.value * _TO_MCG[self.unit] / _TO_MCG[unit]

    def __str__(self) -> str:
        return f"{_fmt(self.value)} {self.unit}/mL"


@lru_cache(maxsize=4096)
def _parse_amount(text: str) -> Amount:
    return Amount._parse(text)


@lru_cache(maxsize=4096)
def _parse_concentration(text: str) -> Concentration:
    return Concentration._parse(text)


def _dec(text: str) -> Decimal:
    """The number, refused when it has more than MAX_DIGITS digits (leading zeros not counted)."""
    digits = text.replace(".", "").lstrip("0")
    if len(digits) > MAX_DIGITS or len(text) > 2 * MAX_DIGITS:
        raise ValueError(f"number {text[:20]}{'...' if len(text) > 20 else ''} has too many digits "
                         f"(at most {MAX_DIGITS})")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
        raise ValueError(f"not a number: {text!r}") from exc


def _fmt(value: Decimal) -> str:
    """Print 40, 3.6, 0.2: no exponent, no trailing zeros."""
    text = f"{value.normalize():f}"
    return text


fmt = _fmt


def ceil_div(amount: Decimal, unit: Decimal) -> int:
    """Billing units: amount / unit, rounded up (a partial unit is a whole unit)."""
    q = amount / unit
    whole = int(q)
    return whole + (1 if q > whole else 0)
