"""``kill -9`` of a process running ``export()`` at random points: the restarted process loses nothing and
delivers again at most the one page that was being consumed (the consumer takes one page at a time)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from intercom_async.testing import FakeIntercom, Workspace

ROOT = Path(__file__).resolve().parents[2]
PER_PAGE = 20


async def _child(fake: FakeIntercom, store: Path, sink: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.sync.export_child",
        fake.base_url,
        fake.token,
        str(store),
        str(sink),
        cwd=ROOT,
        env=env,
    )


def _lines(sink: Path) -> list[str]:
    return sink.read_text().split() if sink.exists() else []


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_kill_9_at_a_random_point_loses_nothing(tmp_path: Path, seed: int):
    rng = random.Random(seed)
    ws = Workspace(timezone="UTC", seed=seed)
    async with FakeIntercom("2.16", workspace=ws, latency=0.002) as fake:
        now = int(ws.now())
        ws.add("conversations", 600, created_from=now - 30 * 86400, created_to=now - 60)
        everything = {r["id"] for r in ws.records("conversations")}
        store, sink = tmp_path / "store", tmp_path / "sink"
        kill_at = rng.randrange(30, 570)
        proc = await _child(fake, store, sink)
        try:
            async with asyncio.timeout(60):
                while len(_lines(sink)) < kill_at and proc.returncode is None:
                    await asyncio.sleep(0.002)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
            await proc.wait()
        assert proc.returncode == -signal.SIGKILL, "the export ended before it could be killed"
        first = len(_lines(sink))
        assert 0 < first < 600
        proc = await _child(fake, store, sink)
        async with asyncio.timeout(60):
            assert await proc.wait() == 0
        counts = Counter(_lines(sink))
        assert set(counts) == everything  # nothing lost
        repeated = sum(n - 1 for n in counts.values())
        assert repeated <= PER_PAGE, (kill_at, first, repeated)
        assert list(store.glob("*.json")) == []  # finished: the export cleared its checkpoints
