"""Daily valuation of a ledger against closing prices (vectorised; no database).

`value_history` turns ledger entries and a wide frame of closes (date × ticker) into one row
per day: `value` (market value at the close), and the day's external flows (see
core.portfolio.returns): `inflow` (counted at the start of the day), `inflow_close` (money
put in at the close) and `outflow` (taken out at the close). Days are the union of the price
dates and the entry dates. A ticker is valued at its close on or before the day, or before
its first stored close (or with none stored) at its last trade price.

What is external depends on the ledger:
- with deposits recorded, the portfolio is holdings + cash; deposits are inflows and
  withdrawals outflows; buys, sells, dividends and fees move money inside it;
- without, the portfolio is its holdings; buys (with their fees) and fee charges are
  inflows, sale proceeds and dividends outflows. A buy at the day's closing price is money
  put in at the close (`inflow_close`), so it changes nothing of that day's return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.db.tables import TransactionType
from core.portfolio.positions import LedgerEntry, cash_amount, cash_change

FRAME_COLUMNS = ["value", "inflow", "inflow_close", "outflow"]
ENTRY_COLUMNS = ["date", "ticker", "type", "price", "delta", "cash", "inflow", "outflow"]
AT_CLOSE_TOLERANCE = 0.005  # half a cent


def entries_frame(entries: list[LedgerEntry]) -> pd.DataFrame:
    """One row per entry: date, ticker, type, price, delta (share change), cash (signed change
    of the cash balance), inflow and outflow (the entry as an external flow when no cash is kept)."""
    records = []
    for entry in entries:
        kind = TransactionType(entry.type)
        amount = cash_amount(entry)
        delta = (
            entry.quantity if kind == TransactionType.BUY else -entry.quantity if kind == TransactionType.SELL else 0.0
        )
        records.append(
            {
                "date": pd.Timestamp(entry.date),
                "ticker": entry.ticker or "",
                "type": kind.value,
                "price": float(entry.price),
                "delta": delta,
                "cash": cash_change(entry),
                "inflow": amount if kind in (TransactionType.BUY, TransactionType.FEE) else 0.0,
                "outflow": amount if kind in (TransactionType.SELL, TransactionType.DIVIDEND) else 0.0,
            }
        )
    return pd.DataFrame(records, columns=ENTRY_COLUMNS)


def keeps_cash(entries: pd.DataFrame) -> bool:
    return bool(entries["type"].isin([TransactionType.DEPOSIT.value, TransactionType.WITHDRAWAL.value]).any())


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=FRAME_COLUMNS, index=pd.DatetimeIndex([], name="date"), dtype=float)


def value_history(entries: pd.DataFrame, closes: pd.DataFrame, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Daily value and external flows from the first entry to `end` (default: last known day)."""
    if entries.empty:
        return _empty()
    first = entries["date"].min()
    last = end if end is not None else max(entries["date"].max(), closes.index.max() if len(closes) else first)
    days = closes.index[(closes.index >= first) & (closes.index <= last)]
    days = days.union(pd.DatetimeIndex(entries.loc[entries["date"] <= last, "date"].unique())).rename("date")
    if days.empty:
        return _empty()
    securities = entries[entries["ticker"] != ""]
    tickers = sorted(securities["ticker"].unique())

    trades = securities[securities["type"].isin(["buy", "sell"])]
    trade_prices = trades.groupby(["date", "ticker"])["price"].last().unstack().reindex(columns=tickers)
    prices = closes.reindex(columns=tickers)
    prices = prices[(prices.index <= last)]
    gaps = [ticker for ticker in tickers if prices[ticker].isna().any()]
    if gaps:  # stored closes win; trade prices fill in where no close is known yet
        prices = prices.combine_first(trade_prices).reindex(columns=tickers)
    prices = prices.sort_index().ffill().reindex(days, method="ffill")

    deltas = securities.groupby(["date", "ticker"])["delta"].sum().unstack().reindex(columns=tickers, fill_value=0.0)
    quantities = deltas.reindex(days, fill_value=0.0).fillna(0.0).cumsum()
    value = (quantities.to_numpy() * prices.fillna(0.0).to_numpy()).sum(axis=1)

    in_period = entries[entries["date"] <= last]
    if keeps_cash(entries):
        cash = in_period.groupby("date")["cash"].sum().reindex(days, fill_value=0.0).cumsum()
        value = value + cash.to_numpy()
        by_type = in_period.pivot_table(index="date", columns="type", values="cash", aggfunc="sum")
        by_type = by_type.reindex(days).fillna(0.0)
        inflow = by_type.get("deposit", pd.Series(0.0, index=days))
        outflow = -by_type.get("withdrawal", pd.Series(0.0, index=days))
        at_close = pd.Series(0.0, index=days)
    else:
        flows = in_period.assign(at_close=_bought_at_close(in_period, prices))
        flows["opening"] = np.where(flows["at_close"], 0.0, flows["inflow"])
        flows["closing"] = np.where(flows["at_close"], flows["inflow"], 0.0)
        daily = flows.groupby("date")[["opening", "closing", "outflow"]].sum().reindex(days, fill_value=0.0)
        inflow, at_close, outflow = daily["opening"], daily["closing"], daily["outflow"]
    frame = pd.DataFrame(
        {
            "value": value,
            "inflow": inflow.to_numpy(),
            "inflow_close": at_close.to_numpy(),
            "outflow": outflow.to_numpy(),
        },
        index=days,
    )
    return frame


def _bought_at_close(entries: pd.DataFrame, prices: pd.DataFrame) -> np.ndarray:
    """Which entries are buys at the price the day is valued at (their money came in at the close)."""
    result = np.zeros(len(entries), dtype=bool)
    buys = (entries["type"] == "buy").to_numpy()
    if not buys.any() or prices.empty:
        return result
    rows = prices.index.get_indexer(entries["date"])
    columns = prices.columns.get_indexer(entries["ticker"])
    valid = buys & (rows >= 0) & (columns >= 0)
    matrix = prices.to_numpy()
    used = np.full(len(entries), np.nan)
    used[valid] = matrix[rows[valid], columns[valid]]
    with np.errstate(invalid="ignore"):
        result[valid] = np.abs(used[valid] - entries["price"].to_numpy()[valid]) < AT_CLOSE_TOLERANCE
    return result


def holdings_on(entries: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """Shares held per ticker at the close of `day`."""
    held = entries[(entries["date"] <= day) & (entries["ticker"] != "")].groupby("ticker")["delta"].sum()
    return held[held.abs() > 1e-9]
