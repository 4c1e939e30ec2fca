"""Real services for tests: free ports, servers started and stopped, Redis."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def skip_or_fail(reason: str) -> None:
    """Skip, except in CI (`CI=true`), where a missing service is a failure."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI=true: this test must not be skipped)")
    pytest.skip(reason)


def unreachable_redis() -> redis.Redis:
    """A client of a port nothing listens on that fails at once: redis-py's default
    retries would make every call wait about 4 s before it fails."""
    return redis.Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))


@contextmanager
def running(
    command: list[str],
    ready: Callable[[], object],
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 30,
    stop: signal.Signals = signal.SIGTERM,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` until the block ends, once `ready()` stops raising; output to `log`.

    `stop` is the signal that ends it.
    """
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                ready()
                break
            except (OSError, redis.ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"`{' '.join(command)}` did not start:\n{log.read_text()}"
                    )
                time.sleep(0.05)
        yield process
    finally:
        process.send_signal(stop)
        process.wait(timeout=10)


@contextmanager
def redis_server(log: Path, port: int | None = None) -> Iterator[str]:
    """A real Redis URL: a redis-server on `port` (default: `REDIS_URL` if set, else a
    free port), stopped when the block ends."""
    if port is None and (url := os.environ.get("REDIS_URL")):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("no real Redis: set REDIS_URL or install redis-server")
    port = port or free_port()
    url = f"redis://127.0.0.1:{port}/0"
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    with running(command, redis.Redis.from_url(url).ping, log):
        yield url
