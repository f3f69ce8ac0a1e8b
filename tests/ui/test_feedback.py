"""Pages degrade with a message, never a traceback, when a service fails."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def page_with_failures() -> None:
    import streamlit as st

    from core.errors import InvalidInputError, ServiceUnavailableError
    from ui.feedback import shown_errors

    with shown_errors("import a file"):
        raise InvalidInputError("2 problems in the file", details=[{"row": 2, "column": "date", "reason": "bad"}])
    with shown_errors("reach the provider"):
        raise ServiceUnavailableError("the price provider is down")
    with shown_errors("do something surprising"):
        raise KeyError("boom")
    st.write("the page goes on")


def test_each_failure_becomes_a_message_and_the_page_goes_on():
    at = AppTest.from_function(page_with_failures).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "2 problems in the file",
        "Could not do something surprising: an unexpected error happened. It was logged for the administrator.",
    ]
    assert at.dataframe[0].value["Reason"].tolist() == ["bad"]  # human headers (ui.tables.readable)
    assert at.warning[0].value == "the price provider is down"
    assert at.markdown[-1].value == "the page goes on"
