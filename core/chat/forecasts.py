"""Grounded answers about forecasts: the forecast for a ticker with its backtested skill, the
most accurate model, and how the user's recorded predictions did. Numbers come from the
recorded predictions, the forecasting service, the tracked backtests and `realised_accuracy`.

Every forecast answer ends with `NOT_ADVICE`: a forecast is an estimate, never a recommendation.
"""

from __future__ import annotations

import pandas as pd

from core.chat import repository
from core.chat.backtests import backtest_table, describe_backtest, describe_skill, tracked_skills
from core.chat.context import AskContext, GroundedAnswer, ask_which_ticker
from core.chat.facts import load_ticker_facts
from core.chat.schemas import Source
from core.forecasting.accuracy import realised_accuracy
from core.forecasting.champion import champion_config
from core.forecasting.delivery import compute_served, read_inputs, served_request
from core.forecasting.schemas import ForecastSkill
from core.forecasting.serving import WHAT_IF_VERSION, load_closes, record_forecast
from core.forecasting.skill import SkillRequest, cached_skill
from core.formatting import money, number, plain_percent, signed_percent

NOT_ADVICE = (
    "This is not investment advice: a forecast is a statistical estimate with the uncertainty its intervals "
    "show, and Stockcast does not tell you to buy, sell or hold."
)


def _change(ctx: AskContext, ticker: str, value: float) -> str:
    facts = load_ticker_facts(ctx.session, ticker)
    if facts is None or not facts.last_close:
        return ""
    change = value / facts.last_close - 1
    return f", {signed_percent(change)} from the last close of {money(facts.last_close)} on {facts.last_date}"


def skill_sentence(ctx: AskContext, ticker: str, model: str, skill=None) -> str:
    """The backtested skill of `model` on `ticker`: the given one, else the latest tracked
    backtest of that model, as the Backtests page shows."""
    if skill is None:
        skill = next((s for s in tracked_skills(ctx.settings, ticker, model) if s.model == model), None)
    if skill is None:
        return (
            f" No backtest of the {model} model on {ticker} is tracked yet, so its skill against the naive forecast "
            "is unknown: run one on the Backtests page before trusting this forecast."
        )
    return f" Backtested skill of {model} on {ticker}: {describe_skill(skill)}."


def exact_skill_sentence(skill: ForecastSkill | None, request: SkillRequest) -> str:
    """The skill of exactly the configuration quoted (the one the Predictions and Stock pages
    show for it), or why there is none yet."""
    if skill is None:
        return (
            f" The skill of exactly this configuration ({request.describe()}, {request.horizon} sessions ahead) "
            "has not been measured yet: the Predictions page measures it, and the retrain job does for held and "
            "watched tickers. Until then treat it as no better than the naive forecast."
        )
    return (
        f" Backtested skill of exactly this configuration ({skill.description}, {skill.horizon} sessions ahead, "
        f"{skill.folds} origins {skill.origin_span}): {skill.text()}; {describe_skill(skill)}."
    )


def _stored_skill(ctx: AskContext, request: SkillRequest) -> ForecastSkill | None:
    _prices, closes = load_closes(ctx.session, request.ticker)
    return cached_skill(ctx.session, settings=ctx.settings, request=request, closes=closes)


def _recorded_forecast(ctx: AskContext, ticker: str) -> GroundedAnswer | None:
    # An ensemble's members are recorded beside it (version "ensemble:<version>"): the forecast
    # the user was shown is the ensemble's.
    rows = [
        row
        for row in repository.latest_predictions(ctx.session, user=ctx.user, ticker=ticker)
        if ":" not in (row.model_version or "")
    ]
    if not rows:
        return None
    made_at = max(row.made_at for row in rows)
    model = next(row.model for row in rows if row.made_at == made_at)
    batch = [row for row in rows if row.model == model]
    last = batch[-1]
    text = (
        f"The latest forecast for {ticker} ({model} model, made on {made_at:%Y-%m-%d}) is "
        f"{money(last.predicted_value)} on {last.target_date}, {len(batch)} sessions ahead"
        f"{_change(ctx, ticker, last.predicted_value)}; 80% interval {money(last.lo80)} to {money(last.hi80)}, "
        f"95% interval {money(last.lo95)} to {money(last.hi95)}."
    )
    if last.model_version == WHAT_IF_VERSION:
        text += (
            " It was a what-if (your own models, weights or training window): its skill is the one the "
            "Predictions page showed beside it. " + NOT_ADVICE
        )
    else:
        # The recorded forecast's own configuration: its model at its horizon, default members.
        request = SkillRequest.of(ticker=ticker, model=model, horizon=len(batch))
        text += exact_skill_sentence(_stored_skill(ctx, request), request) + " " + NOT_ADVICE
    return GroundedAnswer(
        "forecast", text, [Source(title=f"Forecast {ticker} ({model})", kind="forecast", ticker=ticker)]
    )


def _fresh_forecast(ctx: AskContext, ticker: str) -> GroundedAnswer:
    """The champion configuration's forecast (as the pages default to), with the stored skill
    of exactly that configuration."""
    champion = champion_config(ctx.settings)
    request = served_request(ctx.settings, ticker=ticker, model=champion.model, horizon=champion.horizon)
    inputs = read_inputs(ctx.session, settings=ctx.settings, request=request)
    result = compute_served(ctx.settings, request, inputs)
    record_forecast(ctx.session, result, user=ctx.user)
    frame = result.frame.reset_index() if "date" not in result.frame.columns else result.frame
    last = frame.iloc[-1]
    when = pd.Timestamp(last["date"]).date()
    text = (
        f"The forecast for {ticker} ({result.model} model, {result.source}) is {money(last['mean'])} on {when}, "
        f"{len(frame)} sessions ahead{_change(ctx, ticker, float(last['mean']))}; 80% interval "
        f"{money(last['lo80'])} to {money(last['hi80'])}, 95% interval {money(last['lo95'])} to {money(last['hi95'])}."
    )
    text += exact_skill_sentence(result.skill, request.skill) + " " + NOT_ADVICE
    source = Source(title=f"Forecast {ticker} ({result.model})", kind="forecast", ticker=ticker)
    return GroundedAnswer("forecast", text, [source])


def answer_forecast(ctx: AskContext) -> GroundedAnswer:
    if not ctx.question.tickers:
        return ask_which_ticker(ctx, "forecast", "what is the forecast for AAPL")
    ticker = ctx.question.tickers[0]
    return _recorded_forecast(ctx, ticker) or _fresh_forecast(ctx, ticker)


def _realised(ctx: AskContext, **filters) -> pd.DataFrame:
    return realised_accuracy(ctx.session, user=ctx.user, **filters)


def answer_best_model(ctx: AskContext) -> GroundedAnswer:
    ticker = ctx.question.tickers[0] if ctx.question.tickers else None
    parts, sources = [], []
    if ticker is not None:
        table = backtest_table(ctx.settings, ticker)
        if table is not None:
            parts.append(describe_backtest(ticker, table))
            sources.append(Source(title=f"Backtest {ticker}", kind="backtest", ticker=ticker))
    realised = _realised(ctx, ticker=ticker) if ticker else _realised(ctx)
    if not realised.empty and "mape" in realised.columns:
        # MAPE is scale-free, so models can be compared across tickers too.
        by_model = realised.groupby("model").apply(
            lambda g: pd.Series({"n": g["n"].sum(), "mape": (g["mape"] * g["n"]).sum() / g["n"].sum()}),
            include_groups=False,
        )
        best = by_model["mape"].idxmin()
        scope = f"for {ticker}" if ticker else "across your tickers"
        parts.append(
            f"Among your scored predictions {scope}, the most accurate model is {best} "
            f"(MAPE {number(by_model.loc[best, 'mape'])}% over {int(by_model.loc[best, 'n'])} predictions)."
        )
        sources.append(Source(title=f"Prediction accuracy {ticker or 'all tickers'}", kind="accuracy", ticker=ticker))
    if parts:
        return GroundedAnswer("best_model", " ".join(parts), sources)
    if ticker is None:
        return ask_which_ticker(ctx, "best_model", "which model is most accurate for AAPL")
    text = f"There are no backtest results or scored predictions for {ticker} yet; run one on the Backtests page."
    return GroundedAnswer("best_model", text)


def answer_predictions_review(ctx: AskContext) -> GroundedAnswer:
    realised = _realised(ctx)
    if realised.empty:
        recorded, pending = repository.count_predictions(ctx.session, user=ctx.user)
        if not recorded:
            text = "You have no recorded predictions yet: forecasts you view are recorded and scored later."
        else:
            text = (
                f"None of your {recorded} recorded predictions has been scored yet: "
                f"{pending} are still waiting for their real prices."
            )
        return GroundedAnswer("predictions_review", text)
    lines = [
        f"{row['ticker']} ({row['model']}): {int(row['n'])} predictions, MAE {money(row['mae'])}, "
        f"MAPE {number(row['mape'])}%, inside the 80% interval {plain_percent(row.get('coverage_80'), 0)}, "
        f"inside the 95% interval {plain_percent(row.get('coverage_95'), 0)}"
        for row in realised.sort_values(["ticker", "model"]).to_dict("records")
    ]
    text = f"Your {int(realised['n'].sum())} scored predictions: " + "; ".join(lines) + "."
    return GroundedAnswer("predictions_review", text, [Source(title="Prediction accuracy", kind="accuracy")])
