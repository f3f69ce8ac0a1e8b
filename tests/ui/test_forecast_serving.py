"""The pages default to the champion configuration, show its skill, and the chat quotes the
same skill for the same configuration."""

from __future__ import annotations

from core.auth.acting import run_as
from core.chat.backtests import describe_skill
from core.chat.service import ask
from core.forecasting.champion import champion_config
from tests.ui.conftest import error_texts, open_page


def submit(at, label: str):
    return next(button for button in at.button if button.label == label).click().run()


def test_the_forecast_pages_default_to_the_champion_configuration(ui_settings, demo_user):
    champion = champion_config(ui_settings)
    at = open_page("pages/3_Predictions.py", demo_user)
    assert at.multiselect(key="pred_models").value == list(champion.members)
    assert at.slider(key="pred_horizon").value == champion.horizon

    at = open_page("pages/2_Stock.py", demo_user)
    assert not at.exception and not error_texts(at)
    assert at.selectbox(key="stock_model").value == champion.model
    # The forecast is drawn, then the skill of exactly that model and horizon beside it.
    assert at.get("plotly_chart")
    captions = [c.value for c in at.caption if c.value.startswith("Backtest MASE:")]
    assert captions and f"Horizon: **{champion.horizon} sessions**" in captions[0]


def test_the_chat_quotes_the_skill_the_predictions_page_shows_for_a_10_day_ko_forecast(ui_settings, demo_user):
    at = open_page("pages/3_Predictions.py", demo_user)
    at.selectbox(key="pred_ticker").select("KO")
    at = submit(at, "Forecast")  # the defaults: the champion's models, 10 sessions
    assert not at.exception and not error_texts(at)
    result = at.session_state["predictions_result"]
    shown = result.skill
    assert shown is not None and (shown.ticker, shown.model, shown.horizon) == ("KO", "ensemble", 10)
    assert "Skill vs naive" in [metric.label for metric in at.metric]

    reply = run_as(
        ui_settings,
        demo_user.user_id,
        ask,
        user_arg="user",
        settings=ui_settings,
        message="What is the forecast for KO?",
    )
    # The same configuration's skill: same horizon, folds, origins and models, same figures.
    assert f"({shown.description}, 10 sessions ahead, {shown.folds} origins {shown.origin_span})" in reply.answer
    assert shown.text() in reply.answer and describe_skill(shown) in reply.answer
    assert f"{len(result.frame)} sessions ahead" in reply.answer
