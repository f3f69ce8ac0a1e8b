"""The Backtests page's realised accuracy over time: the figures drawn are the service's."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from sqlalchemy import delete

from core.db.session import session_scope
from core.db.tables import PredictionHistory
from core.forecasting.accuracy import realised_by_month, update_realised
from core.forecasting.replay import ReplayConfig, replay_ticker
from tests.ui.conftest import error_texts, open_page
from ui.loaders import load_realised_by_month

CONFIG = ReplayConfig(members=("naive", "drift"), months=13, refit_months=4)


@pytest.fixture
def replayed_ko(ui_settings):
    """A year of replayed KO forecasts, scored, committed for the page; removed afterwards."""
    with session_scope(ui_settings) as session:
        replay_ticker(session, ticker="KO", config=CONFIG)
        update_realised(session)
    yield "KO"
    with session_scope(ui_settings) as session:
        session.execute(delete(PredictionHistory).where(PredictionHistory.replayed.is_(True)))
    load_realised_by_month.clear()


def _values(array) -> list[float]:
    """A plotly trace's y: a list, or a typed array (`{"dtype", "bdata"}`) in plotly's JSON."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"])).tolist()
    return [float(v) for v in array]


def test_the_chart_and_table_show_the_services_monthly_figures(ui_settings, demo_user, replayed_ko):
    at = open_page("pages/4_Backtests.py", demo_user)
    at.selectbox(key="acc_ticker").select(replayed_ko)
    at.slider(key="acc_window").set_value(1)
    at = at.run()
    assert not at.exception and not error_texts(at)

    from core.auth.service import get_user

    with session_scope(ui_settings) as session:
        user = get_user(session, user_id=demo_user.user_id)
        expected = realised_by_month(session, ticker=replayed_ko, replayed=True, visible_to=user)
    ensemble = expected[expected["model"] == "ensemble"]
    assert len(ensemble) >= 12

    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    chart = next(c for c in charts if "Realised accuracy" in c["layout"]["title"]["text"])
    traces = {trace["name"]: trace for trace in chart["data"]}
    assert _values(traces["ensemble MASE"]["y"]) == pytest.approx(ensemble["mase"].tolist())
    assert _values(traces["ensemble 80%"]["y"]) == pytest.approx(ensemble["coverage_80"].tolist())
    assert _values(traces["ensemble 95%"]["y"]) == pytest.approx(ensemble["coverage_95"].tolist())
    assert {"naive MASE", "drift MASE"} & set(traces)

    table = next(frame.value for frame in at.dataframe if "Month" in frame.value.columns)
    shown = table[table["Model"] == "ensemble"]
    assert shown["MASE"].tolist() == pytest.approx(ensemble["mase"].tolist())
    assert shown["Forecasts scored"].tolist() == ensemble["n"].tolist()
    assert any("Monitoring experiment in MLflow" in m.value for m in at.markdown)
    links = [m.value for m in at.markdown if "Monitoring experiment" in m.value]
    assert ui_settings.mlflow_ui_url in links[0]


def test_without_replayed_forecasts_the_section_says_how_to_make_them(ui_settings, demo_user):
    load_realised_by_month.clear()
    at = open_page("pages/4_Backtests.py", demo_user)
    assert not at.exception
    assert any("python -m core replay" in info.value for info in at.info)


def test_models_scored_over_different_periods_are_said_to_be():
    from ui.accuracy import different_periods_note

    same = {"naive": ("2016-01", "2016-12"), "arima": ("2016-01", "2016-12")}
    assert different_periods_note(same) is None
    note = different_periods_note({"naive": ("2016-01", "2016-12"), "lstm": ("2016-04", "2016-12")})
    assert note is not None and "different periods" in note and "lstm 2016-04 to 2016-12" in note
