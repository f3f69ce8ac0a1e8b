"""Price alerts (above / below a level, or a one-day move of more than N percent) and the
watchlist, per user. Alerts are evaluated against each ticker's latest stored bar whenever
prices are refreshed (`core.jobs.refresh.refresh_prices`); a triggered alert records when
and why, stops being active, and is shown to its owner through `list_alerts`.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.auth.permissions import ensure_can_write
from core.db.tables import AlertKind, PriceAlert, User, WatchlistItem, utcnow
from core.errors import ConflictError, InvalidInputError, NotFoundError
from core.formatting import money, plain_percent, signed_percent
from core.market.repository import known_tickers, last_two_closes, recent_closes
from core.portfolio.schemas import PriceAlertCreate, WatchlistItemCreate, WatchlistItemRead

logger = logging.getLogger(__name__)


def _ensure_known(session: Session, ticker: str) -> None:
    if not known_tickers(session, [ticker]):
        raise InvalidInputError(f"unknown ticker {ticker}: no metadata or prices stored")


def create_alert(session: Session, *, owner: User, data: PriceAlertCreate) -> PriceAlert:
    ensure_can_write(owner)
    _ensure_known(session, data.ticker)
    alert = PriceAlert(owner_id=owner.id, ticker=data.ticker, kind=data.kind, threshold=data.threshold, active=True)
    session.add(alert)
    session.flush()
    return alert


def list_alerts(session: Session, *, owner: User, triggered: bool | None = None) -> list[PriceAlert]:
    """The owner's alerts, newest first; `triggered` filters on whether they have fired."""
    query = select(PriceAlert).where(PriceAlert.owner_id == owner.id)
    if triggered is True:
        query = query.where(PriceAlert.triggered_at.is_not(None))
    elif triggered is False:
        query = query.where(PriceAlert.triggered_at.is_(None))
    return list(session.scalars(query.order_by(PriceAlert.created_at.desc(), PriceAlert.id.desc())))


def delete_alert(session: Session, *, owner: User, alert_id: int) -> None:
    ensure_can_write(owner)
    alert = session.scalar(select(PriceAlert).where(PriceAlert.id == alert_id, PriceAlert.owner_id == owner.id))
    if alert is None:
        raise NotFoundError(f"alert {alert_id} not found")
    session.delete(alert)
    session.flush()


def alert_message(alert: PriceAlert, bars: list) -> str | None:
    """Why the alert fires on the latest bar(s) (newest first), or None if it does not."""
    if not bars:
        return None
    (day, close), previous = bars[0], (bars[1] if len(bars) > 1 else None)
    kind = AlertKind(alert.kind)
    if kind == AlertKind.ABOVE and close > alert.threshold:
        return f"{alert.ticker} closed at {money(close)} on {day}, above {money(alert.threshold)}"
    if kind == AlertKind.BELOW and close < alert.threshold:
        return f"{alert.ticker} closed at {money(close)} on {day}, below {money(alert.threshold)}"
    if kind == AlertKind.MOVE_PCT and previous is not None and previous[1]:
        move = close / previous[1] - 1.0
        if abs(move) * 100.0 > alert.threshold:
            limit = plain_percent(alert.threshold / 100.0, 2)
            return f"{alert.ticker} moved {signed_percent(move)} on {day} (close {money(close)}), more than {limit}"
    return None


def describe_rule(kind: AlertKind | str, threshold: float) -> str:
    """An alert's condition in words: "Closes above $150.00", "Moves more than 5.00% in a day"."""
    kind = AlertKind(kind)
    if kind == AlertKind.ABOVE:
        return f"Closes above {money(threshold)}"
    if kind == AlertKind.BELOW:
        return f"Closes below {money(threshold)}"
    return f"Moves more than {plain_percent(threshold / 100.0, 2)} in a day"


def evaluate_alerts(
    session: Session, *, tickers: list[str] | None = None, owner: User | None = None
) -> list[PriceAlert]:
    """Fire every active alert (on `tickers`, or all; of `owner`, or everyone's) whose condition
    holds on the latest bar."""
    query = select(PriceAlert).where(PriceAlert.active.is_(True))
    if tickers is not None:
        query = query.where(PriceAlert.ticker.in_(tickers))
    if owner is not None:
        query = query.where(PriceAlert.owner_id == owner.id)
    alerts = list(session.scalars(query))
    if not alerts:
        return []
    bars = last_two_closes(session, {alert.ticker for alert in alerts})
    fired = []
    for alert in alerts:
        message = alert_message(alert, bars.get(alert.ticker, []))
        if message is None:
            continue
        alert.active = False
        alert.triggered_at = utcnow()
        alert.triggered_date = bars[alert.ticker][0][0]
        alert.triggered_message = message
        fired.append(alert)
    session.flush()
    if fired:
        logger.info("price alerts triggered", extra={"count": len(fired)})
    return fired


# --- watchlist ------------------------------------------------------------------------------


def add_to_watchlist(session: Session, *, owner: User, data: WatchlistItemCreate) -> WatchlistItem:
    ensure_can_write(owner)
    _ensure_known(session, data.ticker)
    exists = select(WatchlistItem.id).where(WatchlistItem.owner_id == owner.id, WatchlistItem.ticker == data.ticker)
    if session.scalar(exists) is not None:
        raise ConflictError(f"{data.ticker} is already on the watchlist")
    item = WatchlistItem(owner_id=owner.id, ticker=data.ticker)
    try:
        with session.begin_nested():  # a concurrent add of the same ticker
            session.add(item)
            session.flush()
    except IntegrityError as exc:
        if item in session:
            session.expunge(item)
        raise ConflictError(f"{data.ticker} is already on the watchlist") from exc
    return item


def list_watchlist(session: Session, *, owner: User, sparkline_days: int = 30) -> list[WatchlistItemRead]:
    """The owner's tickers with the latest close, its change on the previous close, and the
    last `sparkline_days` closes (oldest first)."""
    items = list(
        session.scalars(select(WatchlistItem).where(WatchlistItem.owner_id == owner.id).order_by(WatchlistItem.ticker))
    )
    bars = recent_closes(session, {item.ticker for item in items}, max(2, sparkline_days)) if items else {}
    return [_watch_row(item, bars.get(item.ticker, []), sparkline_days) for item in items]


def _watch_row(item: WatchlistItem, bars: list[tuple], sparkline_days: int) -> WatchlistItemRead:
    read = WatchlistItemRead.model_validate(item)
    if not bars:
        return read
    read.last_date, read.last_price = bars[-1]
    read.sparkline = [close for _day, close in bars[-sparkline_days:]] if sparkline_days > 0 else []
    if len(bars) > 1 and bars[-2][1]:
        read.previous_close = bars[-2][1]
        read.day_change = read.last_price - read.previous_close
        read.day_change_pct = read.last_price / read.previous_close - 1.0
    return read


def remove_from_watchlist(session: Session, *, owner: User, ticker: str) -> None:
    ensure_can_write(owner)
    item = session.scalar(
        select(WatchlistItem).where(WatchlistItem.owner_id == owner.id, WatchlistItem.ticker == ticker.upper())
    )
    if item is None:
        raise NotFoundError(f"{ticker.upper()} is not on the watchlist")
    session.delete(item)
    session.flush()
