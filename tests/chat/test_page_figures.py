"""The chat's figures are the pages' figures: the Portfolio page (AppTest, the demo portfolio)
and the chat, asked as the same user, show the same text for every KPI and risk figure."""

from __future__ import annotations

from core.chat.service import ask
from core.db.session import session_scope
from core.db.tables import User
from tests.ui.conftest import demo_user, open_page, ui_database, ui_settings  # noqa: F401

PAGE = "pages/1_Portfolio.py"


def _ask(settings, user_id: int, message: str) -> str:
    with session_scope(settings) as session:
        return ask(session, settings=settings, user=session.get(User, user_id), message=message).answer


def test_risk_and_value_figures_match_the_portfolio_page(ui_settings, demo_user):  # noqa: F811
    at = open_page(PAGE, demo_user)
    assert not at.exception
    shown = {metric.label: metric.value for metric in at.metric}
    risk = _ask(ui_settings, demo_user.user_id, "How risky is my portfolio?")
    # Beta was "n/a" in the chat while the page showed one: the chat now uses the page's benchmark.
    assert shown["Beta"] not in ("—", "") and f"beta {shown['Beta']}" in risk
    assert f"Sharpe ratio {shown['Sharpe']}" in risk
    for label, words in [
        ("TWR", "time-weighted return"),
        ("XIRR", "XIRR"),
        ("Volatility (ann.)", "annualised volatility"),
        ("Max drawdown", "maximum drawdown"),
    ]:
        assert f"{words} {shown[label]}" in risk, (label, shown[label], risk)
    value = _ask(ui_settings, demo_user.user_id, "What is my portfolio worth?")
    assert f"worth {shown['Market value']}" in value

    ledger = {
        "How much cash do I have?": ["Cash"],
        "What is my realised P&L?": ["Realised P&L"],
        "What fees have I paid?": ["Dividends", "Fees charged", "Trading commissions", "Net income"],
    }
    for question, labels in ledger.items():
        answer = _ask(ui_settings, demo_user.user_id, question)
        for label in labels:
            assert shown[label] in answer, (question, label, shown[label], answer)
