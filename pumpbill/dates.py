"""Dates in a scenario: ISO ``YYYY-MM-DD`` only, within a window where date arithmetic cannot overflow.

Why a window: refill intervals add days to the date of service; near 9999-12-31 that overflows the
calendar. Why strict ISO: ``date.fromisoformat`` (3.11+) also accepts ``20260302`` and week dates, and
pydantic turns a bare number into a Unix timestamp; neither is what an instructor meant.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

#: The supported dates of service (and refill dates). Wide enough for any teaching scenario.
MIN_DATE = date(1990, 1, 1)
MAX_DATE = date(2100, 12, 31)

_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def parse_iso_date(value: Any) -> date:
    """A ``datetime.date`` from ``YYYY-MM-DD`` text (or a date YAML already read); ValueError otherwise.

    The messages are written for a person: they become the problem in an InputError naming the field.
    """
    if isinstance(value, datetime):
        raise ValueError(f"expected a date as YYYY-MM-DD, not a date and time ({value.isoformat()})")
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        text = value.strip()
        if not _ISO.match(text):
            raise ValueError(f"expected a date as YYYY-MM-DD, got {text[:40]!r}")
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"{text} is not a calendar date ({exc})") from None
    else:
        kind = "a number" if isinstance(value, int | float) and not isinstance(value, bool) else type(value).__name__
        raise ValueError(f"expected a date as YYYY-MM-DD text, got {kind}")
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"{day.isoformat()} is outside the supported range {MIN_DATE.isoformat()} to "
                         f"{MAX_DATE.isoformat()}")
    return day


#: The type of every date field in the scenario models.
IsoDate = Annotated[date, BeforeValidator(parse_iso_date)]
