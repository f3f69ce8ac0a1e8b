"""Number formatting for metrics and captions ("—" for a missing value)."""

from __future__ import annotations

import math

MISSING = "—"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def money(value: float | None, currency: str = "$") -> str:
    return MISSING if _missing(value) else f"{currency}{value:,.2f}"


def signed_money(value: float | None, currency: str = "$") -> str:
    if _missing(value):
        return MISSING
    sign = "+" if value >= 0 else "−"
    return f"{sign}{currency}{abs(value):,.2f}"


def percent(value: float | None, digits: int = 2) -> str | None:
    """A fraction as a signed percentage (0.0123 → "+1.23%"); None stays None for st.metric."""
    if _missing(value):
        return None
    return f"{value * 100:+.{digits}f}%"


def plain_percent(value: float | None, digits: int = 1) -> str:
    return MISSING if _missing(value) else f"{value * 100:.{digits}f}%"


def number(value: float | None, digits: int = 2) -> str:
    return MISSING if _missing(value) else f"{value:,.{digits}f}"
