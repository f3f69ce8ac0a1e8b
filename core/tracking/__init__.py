"""Experiment tracking and the model registry: the only package that imports mlflow.

- `store`: the MLflow store from settings (its own SQLite file by default), experiments,
  run URLs, and MLflow failures turned into `ServiceUnavailableError`;
- `runs`: backtest runs (tags, params, per-fold and aggregated metrics, fold table, chart);
- `pyfunc`: the project's forecaster as an MLflow `pyfunc` model;
- `registry`: versions per ticker and model kind, the `champion` alias, champion loading;
- `training`: train → backtest → log → register → maybe promote (`python -m core train`);
- `monitoring`: realised accuracy stepped by date in a long-lived run.

mlflow is imported inside functions (or in modules imported only from inside functions), so
importing `core.tracking` costs nothing.
"""
