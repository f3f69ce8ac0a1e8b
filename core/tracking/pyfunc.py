"""The pickled wrapper of forecasters registered before models carried their code.

New models are logged by `core.tracking.logged_model` (MLflow "models from code"); models
registered earlier unpickle `ForecasterModel` from here, so it keeps its name and module.
"""

from __future__ import annotations

import mlflow
import pandas as pd

from core.tracking.logged_model import ARTIFACT
from models.base import Forecaster
from models.catalog import load_forecaster
from models.intervals import calibrate_intervals


class ForecasterModel(mlflow.pyfunc.PythonModel):
    """The pickled wrapper of models registered before they carried their code: kept so that
    those still load inside this repository. New models use `forecaster_model.py`."""

    forecaster: Forecaster | None = None

    def __init__(self, calibration=None) -> None:
        self.calibration = calibration

    def load_context(self, context) -> None:
        self.forecaster = load_forecaster(context.artifacts[ARTIFACT])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        horizon = int(pd.DataFrame(model_input)["horizon"].max())
        return calibrated_forecast(self.forecaster, horizon, self.calibration)


def calibrated_forecast(forecaster: Forecaster, horizon: int, calibration=None) -> pd.DataFrame:
    """`forecaster.predict(horizon)`, with the backtest's interval calibration if any."""
    return calibrate_intervals(forecaster.predict(horizon), calibration)


def unwrap_model(loaded) -> ForecasterModel:
    """The `ForecasterModel` (forecaster and calibration) inside a loaded pyfunc model."""
    return loaded.unwrap_python_model()
