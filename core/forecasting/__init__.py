"""Forecasting use cases: backtests, metrics, interval calibration, portfolio projection.

The forecasters themselves live in `models/`; this package evaluates and combines them.
"""
