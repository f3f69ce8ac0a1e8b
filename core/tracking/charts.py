"""Static charts logged as run artifacts (matplotlib, headless)."""

from __future__ import annotations

import pandas as pd

_TAIL = 160  # prices shown before the first fold


def forecast_chart(series: pd.Series, folds: pd.DataFrame, forecast: pd.DataFrame | None, *, title: str):
    """Closes, each backtest fold's forecast with its 80% band, and the final forecast."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(10, 4.5), dpi=100)
    start = pd.Timestamp(folds["date"].min()) if not folds.empty else series.index[-1]
    shown = series[series.index >= series.index[max(series.index.searchsorted(start) - _TAIL, 0)]]
    axis.plot(shown.index, shown.to_numpy(), color="black", linewidth=1.0, label="close")
    for index, (_fold, frame) in enumerate(folds.groupby("fold")):
        dates = pd.to_datetime(frame["date"])
        axis.fill_between(
            dates,
            frame["lo80"],
            frame["hi80"],
            color="tab:blue",
            alpha=0.15,
            label="backtest 80%" if index == 0 else None,
        )
        axis.plot(dates, frame["mean"], color="tab:blue", linewidth=1.2, label="backtest mean" if index == 0 else None)
    if forecast is not None and not forecast.empty:
        dates = pd.to_datetime(forecast["date"])
        axis.fill_between(dates, forecast["lo95"], forecast["hi95"], color="tab:orange", alpha=0.15, label="95%")
        axis.fill_between(dates, forecast["lo80"], forecast["hi80"], color="tab:orange", alpha=0.3, label="80%")
        axis.plot(dates, forecast["mean"], color="tab:orange", linewidth=1.5, label="forecast")
    axis.set_title(title)
    axis.legend(loc="upper left", fontsize=8)
    axis.grid(alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure
