"""Forecasters: pure algorithms behind one interface (`models.base.Forecaster`).

No database, MLflow or UI here; torch and prophet are imported only inside their own
modules, when a model of that kind is fitted. Use `models.catalog` to create models by name.
"""
