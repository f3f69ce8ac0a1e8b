"""Gains and losses drawn by their sign: one rule for every KPI delta on every page.

Streamlit reads a delta's direction from a leading "-", but core.formatting writes a real
minus (U+2212), so left alone a loss would get a green up-arrow ("↑ −0.63 %"). Pages pass the
number itself here and get the arrow and colour from its sign.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

GAIN_COLOR = "green"
LOSS_COLOR = "red"
FLAT_COLOR = "gray"


def sign_of(value: float | None) -> int:
    """+1, −1, or 0 for zero, a missing value or one that rounds to nothing at 1e-9."""
    if value is None or not math.isfinite(value) or abs(value) < 1e-9:
        return 0
    return 1 if value > 0 else -1


def delta_style(value: float | None, *, higher_is_better: bool = True) -> dict[str, str]:
    """`st.metric` keyword arguments drawing `value`'s sign: up and green for a gain, down and
    red for a loss (colours swapped when lower is better), no arrow and grey for none."""
    sign = sign_of(value)
    if sign == 0:
        return {"delta_color": FLAT_COLOR, "delta_arrow": "off"}
    good = (sign > 0) == higher_is_better
    return {"delta_color": GAIN_COLOR if good else LOSS_COLOR, "delta_arrow": "up" if sign > 0 else "down"}


def signed_delta(value: float | None, text: str | None, *, higher_is_better: bool = True) -> dict[str, Any]:
    """`delta=text` plus the arrow and colour of `value` (the number `text` describes)."""
    if text is None:
        return {"delta": None}
    return {"delta": text, **delta_style(value, higher_is_better=higher_is_better)}


def sign_color(value: float | None) -> str:
    """A CSS colour for a table cell holding a gain or loss."""
    sign = sign_of(value)
    return "" if sign == 0 else f"color: {'#1a7f37' if sign > 0 else '#cf222e'}"


def color_by_sign(frame: pd.DataFrame, signs: Mapping[str, Sequence[float | None]]) -> Styler:
    """`frame` styled for st.dataframe: each named column green where its number (in `signs`,
    row by row, for columns already written as text) is a gain and red where it is a loss."""

    def paint(column: pd.Series) -> list[str]:
        return [sign_color(value) for value in signs[column.name]]

    return frame.style.apply(paint, subset=[name for name in signs if name in frame.columns])


def numeric_signs(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, list[float | None]]:
    """`signs` for `color_by_sign` where the columns hold the numbers themselves."""
    return {name: [None if pd.isna(v) else float(v) for v in frame[name]] for name in columns if name in frame}
