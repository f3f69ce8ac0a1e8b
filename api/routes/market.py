"""Market data: tickers, price histories, a user's price upload, and the watchlist."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile, status

from api.deps import CurrentUser, RunDep, SettingsDep
from core.market.schemas import PriceHistoryRead, PriceImportResult, TickerRead
from core.market.service import get_price_bars, get_ticker, import_price_csv, list_tickers
from core.portfolio.alerts import add_to_watchlist, list_watchlist, remove_from_watchlist
from core.portfolio.schemas import WatchlistItemCreate, WatchlistItemRead

router = APIRouter(prefix="/api", tags=["market"])


@router.get("/tickers", response_model=list[TickerRead])
async def read_tickers(run: RunDep, _user: CurrentUser) -> list[TickerRead]:
    """Every ticker with stored prices or metadata: name, sector, currency, stored date range."""
    return await run(list_tickers)


@router.get("/tickers/{ticker}", response_model=TickerRead)
async def read_ticker(ticker: str, run: RunDep, _user: CurrentUser) -> TickerRead:
    return await run(get_ticker, ticker=ticker)


@router.get("/prices/{ticker}", response_model=PriceHistoryRead)
async def read_prices(
    ticker: str,
    run: RunDep,
    _user: CurrentUser,
    start: Annotated[dt.date | None, Query()] = None,
    end: Annotated[dt.date | None, Query()] = None,
) -> PriceHistoryRead:
    """Daily OHLCV bars between start and end (inclusive); 404 naming the ticker if none."""
    return await run(get_price_bars, ticker=ticker, start=start, end=end)


@router.post("/prices/import", response_model=PriceImportResult, status_code=status.HTTP_201_CREATED)
async def import_prices(
    run: RunDep,
    settings: SettingsDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="CSV: date,open,high,low,close,volume[,ticker]")],
    ticker: Annotated[str | None, Form()] = None,
) -> PriceImportResult:
    """Store a price file, all or nothing; a bad file gets 422 with a report per bad row."""
    content = await file.read()
    return await run(import_price_csv, user=user, user_arg="user", content=content, ticker=ticker, settings=settings)


@router.get("/watchlist", response_model=list[WatchlistItemRead])
async def read_watchlist(run: RunDep, user: CurrentUser) -> list[WatchlistItemRead]:
    return await run(list_watchlist, user=user)


@router.post("/watchlist", response_model=WatchlistItemRead, status_code=status.HTTP_201_CREATED)
async def watch_ticker(data: WatchlistItemCreate, run: RunDep, user: CurrentUser) -> WatchlistItemRead:
    item = await run(add_to_watchlist, user=user, data=data)
    return WatchlistItemRead.model_validate(item)


@router.delete("/watchlist/{ticker}", status_code=status.HTTP_204_NO_CONTENT)
async def unwatch_ticker(ticker: str, run: RunDep, user: CurrentUser) -> None:
    await run(remove_from_watchlist, user=user, ticker=ticker)
