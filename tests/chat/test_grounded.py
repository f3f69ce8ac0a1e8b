"""Grounded answers: their numbers are exactly the ones `core` computes."""

from __future__ import annotations

import pytest

from core.chat.service import ask
from core.formatting import money, number, plain_percent, signed_money
from core.market.statistics import get_ticker_statistics
from core.portfolio.analytics import measure_performance, summarize_portfolio
from tests.chat.factories import add_ticker, make_portfolio, record_forecast

HOLDINGS = {"ORCH": (40.0, 45.0), "VOLT": (25.0, 95.0), "NIMB": (10.0, 100.0)}


@pytest.fixture
def investor(session):
    return make_portfolio(session, HOLDINGS)


def test_value_is_the_summary_market_value(session, chat_settings, investor):
    summary = summarize_portfolio(session, owner=investor)
    reply = ask(session, settings=chat_settings, user=investor, message="What is my portfolio worth?")
    assert money(summary.market_value) in reply.answer
    assert money(summary.cost_basis) in reply.answer
    assert [s.kind for s in reply.sources] == ["portfolio"]
    assert reply.notice is None


def test_pnl_numbers(session, chat_settings, investor):
    summary = summarize_portfolio(session, owner=investor)
    reply = ask(session, settings=chat_settings, user=investor, message="How much profit or loss have I made?")
    for value in (summary.unrealized_pnl, summary.realized_pnl, summary.total_pnl, summary.day_change):
        assert signed_money(value) in reply.answer


def test_holding_value_when_a_ticker_is_named(session, chat_settings, investor):
    holding = next(h for h in summarize_portfolio(session, owner=investor).holdings if h.ticker == "NIMB")
    reply = ask(session, settings=chat_settings, user=investor, message="what is my nimb position worth")
    assert money(holding.market_value) in reply.answer and reply.sources[0].ticker == "NIMB"


def test_best_and_worst_holding_by_unrealized_return(session, chat_settings, investor):
    holdings = summarize_portfolio(session, owner=investor).holdings
    ranked = sorted(holdings, key=lambda h: h.unrealized_pnl / h.cost_basis)
    reply = ask(session, settings=chat_settings, user=investor, message="Which is my best and worst holding?")
    best, worst = ranked[-1], ranked[0]
    assert f"best holding is {best.ticker}" in reply.answer and f"worst holding is {worst.ticker}" in reply.answer
    assert signed_money(best.unrealized_pnl) in reply.answer and signed_money(worst.unrealized_pnl) in reply.answer
    assert {s.ticker for s in reply.sources} == {best.ticker, worst.ticker}


def test_allocation_by_sector_and_holding(session, chat_settings, investor):
    summary = summarize_portfolio(session, owner=investor)
    reply = ask(session, settings=chat_settings, user=investor, message="How is my portfolio allocated?")
    for sector, weight in summary.allocation_by_sector.items():
        assert f"{sector} {plain_percent(weight, 2)}" in reply.answer
    for holding in summary.holdings:
        assert f"{holding.ticker} {plain_percent(holding.weight, 2)}" in reply.answer


def test_sector_of_a_holding(session, chat_settings, investor):
    summary = summarize_portfolio(session, owner=investor)
    holding = next(h for h in summary.holdings if h.ticker == "VOLT")
    reply = ask(session, settings=chat_settings, user=investor, message="Which sector is VOLT in?")
    assert reply.answer.startswith("VOLT is in the Energy sector") and plain_percent(holding.weight, 2) in reply.answer


def test_portfolio_risk(session, chat_settings, investor):
    report = measure_performance(session, owner=investor)
    reply = ask(session, settings=chat_settings, user=investor, message="How risky is my portfolio?")
    assert plain_percent(report.volatility) in reply.answer and plain_percent(report.max_drawdown) in reply.answer
    assert number(report.sharpe) in reply.answer


def test_ticker_volatility_and_price(session, chat_settings, investor):
    add_ticker(session, "VOLT")
    facts = get_ticker_statistics(session, ticker="VOLT")  # the Stock page's key statistics
    reply = ask(session, settings=chat_settings, user=investor, message="What is the volatility of VOLT?")
    assert plain_percent(facts.volatility) in reply.answer and money(facts.last_close) in reply.answer
    assert plain_percent(facts.return_1y) in reply.answer
    assert reply.sources[0].kind == "ticker"
    # Named by company rather than symbol:
    reply = ask(session, settings=chat_settings, user=investor, message="latest price of Voltline?")
    assert money(facts.last_close) in reply.answer


def test_forecast_from_the_recorded_prediction(session, chat_settings, investor):
    rows = record_forecast(session, user=investor, ticker="ORCH", model="arima")
    reply = ask(session, settings=chat_settings, user=investor, message="What is the forecast for ORCH?")
    last = rows[-1]
    assert money(last.predicted_value) in reply.answer and str(last.target_date) in reply.answer
    assert f"{len(rows)} sessions ahead" in reply.answer
    assert f"{money(last.lo95)} to {money(last.hi95)}" in reply.answer
    assert reply.sources[0].kind == "forecast" and reply.sources[0].ticker == "ORCH"


def test_forecast_without_a_ticker_asks_which(session, chat_settings, investor):
    reply = ask(session, settings=chat_settings, user=investor, message="what's the forecast?")
    assert "Which ticker" in reply.answer and "ORCH" in reply.answer
    assert reply.sources  # every answer lists sources: here the retrieved documents


def test_predictions_review_before_any_is_scored(session, chat_settings, investor):
    record_forecast(session, user=investor, ticker="ORCH")
    reply = ask(session, settings=chat_settings, user=investor, message="How did my predictions do?")
    assert "5 recorded predictions" in reply.answer or "scored predictions" in reply.answer


def test_empty_portfolio(session, chat_settings):
    user = make_portfolio(session, {})
    reply = ask(session, settings=chat_settings, user=user, message="What is my portfolio worth?")
    assert "no stocks yet" in reply.answer and reply.sources


def test_value_of_a_ticker_not_held(session, chat_settings, investor):
    add_ticker(session, "MEDX")
    facts = get_ticker_statistics(session, ticker="MEDX")
    reply = ask(session, settings=chat_settings, user=investor, message="How much is my MEDX worth?")
    assert reply.answer.startswith("You don't hold MEDX.") and money(facts.last_close) in reply.answer


def test_forecast_carries_the_skill_of_exactly_its_configuration_and_the_caveat(session, chat_settings, investor):
    from core.chat.backtests import describe_skill
    from core.chat.forecasts import NOT_ADVICE
    from core.forecasting.skill import SkillRequest, measure_skill

    settings = chat_settings.model_copy(update={"skill_folds": 3, "skill_span": 20, "backtest_workers": 1})
    closes = add_ticker(session, "NIMB")
    # The 5-session drift forecast's own skill, as the Predictions page measures and stores it.
    request = SkillRequest.of(ticker="NIMB", model="drift", horizon=5)
    skill = measure_skill(session, settings=settings, request=request, closes=closes)
    record_forecast(session, user=investor, ticker="NIMB", model="drift")
    reply = ask(session, settings=settings, user=investor, message="What is the forecast for NIMB?")
    assert skill.text() in reply.answer and describe_skill(skill) in reply.answer
    assert f"{skill.horizon} sessions ahead, {skill.folds} origins {skill.origin_span}" in reply.answer
    assert number(skill.mase, 3) in reply.answer and reply.answer.endswith(NOT_ADVICE)
    # Another horizon is another configuration: its skill is not borrowed from this one.
    record_forecast(session, user=investor, ticker="ORCH", model="drift", steps=7)
    reply = ask(session, settings=settings, user=investor, message="What is the forecast for ORCH?")
    assert "has not been measured yet" in reply.answer and skill.text() not in reply.answer


def test_a_fee_entry_is_indexed_with_its_real_amount(session, chat_settings, investor):
    import datetime as dt

    from core.chat.documents import build_user_documents
    from core.db.tables import TransactionType
    from core.portfolio.activities import record_activity
    from core.portfolio.schemas import ActivityCreate

    fee = ActivityCreate(date=dt.date(2026, 7, 1), ticker="NIMB", type=TransactionType.FEE, fee=12.5)
    record_activity(session, owner=investor, data=fee)
    built = build_user_documents(session, settings=chat_settings, user=investor)
    documents = {d.metadata["key"]: d.page_content for d in built}
    assert "1 fee transaction (0 shares, amount $12.50)" in documents["transactions:NIMB"]


def test_beta_against_the_portfolio_pages_default_benchmark(session, chat_settings, investor):
    from sqlalchemy import update

    from core.db.tables import Ticker

    session.execute(update(Ticker).where(Ticker.symbol.in_(list(HOLDINGS))).values(source="bundled"))
    report = measure_performance(session, owner=investor, benchmark="EQUAL_WEIGHT")
    assert report.beta is not None
    reply = ask(session, settings=chat_settings, user=investor, message="What is my portfolio's beta?")
    assert f"beta {number(report.beta)} against the equal-weight universe" in reply.answer
