"""What survives which fault, with real processes: the API killed (SIGKILL) during an import
and as it answers; a PostgreSQL server of the test's own stopped and started again during
requests; a commit that fails on the server. Nothing answered 2xx is ever lost, nothing
half-written is ever kept, and a database that is down answers 503, then recovers by itself."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.durability.servers import ApiServer, Client, fresh_postgres_database, load_prices, own_postgres, running_api

pytestmark = pytest.mark.slow

IMPORT_ROWS = 3000


def transactions_csv(rows: int) -> bytes:
    lines = ["date,ticker,type,quantity,price,fee"]
    lines += [f"2016-06-{1 + i % 28:02d},AAPL,buy,1,{95 + i % 10},0" for i in range(rows)]
    return "\n".join(lines).encode()


def stored_activities(client: Client) -> int:
    return client.http.get("/api/portfolio/transactions", params={"limit": 1}).json()["total"]


def import_file(client: Client, content: bytes) -> httpx.Response:
    return client.http.post("/api/portfolio/transactions/import", files={"file": ("t.csv", content, "text/csv")})


@pytest.fixture
def sqlite_api(tmp_path):
    url = f"sqlite:///{tmp_path / 'stockcast.db'}"
    with running_api(url, tmp_path) as server:
        load_prices(url, tmp_path, "AAPL")
        yield server


def test_an_import_answered_before_the_api_is_killed_is_kept(sqlite_api: ApiServer):
    client = Client(sqlite_api.url)
    answered = import_file(client, transactions_csv(IMPORT_ROWS))
    sqlite_api.kill()  # the instant the client has its answer
    assert answered.status_code == 201 and answered.json()["imported"] == IMPORT_ROWS

    sqlite_api.start()
    assert stored_activities(client) == IMPORT_ROWS


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8])
def test_an_import_killed_midway_is_kept_whole_or_not_at_all(sqlite_api: ApiServer, delay: float):
    client = Client(sqlite_api.url)
    outcome: dict[str, object] = {}

    def send() -> None:
        try:
            outcome["status"] = import_file(client, transactions_csv(IMPORT_ROWS)).status_code
        except httpx.HTTPError as exc:  # the connection dies with the server
            outcome["error"] = type(exc).__name__

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(delay)
    sqlite_api.kill()
    sender.join(timeout=60)

    sqlite_api.start()
    stored = stored_activities(client)
    assert stored in (0, IMPORT_ROWS)
    if outcome.get("status") == 201:
        assert stored == IMPORT_ROWS


def test_postgres_stopped_answers_503_then_recovers_by_itself(tmp_path):
    with own_postgres() as cluster, fresh_postgres_database(cluster.url) as url, running_api(url, tmp_path) as api:
        load_prices(url, tmp_path, "AAPL")
        client = Client(api.url)
        assert (
            client.http.post(
                "/api/portfolio/transactions",
                json={"date": "2016-06-01", "ticker": "AAPL", "type": "buy", "quantity": 3, "price": 100},
            ).status_code
            == 201
        )

        cluster.stop("immediate")
        started = time.monotonic()
        for path in ("/api/portfolio", "/api/portfolio/summary", "/api/auth/me"):
            down = client.http.get(path)
            assert down.status_code == 503, (path, down.status_code, down.text)
            assert "database" in down.json()["detail"]
        assert client.http.post("/api/auth/token", data={"username": client.email, "password": "x"}).status_code == 503
        answered_within = time.monotonic() - started

        cluster.start()
        deadline = time.monotonic() + 30
        while (back := client.http.get("/api/portfolio")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert back.status_code == 200 and back.json()["items"][0]["quantity"] == 3
        print(f"4 requests answered 503 within {answered_within:.1f} s of the stop")


REFUSE_AT_COMMIT = """
CREATE FUNCTION refuse_marked_fee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.fee = 13.37 THEN RAISE EXCEPTION 'injected commit failure'; END IF;
  RETURN NEW;
END $$;
CREATE CONSTRAINT TRIGGER refuse_marked_fee AFTER INSERT ON "transaction"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_marked_fee();
"""


def test_a_commit_that_fails_is_never_answered_2xx(tmp_path):
    import os

    admin_url = os.environ.get("TEST_DATABASE_URL", "")
    if not admin_url:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    with fresh_postgres_database(admin_url) as url, running_api(url, tmp_path) as api:
        load_prices(url, tmp_path, "AAPL")
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.execute(text(REFUSE_AT_COMMIT))  # fails the transaction at COMMIT, not before
        engine.dispose()
        client = Client(api.url)

        refused = client.http.post(
            "/api/portfolio/transactions",
            json={"date": "2016-06-01", "ticker": "AAPL", "type": "buy", "quantity": 1, "price": 100, "fee": 13.37},
        )

        assert refused.status_code >= 500
        assert stored_activities(client) == 0
