"""The pyfunc model MLflow stores with every registered forecaster (MLflow "models from code").

`core.tracking.logged_model.log_forecaster` hands MLflow this file's path, and the `models` package
as `code_paths`: MLflow copies both into the model and runs this file when the model is
loaded, with the model's own `code/` folder first on `sys.path`. It depends on `models`,
mlflow and pandas only, never on `core`, so a registered model loads and predicts outside
this repository (`mlflow.pyfunc.load_model("models:/AAPL-drift@champion")`, `mlflow models
serve`). The app never imports this module; it only passes its path.

Input: a DataFrame with an integer `horizon` column (the largest value is used). Output: the
forecast frame `date, mean, lo80, hi80, lo95, hi95` for that many NYSE sessions after the
last fitted date, with the interval calibration logged beside the forecaster, if any.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd

from models.catalog import load_forecaster
from models.intervals import IntervalCalibration, calibrate_intervals

FORECASTER, CALIBRATION = "forecaster", "calibration"


class ForecasterModel(mlflow.pyfunc.PythonModel):
    """A fitted `models.base.Forecaster` and its interval calibration, read from the artifacts."""

    forecaster = None
    calibration: IntervalCalibration | None = None

    def load_context(self, context) -> None:
        self.forecaster = load_forecaster(context.artifacts[FORECASTER])
        calibration = context.artifacts.get(CALIBRATION)
        self.calibration = IntervalCalibration.from_json(Path(calibration).read_text()) if calibration else None

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        horizon = int(pd.DataFrame(model_input)["horizon"].max())
        return calibrate_intervals(self.forecaster.predict(horizon), self.calibration)


mlflow.models.set_model(ForecasterModel())
