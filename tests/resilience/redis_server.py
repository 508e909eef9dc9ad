"""A real ``redis-server`` for the RedisRateLimiter tests, started by the tests on a free loopback port.

The binary is looked up on PATH. Without it the tests skip with a message locally; in CI (``CI=true``) they
fail instead, since ``.ci/run`` installs Debian's ``redis-server`` when it is missing. The server runs in the
foreground of its own process with persistence off (``--save '' --appendonly no``) in a temporary directory,
and is stopped (and can be restarted on the same port, to test outages) by the fixture.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1; ``stop()``/``start()`` simulate an outage on the same port."""

    def __init__(self, binary: str, directory: str) -> None:
        self.binary = binary
        self.directory = directory
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _spawn(self, port: int) -> bool:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", self.directory, "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.poll() is None:
            if _ping(port):
                self.port = port
                return True
            time.sleep(0.02)
        self.stop()
        return False

    def start(self) -> None:
        """Start on a free port (another one if that port is taken before redis-server binds it)."""
        for _ in range(5):
            if self._spawn(_free_port()):
                return
        raise RuntimeError("redis-server did not start")

    def restart_same_port(self) -> None:
        """Start again on the port it had (after ``stop()``): clients see Redis come back."""
        assert self.proc is None and self.port
        if not self._spawn(self.port):
            raise RuntimeError(f"redis-server did not restart on port {self.port}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def redis_binary() -> str:
    """The redis-server path; skips (locally) or fails (CI=true) the calling test when there is none."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = (
            "redis-server not found on PATH: the RedisRateLimiter tests need it "
            "(Debian/Ubuntu: apt-get install redis-server; .ci/run installs it in CI)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    binary = redis_binary()
    with tempfile.TemporaryDirectory(prefix="intercom-redis-") as directory:
        server = RedisServer(binary, directory)
        server.start()
        try:
            yield server
        finally:
            server.stop()
