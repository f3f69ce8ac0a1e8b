"""Daily valuation of a ledger against closing prices (vectorised; no database).

`value_history` turns ledger entries and a wide frame of closes (date × ticker) into one row
per day: `value` (market value at the close), `inflow` and `outflow` (see core.portfolio.returns).
Days are the union of the price dates and the entry dates. A ticker is valued at its last
close, or before its first stored close (or with none stored) at its last trade price.
"""

from __future__ import annotations

import pandas as pd

from core.db.tables import TransactionType
from core.portfolio.positions import LedgerEntry, cash_amount

FRAME_COLUMNS = ["value", "inflow", "outflow"]


def entries_frame(entries: list[LedgerEntry]) -> pd.DataFrame:
    """One row per entry: date, ticker, type, quantity, price, delta (share change), inflow, outflow."""
    records = []
    for entry in entries:
        kind = TransactionType(entry.type)
        amount = cash_amount(entry)
        records.append(
            {
                "date": pd.Timestamp(entry.date),
                "ticker": entry.ticker,
                "type": kind.value,
                "price": float(entry.price),
                "delta": entry.quantity
                if kind == TransactionType.BUY
                else -entry.quantity
                if kind == TransactionType.SELL
                else 0.0,
                "inflow": amount if kind in (TransactionType.BUY, TransactionType.FEE) else 0.0,
                "outflow": amount if kind in (TransactionType.SELL, TransactionType.DIVIDEND) else 0.0,
            }
        )
    columns = ["date", "ticker", "type", "price", "delta", "inflow", "outflow"]
    return pd.DataFrame(records, columns=columns)


def value_history(entries: pd.DataFrame, closes: pd.DataFrame, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Daily value, inflow and outflow from the first entry to `end` (default: last known day)."""
    if entries.empty:
        return pd.DataFrame(columns=FRAME_COLUMNS, index=pd.DatetimeIndex([], name="date"), dtype=float)
    first = entries["date"].min()
    last = end if end is not None else max(entries["date"].max(), closes.index.max() if len(closes) else first)
    days = closes.index[(closes.index >= first) & (closes.index <= last)]
    days = days.union(pd.DatetimeIndex(entries.loc[entries["date"] <= last, "date"].unique())).rename("date")
    tickers = sorted(entries["ticker"].unique())

    trades = entries[entries["type"].isin(["buy", "sell"])]
    trade_prices = trades.groupby(["date", "ticker"])["price"].last().unstack().reindex(columns=tickers)
    prices = closes.reindex(columns=tickers)
    prices = prices[(prices.index <= last)]
    gaps = [ticker for ticker in tickers if prices[ticker].isna().any()]
    if gaps:  # stored closes win; trade prices fill in where no close is known yet
        prices = prices.combine_first(trade_prices).reindex(columns=tickers)
    prices = prices.sort_index().ffill().reindex(days, method="ffill")

    deltas = entries.groupby(["date", "ticker"])["delta"].sum().unstack().reindex(columns=tickers, fill_value=0.0)
    quantities = deltas.reindex(days, fill_value=0.0).fillna(0.0).cumsum()
    value = (quantities.to_numpy() * prices.fillna(0.0).to_numpy()).sum(axis=1)

    flows = entries.groupby("date")[["inflow", "outflow"]].sum().reindex(days, fill_value=0.0)
    frame = pd.DataFrame({"value": value, "inflow": flows["inflow"], "outflow": flows["outflow"]}, index=days)
    return frame


def holdings_on(entries: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """Shares held per ticker at the close of `day`."""
    held = entries[entries["date"] <= day].groupby("ticker")["delta"].sum()
    return held[held.abs() > 1e-9]
