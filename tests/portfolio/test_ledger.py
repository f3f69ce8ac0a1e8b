"""The ledger: holdings kept consistent, oversells refused, CSV import/export and mappings."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db.tables import Stock, TransactionType
from core.errors import ConflictError, InvalidInputError
from core.portfolio.holdings import add_holding, delete_holding, update_holding
from core.portfolio.ledger import (
    export_transactions,
    import_transactions,
    list_transactions,
    record_transaction,
)
from core.portfolio.schemas import StockCreate, StockUpdate, TransactionCreate
from core.portfolio.transactions_csv import list_import_mappings
from tests.factories import make_user


def _holding(session, owner, ticker):
    return session.scalar(select(Stock).where(Stock.owner_id == owner.id, Stock.ticker == ticker))


def _tx(day, ticker, kind, quantity=0.0, price=0.0, fee=0.0):
    return TransactionCreate(date=day, ticker=ticker, type=kind, quantity=quantity, price=price, fee=fee)


def test_buys_and_sells_keep_the_holding_in_step(session, load_prices):
    load_prices("AAPL")
    user = make_user(session)
    record_transaction(session, owner=user, data=_tx(dt.date(2016, 1, 4), "AAPL", "buy", 10, 100, 10))
    record_transaction(session, owner=user, data=_tx(dt.date(2016, 2, 1), "aapl", "buy", 10, 90))
    stock = _holding(session, user, "AAPL")
    assert stock.quantity == 20 and stock.avg_cost == pytest.approx(1910 / 20)
    assert stock.opened_at == dt.date(2016, 1, 4)

    with pytest.raises(InvalidInputError, match="only 20 held"):
        record_transaction(session, owner=user, data=_tx(dt.date(2016, 3, 1), "AAPL", "sell", 21, 100))
    record_transaction(session, owner=user, data=_tx(dt.date(2016, 3, 1), "AAPL", "sell", 20, 100))
    assert _holding(session, user, "AAPL") is None  # closed positions have no Stock row
    rows, total = list_transactions(session, owner=user)
    assert total == 3 and rows[0].type == TransactionType.SELL


def test_backdated_sell_before_the_buy_is_refused(session, load_prices):
    load_prices("KO")
    user = make_user(session)
    record_transaction(session, owner=user, data=_tx(dt.date(2016, 6, 1), "KO", "buy", 5, 40))
    with pytest.raises(InvalidInputError, match="KO on 2016-05-02"):
        record_transaction(session, owner=user, data=_tx(dt.date(2016, 5, 2), "KO", "sell", 1, 40))


def test_unknown_ticker_is_named(session):
    user = make_user(session)
    with pytest.raises(InvalidInputError, match="XYZQ"):
        record_transaction(session, owner=user, data=_tx(dt.date(2016, 1, 4), "XYZQ", "buy", 1, 1))


def test_transaction_validation():
    with pytest.raises(ValueError, match="quantity greater than 0"):
        _tx(dt.date(2016, 1, 4), "AAPL", "buy", 0, 1)
    with pytest.raises(ValueError, match="future"):
        _tx(dt.date.today() + dt.timedelta(days=2), "AAPL", "buy", 1, 1)
    with pytest.raises(ValueError, match="fee greater than 0"):
        _tx(dt.date(2016, 1, 4), "AAPL", "fee")
    with pytest.raises(ValueError, match="before 1900"):
        _tx(dt.date(1, 1, 1), "AAPL", "buy", 1, 1)
    with pytest.raises(ValueError, match="less than or equal"):
        _tx(dt.date(2016, 1, 4), "AAPL", "buy", 1e300, 1e300)


def test_hand_added_holding_records_an_opening_buy(session, load_prices):
    load_prices("GE")
    user = make_user(session)
    stock = add_holding(
        session, owner=user, data=StockCreate(ticker="GE", quantity=5, avg_cost=30, opened_at=dt.date(2015, 1, 2))
    )
    rows, _ = list_transactions(session, owner=user)
    assert [(r.date, r.type, r.quantity, r.price) for r in rows] == [(dt.date(2015, 1, 2), "buy", 5, 30)]

    # Quantity and cost come from the ledger: an edit would rewrite the buy, so it is refused.
    with pytest.raises(ConflictError, match="record a buy or sell of GE"):
        update_holding(session, owner=user, stock_id=stock.id, data=StockUpdate(quantity=8, avg_cost=31))
    update_holding(session, owner=user, stock_id=stock.id, data=StockUpdate(notes="long term"))
    assert stock.notes == "long term" and stock.quantity == 5
    rows, _ = list_transactions(session, owner=user)
    assert (rows[0].quantity, rows[0].price) == (5, 30)

    delete_holding(session, owner=user, stock_id=stock.id)
    assert list_transactions(session, owner=user)[1] == 0


def test_hand_added_holding_is_dated_by_the_last_price_not_the_clock(session, load_prices):
    load_prices("GE")
    user = make_user(session)
    stock = add_holding(session, owner=user, data=StockCreate(ticker="GE", quantity=5, avg_cost=30))
    assert stock.opened_at == dt.date(2016, 12, 30)  # the last bundled close
    with pytest.raises(InvalidInputError, match="after the last stored price of KO"):
        load_prices("KO")
        add_holding(
            session, owner=user, data=StockCreate(ticker="KO", quantity=1, avg_cost=40, opened_at=dt.date(2017, 1, 3))
        )
    with pytest.raises(InvalidInputError, match="unknown ticker ZZZZ"):
        add_holding(session, owner=user, data=StockCreate(ticker="ZZZZ", quantity=1, avg_cost=1))


def test_editing_a_traded_holding_must_go_through_the_ledger(session, load_prices):
    load_prices("JPM")
    user = make_user(session)
    record_transaction(session, owner=user, data=_tx(dt.date(2016, 1, 4), "JPM", "buy", 10, 60))
    record_transaction(session, owner=user, data=_tx(dt.date(2016, 2, 1), "JPM", "buy", 10, 55))
    stock = _holding(session, user, "JPM")
    update_holding(session, owner=user, stock_id=stock.id, data=StockUpdate(notes="core position"))
    with pytest.raises(ConflictError, match="record a buy or sell"):
        update_holding(session, owner=user, stock_id=stock.id, data=StockUpdate(quantity=3))


CSV = """date,ticker,type,quantity,price,fee,comment
2016-01-04,AAPL,buy,10,105.35,4.95,first
2016-02-01,MSFT,buy,20,54.71,4.95,
2016-03-01,MSFT,dividend,20,0.36,0,
2016-06-01,AAPL,sell,4,98.46,4.95,
2016-07-01,AAPL,fee,0,0,2.5,
"""


def test_import_export_round_trip(session, load_prices):
    load_prices("AAPL", "MSFT")
    user = make_user(session)
    result = import_transactions(session, owner=user, content=CSV.encode())
    assert result.imported == 5 and result.tickers == ["AAPL", "MSFT"]
    assert _holding(session, user, "AAPL").quantity == 6

    exported = export_transactions(session, owner=user)
    assert exported.splitlines()[0] == "date,ticker,type,quantity,price,fee,amount"
    assert exported.splitlines()[1] == "2016-01-04,AAPL,buy,10,105.35,4.95,0.0"
    other = make_user(session)
    assert import_transactions(session, owner=other, content=exported).imported == 5
    assert export_transactions(session, owner=other) == exported


def test_bad_file_reports_every_row_and_writes_nothing(session, load_prices):
    load_prices("AAPL")
    user = make_user(session)
    bad = (
        "date,ticker,type,quantity,price,fee\n"
        "2016-01-04,AAPL,buy,10,100,0\n"
        "2016-01-05,AAPL,sell,11,100,0\n"
        "2016-01-06,NOPE,buy,1,1,0\n"
        "01/07/2016,AAPL,buy,1,1,0\n"
        "2016-01-08,AAPL,swap,1,1,0\n"
        "2016-01-11,AAPL,buy,-3,1,0\n"
    )
    with pytest.raises(InvalidInputError) as caught:
        import_transactions(session, owner=user, content=bad)
    report = {(d["row"], d["column"]) for d in caught.value.details}
    assert report == {(3, "quantity"), (4, "ticker"), (5, "date"), (6, "type"), (7, "quantity")}
    assert "NOPE" in next(d["reason"] for d in caught.value.details if d["row"] == 4)
    assert list_transactions(session, owner=user)[1] == 0
    assert _holding(session, user, "AAPL") is None


def test_broker_export_with_a_saved_mapping(session, load_prices):
    load_prices("MSFT")
    user = make_user(session)
    broker = "Trade Date,Symbol,Action,Shares,Price,Commission\n2016-03-01,MSFT,Bought,10,50.2,1\n"
    mapping = {"Trade Date": "date", "Symbol": "ticker", "Action": "type", "Shares": "quantity", "Commission": "fee"}
    import_transactions(session, owner=user, content=broker, mapping=mapping, save_mapping_as="mybroker")
    assert list_import_mappings(session, owner=user)["mybroker"]["trade date"] == "date"
    again = "Trade Date,Symbol,Action,Shares,Price,Commission\n2016-04-01,MSFT,Sold,4,55,1\n"
    import_transactions(session, owner=user, content=again, mapping_name="mybroker")
    assert _holding(session, user, "MSFT").quantity == 6
    with pytest.raises(InvalidInputError, match="unknown columns"):
        import_transactions(session, owner=user, content=broker, mapping={"Symbol": "instrument"})
