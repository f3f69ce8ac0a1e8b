"""The project's forecaster as an MLflow `pyfunc` model.

Input: a DataFrame with an integer `horizon` column (the largest value is used). Output: the
forecast frame `date, mean, lo80, hi80, lo95, hi95` for that many trading days after the
last fitted date. The fitted forecaster travels as an artifact written by
`Forecaster.save`; loading needs this project's `models` and `core` packages importable
(the app's own environment). Imported only from inside functions: it imports mlflow.
"""

from __future__ import annotations

import tempfile
from importlib import metadata
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from models.base import FORECAST_COLUMNS, Forecaster

_ARTIFACT = "forecaster"
# Distributions a forecaster may need at load time (pinned to what is installed here).
_REQUIREMENTS = ["mlflow", "pandas", "numpy", "scipy", "statsmodels", "prophet", "torch"]

SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("long", "horizon")]),
    outputs=Schema([ColSpec("datetime", "date")] + [ColSpec("double", c) for c in FORECAST_COLUMNS[1:]]),
)
INPUT_EXAMPLE = pd.DataFrame({"horizon": [5]})


class ForecasterModel(mlflow.pyfunc.PythonModel):
    """Wraps a fitted `models.base.Forecaster` (set by `load_context`) and, optionally, the
    interval calibration measured on its backtest, applied to every forecast."""

    forecaster: Forecaster | None = None

    def __init__(self, calibration=None) -> None:
        self.calibration = calibration

    def load_context(self, context) -> None:
        from models.catalog import load_forecaster

        self.forecaster = load_forecaster(context.artifacts[_ARTIFACT])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        horizon = int(pd.DataFrame(model_input)["horizon"].max())
        return calibrated_forecast(self.forecaster, horizon, self.calibration)


def calibrated_forecast(forecaster: Forecaster, horizon: int, calibration=None) -> pd.DataFrame:
    """`forecaster.predict(horizon)`, with the backtest's interval calibration if any."""
    frame = forecaster.predict(horizon)
    if calibration is None or calibration.is_identity:
        return frame
    from core.forecasting.calibration import apply_interval_calibration

    return apply_interval_calibration(frame, calibration)


def pip_requirements() -> list[str]:
    """Explicit pins (inferring them costs ~2 s per logged model)."""
    pins = []
    for name in _REQUIREMENTS:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return pins


def log_forecaster(forecaster: Forecaster, *, calibration=None, name: str = "model"):
    """Log a fitted forecaster in the active run; returns MLflow's `ModelInfo`."""
    with tempfile.TemporaryDirectory(prefix="stockcast-model-") as scratch:
        saved = forecaster.save(Path(scratch) / _ARTIFACT)
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=ForecasterModel(calibration),
            artifacts={_ARTIFACT: str(saved)},
            signature=SIGNATURE,
            input_example=INPUT_EXAMPLE,
            pip_requirements=pip_requirements(),
        )


def unwrap_model(loaded) -> ForecasterModel:
    """The `ForecasterModel` (forecaster and calibration) inside a loaded pyfunc model."""
    return loaded.unwrap_python_model()
