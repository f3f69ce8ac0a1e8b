"""Page fragments for a forecast's honesty: where it came from, the skill of exactly its
configuration, how an ensemble weighs its members, and its table, every figure written by
`core.formatting`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from core.formatting import MISSING, money, number, plain_percent, signed_percent


def progress_reporter(bar: Any) -> Callable[..., None]:
    """A callback for core's progress calls — (done, total[, text]) — drawing on `bar`."""

    def report(*args: Any) -> None:
        done, total = (*args, 0, 0)[:2]
        fraction = float(done) / float(total) if isinstance(total, int | float) and total else 0.0
        text = next((a for a in args if isinstance(a, str)), "Working")
        bar.progress(min(max(fraction, 0.0), 1.0), text=text)

    return report


def render_source(result: Any) -> None:
    """Registry champion or trained now, and any notice (MLflow down, skill not measurable)."""
    if result.source == "champion":
        st.success(f"Registry champion v{result.model_version}" if result.model_version else "Registry champion")
    else:
        st.caption(f"Trained now ({result.model}); no registry champion fitted this request.")
    if result.notice:
        st.info(result.notice)


NO_TEST = "fewer than 3 common forecasts, or errors identical to naive's"


def skill_lines(skill: Any) -> list[tuple[str, str]]:
    """The skill's figures as (label, text) pairs, as the page shows them."""
    verdict = skill.verdict
    window = f"last {number(skill.window, 0)} prices" if skill.window else "all history"
    return [
        ("Backtest MASE", number(skill.mase, 3)),
        ("Naive's backtest MASE", number(skill.naive_mase, 3)),
        ("DM p-value", verdict.p_text() if verdict.p_value is not None else f"{MISSING} (no test possible: {NO_TEST})"),
        ("Folds", number(skill.folds, 0)),
        ("Origins", f"{skill.first_origin.isoformat()} to {skill.last_origin.isoformat()}"),
        ("Horizon", f"{number(skill.horizon, 0)} sessions"),
        ("Training window", window),
        ("80% coverage", plain_percent(skill.coverage_80, 0)),
        ("95% coverage", plain_percent(skill.coverage_95, 0)),
        ("Intervals vs naive's", interval_text(skill)),
        ("Data up to", skill.data_end.isoformat()),
    ]


def interval_text(skill: Any) -> str:
    """E.g. "no better than naive: +0.4% Winkler skill, DM p = 0.417" ("—" when not measured)."""
    verdict = skill.interval_verdict
    if verdict.skill is None:
        return MISSING
    return f"{verdict.label}: {signed_percent(verdict.skill, 1)} Winkler skill, {verdict.p_phrase()}"


def render_forecast_skill(skill: Any | None, *, key: str = "") -> None:
    """The backtest of exactly the configuration shown, judged by the one significance rule."""
    if skill is None:
        st.warning(
            "This forecast's skill against the naive forecast could not be measured (see the note above), "
            "so treat it as no better than naive."
        )
        return
    st.metric(
        "Skill vs naive",
        signed_percent(skill.skill_vs_naive, 1),
        help="1 − MASE / naive's MASE on the same rolling-origin folds of this exact configuration; "
        "it beats naive only when the Diebold–Mariano p-value is below 0.05.",
    )
    verdict = skill.verdict
    show = st.success if verdict.beats_naive else st.error if verdict.worse_than_naive else st.warning
    show(f"This configuration is **{verdict.label}** ({verdict.figures()}).")  # the label once
    st.caption("  \n".join(f"{label}: **{text}**" for label, text in skill_lines(skill)))
    if skill.run_url:
        st.markdown(f"[Backtest run in MLflow]({skill.run_url})")


def member_table(results: Sequence[tuple[str, Any]]) -> pd.DataFrame:
    """One row per ensemble member: its inner-backtest MASE, its weight in each labelled result,
    and why it carries none. The inner MASE is taken once (the members' inner backtest does
    not depend on the weights)."""
    rows: dict[str, dict[str, str]] = {}
    for label, result in results:
        for member in result.member_weights:
            row = rows.setdefault(member.name, {"Member": member.name, "Inner-backtest MASE": MISSING})
            if row["Inner-backtest MASE"] == MISSING and member.inner_mase is not None:
                row["Inner-backtest MASE"] = number(member.inner_mase, 3)
            row[f"Weight ({label})"] = plain_percent(member.weight, 1)
            if member.dropped:
                row["Dropped because"] = f"{row.get('Dropped because', '')}{label}: {member.dropped}. "
    frame = pd.DataFrame(list(rows.values()))
    if "Dropped because" in frame.columns:
        frame["Dropped because"] = frame["Dropped because"].fillna("").str.strip()
    return frame


def render_member_weights(results: Sequence[tuple[str, Any]]) -> None:
    if not any(result.member_weights for _, result in results):
        return
    st.markdown("**How the ensemble weighs its members**")
    st.dataframe(member_table(results), hide_index=True, width="stretch")
    st.caption(
        "Default weights are the inverse of each member's error on the ensemble's own inner backtest "
        "(members worse than naive there get none). Dotted lines on the chart are the members' own forecasts."
    )


def forecast_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The forecast frame as the page writes it (dates ISO, prices as money)."""
    shown = pd.DataFrame({"Date": pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d")})
    for column, label in (("mean", "Forecast"), ("lo80", "80% low"), ("hi80", "80% high")):
        shown[label] = [money(value) for value in frame[column]]
    for column, label in (("lo95", "95% low"), ("hi95", "95% high")):
        shown[label] = [money(value) for value in frame[column]]
    return shown
