"""Benchmark: what one request costs the API process, counted in instructions.

On a shared 2-core machine the same code's CPU time per request varies by up to 2.5× between
runs minutes apart, which hides a 10 % change. Valgrind's callgrind counts the instructions
the process executes instead (every thread's, the interpreter's and the drivers' C code
included; the kernel's and the database server's not): the same count for the same code and
data, whatever else the machine is doing.

The app (`api.main.create_app`, every middleware on, JSON access log to /dev/null, rate limits
off) is called in process, request after request, as uvicorn would call it, on a seeded demo
database (a temporary SQLite file; PostgreSQL database `stockcast_bench` on 127.0.0.1). Each
path is warmed up, then counted over REQUESTS requests; the bench prints millions of
instructions per request. It runs itself under valgrind (about a minute per backend).

    .venv/bin/python bench/request_cost.py [--requests 200] [--backends sqlite postgresql]
        [--paths /ping /api/portfolio /api/portfolio/summary]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import uvloop

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from api_load import bench_database, seed, server_env  # noqa: E402  (bench/ is on the path)

from core.config import Settings  # noqa: E402

PATHS = ["/ping", "/api/portfolio", "/api/portfolio/summary"]
UNDER_VALGRIND = "STOCKCAST_REQUEST_COST_CHILD"


async def _call(app, path: str, token: str) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"]


def _callgrind(*arguments: str) -> None:
    """A command to the callgrind running this process (`callgrind_control`)."""
    subprocess.run(["callgrind_control", *arguments, str(os.getpid())], check=True, capture_output=True)


async def _count(settings: Settings, paths: list[str], requests: int) -> None:
    """In the child under valgrind: instrument each path's requests and dump them by name."""
    import logging

    import httpx
    from api_load import log_in

    from api.main import create_app, settle_for_serving
    from core.db.session import open_pool
    from core.logs import configure_logging

    configure_logging()
    logging.getLogger().handlers[0].stream = open(os.devnull, "w")  # noqa: SIM115 - kept for the process
    app = create_app(settings)
    app.state.serving = True
    open_pool(settings)
    settle_for_serving()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            token = await log_in(client, settings)
        for number, path in enumerate(paths):
            for _ in range(50):  # warm: caches, prepared statements, the analytics cache
                status = await _call(app, path, token)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
            _callgrind("-i", "on")
            for _ in range(requests):
                await _call(app, path, token)
            _callgrind("-i", "off")
            _callgrind("-d", f"path{number}")  # a dump of its own, named by the path's place


def _measure(backend: str, url: str, workdir: Path, paths: list[str], requests: int) -> dict[str, float]:
    env = {**server_env(url, workdir, backend), "WORK_PROCESSES": "0"}  # nothing here needs one
    seed(Settings(**{key.lower(): value for key, value in env.items()}))
    out = workdir / f"callgrind-{backend}"
    out.mkdir()
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}/out.%p"]
    command += [sys.executable, __file__, "--requests", str(requests), "--paths", *paths]
    subprocess.run(command, env={**os.environ, **env, UNDER_VALGRIND: "1"}, check=True, capture_output=True)
    counts = {}
    for dump in out.glob("out.*.*"):
        text = dump.read_text()
        number = int(re.search(r"^desc: Trigger: .*?dump path(\d+)", text, re.M).group(1))
        counts[paths[number]] = int(re.search(r"^totals: (\d+)", text, re.M).group(1)) / requests
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests counted per path")
    parser.add_argument("--paths", nargs="+", default=PATHS)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if os.environ.get(UNDER_VALGRIND):
        uvloop.run(_count(Settings(), args.paths, args.requests))  # the loop the API serves on
        return
    if not shutil.which("valgrind"):
        print("valgrind is not installed: nothing to count")
        return
    with tempfile.TemporaryDirectory(prefix="stockcast-bench-") as tmp:
        for backend in args.backends:
            with bench_database(backend, Path(tmp)) as url:
                if url is None:
                    continue
                counts = _measure(backend, url, Path(tmp), args.paths, args.requests)
            print(f"== {backend}: millions of instructions per request, {args.requests} requests each")
            for path in args.paths:
                print(f"{path:<36} {counts[path] / 1e6:8.3f}")


if __name__ == "__main__":
    main()
