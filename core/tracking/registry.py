"""The model registry: one registered model per ticker and model kind (`AAPL-ensemble`).

Each trained forecaster becomes a version, tagged with its data range, data hash, params,
backtest MASE and the folds it was scored on. The alias `champion` marks the version the app
serves; `decide_promotion` moves it only when the challenger's backtest MASE beats the
champion's on the same folds, and the decision and both scores are tagged on the version.
Loading a champion is cached per process by (store, name, version): an alias move is seen on
the next call, a reload is not paid twice.
"""

from __future__ import annotations

import logging
import math
import re
from functools import lru_cache
from typing import Any

from core.config import Settings
from core.tracking.schemas import ChampionModel
from core.tracking.store import get_client, store_errors

logger = logging.getLogger(__name__)

CHAMPION = "champion"
# Relative margin a challenger must win by: identical forecasts can differ in MASE by float
# rounding (summation order), which must not move the alias.
MIN_IMPROVEMENT = 1e-9
_MISSING_CODES = {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}


def registered_name(ticker: str, model: str) -> str:
    """`AAPL-ensemble`: the registered model holding every version of one model kind."""
    return f"{re.sub(r'[^A-Za-z0-9._]', '_', ticker.upper())}-{model}"


def champion_version(settings: Settings, name: str):
    """The `ModelVersion` the champion alias points to, or None when there is none yet."""
    from mlflow.exceptions import MlflowException

    client = get_client(settings)
    with store_errors(settings, f"reading the champion of {name}"):
        try:
            return client.get_model_version_by_alias(name, CHAMPION)
        except MlflowException as exc:
            if exc.error_code in _MISSING_CODES:
                return None
            raise


def register_version(settings: Settings, *, name: str, model_uri: str, run_id: str, tags: dict[str, str]) -> str:
    """Register `model_uri` as a new version of `name` (created if needed); returns the version."""
    import mlflow

    with store_errors(settings, f"registering a version of {name}"):
        version = mlflow.register_model(model_uri, name, tags=tags)
    logger.info("registered model version", extra={"model_name": name, "version": version.version, "run_id": run_id})
    return str(version.version)


def decide_promotion(
    challenger_mase: float | None, champion_mase: float | None, champion: str | None
) -> tuple[bool, str]:
    """Whether the challenger takes the alias, and why (a sentence kept as a tag)."""
    if champion is None:
        return True, "promoted: no champion yet"
    if challenger_mase is None or not math.isfinite(challenger_mase):
        return False, f"kept champion v{champion}: the challenger has no backtest MASE"
    if champion_mase is None or not math.isfinite(champion_mase):
        return True, f"promoted over v{champion}: the champion has no backtest MASE on these folds"
    if challenger_mase < champion_mase * (1 - MIN_IMPROVEMENT):
        return True, f"promoted: challenger MASE {challenger_mase:.4f} < champion v{champion} {champion_mase:.4f}"
    return False, f"kept champion v{champion}: challenger MASE {challenger_mase:.4f} >= {champion_mase:.4f}"


def record_decision(settings: Settings, *, name: str, version: str, promote: bool, tags: dict[str, Any]) -> None:
    """Tag the version (and the registered model) with the decision; move the alias if won."""
    client = get_client(settings)
    with store_errors(settings, f"recording the champion decision for {name}"):
        for key, value in tags.items():
            client.set_model_version_tag(name, version, key, "" if value is None else str(value))
        client.set_registered_model_tag(name, "last_decision", str(tags.get("decision", "")))
        if promote:
            client.set_registered_model_alias(name, CHAMPION, version)


def load_champion(settings: Settings, *, ticker: str, model: str) -> ChampionModel | None:
    """The champion of `ticker`/`model`, loaded (cached per process), or None if there is none.

    Raises `ServiceUnavailableError` when the store cannot be read.
    """
    name = registered_name(ticker, model)
    version = champion_version(settings, name)
    if version is None:
        return None
    with store_errors(settings, f"loading {name} v{version.version}"):
        wrapped = _load_version(settings.mlflow_tracking_uri, name, str(version.version))
    return ChampionModel(
        name=name,
        version=str(version.version),
        run_id=version.run_id,
        forecaster=wrapped.forecaster,
        calibration=wrapped.calibration,
        tags=dict(version.tags),
    )


@lru_cache(maxsize=32)
def _load_version(uri: str, name: str, version: str):
    import mlflow

    loaded = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    return loaded.unwrap_python_model()  # the forecaster and its calibration


def clear_champion_cache() -> None:
    _load_version.cache_clear()
