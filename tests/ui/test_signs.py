"""Losses are drawn as losses: a down arrow and red, whatever minus sign the text carries."""

from __future__ import annotations

import datetime as dt

from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import PAGE_TIMEOUT, error_texts, open_page
from tests.ui.test_portfolio_activities import PAGE, record


def metric_of(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def test_the_helper_draws_a_loss_down_and_red_and_a_gain_up_and_green():
    def page():
        import streamlit as st

        from core.formatting import percent
        from ui.signs import signed_delta

        st.metric("Loss", "x", **signed_delta(-0.0063, percent(-0.0063)))
        st.metric("Gain", "x", **signed_delta(0.0063, percent(0.0063)))
        st.metric("Flat", "x", **signed_delta(0.0, percent(0.0)))
        st.metric("Cost up", "x", **signed_delta(0.01, percent(0.01), higher_is_better=False))

    at = AppTest.from_function(page, default_timeout=PAGE_TIMEOUT).run()
    loss, gain, flat, cost = (metric_of(at, name).proto for name in ("Loss", "Gain", "Flat", "Cost up"))
    assert loss.delta == "−0.63%"  # a real minus, which Streamlit alone would read as a gain
    assert (loss.direction, loss.color) == (MetricProto.MetricDirection.DOWN, MetricProto.MetricColor.RED)
    assert (gain.direction, gain.color) == (MetricProto.MetricDirection.UP, MetricProto.MetricColor.GREEN)
    assert (flat.direction, flat.color) == (MetricProto.MetricDirection.NONE, MetricProto.MetricColor.GRAY)
    assert (cost.direction, cost.color) == (MetricProto.MetricDirection.UP, MetricProto.MetricColor.RED)


def test_a_portfolio_at_a_loss_shows_its_kpi_deltas_down_and_red(ui_settings, empty_user):
    at = open_page(PAGE, empty_user)
    # Bought far above any close: the position is at a loss.
    at = record(at, "Buy", ticker="KO", day=dt.date(2016, 6, 1), quantity=10, price=1000.0)
    assert not error_texts(at), error_texts(at)
    pnl = metric_of(at, "Total P&L").proto
    assert pnl.body.startswith("−$") and pnl.delta.startswith("unrealised −$")
    assert (pnl.direction, pnl.color) == (MetricProto.MetricDirection.DOWN, MetricProto.MetricColor.RED)
