"""Backtests page: interval scores, the origin range, the significance rule on the banner,
and model colours that do not change between runs."""

from __future__ import annotations

import pandas as pd

from core.forecasting.report import origin_text
from core.forecasting.significance import SkillVerdict
from models.catalog import list_models
from tests.ui.conftest import error_texts, open_page
from ui.charts import MODEL_COLOURS, model_colours


def test_model_colours_are_fixed_per_catalog_name() -> None:
    assert set(list_models()) <= set(MODEL_COLOURS)
    assert len(set(MODEL_COLOURS.values())) == len(MODEL_COLOURS)
    alone = model_colours(["drift"])
    together = model_colours(["naive", "drift", "arima", "ensemble"])
    assert alone["drift"] == together["drift"] == MODEL_COLOURS["drift"]
    assert model_colours(["my-model"])["my-model"] == model_colours(["zeta", "my-model"])["my-model"]


def test_a_default_backtest_shows_interval_scores_origins_and_the_significance_rule(ui_settings, demo_user):
    at = open_page("pages/4_Backtests.py", demo_user)
    assert at.slider(key="bt_folds").value >= 20
    at.multiselect(key="bt_models").set_value(["naive", "drift"])
    at.checkbox(key="bt_track").uncheck()
    at = next(b for b in at.button if b.label == "Run backtest").click().run()
    assert not at.exception and not error_texts(at)
    result = at.session_state["backtests_result"]["result"]
    first, last = result.origin_range()
    assert (last - first).days >= 365
    assert f"Origins: {origin_text(result)}." in [c.value for c in at.caption]

    main, table = at.dataframe[0].value, at.dataframe[1].value  # the fitted table, then "All figures"
    assert len(main.columns) <= 8  # fits the page: the rest is in the expander
    for column in ("coverage_80", "coverage_95", "winkler_80", "winkler_95", "pinball", "dm_pvalue", "verdict"):
        assert column in table.columns
    summary = result.summary().set_index("model")
    assert table.loc["drift", "winkler_80"] == summary.loc["drift", "winkler_80"]
    # Naive's own MASE beside each model: the figure to beat (not 1).
    assert (main["naive_mase"] == summary.loc["naive", "mase"]).all()
    assert summary.loc["naive", "mase"] > 1  # why "MASE below 1 beats naive" would be false
    explained = " ".join(m.value for m in at.markdown)
    assert "beating naive means a lower MASE than that" in explained
    assert "MASE below 1" not in explained + " ".join(c.value for c in at.caption)
    for term in ("**MASE**", "**Skill vs naive**", "**DM p**", "**Winkler 80 / 95**"):
        assert term in explained

    drift = summary.loc["drift"]
    p = None if pd.isna(drift["dm_pvalue"]) else float(drift["dm_pvalue"])
    verdict = SkillVerdict(skill=float(drift["skill_vs_naive"]), p_value=p, n_folds=int(drift["folds"]))
    assert table.loc["drift", "verdict"] == verdict.label
    texts = [s.value for s in at.success] + [w.value for w in at.warning] + [c.value for c in at.caption]
    if verdict.beats_naive:
        assert any(t.startswith("Best: **drift**") for t in texts)
    else:
        assert not at.success
        assert any("No model beats naive significantly" in t for t in texts)
        assert f"drift: {verdict.text()}" in " ".join(texts)
    assert not any("None" in t or "−0.0%" in t for t in texts)
    # The intervals are judged against naive's too, with the service's figures.
    from core.forecasting.scores import interval_verdicts

    intervals = interval_verdicts(result)["drift"]
    assert f"drift: {intervals.text()}" in " ".join(c.value for c in at.caption if c.value.startswith("Intervals"))
