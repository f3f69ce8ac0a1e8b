"""How the API's workers take connections (api.listening): a worker whose event loop is busy
still accepts every waiting connection at its next turn, and the kernel spreads new connections
over the workers, each listening on a socket of its own."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from api.listening import ServingConfig, ServingLoop

BUSY_TURN_SECONDS = 0.05  # a turn of a loop busy with some 25 requests


class Counting(asyncio.Protocol):
    def __init__(self, made: list[float]) -> None:
        self.made = made

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.made.append(time.perf_counter())


@contextmanager
def busy_worker(address: socket.socket, made: list[float]) -> Iterator[None]:
    """A worker's loop on `address` whose every turn is busy for BUSY_TURN_SECONDS."""
    ready, stop = threading.Event(), threading.Event()

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(lambda: Counting(made), sock=address, backlog=2048)
        ready.set()
        while not stop.is_set():
            time.sleep(BUSY_TURN_SECONDS)  # the turn's requests
            await asyncio.sleep(0)
        server.close()

    def run() -> None:
        with asyncio.Runner(loop_factory=ServingLoop) as runner:
            runner.run(serve())

    worker = threading.Thread(target=run)
    worker.start()
    assert ready.wait(10)
    try:
        yield
    finally:
        stop.set()
        worker.join(10)


def reserved_address() -> socket.socket:
    return ServingConfig("api.main:serve_app", host="127.0.0.1", port=0).bind_socket()


def connect(address: socket.socket, count: int) -> list[socket.socket]:
    return [socket.create_connection(address.getsockname()) for _ in range(count)]


def wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_busy_worker_accepts_every_waiting_connection_at_its_next_turn():
    """uvloop alone accepts one connection a turn: 40 connections would take 40 busy turns (2 s)."""
    address, made = reserved_address(), []
    with busy_worker(address, made):
        started = time.perf_counter()
        clients = connect(address, 40)
        wait_for(lambda: len(made) == 40, 5)
    for client in clients:
        client.close()
    address.close()

    assert len(made) == 40
    assert max(made) - started < 4 * BUSY_TURN_SECONDS + 0.2


def test_the_kernel_spreads_connections_over_the_workers_own_sockets():
    address = reserved_address()
    made: tuple[list[float], list[float]] = ([], [])
    with ExitStack() as workers:
        for each in made:
            workers.enter_context(busy_worker(address, each))
        clients = connect(address, 64)
        wait_for(lambda: len(made[0]) + len(made[1]) == 64, 5)
    for client in clients:
        client.close()
    address.close()

    assert len(made[0]) + len(made[1]) == 64
    assert min(len(made[0]), len(made[1])) >= 12  # an even split is 32 / 32; by hash, never far off
