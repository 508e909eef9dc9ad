"""The release metadata agrees with itself: one version in pyproject, ``__version__``, the User-Agent and the
CHANGELOG's newest release; the description covers every shipped API version; the classifiers a typed asyncio
library needs are there (docs/releasing.md)."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

import intercom_async
from codegen.pins import load_pins
from intercom_async import _client

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_one_version_everywhere() -> None:
    version = PROJECT["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert intercom_async.__version__ == version
    assert _client.USER_AGENT == f"intercom-async/{version}"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"(?m)^## \[([^\]]+)\]", changelog)
    assert releases[0] == "Unreleased" and releases[1] == version


def test_description_and_classifiers() -> None:
    description = PROJECT["description"]
    span = re.search(r"(\d+)\.(\d+) to (\d+)\.(\d+)", description)  # "2.10 to 2.16": every numbered version between
    low, high = ((int(span[1]), int(span[2])), (int(span[3]), int(span[4]))) if span else ((0, 0), (0, 0))
    for pin in load_pins():
        numbered = re.fullmatch(r"(\d+)\.(\d+)", pin.name)
        version = (int(numbered[1]), int(numbered[2])) if numbered else None
        assert pin.name in description or (version and low <= version <= high), pin.name
    classifiers = set(PROJECT["classifiers"])
    assert {"Typing :: Typed", "Framework :: AsyncIO", "Programming Language :: Python :: 3.10"} <= classifiers
    assert (ROOT / "intercom_async" / "py.typed").exists()


def test_the_readme_states_the_size_budget_release_check_enforces() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("release_check", ROOT / "tools" / "release_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    limits = module.budget()
    assert set(limits) == {"wheel", "installed", "compiled"} and all(v > 0 for v in limits.values())
    assert limits["wheel"] < limits["installed"] < limits["compiled"]
