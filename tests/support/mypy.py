"""Run mypy the way ``make lint`` does (``--strict --follow-imports=silent``), sharing its cache.

mypy spends most of a run reading the six generated version packages; with the same flags and the same
``.mypy_cache`` as ``make lint`` (which ``make ci`` runs first), a test's run reuses that work instead of
starting cold, so each typing test costs seconds, not half a minute.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ("--strict", "--follow-imports=silent")


def snippet(directory: Path, stem: str) -> Path:
    """A path for a snippet file with a module name used once: mypy's shared cache is keyed by module name, and a
    snippet of the same name and content from an earlier run (another temporary directory) was reported under
    that run's path."""
    return directory / f"{stem}_{uuid.uuid4().hex[:12]}.py"


def run_mypy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    assert mypy, "mypy is part of the dev extra"
    command = [mypy, *FLAGS, "--cache-dir", str(ROOT / ".mypy_cache"), "--no-error-summary", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd)
