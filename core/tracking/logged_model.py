"""A fitted forecaster logged as an MLflow `pyfunc` model that carries its code.

`log_forecaster` logs the model from code (`core/tracking/forecaster_model.py`, which
depends on `models` only) with the `models` package as `code_paths`, the fitted forecaster
(written by `Forecaster.save`) and its interval calibration (JSON) as artifacts, and pinned
requirements: a registered model loads and predicts wherever those packages install, with no
copy of this repository (`mlflow.pyfunc.load_model`, `mlflow models serve`). Input: a
DataFrame with an integer `horizon` column (the largest value is used); output: the forecast
frame `date, mean, lo80, hi80, lo95, hi95`. `log_forecaster_in_run` logs one into a given run.
"""

from __future__ import annotations

import tempfile
from importlib import metadata
from pathlib import Path

import pandas as pd

import models
from core.config import Settings
from core.tracking.store import store_errors
from models.base import FORECAST_COLUMNS, Forecaster
from models.intervals import IntervalCalibration

ARTIFACT, _CALIBRATION = "forecaster", "calibration"
MODEL_CODE = Path(__file__).with_name("forecaster_model.py")
MODELS_PACKAGE = Path(models.__file__).parent
# Distributions a forecaster may need at load time (pinned to what is installed here).
_REQUIREMENTS = [
    "mlflow",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "statsforecast",
    "exchange-calendars",
    "prophet",
    "torch",
]

INPUT_EXAMPLE = pd.DataFrame({"horizon": [5]})


def pip_requirements() -> list[str]:
    """Explicit pins (inferring them costs ~2 s per logged model)."""
    pins = []
    for name in _REQUIREMENTS:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return pins


def log_forecaster_in_run(
    settings: Settings, run_id: str, forecaster: Forecaster, *, calibration: IntervalCalibration | None = None
):
    """`log_forecaster` inside run `run_id` (store failures as ServiceUnavailableError)."""
    import mlflow  # over a second to import: the API, dashboard and CLI start without it

    with store_errors(settings, "logging the model"), mlflow.start_run(run_id=run_id):
        return log_forecaster(forecaster, calibration=calibration)


def log_forecaster(forecaster: Forecaster, *, calibration: IntervalCalibration | None = None, name: str = "model"):
    """Log a fitted forecaster in the active run, with its code; returns MLflow's `ModelInfo`."""
    import mlflow  # over a second to import: the API, dashboard and CLI start without it
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    signature = ModelSignature(
        inputs=Schema([ColSpec("long", "horizon")]),
        outputs=Schema([ColSpec("datetime", "date")] + [ColSpec("double", c) for c in FORECAST_COLUMNS[1:]]),
    )
    with tempfile.TemporaryDirectory(prefix="stockcast-model-") as scratch:
        artifacts = {ARTIFACT: str(forecaster.save(Path(scratch) / ARTIFACT))}
        if calibration is not None:
            path = Path(scratch) / f"{_CALIBRATION}.json"
            path.write_text(calibration.to_json())
            artifacts[_CALIBRATION] = str(path)
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=str(MODEL_CODE),
            code_paths=[str(MODELS_PACKAGE)],
            artifacts=artifacts,
            signature=signature,
            input_example=INPUT_EXAMPLE,
            pip_requirements=pip_requirements(),
        )
