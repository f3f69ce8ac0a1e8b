"""A running API per backend (SQLite file, or a fresh PostgreSQL database when
TEST_DATABASE_URL is set), with AAPL and MSFT prices loaded, shared by the module's tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.durability.servers import ApiServer, fresh_postgres_database, load_prices, running_api


def served_database(backend: str, directory: Path, stack: ExitStack) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / 'stockcast.db'}"
    admin_url = os.environ.get("TEST_DATABASE_URL", "")
    if not admin_url:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    return stack.enter_context(fresh_postgres_database(admin_url))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    directory = tmp_path_factory.mktemp(f"served-{request.param}")
    with ExitStack() as stack:
        url = served_database(request.param, directory, stack)
        server = stack.enter_context(running_api(url, directory))
        load_prices(url, directory, "AAPL", "MSFT")
        yield server
