"""What every transport must show: each tool answered as the token's user, with numbers that
match the owning services (and a hand calculation), and nothing of another user's."""

from __future__ import annotations

import datetime as dt
import re
import time

from mcp import Client

from core.auth.service import get_user
from core.db.session import session_scope
from core.forecasting.champion import CHAMPION_HORIZON, CHAMPION_MODEL
from core.market.service import get_price_history
from core.portfolio.analytics import measure_performance, summarize_portfolio
from core.portfolio.holdings import list_holdings
from core.portfolio.projection import project_holdings, projection_read
from tests.mcp.conftest import World

TOOLS = {
    "portfolio_summary",
    "holdings",
    "list_activities",
    "record_activity",
    "performance",
    "price_history",
    "list_tickers",
    "forecast",
    "run_backtest",
    "portfolio_projection",
    "realised_accuracy",
    "ask_question",
}
OWN_TICKER = {"alice": "AAPL", "bob": "MSFT"}


async def call(client: Client, tool: str, arguments: dict | None = None, **kwargs) -> dict:
    result = await client.call_tool(tool, arguments or {}, **kwargs)
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def check_tool_list(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    assert all(tool.description and tool.output_schema for tool in tools.values())
    assert tools["forecast"].input_schema["properties"]["horizon"]["maximum"] == 260
    # Asked for nothing else, the forecast is the champion configuration's (core's definition).
    defaults = {name: spec.get("default") for name, spec in tools["forecast"].input_schema["properties"].items()}
    assert (defaults["horizon"], defaults["model"]) == (CHAMPION_HORIZON, CHAMPION_MODEL)
    assert tools["record_activity"].annotations.read_only_hint is False
    assert tools["holdings"].annotations.read_only_hint is True


async def check_reads_as(client: Client, world: World, who: str) -> None:
    """Every read tool and both resources, as `who` (alice holds AAPL, bob MSFT)."""
    other = "bob" if who == "alice" else "alice"
    with session_scope(world.settings) as session:
        user = get_user(session, user_id=world.user_ids[who])
        expected = summarize_portfolio(session, owner=user)
        expected_performance = measure_performance(session, owner=user, benchmark="MSFT")
        closes = {t: get_price_history(session, ticker=t)["close"] for t in ("AAPL", "MSFT")}

    summary = await call(client, "portfolio_summary")
    assert summary == expected.model_dump(mode="json")
    by_ticker = {h["ticker"]: h for h in summary["holdings"]}
    assert OWN_TICKER[other] not in by_ticker or who == "alice"  # alice may have bought MSFT herself
    hand = sum(h["quantity"] * float(closes[t].iloc[-1]) for t, h in by_ticker.items())
    assert abs(summary["market_value"] - hand) < 1e-6

    holdings = await call(client, "holdings")
    assert OWN_TICKER[who] in [item["ticker"] for item in holdings["items"]]
    if who == "bob":
        assert [item["ticker"] for item in holdings["items"]] == ["MSFT"] and holdings["total"] == 1

    activities = await call(client, "list_activities")
    assert activities["total"] >= 1
    assert OWN_TICKER[who] in {item["ticker"] for item in activities["items"]}
    if who == "bob":
        assert {item["ticker"] for item in activities["items"]} == {"MSFT"}

    performance = await call(client, "performance", {"benchmark": "MSFT"})
    assert performance["benchmark"] == "MSFT"
    assert performance["twr"] == expected_performance.twr
    assert performance["end_value"] == expected_performance.end_value

    bars = await call(client, "price_history", {"ticker": "aapl", "start": "2016-12-01", "end": "2016-12-31"})
    december = closes["AAPL"]["2016-12-01":"2016-12-31"]
    assert bars["ticker"] == "AAPL" and [b["close"] for b in bars["prices"]] == december.tolist()

    tickers = await call(client, "list_tickers")
    assert {t["symbol"] for t in tickers["tickers"]} == {"AAPL", "MSFT"}

    accuracy = await call(client, "realised_accuracy")
    rows = {row["ticker"]: row for row in accuracy["rows"]}
    assert set(rows) == {OWN_TICKER[who]}  # the other user's forecast is not the caller's business
    assert rows[OWN_TICKER[who]]["n"] == 1 and rows[OWN_TICKER[who]]["mae"] == 2.0

    answer = await call(client, "ask_question", {"question": "What is my portfolio worth?"})
    assert f"{summary['market_value']:,.2f}" in answer["answer"]

    resources = {str(r.uri) for r in (await client.list_resources()).resources}
    assert resources == {"stockcast://tickers", "stockcast://models"}
    catalogue = (await client.read_resource("stockcast://tickers")).contents[0].text
    assert '"AAPL"' in catalogue and '"MSFT"' in catalogue
    models = (await client.read_resource("stockcast://models")).contents[0].text
    assert '"naive"' in models and '"ensemble"' in models


async def check_forecast_and_backtest(client: Client) -> None:
    started = time.monotonic()
    steps: list[tuple[float, float, float | None]] = []

    async def on_forecast_progress(done: float, total: float | None, _message: str | None) -> None:
        steps.append((time.monotonic() - started, done, total))

    forecast = await call(
        client, "forecast", {"ticker": "MSFT", "horizon": 3, "model": "naive"}, progress_callback=on_forecast_progress
    )
    assert forecast["ticker"] == "MSFT" and len(forecast["points"]) == 3
    assert forecast["skill"] is not None and forecast["skill"]["mase"] > 0 and forecast["skill_status"] == "ready"
    # Progress from the first second, rising on one scale: the forecast, then its skill.
    assert steps[0][0] < 1.0 and steps[0][1:] == (0.0, 2.0)
    assert [done for _, done, _ in steps] == sorted(done for _, done, _ in steps) and steps[-1][1] == 2.0
    assert all(p["lo95"] <= p["lo80"] <= p["mean"] <= p["hi80"] <= p["hi95"] for p in forecast["points"])

    progress: list[tuple[float, float | None]] = []

    async def on_progress(done: float, total: float | None, _message: str | None) -> None:
        progress.append((done, total))

    report = await call(
        client,
        "run_backtest",
        {"ticker": "aapl", "models": ["naive", "drift"], "horizon": 2, "folds": 2},  # any case, as the API
        progress_callback=on_progress,
    )
    assert report["ticker"] == "AAPL"
    assert {row["model"] for row in report["rows"]} == {"naive", "drift"}
    assert all(row["folds"] == 2 and row["points"] == 4 for row in report["rows"])
    assert progress == [(1.0, 4.0), (2.0, 4.0), (3.0, 4.0), (4.0, 4.0)]
    # The CLI's and pages' fold plan: origins spread over at least a year (not back to back),
    # written as ISO dates like every face.
    for row in report["rows"]:
        first, last = (dt.date.fromisoformat(row[k]) for k in ("first_origin", "last_origin"))
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["first_origin"])
        assert (last - first).days >= 365, (first, last)
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    pattern = tools["run_backtest"].input_schema["properties"]["ticker"]["pattern"]
    assert re.fullmatch(pattern, "brk.b") and re.fullmatch(pattern, "AAPL")


async def tool_error(client: Client, tool: str, arguments: dict) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return result.content[0].text


async def check_projection_with_progress(client: Client, world: World, who: str) -> None:
    """The projection tool: progress at once, then one step per holding; the figures of the
    core call every face makes (the API's GET /api/portfolio/projection, the Predictions page)."""
    started = time.monotonic()
    steps: list[tuple[float, float, float | None]] = []

    async def on_progress(done: float, total: float | None, _message: str | None) -> None:
        steps.append((time.monotonic() - started, done, total))

    arguments = {"horizon": 5, "confidence": 0.9, "model": "naive"}
    projection = await call(client, "portfolio_projection", arguments, progress_callback=on_progress)
    with session_scope(world.settings) as session:
        user = get_user(session, user_id=world.user_ids[who])
        held = len(list_holdings(session, owner=user)[0])
        expected = project_holdings(session, settings=world.settings, owner=user, **arguments)
    assert steps[0][0] < 1.0 and steps[0][1:] == (0.0, None)  # from the first second
    assert [step[1:] for step in steps[1:]] == [(float(done), float(held)) for done in range(held + 1)]
    assert projection == projection_read(expected, model="naive").model_dump(mode="json")
    assert projection["confidence"] == 0.9 and projection["horizon"] == 5
