"""Prism can validate every request of every operation: no schema that ajv refuses to compile.

Prism treats an ajv compile error as "valid", so one schema it cannot compile silently turns request
validation off for every operation that reaches it, and the positive suite would pass without checking
anything. Two spec patterns did that (fixed by the normalisation rules ``nullable_without_type`` and
``nullable_enum_listing_null``: 8 to 10 operations per version); ``prism_schemas.js`` loads each normalised
spec as ``prism mock`` does and compiles every request body and parameter schema with Prism's own ajv.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import VERSIONS, _ensure_normalised, _unavailable
from .prism import PRISM_BIN, ROOT

SCRIPT = Path(__file__).with_name("prism_schemas.js")


@functools.cache
def _compile_all() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not PRISM_BIN.exists():
        return {"unavailable": "node or node_modules missing: run `npm ci`"}
    specs = {version: str(_ensure_normalised(version)) for version in VERSIONS}
    proc = subprocess.run(
        [node, str(SCRIPT), *specs.values()], cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    out = json.loads(proc.stdout)
    return {version: out[path] for version, path in specs.items()}


@pytest.mark.parametrize("version", list(VERSIONS))
def test_prism_can_compile_every_request_schema(version: str):
    result = _compile_all()
    if "unavailable" in result:
        _unavailable(result["unavailable"])
    assert "error" not in result, f"prism_schemas.js failed:\n{result.get('error')}"
    checked = result[version]
    assert checked["operations"] > 100, checked
    assert checked["failures"] == [], "request schemas Prism cannot validate:\n" + "\n".join(
        " ".join(f) for f in checked["failures"]
    )
