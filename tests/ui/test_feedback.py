"""Pages degrade with a message, never a traceback, when a service is missing or fails."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui.feedback import FeatureUnavailable, feature_exists, load_feature


def test_a_missing_service_is_reported_as_unavailable_with_its_name():
    with pytest.raises(FeatureUnavailable, match=r"Portfolio magic is not available.*core\.no_such_area"):
        load_feature("core.no_such_area.service", "compute", "Portfolio magic")
    with pytest.raises(FeatureUnavailable, match=r"core\.errors\.no_such_function"):
        load_feature("core.errors", "no_such_function", "Something")
    assert feature_exists("core.errors", "CoreError")
    with pytest.raises(ModuleNotFoundError):  # a third-party package missing is a real error
        load_feature("no_such_package_anywhere", "x", "X")


def page_with_failures() -> None:
    import streamlit as st

    from core.errors import InvalidInputError, ServiceUnavailableError
    from ui.feedback import load_feature, shown_errors

    with shown_errors("load a missing service"):
        load_feature("core.not_built_yet", "thing", "The thing")
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
    assert "The thing is not available" in at.info[0].value
    assert [e.value for e in at.error] == [
        "2 problems in the file",
        "Could not do something surprising: an unexpected error happened. It was logged for the administrator.",
    ]
    assert at.dataframe[0].value["reason"].tolist() == ["bad"]
    assert at.warning[0].value == "the price provider is down"
    assert at.markdown[-1].value == "the page goes on"
