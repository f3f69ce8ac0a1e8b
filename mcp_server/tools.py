"""The MCP tools and resources: thin calls into the same `core` services as the API.

Each tool runs its service in a worker thread, in its own unit of work, as the user of the
access token that `CallerGate` authorised (`current_caller()`), so isolation and roles are
the services' own. Inputs are typed (pydantic validates them and names the field at fault);
a `CoreError` reaches the client as a tool error with its message and per-field details.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from core.auth.acting import run_as
from core.chat.schemas import ChatAnswer
from core.chat.service import ask
from core.config import Settings
from core.errors import CoreError
from core.forecasting import accuracy
from core.forecasting import service as forecasting
from core.forecasting.backtest import default_config
from core.forecasting.champion import CHAMPION_HORIZON, CHAMPION_MODEL
from core.forecasting.delivery import serve_forecast, serve_skill
from core.forecasting.schemas import ForecastRead, RealisedAccuracyRead
from core.forecasting.serving import load_closes
from core.market import service as market
from core.market.schemas import PriceHistoryRead
from core.market.tickers import Ticker
from core.portfolio import activities, analytics, holdings, ledger
from core.portfolio.analytics_cache import analytics_cache
from core.portfolio.analytics_schemas import PerformanceReport, PortfolioSummary
from core.portfolio.periods import PERIOD_PATTERN
from core.portfolio.pricing import live_provider
from core.portfolio.projection import ProjectionRead, projection_report
from core.portfolio.schemas import ActivityCreate, StockRead, TransactionPage, TransactionRead
from mcp_server.gate import current_caller
from mcp_server.schemas import AccuracyTable, BacktestReport, HoldingsPage, TickerList
from models.catalog import describe_models, list_models

ModelName = Literal[tuple(list_models())]  # type: ignore[valid-type]
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
MAX_BACKTEST_FOLDS = 20
MAX_BACKTEST_HORIZON = 60
SKILL_WAIT_SECONDS = 45  # then the forecast answers without its skill: clients time out at 60 s


def describe_error(error: CoreError) -> str:
    """The message, then each detail as `field: reason` so the client knows what to fix."""
    parts = [error.message]
    for detail in error.details[:20]:
        field = detail.get("field") or detail.get("column") or detail.get("loc") or "input"
        parts.append(f"{field}: {detail.get('reason') or detail.get('msg') or detail}")
    return "; ".join(parts)


class ServiceRunner:
    """Runs a sync `core` service as the authorised caller, off the event loop, in its own
    unit of work committed before the tool answers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(
        self, service: Callable[..., Any], /, *, user_arg: str = "owner", write: bool = True, **kwargs: Any
    ) -> Any:
        caller = current_caller()
        call = partial(run_as, self.settings, caller.user_id, service, user_arg=user_arg, write=write, **kwargs)
        try:
            return await anyio.to_thread.run_sync(call)
        except CoreError as exc:
            raise ToolError(describe_error(exc)) from exc


def _progress_reporter(ctx: Context) -> Callable[..., None]:
    """A `progress(done, total[, message])` callback for a worker thread, sent as MCP progress
    notifications."""

    def report(done: int, total: int, message: str | None = None) -> None:
        text = message or f"{done} of {total} done"
        anyio.from_thread.run(ctx.report_progress, float(done), float(total), text)

    return report


def _phase_reporter(ctx: Context, phase: int, answered: anyio.Event | None = None) -> Callable[..., None]:
    """Progress of phase 0 (the forecast) or 1 (its skill) on one rising scale of 2, sent as
    MCP progress notifications from a worker thread; silent once the tool has `answered`
    (a skill still measured after the answer just gets stored)."""

    def report(done: int, total: int, message: str | None = None) -> None:
        if answered is not None and answered.is_set():
            return
        fraction = float(done) / float(total) if total else 0.0
        text = message or f"{done} of {total} done"
        anyio.from_thread.run(ctx.report_progress, phase + min(fraction, 1.0), 2.0, text)

    return report


def register_tools(server: MCPServer, settings: Settings) -> None:
    run = ServiceRunner(settings)

    @server.tool(annotations=READ_ONLY)
    async def portfolio_summary() -> PortfolioSummary:
        """Your portfolio now: market value, cost, P&L, day change, holdings, weights, allocation."""
        return await run(analytics.summarize_portfolio, cache=analytics_cache(settings))

    @server.tool(name="holdings", annotations=READ_ONLY)
    async def list_holdings(
        limit: Annotated[int, Field(ge=1, le=500)] = 100, offset: Annotated[int, Field(ge=0)] = 0
    ) -> HoldingsPage:
        """Your holdings (ticker, quantity, average cost), paginated, with the total count."""

        def page(session, *, owner):
            rows, total = holdings.list_holdings(session, owner=owner, limit=limit, offset=offset)
            return HoldingsPage(
                items=[StockRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
            )

        return await run(page)

    @server.tool(name="list_activities", annotations=READ_ONLY)
    async def list_activities_tool(
        limit: Annotated[int, Field(ge=1, le=1000)] = 100,
        offset: Annotated[int, Field(ge=0)] = 0,
        ticker: Ticker | None = None,
    ) -> TransactionPage:
        """Your activities (buys, sells, dividends, fees, deposits, withdrawals), newest first."""

        def page(session, *, owner):
            rows, total = ledger.list_transactions(session, owner=owner, limit=limit, offset=offset, ticker=ticker)
            items = [TransactionRead.model_validate(row) for row in rows]
            return TransactionPage(items=items, total=total, limit=limit, offset=offset)

        return await run(page)

    @server.tool(
        name="record_activity",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False),
    )
    async def record_activity_tool(activity: ActivityCreate) -> TransactionRead:
        """Record a buy, sell, dividend, fee, deposit or withdrawal (needs a `write` token; not viewers)."""

        def record(session, *, owner):
            entry = activities.record_activity(session, owner=owner, data=activity, provider=live_provider(settings))
            return TransactionRead.model_validate(entry)

        return await run(record)

    @server.tool(annotations=READ_ONLY)
    async def performance(
        period: Annotated[
            str | None, Field(pattern=PERIOD_PATTERN, description="1M, 3M, YTD, 1Y, 3Y, ALL or a calendar year")
        ] = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        benchmark: Annotated[str | None, Field(max_length=16, description="A ticker, or EQUAL_WEIGHT")] = None,
    ) -> PerformanceReport:
        """Performance over a period (its first and last session, inclusive, the same for the
        benchmark): TWR, XIRR, volatility, drawdown, Sharpe, Sortino; beta vs a benchmark."""
        return await run(
            analytics.measure_performance,
            period=period,
            start=start,
            end=end,
            benchmark=benchmark,
            cache=analytics_cache(settings),
        )

    register_market_tools(server, run)
    register_forecast_tools(server, run, settings)

    @server.tool(annotations=READ_ONLY)
    async def ask_question(
        question: Annotated[str, Field(min_length=1, max_length=2000, description="About your own portfolio")],
    ) -> ChatAnswer:
        """Ask the chat a question about your portfolio; the answer lists its sources."""

        return await run(ask, user_arg="user", settings=settings, message=question, stream=False)


def register_market_tools(server: MCPServer, run: ServiceRunner) -> None:
    @server.tool(annotations=READ_ONLY)
    async def price_history(
        ticker: Ticker, start: dt.date | None = None, end: dt.date | None = None
    ) -> PriceHistoryRead:
        """Daily OHLCV bars of a ticker between start and end (inclusive)."""
        return await run(lambda session, **kw: market.get_price_bars(session, ticker=ticker, start=start, end=end))

    @server.tool(annotations=READ_ONLY)
    async def list_tickers() -> TickerList:
        """Every ticker with stored prices: name, sector, currency, first and last date."""
        return TickerList(tickers=await run(lambda session, **kw: market.list_tickers(session)))

    @server.resource("stockcast://tickers", name="ticker-catalogue", mime_type="application/json")
    async def ticker_catalogue() -> str:
        """The tickers with stored prices (JSON)."""
        tickers = await run(lambda session, **kw: market.list_tickers(session))
        return json.dumps([ticker.model_dump(mode="json") for ticker in tickers])

    @server.resource("stockcast://models", name="model-catalogue", mime_type="application/json")
    def model_catalogue() -> str:
        """The forecasters: name, minimum history, interval method, default parameters (JSON)."""
        return json.dumps(describe_models())


def register_forecast_tools(server: MCPServer, run: ServiceRunner, settings: Settings) -> None:
    @server.tool(annotations=READ_ONLY)
    async def forecast(
        ticker: Ticker,
        ctx: Context,
        horizon: Annotated[int, Field(ge=1, le=260, description="Trading days ahead")] = CHAMPION_HORIZON,
        model: ModelName = CHAMPION_MODEL,
    ) -> ForecastRead:
        """The forecast the app serves (default: the registry champion's configuration) with
        80/95% intervals, then its backtested skill vs naive. Progress is reported from the
        start; when the skill takes longer than 45 seconds the forecast comes with
        `skill_status` "pending" (the skill is still measured and stored: ask again)."""
        caller = current_caller()
        answered = anyio.Event()
        await ctx.report_progress(0.0, 2.0, f"Forecasting {ticker.upper()}")
        request = {"ticker": ticker, "horizon": horizon, "model": model}
        try:
            result = await anyio.to_thread.run_sync(
                partial(serve_forecast, settings, user_id=caller.user_id, progress=_phase_reporter(ctx, 0), **request)
            )
            if result.skill is None:
                # The skill carries on in its thread past the wait, and is stored when done.
                with anyio.move_on_after(SKILL_WAIT_SECONDS):
                    result.skill = await anyio.to_thread.run_sync(
                        partial(serve_skill, settings, progress=_phase_reporter(ctx, 1, answered), **request),
                        abandon_on_cancel=True,
                    )
        except CoreError as exc:
            raise ToolError(describe_error(exc)) from exc
        finally:
            answered.set()
        pending = result.skill is None
        await ctx.report_progress(2.0, 2.0, "Forecast ready; skill pending" if pending else "Forecast and skill ready")
        return ForecastRead.from_result(result)

    @server.tool(annotations=READ_ONLY)
    async def run_backtest(
        ticker: Ticker,
        ctx: Context,
        models: Annotated[list[ModelName], Field(min_length=1, max_length=6)] = ["naive", "drift"],  # noqa: B006
        horizon: Annotated[int, Field(ge=1, le=MAX_BACKTEST_HORIZON)] = 5,
        folds: Annotated[int, Field(ge=1, le=MAX_BACKTEST_FOLDS)] = 5,
    ) -> BacktestReport:
        """A rolling-origin backtest on the stored closes; progress is reported after each fold."""

        def backtest(session, **_caller):
            _, closes = load_closes(session, ticker)
            config = default_config(horizon, folds)  # the CLI's and pages' plan: origins over a year
            result = forecasting.backtest_models({ticker.upper(): closes}, models, config, progress=report)
            return forecasting.result_rows(result)

        report = _progress_reporter(ctx)
        rows = await run(backtest)
        return BacktestReport(ticker=ticker.upper(), horizon=horizon, folds=folds, models=list(models), rows=rows)

    @server.tool(annotations=READ_ONLY)
    async def portfolio_projection(
        ctx: Context,
        horizon: Annotated[int, Field(ge=1, le=260, description="Trading days ahead")] = 20,
        confidence: Annotated[float, Field(gt=0.5, lt=1, description="Of the VaR and expected shortfall")] = 0.95,
        model: ModelName = "drift",
    ) -> ProjectionRead:
        """Your portfolio's value distribution `horizon` trading days ahead: quantiles, value at
        risk and expected shortfall, from each holding's forecast. Progress is reported at once,
        then after each holding's forecast."""
        await ctx.report_progress(0.0, None, "Projecting your portfolio")
        return await run(
            projection_report,
            write=False,
            settings=settings,
            horizon=horizon,
            confidence=confidence,
            model=model,
            progress=_progress_reporter(ctx),
        )

    @server.tool(annotations=READ_ONLY)
    async def realised_accuracy(
        ticker: Ticker | None = None,
        model: ModelName | None = None,
        days: Annotated[int | None, Field(ge=1, le=3650)] = None,
    ) -> AccuracyTable:
        """How recorded forecasts did once prices arrived: MAE, MAPE, MASE, interval coverage.
        The caller's own forecasts and the replayed ones (no one's), never another user's."""

        def table(session, owner):
            frame = accuracy.realised_accuracy(session, ticker=ticker, model=model, days=days, visible_to=owner)
            return RealisedAccuracyRead.rows_from(frame)

        return AccuracyTable(rows=await run(table))
