"""How the API's worker processes take connections: each listens on a socket of its own.

uvicorn's workers share one listening socket, and uvloop (libuv) accepts one connection from
it per turn of the event loop. A loop busy with 25 requests takes a turn every 25 requests, so
under load a new connection waited its turn for up to 0.6 s with two workers and 1.9 s with
one (`bench/api_load.py`: wrk's 50 connections opened as the run began), most of the old p99.
Accepting every waiting connection at once on the shared socket would end that, but the first
worker awake would then take them all and leave the other idle.

So the supervisor binds the address with SO_REUSEPORT and never listens on it
(`ServingConfig`), and each worker opens a listening socket of its own on that address
(`ServingLoop`: uvloop, with `create_server` overridden for a passed socket). The kernel
spreads new connections over the workers' sockets by their addresses' hash (26 / 24 of 50 in
the bench), and each worker accepts every connection waiting on its own socket once per turn.

Caveat: connections still waiting in a worker's queue when that worker dies are reset, as
those in a shared queue are not; uvicorn starts a new worker in its place.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Callable

import uvicorn
import uvloop
from uvicorn.server import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

logger = logging.getLogger(__name__)

RETRY_ACCEPT_SECONDS = 1.0  # after the process ran out of file descriptors


class ServingConfig(uvicorn.Config):
    """uvicorn's Config, whose socket reserves the address with SO_REUSEPORT and runs
    `ServingLoop` (so give it no `loop`)."""

    def __init__(self, app: str, **kwargs) -> None:
        super().__init__(app, loop=f"{__name__}:ServingLoop", **kwargs)

    def bind_socket(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            logger.error("cannot listen on %s:%s: %s", self.host, self.port, exc)
            sys.exit(STARTUP_FAILURE)
        logger.info("API listening on http://%s:%d", self.host, sock.getsockname()[1])
        sock.set_inheritable(True)
        return sock


def serve(config: ServingConfig) -> None:
    """What `uvicorn.run` does, with `config`'s socket: `config.workers` processes (uvicorn
    restarts one that dies) or, for one, this process."""
    sock = config.bind_socket()
    if config.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        config.load_app()
        server = uvicorn.Server(config)
        server.run(sockets=[sock])
        if not server.started:
            sys.exit(STARTUP_FAILURE)


class _OwnListener(asyncio.AbstractServer):
    """A listening socket of this worker's on `address`, accepting all that wait at each turn."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, protocol_factory: Callable, address: socket.socket, backlog: int
    ) -> None:
        self._loop, self._protocol_factory, self._backlog = loop, protocol_factory, backlog
        self._sock = socket.socket(address.family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self._sock.bind(address.getsockname())
        self._sock.listen(backlog)
        self._sock.setblocking(False)
        self._serving = True
        self._taking: set[asyncio.Task] = set()
        loop.add_reader(self._sock.fileno(), self._accept_waiting)

    def _accept_waiting(self) -> None:
        for _ in range(self._backlog):
            try:
                connection, _address = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:  # the client gave up while it waited
                continue
            except OSError as exc:  # out of file descriptors, or of buffers: wait, then go on
                logger.warning("cannot accept connections; trying again in a second", extra={"error": str(exc)})
                self._loop.remove_reader(self._sock.fileno())
                self._loop.call_later(RETRY_ACCEPT_SECONDS, self._resume)
                return
            connection.setblocking(False)
            task = self._loop.create_task(self._take(connection))
            self._taking.add(task)
            task.add_done_callback(self._taking.discard)

    async def _take(self, connection: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._protocol_factory, connection)
        except OSError:  # reset before it was taken
            connection.close()

    def _resume(self) -> None:
        if self._serving:
            self._loop.add_reader(self._sock.fileno(), self._accept_waiting)

    def close(self) -> None:
        if self._serving:
            self._serving = False
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()

    async def wait_closed(self) -> None:
        return None

    def is_serving(self) -> bool:
        return self._serving

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return (self._sock,)


class ServingLoop(uvloop.Loop):
    """uvloop, except that a server made on a passed, unencrypted socket listens on a socket of
    its own on that address (see the module)."""

    async def create_server(self, protocol_factory, host=None, port=None, *, sock=None, backlog=100, ssl=None, **kw):
        if sock is None or ssl is not None or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return await super().create_server(protocol_factory, host, port, sock=sock, backlog=backlog, ssl=ssl, **kw)
        return _OwnListener(self, protocol_factory, sock, backlog)
