"""`python -m core jobs run NAME --arg k=v` and `python -m core jobs list`."""

from __future__ import annotations

import pytest

from core.cli import main
from core.errors import InvalidInputError
from core.jobs.cli import parse_job_args
from tests.jobs.conftest import delete_runs, unique_ticker


def test_run_then_list(use_settings, capsys):
    ticker = unique_ticker()  # no prices stored: the run fails, is recorded, and exits 1
    try:
        assert main(["jobs", "run", "retrain", "--arg", f"tickers={ticker}", "--arg", "models=naive"]) == 1
        out = capsys.readouterr().out
        assert "retrain failed" in out and "no prices stored" in out
        assert main(["jobs", "list", "--job", "retrain", "--limit", "5"]) == 0
        listing = capsys.readouterr().out
        assert "refresh_prices" in listing and "30 22 * * mon-fri" in listing
        assert "failed" in listing and "cli" in listing
    finally:
        delete_runs(use_settings.database_url, triggered_by="cli")


def test_job_arguments_are_key_value_pairs():
    assert parse_job_args(["tickers=AAPL,MSFT", "force = true"]) == {"tickers": "AAPL,MSFT", "force": "true"}
    with pytest.raises(InvalidInputError):
        parse_job_args(["tickers"])
