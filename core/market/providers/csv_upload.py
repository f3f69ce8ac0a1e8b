"""A user's own price file, validated row by row before anything is stored.

Columns: `date,open,high,low,close,volume` plus `ticker` (or one ticker given for the whole
file); extra columns are ignored, header case does not matter. Row numbers in the report
are the file's line numbers (the header is row 1), so they match a spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd

from core.errors import InvalidInputError, NotFoundError
from core.market.providers.base import PRICE_FRAME_COLUMNS, PriceProvider, TickerInfo

EARLIEST_DATE = dt.date(1900, 1, 1)
TICKER_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=]{0,15}$")
MAX_REPORTED_PROBLEMS = 200


def _problem(row: int, column: str, reason: str) -> dict[str, object]:
    return {"row": row, "column": column, "reason": reason}


def read_csv_text(content: bytes | str) -> pd.DataFrame:
    """The file as strings with lower-cased, stripped headers; InvalidInputError if unreadable."""
    text = content.decode("utf-8-sig", errors="replace") if isinstance(content, bytes) else content
    if not text.strip():
        raise InvalidInputError("the file is empty", details=[_problem(1, "", "no header row")])
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InvalidInputError(f"the file is not valid CSV: {exc}") from exc
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    return frame.map(lambda value: value.strip() if isinstance(value, str) else value)


def _check_row(row_number: int, record: dict[str, str], ticker: str, problems: list[dict[str, object]]) -> dict | None:
    before = len(problems)
    if not TICKER_RE.match(ticker):
        problems.append(_problem(row_number, "ticker", f"{ticker!r} is not a ticker symbol"))
    try:
        date = dt.date.fromisoformat(record["date"])
    except ValueError:
        problems.append(_problem(row_number, "date", f"{record['date']!r} is not a YYYY-MM-DD date"))
        date = None
    if date is not None and not EARLIEST_DATE <= date <= dt.date.today():
        problems.append(_problem(row_number, "date", f"{date} is before {EARLIEST_DATE} or in the future"))
    values: dict[str, float] = {}
    for column in ["open", "high", "low", "close", "volume"]:
        raw = record.get(column, "")
        if column == "volume" and raw == "":
            raw = "0"
        try:
            number = float(raw)
        except ValueError:
            problems.append(_problem(row_number, column, f"{raw!r} is not a number"))
            continue
        if number != number or number in (float("inf"), float("-inf")) or number < 0:
            problems.append(_problem(row_number, column, f"{raw} must be a finite number >= 0"))
        elif number > 1e15:
            problems.append(_problem(row_number, column, f"{raw} is too large"))
        elif column != "volume" and number == 0:
            problems.append(_problem(row_number, column, "a price must be greater than 0"))
        values[column] = number
    body = (values.get("open", 0.0), values.get("close", 0.0))
    if len(values) == 5 and len(problems) == before and (values["low"] > min(body) or values["high"] < max(body)):
        problems.append(_problem(row_number, "low/high", "low must be <= open, close <= high"))
    if len(problems) > before:
        return None
    return {"ticker": ticker, "date": date, **values}


def parse_price_csv(content: bytes | str, *, ticker: str | None = None) -> dict[str, pd.DataFrame]:
    """Validated price frames by ticker; InvalidInputError with every bad row, or nothing."""
    frame = read_csv_text(content)
    required = ["date", "open", "high", "low", "close"]
    missing = [column for column in required if column not in frame.columns]
    if "ticker" not in frame.columns and not ticker:
        missing.append("ticker")
    if missing:
        details = [_problem(1, column, "required column is missing") for column in missing]
        raise InvalidInputError(f"the file lacks columns: {', '.join(missing)}", details=details)
    if frame.empty:
        raise InvalidInputError("the file has a header but no rows", details=[_problem(2, "", "no data rows")])
    problems: list[dict[str, object]] = []
    rows: list[dict] = []
    seen: dict[tuple[str, dt.date], int] = {}
    for index, record in enumerate(frame.to_dict("records")):
        row_number = index + 2
        symbol = (ticker or record.get("ticker", "")).strip().upper()
        checked = _check_row(row_number, record, symbol, problems)
        if checked is None:
            continue
        key = (symbol, checked["date"])
        if key in seen:
            problems.append(_problem(row_number, "date", f"duplicate of row {seen[key]} for {symbol}"))
            continue
        seen[key] = row_number
        rows.append(checked)
    if problems:
        raise InvalidInputError(
            f"{len(problems)} problem(s) in the price file; nothing was imported",
            details=problems[:MAX_REPORTED_PROBLEMS],
        )
    parsed = pd.DataFrame(rows)
    parsed["date"] = pd.to_datetime(parsed["date"])
    return {
        symbol: group[PRICE_FRAME_COLUMNS].sort_values("date").reset_index(drop=True)
        for symbol, group in parsed.groupby("ticker")
    }


class CsvUploadProvider(PriceProvider):
    """Serves the prices of one uploaded file (validated when constructed)."""

    name = "csv"

    def __init__(self, *, content: bytes | str, ticker: str | None = None, **_ignored) -> None:
        self.frames = parse_price_csv(content, ticker=ticker)

    def list_tickers(self) -> list[TickerInfo]:
        return [TickerInfo(symbol=symbol) for symbol in sorted(self.frames)]

    def _fetch(self, ticker: str, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
        if ticker not in self.frames:
            raise NotFoundError(f"ticker {ticker} is not in the uploaded file")
        return self.frames[ticker].copy()
