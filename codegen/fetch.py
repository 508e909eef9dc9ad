"""Fetch pinned spec files into the git-ignored cache, always verifying their sha256.

Sources, in order: the cache itself (if it already holds the right bytes; ``make update-specs --apply`` puts
re-pinned files there), ``../shared/openapi/<version>/`` when that folder exists (or another file there with the
pinned sha256), else the pinned upstream raw URL; a shared copy with other bytes (a version re-pinned since it was
laid) is passed over for the URL. A file whose sha256 differs from the pin is never used: fetching stops with a
message naming the version, the source, and both digests.
"""

from __future__ import annotations

import hashlib
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Protocol


class Pinned(Protocol):
    """What fetching needs of a pinned file (a spec ``Pin`` or a ``NamingPin``)."""

    @property
    def name(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def cache_file(self) -> Path: ...
    @property
    def shared_file(self) -> Path: ...


class FetchError(RuntimeError):
    """A pinned spec could not be obtained with the pinned sha256."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download(url: str, timeout: float = 60.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        data: bytes = resp.read()
        return data


def _verify(pin: Pinned, data: bytes, source: str) -> bytes:
    got = sha256_of(data)
    if got != pin.sha256:
        raise FetchError(
            f"sha256 mismatch for Intercom API {pin.name} from {source}:\n"
            f"  expected {pin.sha256} (openapi/versions.toml)\n"
            f"  got      {got}\n"
            "The file is not the pinned one; refusing to generate from it."
        )
    return data


def _shared_by_digest(pin: Pinned) -> Path | None:
    """A file of ``../shared/openapi`` with the pinned sha256 under another folder name (a spec re-pinned under
    a new version name); ``None`` when there is none."""
    folder = pin.shared_file.parent.parent
    for candidate in sorted(folder.glob("*/*.yaml")) + sorted(folder.glob("*/*.yml")) if folder.is_dir() else []:
        if sha256_of(candidate.read_bytes()) == pin.sha256:
            return candidate
    return None


def fetch(pin: Pinned, *, shared_file: Path | None = None, download: Callable[[str], bytes] = _download) -> Path:
    """Make ``pin.cache_file`` hold the pinned bytes and return its path."""
    cache = pin.cache_file
    if cache.exists() and sha256_of(cache.read_bytes()) == pin.sha256:
        return cache
    stale = None  # the default shared copy when it holds other bytes (a version re-pinned since it was laid)
    if shared_file is not None:
        source = shared_file if shared_file.exists() else None
    else:
        default = pin.shared_file
        if default.exists() and sha256_of(default.read_bytes()) != pin.sha256:
            stale = default
        source = default if default.exists() and stale is None else _shared_by_digest(pin)
    if source is not None:
        data = _verify(pin, source.read_bytes(), str(source))
    else:
        try:
            raw = download(pin.url)
        except OSError as exc:
            note = f" ({stale} holds another version of the file)" if stale else ""
            raise FetchError(f"could not download Intercom API {pin.name} from {pin.url}: {exc}{note}") from exc
        data = _verify(pin, raw, pin.url)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(cache)
    return cache
