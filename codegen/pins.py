"""The version pins of ``openapi/versions.toml``, read into small typed records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
PINS_FILE = ROOT / "openapi" / "versions.toml"
CACHE_DIR = ROOT / ".cache" / "openapi"
SHARED_DIR = ROOT.parent / "shared" / "openapi"


@dataclass(frozen=True)
class Pin:
    name: str  # Intercom-Version header value, e.g. "2.12"
    module: str  # generated package name, e.g. "v2_12"
    commit: str
    path: str
    sha256: str
    url: str  # upstream raw URL at the pinned commit

    @property
    def cache_file(self) -> Path:
        return CACHE_DIR / self.name / "api.intercom.io.yaml"

    @property
    def normalised_file(self) -> Path:
        return CACHE_DIR / self.name / "normalised.json"

    @property
    def shared_file(self) -> Path:
        return SHARED_DIR / self.name / "api.intercom.io.yaml"


@dataclass(frozen=True)
class NamingPin:
    """One file of Intercom's own SDK naming table (``x-fern-sdk-group-name`` / ``x-fern-sdk-method-name``)."""

    commit: str
    path: str
    sha256: str
    url: str

    @property
    def name(self) -> str:  # how fetch messages call it
        return f"naming table {Path(self.path).name}"

    @property
    def cache_file(self) -> Path:
        return CACHE_DIR / "naming" / Path(self.path).name

    @property
    def shared_file(self) -> Path:
        return SHARED_DIR / "naming" / Path(self.path).name


def load_naming_pins(path: Path = PINS_FILE) -> list[NamingPin]:
    """The pinned naming-table files, in the order they apply (later files add to earlier ones)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    template = data["upstream"]
    return [
        NamingPin(
            commit=n["commit"],
            path=n["path"],
            sha256=n["sha256"].lower(),
            url=template.format(commit=n["commit"], path=n["path"]),
        )
        for n in data.get("naming", [])
    ]


def load_pins(path: Path = PINS_FILE) -> list[Pin]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    template = data["upstream"]
    return [
        Pin(
            name=v["name"],
            module=v["module"],
            commit=v["commit"],
            path=v["path"],
            sha256=v["sha256"].lower(),
            url=template.format(commit=v["commit"], path=v["path"]),
        )
        for v in data["version"]
    ]


def default_version(path: Path = PINS_FILE) -> str:
    default: str = tomllib.loads(path.read_text(encoding="utf-8"))["default"]
    return default


def select(pins: list[Pin], names: list[str] | None) -> list[Pin]:
    """The pins named (all when ``names`` is empty); an unknown name is an error listing the known ones."""
    if not names:
        return pins
    by_name = {p.name: p for p in pins} | {p.module: p for p in pins}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(f"unknown version(s) {unknown}; pinned: {[p.name for p in pins]}")
    return [by_name[n] for n in names]
