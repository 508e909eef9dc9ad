"""Start and stop Stoplight Prism (``@stoplight/prism-cli``, pinned in ``package.json``) on 127.0.0.1.

Prism serves an OpenAPI document, validates every request against it and answers with the document's
examples. The contract tests start one server per API version (``conftest.py``); the quickstart runs against
one through this file's command line (``make demo`` itself uses the package's FakeIntercom)::

    python tests/contract/prism.py --version 2.12 -- python examples/quickstart.py

which starts Prism on ``.cache/openapi/2.12/normalised.json``, runs the command with
``INTERCOM_BASE_URL`` set to the server, and stops Prism when the command ends.

Prism is started directly from ``node_modules/.bin`` (not through ``npx``, whose death leaves node
serving), in its own process group, and stopped through that group. Standard library only: the command
line imports nothing from the test suite.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRISM_BIN = ROOT / "node_modules" / ".bin" / "prism"
SPEC_DIR = ROOT / ".cache" / "openapi"
START_TIMEOUT = 60.0  # seconds; Prism needs about 3 s on an idle 2-core machine


_RUNNING: set[PrismServer] = set()  # stopped at interpreter exit too, should a caller forget (or crash)


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


class PrismUnavailable(RuntimeError):
    """Prism is not installed, or did not start serving."""


def normalised_spec(version: str) -> Path:
    """The normalised spec of ``version`` (written by ``python -m codegen normalise``)."""
    return SPEC_DIR / version / "normalised.json"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PrismServer:
    """One ``prism mock`` process serving ``spec`` on ``http://127.0.0.1:<port>``.

    ``start()`` returns once the port accepts connections and raises ``PrismUnavailable`` (with the end of
    Prism's log) if the process exits or the timeout expires first. ``stop()`` terminates the process group,
    escalating to SIGKILL, and is safe to call more than once. Prism logs every request, so its output goes
    to a file (``log_path``), never to a pipe nobody reads.
    """

    def __init__(self, spec: Path, *, log_dir: Path | None = None, timeout: float = START_TIMEOUT) -> None:
        self.spec = spec
        self.timeout = timeout
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        log_dir = log_dir or Path(tempfile.mkdtemp(prefix="prism-"))
        self.log_path = log_dir / f"prism-{spec.parent.name}.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.strip().splitlines()[-lines:])

    def start(self) -> PrismServer:
        if not PRISM_BIN.exists():
            raise PrismUnavailable(f"{PRISM_BIN.relative_to(ROOT)} not found: run `npm ci` in {ROOT}")
        if not self.spec.exists():
            raise PrismUnavailable(f"{self.spec} not found: run `.venv/bin/python -m codegen normalise`")
        for _attempt in range(3):  # the free port can be taken between choosing it and Prism binding it
            self.port = _free_port()
            with self.log_path.open("wb") as log:
                self.proc = subprocess.Popen(
                    [str(PRISM_BIN), "mock", str(self.spec), "-h", "127.0.0.1", "-p", str(self.port)],
                    cwd=ROOT,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stop() reaches anything it spawns
                )
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if _accepts(self.port) and "Prism is listening" in self.log_tail(5):
                    _RUNNING.add(self)
                    return self
                time.sleep(0.1)
            exited = self.proc.poll() is not None
            self.stop()
            if not exited:
                raise PrismUnavailable(
                    f"Prism did not listen on port {self.port} within {self.timeout:.0f} s "
                    f"({self.spec}); log:\n{self.log_tail()}"
                )
            if "EADDRINUSE" not in self.log_tail(50):
                break
        raise PrismUnavailable(f"Prism exited while starting on {self.spec}; log:\n{self.log_tail()}")

    def stop(self) -> None:
        _RUNNING.discard(self)
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)  # the group is the process's own id (start_new_session)
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a command against Prism serving a normalised spec.")
    parser.add_argument("--version", default="2.12", help="API version whose normalised spec to serve")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    server = PrismServer(normalised_spec(args.version))
    try:
        server.start()
    except PrismUnavailable as exc:
        print(f"prism: {exc}", file=sys.stderr)
        return 1
    print(f"prism: serving Intercom API {args.version} (normalised spec) on {server.base_url}", file=sys.stderr)
    try:
        env = {**os.environ, "INTERCOM_BASE_URL": server.base_url}
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
