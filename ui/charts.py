"""Plotly figure builders. They draw what `core` computed; the only arithmetic here is
presentation (moving-average overlays, rebasing two series to 100 to compare them).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

BAND_95 = "rgba(31, 111, 235, 0.15)"
BAND_80 = "rgba(31, 111, 235, 0.30)"
FORECAST_LINE = "#1f6feb"
HISTORY_LINE = "#24292f"
MARGINS = {"l": 10, "r": 10, "t": 70, "b": 10}


def _layout(fig: go.Figure, title: str | None, height: int) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin=MARGINS,
        hovermode="x unified",
        # Below the plot: above it, a long legend (18 entries on the accuracy chart) covers the title.
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0},
    )
    return fig


def price_chart(
    prices: pd.DataFrame,
    *,
    moving_averages: Sequence[int] = (20, 50),
    start=None,
    title: str | None = None,
    height: int = 520,
) -> go.Figure:
    """Candlesticks with moving averages of the close, and volume bars underneath.

    `prices`: DatetimeIndex, columns open, high, low, close, volume. Averages use the whole
    history, so they are defined from the first bar shown; bars before `start` are not drawn.
    """
    averages = {window: prices["close"].rolling(window).mean() for window in moving_averages if len(prices) >= window}
    if start is not None:
        prices = prices[prices.index >= pd.Timestamp(start)]
        averages = {window: line[line.index >= pd.Timestamp(start)] for window, line in averages.items()}
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.75, 0.25], vertical_spacing=0.03)
    fig.add_trace(
        go.Candlestick(
            x=prices.index,
            open=prices["open"],
            high=prices["high"],
            low=prices["low"],
            close=prices["close"],
            name="Price",
        ),
        row=1,
        col=1,
    )
    for window, line in averages.items():
        fig.add_trace(
            go.Scatter(x=line.index, y=line.to_numpy(), mode="lines", name=f"MA {window}", line={"width": 1.3}),
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Bar(x=prices.index, y=prices["volume"], name="Volume", marker_color="rgba(110,119,129,0.6)"), row=2, col=1
    )
    fig.update_layout(xaxis_rangeslider_visible=False)
    fig.update_yaxes(title_text="Price", row=1, col=1)
    fig.update_yaxes(title_text="Volume", row=2, col=1)
    return _layout(fig, title, height)


def fan_chart(
    history: pd.Series,
    forecast: pd.DataFrame,
    *,
    lookback: int = 120,
    title: str | None = None,
    height: int = 460,
    overlays: Mapping[str, pd.DataFrame] | None = None,
) -> go.Figure:
    """Recent closes, then the forecast's mean with shaded 80% and 95% intervals, and the
    means of `overlays` (e.g. ensemble members' own forecasts) as dotted lines.

    `forecast` and each overlay: columns date, mean (and lo80, hi80, lo95, hi95 for `forecast`).
    """
    recent = history.tail(lookback)
    dates = pd.to_datetime(forecast["date"])
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=recent.index,
            y=recent.to_numpy(),
            mode="lines",
            name="History",
            line={"color": HISTORY_LINE, "width": 1.5},
        )
    )
    for low, high, colour, label in (
        ("lo95", "hi95", BAND_95, "95% interval"),
        ("lo80", "hi80", BAND_80, "80% interval"),
    ):
        fig.add_trace(
            go.Scatter(x=dates, y=forecast[high], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
        )
        fig.add_trace(
            go.Scatter(
                x=dates, y=forecast[low], mode="lines", line={"width": 0}, fill="tonexty", fillcolor=colour, name=label
            )
        )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=forecast["mean"],
            mode="lines+markers",
            name="Forecast",
            line={"color": FORECAST_LINE, "width": 2},
            marker={"size": 4},
        )
    )
    colours = model_colours(overlays or {})
    for name, frame in (overlays or {}).items():
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(frame["date"]),
                y=frame["mean"],
                mode="lines",
                name=name,
                line={"color": colours[name], "width": 1.3, "dash": "dot"},
            )
        )
    fig.update_yaxes(title_text="Price")
    return _layout(fig, title, height)


def allocation_pie(
    labels: Iterable[str], values: Iterable[float], *, title: str | None = None, height: int = 360
) -> go.Figure:
    fig = go.Figure(go.Pie(labels=list(labels), values=list(values), hole=0.45, textinfo="label+percent", sort=True))
    fig.update_layout(showlegend=False)
    return _layout(fig, title, height)


def allocation_treemap(
    frame: pd.DataFrame,
    *,
    path: Sequence[str] = ("sector", "ticker"),
    value: str = "market_value",
    title: str | None = None,
    height: int = 360,
) -> go.Figure:
    """Nested allocation, e.g. sector → holding, sized by market value."""
    data = frame.assign(**{column: frame[column].fillna("Unclassified") for column in path})
    fig = px.treemap(data, path=list(path), values=value)
    fig.update_traces(textinfo="label+percent root")
    return _layout(fig, title, height)


def performance_chart(
    series: pd.DataFrame,
    benchmark: pd.DataFrame | None = None,
    *,
    benchmark_name: str = "Benchmark",
    title: str | None = None,
    height: int = 380,
) -> go.Figure:
    """Portfolio vs benchmark, both rebased to 100 at their first date.

    `series` and `benchmark`: columns date, value.
    """
    fig = go.Figure()
    for frame, name, colour in ((series, "Portfolio", FORECAST_LINE), (benchmark, benchmark_name, "#8c959f")):
        if frame is None or frame.empty:
            continue
        values = frame["value"].astype(float)
        base = values.iloc[0] if values.iloc[0] else 1.0
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(frame["date"]),
                y=100 * values / base,
                mode="lines",
                name=name,
                line={"color": colour, "width": 2},
            )
        )
    fig.update_yaxes(title_text="Growth of 100")
    return _layout(fig, title, height)


# One colour per catalog model on every page and run (naive, the reference, in grey).
MODEL_COLOURS = {
    "naive": "#6e7781",
    "drift": "#ff7f0e",
    "arima": "#2ca02c",
    "prophet": "#9467bd",
    "lstm": "#d62728",
    "ensemble": "#1f6feb",
}
_SPARE_COLOURS = ("#8c564b", "#e377c2", "#bcbd22", "#17becf", "#7f7f7f", "#393b79")


def model_colour(name: str) -> str:
    """A model's colour: fixed for catalog names, else picked by a stable hash of the name."""
    return MODEL_COLOURS.get(name) or _SPARE_COLOURS[zlib.crc32(name.encode()) % len(_SPARE_COLOURS)]


def model_colours(models: Iterable[str]) -> dict[str, str]:
    """Name → colour for `models`; the same whichever other models are on the chart."""
    return {name: model_colour(name) for name in set(models)}


def value_chart(series: pd.DataFrame, *, title: str | None = None, height: int = 280) -> go.Figure:
    """A value over time as a filled line (columns date, value)."""
    fig = go.Figure(
        go.Scatter(
            x=pd.to_datetime(series["date"]),
            y=series["value"],
            mode="lines",
            fill="tozeroy",
            line={"color": FORECAST_LINE, "width": 1.5},
            name="Value",
        )
    )
    fig.update_yaxes(title_text="Value", tickprefix="$")
    return _layout(fig, title, height)


def error_by_horizon_chart(
    by_step: pd.DataFrame, *, metric: str = "mae", title: str | None = None, height: int = 360
) -> go.Figure:
    """One line per model: the error `metric` at each horizon step (columns model, step, metric)."""
    fig = px.line(
        by_step.sort_values(["model", "step"]),
        x="step",
        y=metric,
        color="model",
        markers=True,
        color_discrete_map=model_colours(by_step["model"]),
    )
    fig.update_xaxes(title_text="Horizon (trading days ahead)", dtick=1)
    fig.update_yaxes(title_text=metric.upper())
    return _layout(fig, title, height)


def error_over_time_chart(
    by_fold: pd.DataFrame, *, metric: str = "mae", x: str = "origin", title: str | None = None, height: int = 360
) -> go.Figure:
    """One line per model: the error `metric` at each backtest origin (columns model, x, metric)."""
    fig = px.line(
        by_fold.sort_values(["model", x]),
        x=x,
        y=metric,
        color="model",
        markers=True,
        color_discrete_map=model_colours(by_fold["model"]),
    )
    fig.update_xaxes(title_text="Forecast origin")
    fig.update_yaxes(title_text=metric.upper())
    return _layout(fig, title, height)


def distribution_chart(
    values: Sequence[float],
    *,
    markers: dict[str, float] | None = None,
    title: str | None = None,
    x_title: str = "Value",
    height: int = 320,
) -> go.Figure:
    """A histogram with labelled vertical lines (e.g. VaR and ES on a projected P&L)."""
    fig = go.Figure(go.Histogram(x=list(values), nbinsx=50, marker_color="rgba(31,111,235,0.6)", name="Outcomes"))
    for label, position in (markers or {}).items():
        fig.add_vline(x=position, line_dash="dash", line_color="#cf222e", annotation_text=label)
    fig.update_xaxes(title_text=x_title)
    fig.update_layout(showlegend=False)
    return _layout(fig, title, height)


def income_chart(periods: pd.DataFrame, *, title: str | None = None, height: int = 320) -> go.Figure:
    """Dividends up, fee charges and commissions down, per period (`period`, `dividends`,
    `fees`, `commissions` columns, as core.portfolio.income computes them)."""
    fig = go.Figure()
    fig.add_bar(x=periods["period"], y=periods["dividends"], name="Dividends", marker_color="#2da44e")
    fig.add_bar(x=periods["period"], y=-periods["fees"], name="Fees", marker_color="#cf222e")
    fig.add_bar(x=periods["period"], y=-periods["commissions"], name="Commissions", marker_color="#bf8700")
    fig.update_layout(barmode="relative", yaxis_title="USD", xaxis_type="category")
    return _layout(fig, title, height)


def realised_accuracy_chart(by_month: pd.DataFrame, *, title: str | None = None, height: int = 520) -> go.Figure:
    """Realised MASE (top) and 80%/95% interval coverage (bottom) by month, one colour per
    model, the ensemble drawn thicker; dotted lines mark the nominal 80% and 95%.

    `by_month`: `core.forecasting.accuracy.realised_by_month` (columns month, model, mase,
    coverage_80, coverage_95, n). Trace names: `<model> MASE`, `<model> 80%`, `<model> 95%`.
    """
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=("MASE", "Interval coverage")
    )
    colours = model_colours(by_month["model"])
    for model, group in by_month.sort_values(["model", "month"]).groupby("model", sort=True):
        width = 3 if model == "ensemble" else 1.5
        months = pd.to_datetime(group["month"])
        for row, column, label, dash in (
            (1, "mase", "MASE", "solid"),
            (2, "coverage_80", "80%", "solid"),
            (2, "coverage_95", "95%", "dot"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=months,
                    y=group[column].astype(float).to_numpy(),
                    mode="lines+markers",
                    name=f"{model} {label}",
                    legendgroup=model,
                    line={"color": colours[model], "width": width, "dash": dash},
                    customdata=group["n"].to_numpy(),
                    hovertemplate=f"{model} {label}: %{{y:.3f}} (%{{customdata}} forecasts)<extra></extra>",
                ),
                row=row,
                col=1,
            )
    for level in (0.8, 0.95):
        fig.add_hline(y=level, line_dash="dot", line_color="#8c959f", row=2, col=1)
    fig.update_yaxes(title_text="MASE", row=1, col=1)
    fig.update_yaxes(title_text="Share inside", tickformat=".0%", row=2, col=1)
    return _layout(fig, title, height)
