"""A backtest as text: one line per model pooled over tickers, naive's line beside the rest.

What `python -m core backtest` and the benches print. Figures go through `core.formatting`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from core.forecasting.scores import interval_verdicts
from core.formatting import MISSING, number, plain_percent, signed_percent

if TYPE_CHECKING:
    from core.forecasting.backtest import BacktestResult

# column → (header, how to write a value)
REPORT_COLUMNS = {
    "mase": ("MASE", lambda v: number(v, 3)),
    "skill_vs_naive": ("skill", lambda v: signed_percent(v, 1)),
    "dm_pvalue": ("DM p", lambda v: number(v, 3)),
    "verdict": ("verdict", lambda v: v if isinstance(v, str) else MISSING),
    "coverage_80": ("cov 80", lambda v: plain_percent(v, 1)),
    "coverage_95": ("cov 95", lambda v: plain_percent(v, 1)),
    "relative_width_80": ("width 80", lambda v: plain_percent(v, 1)),
    "relative_width_95": ("width 95", lambda v: plain_percent(v, 1)),
    "winkler_80": ("Winkler 80", lambda v: number(v, 2)),
    "winkler_95": ("Winkler 95", lambda v: number(v, 2)),
    "pinball": ("pinball", lambda v: number(v, 3)),
}


def model_table(result: BacktestResult, models: list[str] | None = None) -> pd.DataFrame:
    """Pooled metrics per model (`BacktestResult.by_model`), naive first when present."""
    table = result.by_model().set_index("model")
    order = models or list(table.index)
    order = [m for m in ("naive", *order) if m in table.index]
    return table.loc[list(dict.fromkeys(order))]


def origin_text(result: BacktestResult) -> str:
    """E.g. "24 origins from 2015-11-20 to 2016-12-22, every 12 sessions, horizon 5"."""
    span = result.origin_range()
    config = result.config
    if span is None:
        return f"no folds, horizon {config.horizon}"
    first, last = (d.strftime("%Y-%m-%d") for d in span)
    return (
        f"{config.folds} origins from {first} to {last}, every {config.origin_step} sessions, horizon {config.horizon}"
    )


def model_report(result: BacktestResult, models: list[str] | None = None) -> str:
    """The pooled table as aligned text, under a line with the origin range; with naive in the
    run, each model's intervals are judged against naive's too (Winkler 80 + 95, DM p)."""
    table = model_table(result, models)
    shown = pd.DataFrame(
        {header: [write(v) for v in table[column]] for column, (header, write) in REPORT_COLUMNS.items()},
        index=table.index,
    )
    verdicts = interval_verdicts(result)
    if verdicts:
        shown["interval skill"] = [
            signed_percent(verdicts[m].skill, 1) if m in verdicts else MISSING for m in table.index
        ]
        shown["interval p"] = [verdicts[m].p_text() if m in verdicts else MISSING for m in table.index]
    tickers = result.forecasts["ticker"].nunique() if not result.forecasts.empty else 0
    notes = (
        "width = interval width as a share of the origin's price; Winkler and pinball are scaled by "
        "the in-sample naive MAE (lower is better); interval skill = 1 − Winkler (80 + 95) / naive's "
        "on the same points; beats naive only with DM p < 0.05"
    )
    return f"{origin_text(result)}, {tickers} ticker(s)\n{shown.to_string()}\n{notes}"
