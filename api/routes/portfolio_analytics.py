"""Portfolio analytics, the ledger of activities (with CSV import/export), cash, closed
positions, income, and price alerts."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from api.deps import CurrentUser, RunDep, SettingsDep, TasksDep
from api.routes.tasks import task_location
from core.errors import InvalidInputError
from core.portfolio.activities import delete_activity, get_activity, record_activity, update_activity
from core.portfolio.alerts import create_alert, delete_alert, list_alerts
from core.portfolio.analytics import measure_performance, returns_by_year, summarize_portfolio
from core.portfolio.analytics_cache import analytics_cache
from core.portfolio.analytics_schemas import (
    CashBalance,
    ClosedPosition,
    IncomeReport,
    PerformanceReport,
    PortfolioSummary,
    YearlyReturns,
)
from core.portfolio.cash import cash_balance
from core.portfolio.closed import list_closed_positions
from core.portfolio.income import income_by_period
from core.portfolio.ledger import check_transactions_file, export_transactions, import_file, list_transactions
from core.portfolio.periods import PERIOD_PATTERN
from core.portfolio.pricing import live_provider
from core.portfolio.projection import ProjectionRead, projection_report
from core.portfolio.schemas import (
    ActivityCreate,
    ActivityUpdate,
    ImportResult,
    PriceAlertCreate,
    PriceAlertRead,
    TransactionPage,
    TransactionRead,
)
from core.portfolio.transactions_csv import get_import_mapping, list_import_mappings, save_import_mapping
from core.tasks.portfolio import start_import, start_projection
from core.tasks.records import TaskRead

router = APIRouter(prefix="/api/portfolio", tags=["portfolio analytics"])
alerts_router = APIRouter(prefix="/api/alerts", tags=["alerts"])


@router.get("/summary", response_model=PortfolioSummary)
async def read_summary(run: RunDep, settings: SettingsDep, user: CurrentUser) -> PortfolioSummary:
    """Market value, cost basis, P&L, day change, weights and allocation, as of the last close."""
    return await run(summarize_portfolio, user=user, cache=analytics_cache(settings))


@router.get("/projection", response_model=ProjectionRead)
async def read_projection(
    run: RunDep,
    settings: SettingsDep,
    user: CurrentUser,
    horizon: Annotated[int, Query(ge=1, le=260)] = 20,
    confidence: Annotated[float, Query(gt=0.5, lt=1)] = 0.95,
    model: Annotated[str, Query(max_length=32)] = "drift",
) -> ProjectionRead:
    """The portfolio's value distribution `horizon` trading days ahead: quantiles, VaR and ES."""
    return await run(
        projection_report, user=user, settings=settings, horizon=horizon, confidence=confidence, model=model
    )


@router.post("/projection/tasks", response_model=TaskRead, status_code=status.HTTP_202_ACCEPTED)
async def start_projection_task(
    run: RunDep,
    settings: SettingsDep,
    tasks: TasksDep,
    user: CurrentUser,
    response: Response,
    horizon: Annotated[int, Query(ge=1, le=260)] = 20,
    confidence: Annotated[float, Query(gt=0.5, lt=1)] = 0.95,
    model: Annotated[str, Query(max_length=32)] = "drift",
) -> TaskRead:
    """The projection above as a task (202, `Location: /api/tasks/{id}`): poll `GET
    /api/tasks/{id}` for progress (holdings forecast so far) and, once succeeded, the result."""
    task = await run(
        start_projection, user=user, tasks=tasks, settings=settings, horizon=horizon, confidence=confidence, model=model
    )
    response.headers["Location"] = task_location(task)
    return task


@router.get("/performance", response_model=PerformanceReport)
async def read_performance(
    run: RunDep,
    settings: SettingsDep,
    user: CurrentUser,
    period: Annotated[
        str | None,
        Query(pattern=PERIOD_PATTERN, description="1M, 3M, YTD, 1Y, 3Y, ALL or a calendar year; or start/end"),
    ] = None,
    start: Annotated[dt.date | None, Query()] = None,
    end: Annotated[dt.date | None, Query()] = None,
    benchmark: Annotated[str | None, Query(max_length=16, description="A ticker, or EQUAL_WEIGHT")] = None,
) -> PerformanceReport:
    """Value history, TWR, XIRR, volatility, max drawdown, Sharpe, Sortino; beta against a
    benchmark measured over the same sessions (first and last session of the period, inclusive)."""
    return await run(
        measure_performance,
        user=user,
        period=period,
        start=start,
        end=end,
        benchmark=benchmark,
        cache=analytics_cache(settings),
    )


@router.get("/returns-by-year", response_model=YearlyReturns)
async def read_returns_by_year(
    run: RunDep,
    settings: SettingsDep,
    user: CurrentUser,
    benchmark: Annotated[str | None, Query(max_length=16, description="A ticker, or EQUAL_WEIGHT")] = None,
) -> YearlyReturns:
    """Time-weighted return of each calendar year, with the benchmark's over the same sessions."""
    return await run(returns_by_year, user=user, benchmark=benchmark, cache=analytics_cache(settings))


@router.get("/transactions", response_model=TransactionPage)
async def read_transactions(
    run: RunDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    ticker: Annotated[str | None, Query(max_length=16)] = None,
) -> TransactionPage:
    rows, total = await run(list_transactions, user=user, limit=limit, offset=offset, ticker=ticker)
    return TransactionPage(
        items=[TransactionRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post("/transactions", response_model=TransactionRead, status_code=status.HTTP_201_CREATED)
async def create_transaction(
    data: ActivityCreate, run: RunDep, settings: SettingsDep, user: CurrentUser
) -> TransactionRead:
    """Record a buy, sell, dividend, fee, deposit or withdrawal (`date` required). Refused (422)
    with the reason: an unpriced ticker, a date outside its stored prices, an oversell, or
    cash below zero once deposits are recorded."""
    entry = await run(record_activity, user=user, data=data, provider=live_provider(settings))
    return TransactionRead.model_validate(entry)


@router.get("/transactions/{activity_id:int}", response_model=TransactionRead)
async def read_transaction(activity_id: int, run: RunDep, user: CurrentUser) -> TransactionRead:
    entry = await run(get_activity, user=user, activity_id=activity_id)
    return TransactionRead.model_validate(entry)


@router.put("/transactions/{activity_id:int}", response_model=TransactionRead)
async def change_transaction(
    activity_id: int, data: ActivityUpdate, run: RunDep, settings: SettingsDep, user: CurrentUser
) -> TransactionRead:
    """Change the fields given; refused (422, naming the date) when the whole ledger would
    break a rule with the change. No other activity is touched."""
    entry = await run(update_activity, user=user, activity_id=activity_id, data=data, provider=live_provider(settings))
    return TransactionRead.model_validate(entry)


@router.delete("/transactions/{activity_id:int}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_transaction(activity_id: int, run: RunDep, user: CurrentUser) -> None:
    """Delete one activity, unless a later sell (or the cash) relied on it (422)."""
    await run(delete_activity, user=user, activity_id=activity_id)


@router.get("/cash", response_model=CashBalance)
async def read_cash(run: RunDep, user: CurrentUser) -> CashBalance:
    return await run(cash_balance, user=user)


@router.get("/closed", response_model=list[ClosedPosition])
async def read_closed_positions(run: RunDep, user: CurrentUser) -> list[ClosedPosition]:
    """Tickers sold down to zero, with realised P&L, dividends, fees, opened and closed dates."""
    return await run(list_closed_positions, user=user)


@router.get("/income", response_model=IncomeReport)
async def read_income(
    run: RunDep, user: CurrentUser, freq: Annotated[str, Query(pattern="^[MYmy]$")] = "M"
) -> IncomeReport:
    """Dividends, fee charges and commissions per month (M) or year (Y), with totals."""
    return await run(income_by_period, user=user, freq=freq)


@router.post("/transactions/import", response_model=ImportResult, status_code=status.HTTP_201_CREATED)
async def import_transaction_file(
    run: RunDep,
    settings: SettingsDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="CSV: date,ticker,type,quantity,price,fee")],
    mapping: Annotated[str | None, Form(description='JSON {"their header": "our column"}')] = None,
    mapping_name: Annotated[str | None, Form(max_length=100)] = None,
    save_mapping_as: Annotated[str | None, Form(max_length=100)] = None,
) -> ImportResult:
    """Import all rows or none; a bad file gets 422 with `errors`: [{row, column, reason}]."""
    return await run.in_units(
        import_file,
        user=user,
        content=await file.read(),
        mapping=mapping_columns(mapping),
        mapping_name=mapping_name,
        save_mapping_as=save_mapping_as,
        provider=live_provider(settings),
    )


@router.post("/transactions/import/tasks", response_model=TaskRead, status_code=status.HTTP_202_ACCEPTED)
async def start_transaction_import(
    run: RunDep,
    settings: SettingsDep,
    tasks: TasksDep,
    user: CurrentUser,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV: date,ticker,type,quantity,price,fee")],
    mapping: Annotated[str | None, Form(description='JSON {"their header": "our column"}')] = None,
    mapping_name: Annotated[str | None, Form(max_length=100)] = None,
    save_mapping_as: Annotated[str | None, Form(max_length=100)] = None,
) -> TaskRead:
    """The import above as a task (202, `Location: /api/tasks/{id}`): the file is read and its
    rows checked first (a bad file gets the 422 with `errors` at once, nothing recorded); the
    ledger check and the all-or-nothing write follow in the task. Poll `GET /api/tasks/{id}`."""
    columns = mapping_columns(mapping)
    if columns is None and mapping_name:
        columns = await run(get_import_mapping, user=user, name=mapping_name, write=False)
    content = await file.read()
    checked = await run.processes.call(check_transactions_file, content, mapping=columns)
    task = await run(
        start_import,
        user=user,
        tasks=tasks,
        settings=settings,
        content=content,
        checked=checked,
        mapping=columns,
        save_mapping_as=save_mapping_as,
        provider=live_provider(settings),
    )
    response.headers["Location"] = task_location(task)
    return task


def mapping_columns(mapping: str | None) -> dict[str, str] | None:
    try:
        return json.loads(mapping) if mapping else None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"mapping is not valid JSON: {exc}") from exc


@router.get("/transactions/export", response_class=Response)
async def export_transaction_file(run: RunDep, user: CurrentUser) -> Response:
    """The ledger as CSV (re-importable)."""
    text = await run(export_transactions, user=user)
    headers = {"Content-Disposition": 'attachment; filename="transactions.csv"'}
    return Response(content=text, media_type="text/csv", headers=headers)


@router.get("/import-mappings", response_model=dict[str, dict[str, str]])
async def read_import_mappings(run: RunDep, user: CurrentUser) -> dict[str, dict[str, str]]:
    return await run(list_import_mappings, user=user)


@router.put("/import-mappings/{name}", response_model=dict[str, str])
async def put_import_mapping(name: str, columns: dict[str, str], run: RunDep, user: CurrentUser) -> dict[str, str]:
    mapping = await run(save_import_mapping, user=user, name=name, columns=columns)
    return dict(mapping.columns)


@alerts_router.get("", response_model=list[PriceAlertRead])
async def read_alerts(
    run: RunDep, user: CurrentUser, triggered: Annotated[bool | None, Query()] = None
) -> list[PriceAlertRead]:
    """The caller's alerts, newest first; triggered ones carry when and why."""
    alerts = await run(list_alerts, user=user, triggered=triggered)
    return [PriceAlertRead.model_validate(a) for a in alerts]


@alerts_router.post("", response_model=PriceAlertRead, status_code=status.HTTP_201_CREATED)
async def add_alert(data: PriceAlertCreate, run: RunDep, user: CurrentUser) -> PriceAlertRead:
    return PriceAlertRead.model_validate(await run(create_alert, user=user, data=data))


@alerts_router.delete("/{alert_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_alert(alert_id: int, run: RunDep, user: CurrentUser) -> None:
    await run(delete_alert, user=user, alert_id=alert_id)
