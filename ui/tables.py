"""Tables as people read them: headers in words ("last_used" → "Last used") and "—" for a
missing value, never a raw "None"."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from core.formatting import MISSING


def header(name: str) -> str:
    """ "realized_pnl" → "Realized pnl"; a name with capitals or spaces is kept as written."""
    if name != name.lower() or " " in name:
        return name
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or value == "" or (isinstance(value, float) and value != value)


def readable(frame: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """`frame` with human headers (`labels` first, then `header`) and "—" in place of a
    missing value in every text or date column (numbers keep their type for formatting)."""
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].dtype == object:
            shown[column] = [MISSING if _missing(value) else value for value in shown[column]]
    return shown.rename(columns={c: (labels or {}).get(c, header(str(c))) for c in shown.columns})
