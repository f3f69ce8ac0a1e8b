"""The Portfolio page's forms change the database, with clear messages for bad input."""

from __future__ import annotations

from core.auth.service import get_user
from core.db.session import session_scope
from core.portfolio.holdings import list_holdings
from tests.ui.conftest import error_texts, open_page

PAGE = "pages/1_Portfolio.py"


def holdings_in_db(settings, user_id: int) -> dict[str, tuple[float, float]]:
    with session_scope(settings) as session:
        rows, _ = list_holdings(session, owner=get_user(session, user_id=user_id))
        return {row.ticker: (row.quantity, row.avg_cost) for row in rows}


def add_through_form(at, ticker: str, quantity: float, cost: float):
    at.text_input(key="add_ticker").input(ticker)
    at.number_input(key="add_quantity").set_value(quantity)
    at.number_input(key="add_cost").set_value(cost)
    return submit(at, "Add holding")


def submit(at, label: str):
    return next(button for button in at.button if button.label == label).click().run()


def test_a_holding_added_through_the_page_is_in_the_database(ui_settings, empty_user):
    at = open_page(PAGE, empty_user)
    assert "No holdings yet" in at.info[0].value
    at = add_through_form(at, "msft", 12, 250.5)
    assert not at.exception and not error_texts(at)
    assert holdings_in_db(ui_settings, empty_user.user_id) == {"MSFT": (12.0, 250.5)}
    assert at.success[0].value == r"Added 12 MSFT at \$250.50."
    assert not any("No holdings yet" in info.value for info in at.info)


def test_invalid_input_is_explained_and_nothing_is_written(ui_settings, empty_user):
    at = add_through_form(open_page(PAGE, empty_user), "AAPL", 0, 10)
    assert any("Quantity" in text and "greater than 0" in text for text in error_texts(at))
    at = add_through_form(at, "not a ticker!", 1, 10)
    assert any(text.startswith("Please correct the form") and "Ticker" in text for text in error_texts(at))
    assert holdings_in_db(ui_settings, empty_user.user_id) == {}


def test_a_duplicate_holding_is_refused_with_the_reason(ui_settings, empty_user):
    at = add_through_form(open_page(PAGE, empty_user), "KO", 5, 40)
    at = add_through_form(at, "KO", 3, 41)
    assert any("already holds KO" in text for text in error_texts(at))
    assert holdings_in_db(ui_settings, empty_user.user_id) == {"KO": (5.0, 40.0)}


def test_edit_notes_then_delete_a_holding(ui_settings, empty_user):
    at = add_through_form(open_page(PAGE, empty_user), "JNJ", 5, 100)
    # Quantity and cost come from the activities: the holding's form edits only its notes.
    assert not [n for n in at.number_input if (n.key or "").startswith("edit_cost_")]
    (notes_key,) = [t.key for t in at.text_input if (t.key or "").startswith("edit_notes_")]
    at.text_input(key=notes_key).input("core position")
    at = submit(at, "Save changes")
    assert not error_texts(at)
    assert holdings_in_db(ui_settings, empty_user.user_id) == {"JNJ": (5.0, 100.0)}
    at.checkbox(key="delete_confirm").check().run()
    at.button(key="delete_button").click().run()
    assert at.success[0].value == "Deleted JNJ."
    assert holdings_in_db(ui_settings, empty_user.user_id) == {}


def test_viewers_see_the_portfolio_without_forms(ui_settings, viewer):
    at = open_page(PAGE, viewer)
    assert not at.exception and not error_texts(at)
    assert not at.get("form")
    assert any("read-only" in caption.value for caption in at.caption)


def upload_and_import(at, content: str):
    at.file_uploader(key="transactions_upload").upload("broker.csv", content.encode(), "text/csv")
    at = at.run()
    return at.button(key="import_button").click().run()


def test_a_transactions_csv_is_imported_and_exported(ui_settings, empty_user):
    csv = "date,ticker,type,quantity,price,fee\n2015-01-05,AAPL,buy,10,100,1\n2015-02-02,KO,buy,20,40,1\n"
    at = upload_and_import(open_page(PAGE, empty_user), csv)
    assert not at.exception and not error_texts(at)
    assert at.success[0].value == "Imported 2 transactions from broker.csv."
    assert set(holdings_in_db(ui_settings, empty_user.user_id)) == {"AAPL", "KO"}
    download = at.get("download_button")[0]
    assert download.proto.label == "Download transactions CSV"


def test_a_bad_csv_gets_a_row_by_row_report_and_writes_nothing(ui_settings, empty_user):
    csv = "date,ticker,type,quantity,price,fee\n2015-01-05,AAPL,buy,10,100,1\nnot-a-date,KO,buy,-3,40,1\n"
    at = upload_and_import(open_page(PAGE, empty_user), csv)
    assert error_texts(at), "the import error is shown"
    report = at.dataframe[-1].value
    assert {"Row", "Column", "Reason"} <= set(report.columns)  # headers in words
    assert 3 in report["Row"].tolist() or 2 in report["Row"].tolist()
    assert holdings_in_db(ui_settings, empty_user.user_id) == {}


def test_tables_read_as_words_with_the_telling_columns_first(ui_settings, demo_user):
    at = open_page("pages/1_Portfolio.py", demo_user)
    assert not at.exception
    holdings = at.dataframe[0].value
    # What a phone (390 px) shows before scrolling: ticker, value, P&L, day change, weight.
    assert list(holdings.columns)[:5] == ["ticker", "market_value", "unrealized_pnl", "day_change", "weight"]
    activities = next(d for d in at.dataframe if "cash" in d.value.columns).value
    deposits = activities[activities["type"] == "deposit"]
    assert deposits.empty or (deposits["ticker"] == "—").all()  # no raw None for a cash entry's ticker


def test_an_import_shows_its_steps_on_a_bar_and_stops_where_the_ledger_refuses(ui_settings, empty_user):
    csv = "date,ticker,type,quantity,price,fee\n2015-01-05,AAPL,buy,10,100,1\n2015-02-02,AAPL,sell,20,110,1\n"
    at = upload_and_import(open_page(PAGE, empty_user), csv)
    assert error_texts(at), "the oversell is reported"
    [bar] = at.get("progress")
    # core's steps: prices checked (1 of 3), then the ledger refused the sell: nothing written.
    assert (bar.proto.value, bar.proto.text) == (33, "Checking 2 activities against your ledger")
    assert holdings_in_db(ui_settings, empty_user.user_id) == {}
