"""Run mypy the way ``make lint`` does (``--strict --follow-imports=silent``), sharing its cache.

mypy spends most of a run reading the six generated version packages; with the same flags and the same
``.mypy_cache`` as ``make lint`` (which ``make ci`` runs first), a test's run reuses that work instead of
starting cold, so each typing test costs seconds, not half a minute.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ("--strict", "--follow-imports=silent")


def run_mypy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    assert mypy, "mypy is part of the dev extra"
    command = [mypy, *FLAGS, "--cache-dir", str(ROOT / ".mypy_cache"), "--no-error-summary", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd)
