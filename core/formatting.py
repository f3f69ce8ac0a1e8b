"""How every figure is written, on every page, in the API's text and in the chat.

One module so that "$5,211.90" never stands beside "$5211.90" or "$-40.95": money carries
thousands separators and a leading sign before the currency ("−$40.95", with a real minus),
percentages carry a sign only where a change is meant, and a value that rounds to zero is
written without a sign (never "−0.0 %"). A missing value is "—".
"""

from __future__ import annotations

import math

MISSING = "—"
MINUS = "−"  # U+2212: the typographic minus, so a negative never reads as a hyphen


def is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _write(value: float | None, body: str, *, plus: bool, prefix: str = "", suffix: str = "") -> str:
    """`body` (the absolute value, formatted) with its sign before `prefix`; no sign when the
    figure rounds to zero, "+" for a positive one only when `plus`."""
    if is_missing(value):
        return MISSING
    sign = ""
    if any(ch in "123456789" for ch in body):
        sign = MINUS if value < 0 else ("+" if plus else "")
    return f"{sign}{prefix}{body}{suffix}"


def money(value: float | None, currency: str = "$", *, digits: int = 2) -> str:
    """1234.5 → "$1,234.50"; -40.95 → "−$40.95"; -0.001 → "$0.00"."""
    return _write(value, _body(value, f",.{digits}f"), plus=False, prefix=currency)


def signed_money(value: float | None, currency: str = "$", *, digits: int = 2) -> str:
    """A change in money: "+$12.00", "−$3.40", "$0.00"."""
    return _write(value, _body(value, f",.{digits}f"), plus=True, prefix=currency)


def signed_percent(value: float | None, digits: int = 2) -> str:
    """A fraction as a signed percentage: 0.0123 → "+1.23%", -0.00001 → "0.00%"."""
    return _write(value, _body(value, f".{digits}f", scale=100), plus=True, suffix="%")


def percent(value: float | None, digits: int = 2) -> str | None:
    """`signed_percent`, but None for a missing value (what `st.metric(delta=…)` expects)."""
    return None if is_missing(value) else signed_percent(value, digits)


def plain_percent(value: float | None, digits: int = 1) -> str:
    """A share or a level, unsigned unless negative: 0.8 → "80.0%", -0.05 → "−5.0%"."""
    return _write(value, _body(value, f".{digits}f", scale=100), plus=False, suffix="%")


def number(value: float | None, digits: int = 2) -> str:
    """A plain figure with separators: 1234.5 → "1,234.50", -0.001 → "0.00"."""
    return _write(value, _body(value, f",.{digits}f"), plus=False)


def signed_number(value: float | None, digits: int = 2) -> str:
    return _write(value, _body(value, f",.{digits}f"), plus=True)


def _body(value: float | None, spec: str, *, scale: float = 1.0) -> str:
    return "" if is_missing(value) else format(abs(value) * scale, spec)
