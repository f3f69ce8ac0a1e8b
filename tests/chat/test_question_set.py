"""The held-out question set (tests/chat/question_set.json): every answer carries the figures
the owning services compute, written as the pages write them, for a ledger with every kind of
activity (buys, a fully sold ticker, a dividend, a fee, a deposit and a withdrawal)."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pytest
from sqlalchemy import update

from core.chat import repository
from core.chat.intents import parse_question
from core.chat.service import ask
from core.db.tables import Ticker, TransactionType
from core.portfolio.activities import record_activity, traded_tickers
from core.portfolio.analytics import DEFAULT_BENCHMARK
from core.portfolio.holdings import held_tickers
from core.portfolio.schemas import ActivityCreate
from tests.chat.factories import add_ticker, make_portfolio, record_forecast
from tests.chat.question_set import build_figure_book, hit_rate_by_intent, judge, load_question_set

QUESTION_SET = Path(__file__).with_name("question_set.json")
HOLDINGS = {"ORCH": (40.0, 45.0), "VOLT": (25.0, 95.0), "NIMB": (10.0, 100.0)}
UNHELD, FORECAST = "MEDX", "NIMB"


def _close(closes, day: dt.date) -> float:
    return float(closes[closes.index <= str(day)].iloc[-1])


def _record(session, user, day: dt.date, kind: TransactionType, **fields) -> None:
    record_activity(session, owner=user, data=ActivityCreate(date=day, type=kind, **fields))


@pytest.fixture
def ledger_investor(session):
    """Holdings through the holdings service, then every other kind of activity."""
    user = make_portfolio(session, HOLDINGS)
    _record(session, user, dt.date(2026, 2, 2), TransactionType.DEPOSIT, amount=12_000.0)
    cran = add_ticker(session, "CRAN")
    for day, kind in ((dt.date(2026, 4, 1), TransactionType.BUY), (dt.date(2026, 9, 1), TransactionType.SELL)):
        _record(session, user, day, kind, ticker="CRAN", quantity=50, price=_close(cran, day), fee=4.95)
    _record(session, user, dt.date(2026, 6, 15), TransactionType.DIVIDEND, ticker="ORCH", quantity=40, price=0.5)
    _record(session, user, dt.date(2026, 7, 1), TransactionType.FEE, ticker="NIMB", fee=12.5)
    _record(session, user, dt.date(2026, 10, 1), TransactionType.WITHDRAWAL, amount=750.0)
    add_ticker(session, UNHELD)
    # The equal-weight benchmark is made of the bundled tickers: make these count as such.
    session.execute(update(Ticker).where(Ticker.symbol.in_([*HOLDINGS, "CRAN", UNHELD])).values(source="bundled"))
    record_forecast(session, user=user, ticker=FORECAST)
    session.flush()
    return user


def _book(session, user):
    return build_figure_book(session, user=user, benchmark=DEFAULT_BENCHMARK, unheld=UNHELD, forecast=FORECAST)


def _names(session, user):
    own = held_tickers(session, owner=user) + traded_tickers(session, owner=user)
    return repository.all_ticker_names(session), own


def test_the_set_is_large_and_covers_every_intent():
    cases = load_question_set(QUESTION_SET)
    assert len(cases) >= 40
    wanted = {"largest_smallest", "closed", "income", "cash", "risk", "forecast", "advice", "out_of_scope"}
    assert wanted <= {case.intent for case in cases}


def test_every_answer_has_its_service_figures(session, chat_settings, ledger_investor):
    book = _book(session, ledger_investor)
    assert book.read("performance.beta") is not None and book.read("cash.tracked")
    assert book.slots["closed"] == "CRAN"
    names, own = _names(session, ledger_investor)
    verdicts = []
    for case in load_question_set(QUESTION_SET):
        text = book.fill(case.question)
        reply = ask(session, settings=chat_settings, user=ledger_investor, message=text)
        intent = parse_question(text, names=names, own=own).intent
        verdicts.append(judge(case, book, intent=intent, answer=reply.answer, sources=reply.sources))
    misses = [(v.question, v.missing) for v in verdicts if not v.hit]
    assert not misses, misses
    assert all(hits == total for hits, total in hit_rate_by_intent(verdicts).values())


def test_a_judge_that_can_fail(session, ledger_investor):
    """The judge misses a figure that is not in the answer, a wrong intent and a cited source."""
    book = _book(session, ledger_investor)
    [case] = [c for c in load_question_set(QUESTION_SET) if c.question == "What's the weather in Paris?"]
    verdict = judge(case, book, intent="value", answer="It is sunny.", sources=["a source"])
    assert not verdict.hit and len(verdict.missing) == 3


def test_a_model_that_is_down_still_gives_the_grounded_figures(session, chat_settings, ledger_investor):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = chat_settings.model_copy(
        update={"ollama_host": f"http://127.0.0.1:{port}", "ollama_model": "llama3.2", "llm_timeout_seconds": 2}
    )
    book = _book(session, ledger_investor)
    names, own = _names(session, ledger_investor)
    chosen = {"What is my biggest holding?", "Which positions have I closed?", "What fees have I paid?"}
    chosen |= {"Should I buy {unheld}?", "How risky is my portfolio?"}
    for case in [c for c in load_question_set(QUESTION_SET) if c.question in chosen]:
        text = book.fill(case.question)
        reply = ask(session, settings=settings, user=ledger_investor, message=text)
        assert reply.notice and "could not answer" in reply.notice and "Ollama" in reply.notice
        intent = parse_question(text, names=names, own=own).intent
        verdict = judge(case, book, intent=intent, answer=reply.answer, sources=reply.sources)
        assert verdict.hit, (text, verdict.missing)


def test_closed_positions_are_indexed(session, chat_settings, ledger_investor):
    from core.chat.documents import build_user_documents
    from core.formatting import signed_money

    closed = _book(session, ledger_investor).read("closed.CRAN")
    built = build_user_documents(session, settings=chat_settings, user=ledger_investor)
    [document] = [d for d in built if d.metadata["key"] == "closed:CRAN"]
    assert signed_money(closed.realized_pnl) in document.page_content and "no longer held" in document.page_content
