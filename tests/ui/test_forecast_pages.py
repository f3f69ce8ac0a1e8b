"""Predictions and Backtests pages: forecasts with their skill, backtests with their metrics."""

from __future__ import annotations

import json

from core.auth.service import get_user
from core.db.session import session_scope
from core.formatting import number, signed_percent
from core.portfolio.holdings import list_holdings
from tests.ui.conftest import error_texts, open_page
from ui.skill_panels import interval_text


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
    at = at.run()
    at = at.checkbox(key="pred_manual_weights").check().run()
    at.number_input(key="pred_weight_naive").set_value(0.3)
    at.selectbox(key="pred_window").select("Last year")
    at = submit(at, "Forecast")
    assert not error_texts(at)
    result = at.session_state["predictions_result"]
    assert result.model == "ensemble" and result.what_if


def test_weight_inputs_follow_the_models_chosen(ui_settings, demo_user):
    at = open_page("pages/3_Predictions.py", demo_user)
    at = at.multiselect(key="pred_models").set_value(["naive", "drift"]).run()
    at = at.checkbox(key="pred_manual_weights").check().run()
    weight_keys = sorted(n.key for n in at.number_input if (n.key or "").startswith("pred_weight_"))
    assert weight_keys == ["pred_weight_drift", "pred_weight_naive"]
    at = at.multiselect(key="pred_models").set_value(["drift"]).run()  # one model: no weights at all
    assert not [n for n in at.number_input if (n.key or "").startswith("pred_weight_")]


def test_the_portfolio_projection_reports_var_and_es(ui_settings, demo_user):
    at = open_page("pages/3_Predictions.py", demo_user)
    at.slider(key="proj_horizon").set_value(5)
    at = at.button(key="proj_button").click().run()
    assert not error_texts(at)
    labels = [metric.label for metric in at.metric]
    assert "VaR 95%" in labels and "Expected shortfall 95%" in labels
    # The bar followed core's steps, one per holding forecast, to the last one.
    with session_scope(ui_settings) as session:
        held = len(list_holdings(session, owner=get_user(session, user_id=demo_user.user_id))[0])
    [bar] = at.get("progress")
    assert bar.proto.value == 100 and bar.proto.text.endswith(f"({held} of {held})")


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


def _service_skill(settings, **request):
    from core.db.session import session_scope
    from core.forecasting.service import forecast_skill

    with session_scope(settings) as session:
        return forecast_skill(session, settings=settings, **request)


def _shown_skill_captions(at) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("Backtest MASE:")]


def test_the_skill_shown_is_the_skill_service_s_for_default_and_hand_weights(ui_settings, demo_user):
    at = open_page("pages/3_Predictions.py", demo_user)
    at.selectbox(key="pred_ticker").select("JNJ")
    at.multiselect(key="pred_models").set_value(["naive", "drift"])
    at.selectbox(key="pred_window").select("Last year")
    at.slider(key="pred_horizon").set_value(7)
    at = at.run()
    at = at.checkbox(key="pred_manual_weights").check().run()
    at.number_input(key="pred_weight_naive").set_value(0.2)
    at.number_input(key="pred_weight_drift").set_value(0.8)
    at = submit(at, "Forecast")
    assert not at.exception and not error_texts(at)

    request = {"ticker": "JNJ", "model": "ensemble", "horizon": 7, "window": 252, "models": ["naive", "drift"]}
    by_hand = _service_skill(ui_settings, **request, weights={"naive": 0.2, "drift": 0.8})
    default = _service_skill(ui_settings, **request)
    assert by_hand.cached and default.cached, "the page measured both; the service finds them in its cache"
    assert by_hand.mase != default.mase and by_hand.key != default.key

    # Side by side, hand weights first: each panel shows its own configuration's figures.
    skills = [m.value for m in at.metric if m.label == "Skill vs naive"]
    assert skills == [signed_percent(by_hand.skill_vs_naive, 1), signed_percent(default.skill_vs_naive, 1)]
    captions = _shown_skill_captions(at)
    assert len(captions) == 2
    for caption, skill in zip(captions, (by_hand, default), strict=True):
        assert f"Backtest MASE: **{number(skill.mase, 3)}**" in caption
        # No DM test on too few common dates: the dash says why instead of standing alone.
        p_shown = f"{skill.verdict.p_text()}**" if skill.verdict.p_value is not None else "— (no test possible"
        assert f"DM p-value: **{p_shown}" in caption
        assert f"Folds: **{skill.folds}**" in caption and skill.folds == 3
        assert f"Origins: **{skill.first_origin.isoformat()} to {skill.last_origin.isoformat()}**" in caption
        assert "Horizon: **7 sessions**" in caption and "Training window: **last 252 prices**" in caption
        # The intervals are judged against naive's on the same folds, with the service's figures.
        assert skill.interval_skill is not None
        assert f"Intervals vs naive's: **{interval_text(skill)}**" in caption
        assert signed_percent(skill.interval_skill, 1) in interval_text(skill)
    verdicts = [w.value for w in at.warning] + [s.value for s in at.success] + [e.value for e in at.error]
    for skill in (by_hand, default):
        shown = f"This configuration is **{skill.verdict.label}** ({skill.verdict.figures()})."
        assert shown in verdicts
        assert all(text.count(skill.verdict.label) == 1 for text in verdicts if text.startswith("This configuration"))
    # One MASE per model on the screen: the members' inner MASE once each, weights per configuration.
    members = at.dataframe[0].value.set_index("Member")
    assert list(members.columns[:3]) == ["Inner-backtest MASE", "Weight (your weights)", "Weight (default weights)"]
    assert members.loc["naive", "Weight (your weights)"] == "20.0%"
    assert members.loc["drift", "Weight (your weights)"] == "80.0%"
    assert members.index.is_unique and set(members.index) == {"naive", "drift"}
    # The members' own forecasts and the default-weights ensemble are drawn on the fan chart.
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert {"naive", "drift", "ensemble, default weights"} <= {trace.get("name") for trace in figure["data"]}


def test_a_repeated_forecast_takes_its_skill_from_the_cache(ui_settings, demo_user):
    def forecast_once():
        at = open_page("pages/3_Predictions.py", demo_user)
        at.selectbox(key="pred_ticker").select("JNJ")
        at.multiselect(key="pred_models").set_value(["drift"])
        at.slider(key="pred_horizon").set_value(3)
        return submit(at, "Forecast")

    first = forecast_once().session_state["predictions_result"].skill
    second = forecast_once().session_state["predictions_result"].skill
    assert first is not None and not first.cached
    assert second.cached and (second.key, second.mase, second.run_url) == (first.key, first.mase, first.run_url)
