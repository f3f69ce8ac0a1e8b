"""A 2xx means committed: a client at full speed reads back every write it was answered,
several writers on one database all get their writes stored, and the ledger rule holds
whatever the concurrency — against the real API (`python main.py`, two worker processes)
on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.durability.servers import Client

pytestmark = pytest.mark.slow

WRITES = 60
WRITERS = 4
WRITES_EACH = 25


def buy(client: Client, quantity: float = 1, day: str = "2016-06-01", ticker: str = "AAPL"):
    return client.http.post(
        "/api/portfolio/transactions",
        json={"date": day, "ticker": ticker, "type": "buy", "quantity": quantity, "price": 100},
    )


def sell(client: Client, quantity: float, day: str = "2016-06-02", ticker: str = "AAPL"):
    return client.http.post(
        "/api/portfolio/transactions",
        json={"date": day, "ticker": ticker, "type": "sell", "quantity": quantity, "price": 101},
    )


def test_every_answered_write_reads_back_at_once(served_api):
    client = Client(served_api.url)  # its log-in right after the sign-up's 201 is checked too
    stale = []
    for _ in range(WRITES):
        created = buy(client)
        assert created.status_code == 201, created.text
        read = client.http.get(f"/api/portfolio/transactions/{created.json()['id']}")
        if read.status_code != 200 or read.json() != created.json():
            stale.append(read.status_code)
        # A sell right after the buy it relies on is accepted.
        sold = sell(client, 1)
        assert sold.status_code == 201, sold.text
    assert stale == []
    page = client.http.get("/api/portfolio/transactions", params={"limit": 1}).json()
    assert page["total"] == 2 * WRITES


def test_concurrent_writers_all_get_their_writes_stored(served_api):
    clients = [Client(served_api.url) for _ in range(WRITERS)]

    def write(client: Client) -> list[int]:
        return [buy(client, ticker="MSFT").status_code for _ in range(WRITES_EACH)]

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        statuses = list(pool.map(write, clients))

    assert all(code == 201 for codes in statuses for code in codes), statuses
    for client in clients:
        assert client.http.get("/api/portfolio/transactions", params={"limit": 1}).json()["total"] == WRITES_EACH


def test_of_eight_concurrent_whole_position_sells_exactly_one_is_accepted(served_api):
    client = Client(served_api.url)
    assert buy(client, quantity=10).status_code == 201

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: sell(client, 10), range(8)))

    codes = sorted(answer.status_code for answer in answers)
    assert codes == [201] + [422] * 7, [answer.text for answer in answers]
    assert all("only 0 held" in answer.json()["detail"] for answer in answers if answer.status_code == 422)
    # The holding equals its ledger, and every figure still answers.
    assert client.http.get("/api/portfolio").json()["total"] == 0
    assert client.http.get("/api/portfolio/summary").status_code == 200
    assert client.http.get("/api/portfolio/transactions", params={"limit": 1}).json()["total"] == 2
