from tests.tracking.fixtures import mlflow_settings, test_prices, tracking_settings  # noqa: F401
