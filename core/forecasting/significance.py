"""The one rule for saying a forecast beats the naive random walk.

Every screen, the API, the CLI and the chat judge skill with `judge_skill`, so "beats naive"
means the same everywhere: positive skill (1 − MASE_model / MASE_naive on the same folds)
AND a two-sided Diebold–Mariano p-value below `alpha` (0.05). Positive skill with a larger
p-value is "no better than naive"; negative skill with p < alpha is "worse than naive".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from core.forecasting.metrics import diebold_mariano_pvalue
from core.formatting import MISSING, number, signed_percent

ALPHA = 0.05
BEATS, NO_BETTER, WORSE = "beats naive", "no better than naive", "worse than naive"


@dataclass(frozen=True)
class SkillVerdict:
    """Skill against naive with its significance; `skill` and `p_value` are None when unknown."""

    skill: float | None
    p_value: float | None
    n_folds: int | None
    alpha: float = ALPHA

    @property
    def beats_naive(self) -> bool:
        return self.skill is not None and self.p_value is not None and self.skill > 0 and self.p_value < self.alpha

    @property
    def worse_than_naive(self) -> bool:
        return self.skill is not None and self.p_value is not None and self.skill < 0 and self.p_value < self.alpha

    @property
    def label(self) -> str:
        if self.beats_naive:
            return BEATS
        return WORSE if self.worse_than_naive else NO_BETTER

    def p_text(self) -> str:
        """ "0.012", "< 0.001", or "—" when the test could not be run."""
        if self.p_value is None:
            return MISSING
        return "< 0.001" if self.p_value < 0.001 else number(self.p_value, 3)

    def p_phrase(self) -> str:
        """ "DM p = 0.012", "DM p < 0.001" or "DM p = —"."""
        return "DM p < 0.001" if self.p_value is not None and self.p_value < 0.001 else f"DM p = {self.p_text()}"

    def figures(self) -> str:
        """The figures behind the label: "+3.1% skill, DM p = 0.012, 24 folds"."""
        if self.skill is None:
            return "skill unknown"
        parts = [f"{signed_percent(self.skill, 1)} skill", self.p_phrase()]
        if self.n_folds is not None:
            parts.append(f"{self.n_folds} fold{'s' if self.n_folds != 1 else ''}")
        return ", ".join(parts)

    def text(self) -> str:
        """E.g. "beats naive: +3.1% skill, DM p = 0.012, 24 folds"."""
        return f"{self.label}: {self.figures()}"


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def judge_skill(
    model_errors: ArrayLike,
    naive_errors: ArrayLike,
    *,
    horizon: int,
    alpha: float = ALPHA,
    skill: float | None = None,
    n_folds: int | None = None,
) -> SkillVerdict:
    """Judge a model's forecast errors against naive's on the same targets (actual − forecast).

    `skill` defaults to 1 − MAE_model / MAE_naive, which equals 1 − MASE_model / MASE_naive
    when both are scaled alike; pass the backtest's MASE-based skill to reuse it. The DM test
    uses absolute-error loss with autocovariances up to lag `horizon` − 1 (overlapping
    h-step errors are correlated). Fewer than 3 points or identical errors give p = None.
    """
    model, naive = np.asarray(model_errors, dtype=float), np.asarray(naive_errors, dtype=float)
    if model.shape != naive.shape:
        raise ValueError(f"model and naive errors differ in shape: {model.shape} vs {naive.shape}")
    keep = np.isfinite(model) & np.isfinite(naive)
    model, naive = model[keep], naive[keep]
    if skill is None and len(model) and np.mean(np.abs(naive)) > 0:
        skill = 1 - np.mean(np.abs(model)) / np.mean(np.abs(naive))
    p_value = diebold_mariano_pvalue(model, naive, horizon=horizon) if len(model) else float("nan")
    return SkillVerdict(skill=_finite_or_none(skill), p_value=_finite_or_none(p_value), n_folds=n_folds, alpha=alpha)
