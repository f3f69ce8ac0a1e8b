"""The one significance rule: beats naive only with positive skill and DM p < 0.05."""

import numpy as np
import pytest

from core.forecasting.metrics import diebold_mariano_pvalue
from core.forecasting.significance import SkillVerdict, judge_skill


def test_positive_skill_with_a_large_p_value_does_not_beat_naive() -> None:
    verdict = SkillVerdict(skill=0.012, p_value=0.65, n_folds=6)
    assert not verdict.beats_naive and not verdict.worse_than_naive
    assert verdict.label == "no better than naive"
    assert verdict.text() == "no better than naive: +1.2% skill, DM p = 0.650, 6 folds"


def test_significant_positive_skill_beats_naive() -> None:
    verdict = SkillVerdict(skill=0.031, p_value=0.012, n_folds=24)
    assert verdict.beats_naive and verdict.label == "beats naive"
    assert verdict.text() == "beats naive: +3.1% skill, DM p = 0.012, 24 folds"


def test_significant_negative_skill_is_worse_than_naive() -> None:
    verdict = SkillVerdict(skill=-0.2, p_value=0.001, n_folds=20)
    assert verdict.worse_than_naive and not verdict.beats_naive
    assert verdict.text() == "worse than naive: −20.0% skill, DM p = 0.001, 20 folds"


def test_boundary_p_equal_to_alpha_is_not_significant() -> None:
    assert not SkillVerdict(skill=0.1, p_value=0.05, n_folds=20).beats_naive


def test_tiny_skill_is_written_without_a_signed_zero() -> None:
    text = SkillVerdict(skill=-0.0004, p_value=0.9, n_folds=20).text()
    assert "−0.0%" not in text and "0.0% skill" in text


def test_judge_skill_on_identical_errors_is_a_tie_without_a_p_value() -> None:
    errors = np.array([1.0, -2.0, 0.5, 1.5, -0.7])
    verdict = judge_skill(errors, errors.copy(), horizon=1, n_folds=5)
    assert verdict.skill == pytest.approx(0.0) and verdict.p_value is None
    assert verdict.label == "no better than naive" and "DM p = —" in verdict.text()


def test_judge_skill_matches_hand_computed_skill_and_dm() -> None:
    rng = np.random.default_rng(0)
    naive = rng.normal(0, 1, 200)
    model = naive * 0.5  # half the error everywhere: clearly better
    verdict = judge_skill(model, naive, horizon=5, n_folds=40)
    assert verdict.skill == pytest.approx(0.5)
    assert verdict.p_value == pytest.approx(diebold_mariano_pvalue(model, naive, horizon=5))
    assert verdict.beats_naive and verdict.text().startswith("beats naive: +50.0% skill, DM p < 0.001")


def test_judge_skill_worse_model_and_given_skill() -> None:
    rng = np.random.default_rng(1)
    naive = rng.normal(0, 1, 200)
    verdict = judge_skill(naive * 2, naive, horizon=1, skill=-0.9)
    assert verdict.skill == -0.9 and verdict.worse_than_naive


def test_judge_skill_noise_model_is_not_significant() -> None:
    rng = np.random.default_rng(2)
    naive, model = rng.normal(0, 1, 40), rng.normal(0, 1, 40)
    verdict = judge_skill(model, naive, horizon=1)
    assert verdict.p_value is not None and verdict.p_value > 0.05 and verdict.label == "no better than naive"


def test_judge_skill_without_data_is_unknown() -> None:
    verdict = judge_skill([], [], horizon=5)
    assert verdict.skill is None and verdict.text() == "no better than naive: skill unknown"
