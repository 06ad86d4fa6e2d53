"""National Drug Codes: from the label's 10-digit NDC to the claim's 11-digit 5-4-2 form (source "ndc-format").

A label prints the NDC in one of three 10-digit layouts, 4-4-2, 5-3-2 or 5-4-1, with hyphens; claims want the
11-digit 5-4-2 form with no hyphens, made by putting one zero in front of the short segment. Without the hyphens
a 10-digit NDC is ambiguous, so it is refused rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_LAYOUTS = {(4, 4, 2), (5, 3, 2), (5, 4, 1), (5, 4, 2)}
_SEGMENTS = re.compile(r"^([0-9]+)-([0-9]+)-([0-9]+)$")


@dataclass(frozen=True)
class Ndc:
    """An NDC as printed on the label, and its 11-digit billing form."""

    label: str
    labeler: str
    product: str
    package: str

    @property
    def eleven(self) -> str:
        """The 11-digit 5-4-2 billing form, no hyphens."""
        return self.labeler.zfill(5) + self.product.zfill(4) + self.package.zfill(2)

    @property
    def eleven_hyphenated(self) -> str:
        return f"{self.labeler.zfill(5)}-{self.product.zfill(4)}-{self.package.zfill(2)}"

    @property
    def padded_segment(self) -> str | None:
        """Which segment got the zero (None when the label already had 11 digits)."""
        for name, seg, width in (("labeler", self.labeler, 5), ("product", self.product, 4),
                                 ("package", self.package, 2)):
            if len(seg) < width:
                return name
        return None


def parse_ndc(text: str) -> Ndc:
    """Parse a label NDC; ValueError (one line, names the problem) for anything that is not one."""
    t = str(text).strip()
    if not t.isascii():
        raise ValueError(f"NDC {t!r} must be ASCII digits and hyphens")
    if t.isdigit() and len(t) == 11:
        return Ndc(t, t[:5], t[5:9], t[9:])
    if t.isdigit() and len(t) == 10:
        raise ValueError(f"NDC {t!r}: a 10-digit NDC without hyphens is ambiguous; copy it from the label with its "
                         "hyphens (4-4-2, 5-3-2 or 5-4-1)")
    m = _SEGMENTS.match(t)
    if not m or tuple(len(g) for g in m.groups()) not in _LAYOUTS:
        raise ValueError(f"NDC {t!r} is not written like one: 10 digits as 4-4-2, 5-3-2 or 5-4-1 with hyphens, "
                         "or 11 digits (5-4-2)")
    return Ndc(t, *m.groups())


def quantity_text(q: Decimal) -> str:
    """An NDC quantity as claims want it: a decimal with at most three places, no trailing zeros."""
    q = q.quantize(Decimal("0.001")).normalize()
    return f"{q:f}"


def shaded_text(eleven: str, unit: str, quantity: str) -> str:
    """The CMS-1500 shaded-line text from a line's NDC fields: N4, the 11-digit NDC, the unit, the quantity."""
    return f"N4{eleven}{unit}{quantity}"


def shaded_line(ndc: str, unit: str, quantity: Decimal) -> str:
    """The shaded-line text for a label NDC and a quantity."""
    return shaded_text(parse_ndc(ndc).eleven, unit, quantity_text(quantity))
