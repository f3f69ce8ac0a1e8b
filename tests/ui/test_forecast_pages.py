"""Predictions and Backtests pages: forecasts with their skill, backtests with their metrics."""

from __future__ import annotations

from tests.ui.conftest import error_texts, open_page


def submit(at, label: str):
    return next(button for button in at.button if button.label == label).click().run()


def test_a_what_if_forecast_shows_a_fan_chart_and_its_skill(ui_settings, demo_user):
    at = open_page("pages/3_Predictions.py", demo_user)
    at.multiselect(key="pred_models").set_value(["drift"])
    at.slider(key="pred_horizon").set_value(5)
    at = submit(at, "Forecast")
    assert not at.exception and not error_texts(at)
    assert at.get("plotly_chart"), "the fan chart is drawn"
    assert at.session_state["predictions_result"].frame.shape[0] == 5
    texts = [w.value for w in at.warning] + [m.label for m in at.metric]
    assert any("naive" in text for text in texts), "the forecast comes with its skill vs naive (or its absence)"


def test_an_ensemble_of_light_models_with_weights(ui_settings, demo_user):
    at = open_page("pages/3_Predictions.py", demo_user)
    at.multiselect(key="pred_models").set_value(["naive", "drift"])
    at.checkbox(key="pred_manual_weights").check()
    at.number_input(key="pred_weight_naive").set_value(0.3)
    at.selectbox(key="pred_window").select("Last year")
    at = submit(at, "Forecast")
    assert not error_texts(at)
    result = at.session_state["predictions_result"]
    assert result.model == "ensemble" and result.what_if


def test_the_portfolio_projection_reports_var_and_es(ui_settings, demo_user):
    at = open_page("pages/3_Predictions.py", demo_user)
    at.slider(key="proj_horizon").set_value(5)
    at = at.button(key="proj_button").click().run()
    assert not error_texts(at)
    labels = [metric.label for metric in at.metric]
    assert "VaR 95%" in labels and "Expected shortfall 95%" in labels


def test_a_backtest_run_from_the_page_shows_metrics_and_charts(ui_settings, demo_user):
    at = open_page("pages/4_Backtests.py", demo_user)
    at.multiselect(key="bt_models").set_value(["naive", "drift"])
    at.slider(key="bt_folds").set_value(3)
    at.checkbox(key="bt_track").uncheck()
    at = submit(at, "Run backtest")
    assert not at.exception and not error_texts(at)
    table = at.dataframe[0].value
    assert set(table.index) == {"naive", "drift"} and "skill_vs_naive" in table.columns
    assert len(at.get("plotly_chart")) == 2


def test_a_tracked_backtest_links_to_its_mlflow_run_and_feeds_the_skill_table(ui_settings, demo_user):
    at = open_page("pages/4_Backtests.py", demo_user)
    at.selectbox(key="bt_ticker").select("KO")
    at.multiselect(key="bt_models").set_value(["drift"])
    at.slider(key="bt_folds").set_value(2)
    at = submit(at, "Run backtest")
    assert not error_texts(at)
    links = [m.value for m in at.markdown if m.value.startswith("**MLflow runs:**")]
    assert links and "[drift](" in links[0] and "/runs/" in links[0]
    # The Predictions page now shows this backtest's skill beside a KO forecast.
    at = open_page("pages/3_Predictions.py", demo_user)
    at.selectbox(key="pred_ticker").select("KO")
    at.multiselect(key="pred_models").set_value(["drift"])
    at = submit(at, "Forecast")
    assert not error_texts(at)
    assert "Skill vs naive" in [metric.label for metric in at.metric]


def test_a_viewer_can_make_a_what_if_forecast(ui_settings, viewer):
    at = open_page("pages/3_Predictions.py", viewer)
    at.multiselect(key="pred_models").set_value(["naive"])
    at = submit(at, "Forecast")
    assert not at.exception
    assert not error_texts(at)
    assert at.session_state["predictions_result"].ticker
