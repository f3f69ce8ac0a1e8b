"""Price alerts fire on refresh and are shown to their owner; the watchlist."""

from __future__ import annotations

import pytest

from core.db.tables import AlertKind
from core.errors import ConflictError, InvalidInputError, NotFoundError
from core.jobs.refresh import refresh_prices
from core.portfolio.alerts import (
    add_to_watchlist,
    create_alert,
    delete_alert,
    list_alerts,
    list_watchlist,
    remove_from_watchlist,
)
from core.portfolio.schemas import PriceAlertCreate, WatchlistItemCreate
from tests.factories import make_user

# NVDA's last two bundled closes, and its +29.8 % day (2016-11-11) is long before them.
NVDA_LAST_CLOSE = 106.74


def test_alerts_fire_on_refresh(session, settings, load_prices):
    load_prices("NVDA")
    user = make_user(session)
    above = create_alert(session, owner=user, data=PriceAlertCreate(ticker="nvda", kind=AlertKind.ABOVE, threshold=100))
    below = create_alert(session, owner=user, data=PriceAlertCreate(ticker="NVDA", kind=AlertKind.BELOW, threshold=100))
    move = create_alert(
        session, owner=user, data=PriceAlertCreate(ticker="NVDA", kind=AlertKind.MOVE_PCT, threshold=0.5)
    )
    calm = create_alert(
        session, owner=user, data=PriceAlertCreate(ticker="NVDA", kind=AlertKind.MOVE_PCT, threshold=50)
    )

    report = refresh_prices(session, settings=settings, tickers=["NVDA"])
    assert report.alerts_triggered == 2
    assert above.triggered_at is not None and not above.active
    assert "above $100.00" in above.triggered_message and str(NVDA_LAST_CLOSE) in above.triggered_message
    assert move.triggered_at is not None and "moved" in move.triggered_message
    assert below.active and calm.active
    assert {a.id for a in list_alerts(session, owner=user, triggered=True)} == {above.id, move.id}
    # A triggered alert does not fire twice.
    assert refresh_prices(session, settings=settings, tickers=["NVDA"]).alerts_triggered == 0


def test_alerts_belong_to_their_owner(session, load_prices):
    load_prices("NVDA")
    alice, bob = make_user(session), make_user(session)
    alert = create_alert(session, owner=alice, data=PriceAlertCreate(ticker="NVDA", kind="above", threshold=1))
    assert list_alerts(session, owner=bob) == []
    with pytest.raises(NotFoundError):
        delete_alert(session, owner=bob, alert_id=alert.id)
    delete_alert(session, owner=alice, alert_id=alert.id)
    assert list_alerts(session, owner=alice) == []
    with pytest.raises(InvalidInputError, match="ZZZZ"):
        create_alert(session, owner=alice, data=PriceAlertCreate(ticker="ZZZZ", kind="above", threshold=1))


def test_watchlist(session, load_prices):
    load_prices("NVDA")
    user = make_user(session)
    add_to_watchlist(session, owner=user, data=WatchlistItemCreate(ticker="nvda"))
    with pytest.raises(ConflictError):
        add_to_watchlist(session, owner=user, data=WatchlistItemCreate(ticker="NVDA"))
    [item] = list_watchlist(session, owner=user)
    assert item.ticker == "NVDA" and item.last_price == pytest.approx(NVDA_LAST_CLOSE)
    remove_from_watchlist(session, owner=user, ticker="nvda")
    assert list_watchlist(session, owner=user) == []


def test_watchlist_day_change_and_sparkline_match_the_stored_closes(session, load_prices):
    from core.market.service import get_price_history

    load_prices("NVDA")
    user = make_user(session)
    add_to_watchlist(session, owner=user, data=WatchlistItemCreate(ticker="NVDA"))
    [item] = list_watchlist(session, owner=user, sparkline_days=20)
    closes = get_price_history(session, ticker="NVDA")["close"]
    last, previous = float(closes.iloc[-1]), float(closes.iloc[-2])
    assert item.last_date == closes.index[-1].date()
    assert item.previous_close == pytest.approx(previous)
    assert item.day_change == pytest.approx(last - previous)
    assert item.day_change_pct == pytest.approx(last / previous - 1)
    assert item.sparkline == pytest.approx([float(c) for c in closes.iloc[-20:]])


def test_checking_one_owners_alerts_leaves_the_others(session, load_prices):
    from core.portfolio.alerts import evaluate_alerts

    load_prices("NVDA")
    alice, bob = make_user(session), make_user(session)
    mine = create_alert(session, owner=alice, data=PriceAlertCreate(ticker="NVDA", kind="above", threshold=1))
    theirs = create_alert(session, owner=bob, data=PriceAlertCreate(ticker="NVDA", kind="above", threshold=1))
    assert evaluate_alerts(session, owner=alice) == [mine]
    assert not mine.active and theirs.active
