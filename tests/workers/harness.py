"""Real worker processes for the job-queue recipe (``examples/export_taskiq.py``): a simulated workspace served by
``FakeIntercom`` from the test process, a real ``redis-server`` (``tests.resilience.redis_server``), the recipe's
``queue`` command and ``taskiq worker`` processes started on free loopback ports, and ``kill -9``.

Everything is bounded: each wait has a deadline, and every process started here is killed (its whole process
group: the taskiq manager and its worker child) when the fleet closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

if str(ROOT) not in sys.path:  # examples/ is a namespace package of the checkout
    sys.path.insert(0, str(ROOT))


def recipe() -> Any:
    """The recipe module (``examples.export_taskiq``), for its ``Settings`` and ``status``."""
    return importlib.import_module("examples.export_taskiq")


class Fleet:
    """The recipe's processes against one FakeIntercom and one Redis; ``env`` is what every process gets."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.workers: list[asyncio.subprocess.Process] = []
        self.killed: list[int] = []  # pids killed with SIGKILL

    @property
    def settings(self) -> Any:
        return recipe().Settings.from_env(self.env)

    async def queue(self, resource: str, export: str) -> str:
        """``python -m examples.export_taskiq queue RESOURCE EXPORT``; its output line."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "examples.export_taskiq",
            "queue",
            resource,
            export,
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()[-3000:]
        return out.decode().strip()

    async def start_worker(self, max_async_tasks: int) -> asyncio.subprocess.Process:
        """``taskiq worker examples.export_taskiq:broker --workers 1``: a manager process and its worker child
        (restarted by the manager if it dies), in a process group of their own."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "taskiq",
            "worker",
            "examples.export_taskiq:broker",
            "--workers",
            "1",
            "--max-async-tasks",
            str(max_async_tasks),
            "--max-fails",
            "100",
            "--shutdown-timeout",
            "2",
            "--log-level",
            "WARNING",
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        self.workers.append(proc)
        return proc

    @staticmethod
    def children(proc: asyncio.subprocess.Process) -> list[int]:
        try:
            text = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    async def kill_worker_child(self, proc: asyncio.subprocess.Process) -> int | None:
        """``kill -9`` the process doing the work (the manager's child); its pid, or None if it had none."""
        for _ in range(50):
            kids = self.children(proc)
            if kids:
                os.kill(kids[0], signal.SIGKILL)
                self.killed.append(kids[0])
                return kids[0]
            await asyncio.sleep(0.1)
        return None

    async def wait_done(self, export: str, timeout: float) -> dict[str, Any]:
        """Poll the recipe's ``status`` until every partition is done; the last status."""
        deadline = time.monotonic() + timeout
        settings = self.settings
        while True:
            state: dict[str, Any] = await recipe().status(settings, export)
            if state["partitions"] and state["done"] == state["partitions"]:
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"the export did not finish in {timeout} s: {state}; {await self._errors()}")
            await asyncio.sleep(0.2)

    async def _errors(self) -> str:
        tails = []
        for proc in self.workers:
            if proc.returncode is not None and proc.stderr is not None:
                tails.append((await proc.stderr.read()).decode()[-1500:])
        return " | ".join(tails)

    async def close(self) -> None:
        for proc in self.workers:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()


@contextlib.asynccontextmanager
async def fleet(env: dict[str, str]) -> AsyncIterator[Fleet]:
    running = Fleet(env)
    try:
        yield running
    finally:
        await running.close()
