"""The MLflow store: tracking URI from settings, experiments, run URLs, failure handling.

The default store is MLflow's own SQLite file (`mlruns/mlflow.db`), never the app's
database (both keep an Alembic version table), with artifacts under
`settings.mlflow_artifact_root`. Any failure reaching or writing the store surfaces as a
`ServiceUnavailableError` naming the store, so callers can carry on without it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import Settings
from core.errors import ServiceUnavailableError

if TYPE_CHECKING:
    from mlflow import MlflowClient

logger = logging.getLogger(__name__)

BACKTESTS, TRAINING, MONITORING = "backtests", "training", "monitoring"
EXPERIMENTS = (BACKTESTS, TRAINING, MONITORING)
# MLflow 3's experiment-kind tag (mlflow/server/js: ExperimentKind.CUSTOM_MODEL_DEVELOPMENT).
CLASSIC_KIND = {"mlflow.experimentKind": "custom_model_development"}

# MLflow reads these at call time. Its REST client otherwise retries an unreachable server
# for minutes; a forecast must fall back to training within seconds.
_MLFLOW_ENV_DEFAULTS = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}
_init_lock = threading.Lock()


def tracking_failures() -> tuple[type[BaseException], ...]:
    """Exception types that mean 'the MLflow store is unreachable, unwritable or broken'."""
    from mlflow.exceptions import MlflowException
    from sqlalchemy.exc import SQLAlchemyError

    return (MlflowException, OSError, SQLAlchemyError)


def sqlite_path(uri: str) -> Path | None:
    """The database file of a `sqlite:///` tracking URI, else None."""
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri.removeprefix("sqlite:///"))


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (first-use migrations of a new MLflow DB race)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def store_errors(settings: Settings, action: str) -> Iterator[None]:
    """Turn any MLflow store failure inside the block into a `ServiceUnavailableError`."""
    try:
        yield
    except ServiceUnavailableError:
        raise
    except tracking_failures() as exc:
        message = f"MLflow store {settings.mlflow_tracking_uri} unavailable while {action}: {_short(exc)}"
        raise ServiceUnavailableError(message) from exc


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def import_store_library() -> None:
    """Import MLflow's client and its SQLAlchemy stores without opening a store: a serving
    process does it before it serves (core.forecasting.warming.import_model_libraries)."""
    import mlflow.store.model_registry.sqlalchemy_store
    import mlflow.store.tracking.sqlalchemy_store  # noqa: F401
    from mlflow import MlflowClient  # noqa: F401


def get_client(settings: Settings) -> MlflowClient:
    """A client on the configured store, created (and migrated) on first use; raises
    `ServiceUnavailableError` when the store cannot be reached or written."""
    uri = settings.mlflow_tracking_uri
    with store_errors(settings, "opening the store"):
        client = _open_client(uri, str(settings.mlflow_artifact_root))
    import mlflow

    # The fluent API (log_model, register_model, load_model) reads the process-wide URIs.
    # Check both: set_registry_uri also exports MLFLOW_REGISTRY_URI, which child processes
    # (Celery workers) inherit, so the two can disagree in a process that never set them.
    if mlflow.get_tracking_uri() != uri or mlflow.get_registry_uri() != uri:
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
    return client


@lru_cache(maxsize=8)
def _open_client(uri: str, artifact_root: str) -> MlflowClient:
    for key, value in _MLFLOW_ENV_DEFAULTS.items():
        os.environ.setdefault(key, value)
    from mlflow import MlflowClient

    Path(artifact_root).mkdir(parents=True, exist_ok=True)
    database = sqlite_path(uri)
    with _init_lock:
        if database is not None:
            database.parent.mkdir(parents=True, exist_ok=True)
            # The client's constructor already creates and migrates a new DB: inside the lock,
            # or two processes opening a new store at once half-migrate it.
            with _file_lock(database.with_name(database.name + ".lock")):
                client = MlflowClient(tracking_uri=uri, registry_uri=uri)
                client.search_experiments(max_results=1)
        else:
            client = MlflowClient(tracking_uri=uri, registry_uri=uri)
            client.search_experiments(max_results=1)  # fails fast when unreachable
    logger.info("mlflow store ready", extra={"tracking_uri": uri})
    return client


def experiment_id(settings: Settings, name: str) -> str:
    """The id of experiment `name`, created with artifacts under the artifact root."""
    client = get_client(settings)
    from mlflow.exceptions import MlflowException

    with store_errors(settings, f"opening experiment {name!r}"):
        found = client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        location = (Path(settings.mlflow_artifact_root) / name).resolve().as_uri()
        try:
            # The kind tag keeps MLflow 3's UI on the classic runs view (it otherwise may
            # infer a GenAI experiment and open on an empty traces page).
            return client.create_experiment(name, artifact_location=location, tags=CLASSIC_KIND)
        except MlflowException:
            # Another process created it between our lookup and our create.
            found = client.get_experiment_by_name(name)
            if found is None:
                raise
            return found.experiment_id


def ensure_experiments(settings: Settings) -> dict[str, str]:
    """Create the three experiments if missing; returns name → id."""
    return {name: experiment_id(settings, name) for name in EXPERIMENTS}


def run_url(settings: Settings, run_id: str, experiment: str | None = None) -> str:
    """The MLflow UI page of a run (served by `make mlflow`)."""
    base = settings.mlflow_ui_url.rstrip("/")
    exp = experiment_id(settings, experiment) if experiment else "0"
    return f"{base}/#/experiments/{exp}/runs/{run_id}"


def experiment_url(settings: Settings, name: str) -> str:
    """The runs table of experiment `name` (created if missing) in the MLflow UI. The `/runs`
    route is MLflow 3's classic tracking view; the bare experiment route may open on traces."""
    return f"{settings.mlflow_ui_url.rstrip('/')}/#/experiments/{experiment_id(settings, name)}/runs"


def model_url(settings: Settings, name: str, version: str | int) -> str:
    """The MLflow UI page of a registered model version."""
    return f"{settings.mlflow_ui_url.rstrip('/')}/#/models/{name}/versions/{version}"
