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
from core.portfolio.positions import LedgerEntry, cash_amounts

BUY, SELL, DIVIDEND, FEE = TransactionType.BUY, TransactionType.SELL, TransactionType.DIVIDEND, TransactionType.FEE
DEPOSIT, WITHDRAWAL = TransactionType.DEPOSIT, TransactionType.WITHDRAWAL

FRAME_COLUMNS = ["value", "inflow", "inflow_close", "outflow"]
ENTRY_COLUMNS = ["date", "ticker", "type", "price", "delta", "cash", "inflow", "outflow"]
AT_CLOSE_TOLERANCE = 0.005  # half a cent


def entries_frame(entries: list[LedgerEntry] | pd.DataFrame) -> pd.DataFrame:
    """One row per entry: date, ticker, type, price, delta (share change), cash (signed change
    of the cash balance), inflow and outflow (the entry as an external flow when no cash is kept).

    `entries` are ledger entries, or a ledger's columns (core.portfolio.ledger_rows); the
    money each entry moves is `cash_amounts`, computed over whole columns."""
    if isinstance(entries, pd.DataFrame):
        columns = entries
    else:
        columns = pd.DataFrame(
            {
                "date": pd.to_datetime([entry.date for entry in entries]),
                "ticker": [entry.ticker or "" for entry in entries],
                "type": [str(entry.type) for entry in entries],
                "quantity": [entry.quantity for entry in entries],
                "price": [entry.price for entry in entries],
                "fee": [entry.fee for entry in entries],
                "amount": [getattr(entry, "amount", 0.0) or 0.0 for entry in entries],
            }
        )
    if columns.empty:
        return pd.DataFrame(columns=ENTRY_COLUMNS)
    kind = columns["type"].to_numpy(dtype=object)
    quantity = columns["quantity"].to_numpy(dtype=float)
    money = cash_amounts(
        kind,
        quantity,
        columns["price"].to_numpy(dtype=float),
        columns["fee"].to_numpy(dtype=float),
        columns["amount"].to_numpy(dtype=float),
    )
    buy, sell = kind == BUY.value, kind == SELL.value
    incoming = sell | (kind == DIVIDEND.value) | (kind == DEPOSIT.value)
    return pd.DataFrame(
        {
            "date": columns["date"].to_numpy(),
            "ticker": columns["ticker"].to_numpy(),
            "type": kind,
            "price": columns["price"].to_numpy(dtype=float),
            "delta": np.where(buy, quantity, np.where(sell, -quantity, 0.0)),
            "cash": np.where(incoming, money, -money),
            "inflow": np.where(buy | (kind == FEE.value), money, 0.0),
            "outflow": np.where(sell | (kind == DIVIDEND.value), money, 0.0),
        },
        columns=ENTRY_COLUMNS,
    )


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
    if prices.isna().to_numpy().any():  # stored closes win; trade prices fill in where no close is known yet
        prices = prices.combine_first(trade_prices).reindex(columns=tickers)
    prices = prices.sort_index().ffill().reindex(days, method="ffill")

    deltas = securities.groupby(["date", "ticker"])["delta"].sum().unstack().reindex(columns=tickers, fill_value=0.0)
    quantities = deltas.reindex(days, fill_value=0.0).fillna(0.0).cumsum()
    value = (quantities.to_numpy() * prices.fillna(0.0).to_numpy()).sum(axis=1)

    in_period = entries[entries["date"] <= last]
    if keeps_cash(entries):
        cash = in_period.groupby("date")["cash"].sum().reindex(days, fill_value=0.0).cumsum()
        value = value + cash.to_numpy()
        moves = in_period[in_period["type"].isin(["deposit", "withdrawal"])]
        by_type = moves.groupby(["date", "type"])["cash"].sum().unstack().reindex(days).fillna(0.0)
        inflow = by_type["deposit"] if "deposit" in by_type else pd.Series(0.0, index=days)
        outflow = -by_type["withdrawal"] if "withdrawal" in by_type else pd.Series(0.0, index=days)
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
