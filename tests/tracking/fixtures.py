"""Fixtures shared by tests/tracking and tests/forecasting_service: a temporary REAL MLflow
store (SQLite file, migrated once per database backend) and bundled AAPL/MSFT prices."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.tables import Price

PRICES_FILE = Path(__file__).parent / "data" / "prices.csv"


def read_test_prices() -> pd.DataFrame:
    return pd.read_csv(PRICES_FILE, parse_dates=["date"])


def closes_of(frame: pd.DataFrame, ticker: str) -> pd.Series:
    series = frame[frame["ticker"] == ticker].set_index("date")["close"].astype(float)
    series.name = "close"
    return series


def store_prices(session: Session, frame: pd.DataFrame) -> int:
    session.add_all(
        [
            Price(
                ticker=row.ticker,
                date=row.date.date(),
                open=row.open,
                high=row.high,
                low=row.low,
                close=row.close,
                volume=row.volume,
            )
            for row in frame.itertuples(index=False)
        ]
    )
    session.flush()
    return len(frame)


@pytest.fixture(scope="session")
def test_prices() -> pd.DataFrame:
    return read_test_prices()


@pytest.fixture(scope="session")
def tracking_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The test database's settings pointed at a fresh MLflow store (created and migrated here)."""
    from core.tracking.store import ensure_experiments

    root = tmp_path_factory.mktemp("mlflow")
    tracked = settings.model_copy(
        update={
            "mlflow_tracking_uri": f"sqlite:///{root / 'mlflow.db'}",
            "mlflow_artifact_root": root / "artifacts",
        }
    )
    ensure_experiments(tracked)
    return tracked


@pytest.fixture(scope="session")
def mlflow_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with a fresh MLflow store and no database (for tests of `core.tracking` alone)."""
    from core.tracking.store import ensure_experiments

    root = tmp_path_factory.mktemp("mlflow-only")
    tracked = Settings(
        mlflow_tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
        mlflow_artifact_root=root / "artifacts",
        migrate_on_start=False,
        offline=True,
    )
    ensure_experiments(tracked)
    return tracked
