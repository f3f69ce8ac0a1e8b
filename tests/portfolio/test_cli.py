"""The command line against its own throwaway SQLite database (commits would otherwise
leak into the shared test database): demo seed, price load/refresh, transactions import."""

from __future__ import annotations

import pytest

from core.cli import main
from core.config import get_settings
from core.db.migrate import upgrade_to_head


@pytest.fixture
def cli_database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade_to_head(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MIGRATE_ON_START", "false")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_prices_and_portfolio_commands(cli_database, tmp_path, capsys):
    assert main(["prices", "load", "--ticker", "AAPL", "--ticker", "MSFT", "--no-progress"]) == 0
    assert "1964 new price rows" in capsys.readouterr().out
    assert main(["prices", "load", "--ticker", "AAPL", "--no-progress"]) == 0
    assert "0 new price rows stored (982 already present)" in capsys.readouterr().out
    assert main(["prices", "refresh", "--ticker", "AAPL", "--no-progress"]) == 0
    assert main(["prices", "refresh", "--ticker", "AAPL", "--provider", "yfinance", "--no-progress"]) == 1
    assert "OFFLINE" in capsys.readouterr().err

    assert main(["demo", "--no-progress"]) == 0
    out = capsys.readouterr().out
    generated_password = (tmp_path / "demo_password").read_text().strip()
    assert "demo@example.com" in out and generated_password in out
    assert main(["demo", "--no-progress"]) == 0  # idempotent

    bad = tmp_path / "bad.csv"
    bad.write_text("date,ticker,type,quantity,price,fee\n2016-01-04,AAPL,sell,9999,1,0\n")
    assert main(["portfolio", "import", str(bad), "--user", "demo@example.com"]) == 2
    assert "row': 2" in capsys.readouterr().err
    good = tmp_path / "good.csv"
    good.write_text("date,ticker,type,quantity,price,fee\n2016-12-01,MSFT,buy,1,60,0\n")
    assert main(["portfolio", "import", str(good), "--user", "demo@example.com"]) == 0
    assert main(["portfolio", "export", "--user", "demo@example.com"]) == 0
    assert "2016-12-01,MSFT,buy,1,60.0,0.0,0.0" in capsys.readouterr().out


@pytest.fixture
def fresh_database(tmp_path, monkeypatch):
    """A database URL nobody has migrated."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_a_fresh_database_is_migrated_first_or_named(fresh_database, monkeypatch, capsys):
    monkeypatch.setenv("MIGRATE_ON_START", "false")
    get_settings.cache_clear()
    assert main(["prices", "load", "--ticker", "AAPL", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: database not migrated: run `python -m core migrate`"
    assert "Traceback" not in err
    assert main(["portfolio", "export", "--user", "x@example.com"]) == 2
    assert "database not migrated" in capsys.readouterr().err

    monkeypatch.setenv("MIGRATE_ON_START", "true")
    get_settings.cache_clear()
    assert main(["prices", "load", "--ticker", "AAPL", "--no-progress"]) == 0
    assert "982 new price rows" in capsys.readouterr().out


def test_cli_refuses_an_unpriced_ticker_with_the_same_message(cli_database, tmp_path, capsys):
    from core.portfolio.pricing import unknown_ticker_message

    assert main(["demo", "--no-progress"]) == 0
    capsys.readouterr()
    file = tmp_path / "zzzz.csv"
    file.write_text("date,ticker,type,quantity,price,fee\n2016-01-04,ZZZZ,buy,1,1,0\n")
    assert main(["portfolio", "import", str(file), "--user", "demo@example.com"]) == 2
    assert unknown_ticker_message("ZZZZ") in capsys.readouterr().err
