"""The core's dependencies run one way: a module imports only modules listed before it in the layer list of
``docs/ARCHITECTURE.md`` (type-only imports and imports inside functions count too).

The list is read from the document, so the order is written once. Every module of ``intercom_async/`` must be
in it; a version package (generated) may be named only by ``_versions`` (generated too).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "intercom_async"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"


def layer_order() -> list[str]:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    block = text.split("<!-- layers:", 1)[1].split("<!-- /layers -->", 1)[0]
    return re.findall(r"^\d+\. `([A-Za-z_0-9]+)`", block, flags=re.M)


def version_packages() -> set[str]:
    return {p.parent.name for p in PACKAGE.glob("*/__init__.py")}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """``(line, module)`` for every module of ``intercom_async`` that ``source`` (a module directly inside the
    package) imports, wherever the import statement is."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] != "intercom_async":
                    continue
                rest = parts[1:]
            elif node.level == 1:
                rest = (node.module or "").split(".") if node.module else []
            else:
                continue  # above the package: nothing of ours
            if rest:
                found.append((node.lineno, rest[0]))
            else:  # from . import x, y
                found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "intercom_async":
                    found.append((node.lineno, parts[1] if len(parts) > 1 else "__init__"))
    return found


def violations(name: str, source: str, order: list[str], packages: set[str]) -> list[str]:
    rank = {module: i for i, module in enumerate(order)}
    out = []
    for line, target in sorted(imported_modules(source)):
        if target in packages:
            if name != "_versions":
                out.append(f"{name}.py:{line} imports the version package {target} (only _versions may)")
        elif target not in rank:
            out.append(f"{name}.py:{line} imports {target}, which is not in the layer list")
        elif rank[target] >= rank[name]:
            out.append(f"{name}.py:{line} imports {target}, listed at or above it")
    return out


def test_the_layer_list_covers_every_module_once():
    order = layer_order()
    assert len(order) == len(set(order)), order
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert set(order) == modules, f"add to (or remove from) docs/ARCHITECTURE.md: {set(order) ^ modules}"
    assert order[0] == "_types" and order.index("_errors") < order.index("_codec")  # leaves first


def test_no_core_module_imports_one_above_it():
    order = layer_order()
    packages = version_packages()
    assert {"v2_10", "v2_12"} <= packages
    problems = []
    for name in order:
        source = (PACKAGE / f"{name}.py").read_text(encoding="utf-8")
        problems += violations(name, source, order, packages)
    assert problems == []


def test_the_check_sees_type_only_lazy_and_absolute_imports():
    order = ["_types", "_errors", "_client"]
    packages = {"v2_12"}
    source = """
from typing import TYPE_CHECKING
from ._types import UNSET
if TYPE_CHECKING:
    from ._client import BaseClient
def later():
    import intercom_async._client
    from . import v2_12
from .. import elsewhere
from intercom_async import _types
"""
    assert violations("_errors", source, order, packages) == [
        "_errors.py:5 imports _client, listed at or above it",
        "_errors.py:7 imports _client, listed at or above it",
        "_errors.py:8 imports the version package v2_12 (only _versions may)",
    ]
    assert violations("_client", "from ._nowhere import x\n", order, packages) == [
        "_client.py:1 imports _nowhere, which is not in the layer list"
    ]
