"""Retrieval quality on a question set with known relevant documents, and the index following
changes to the user's data."""

from __future__ import annotations

from core.chat.intents import parse_question
from core.chat.service import reindex_user, retrieve
from core.portfolio.activities import record_activity
from core.portfolio.holdings import list_holdings
from core.portfolio.schemas import ActivityCreate
from tests.chat.evaluation import build_cases, hit_rate, missed_questions
from tests.chat.factories import LAST_PRICE_DATE, make_portfolio, record_forecast

HOLDINGS = {"ORCH": (40.0, 45.0), "VOLT": (25.0, 95.0), "NIMB": (10.0, 100.0), "CRAN": (100.0, 28.0)}


def test_hit_rate_at_3(session, chat_settings):
    user = make_portfolio(session, HOLDINGS)
    record_forecast(session, user=user, ticker="ORCH")
    record_forecast(session, user=user, ticker="NIMB", model="prophet")
    names = {symbol: None for symbol in HOLDINGS}

    def ask_index(text: str):
        question = parse_question(text, names=names, own=HOLDINGS)
        return retrieve(session, settings=chat_settings, user=user, question=question, k=3)

    cases = build_cases(list(HOLDINGS), forecast_tickers=["ORCH", "NIMB"])
    rate = hit_rate(cases, ask_index, k=3)
    print(f"retrieval hit rate at 3: {rate:.3f} on {len(cases)} questions")
    assert rate >= 0.9, missed_questions(cases, ask_index, k=3)


def test_index_follows_an_edit(session, chat_settings):
    user = make_portfolio(session, {"MEDX": (7.0, 50.0)})
    question = parse_question("How many shares of MEDX do I own?", names={"MEDX": None}, own=["MEDX"])
    before = retrieve(session, settings=chat_settings, user=user, question=question, k=1)[0]
    assert before.metadata["key"] == "holding:MEDX" and "7 shares" in before.page_content
    stock = list_holdings(session, owner=user)[0][0]
    buy = ActivityCreate(date=LAST_PRICE_DATE, ticker="MEDX", type="buy", quantity=5.0, price=stock.avg_cost)
    record_activity(session, owner=user, data=buy)  # holdings change through activities
    after = retrieve(session, settings=chat_settings, user=user, question=question, k=1)[0]
    assert "12 shares" in after.page_content


def test_reindex_user_counts_documents(session, chat_settings):
    user = make_portfolio(session, {"ORCH": (1.0, 10.0)})
    # portfolio, risk, holding, transactions and price facts for ORCH
    assert reindex_user(session, settings=chat_settings, user=user) >= 5
