"""Checkpoint stores: where partitions keep their positions and a sync keeps its next checkpoint.

A store maps string keys to JSON values (``dict``). The protocol is four coroutines::

    await store.load(key)          -> dict | None       # None: nothing stored
    await store.save(key, value)                        # durable when it returns
    await store.delete(key)
    await store.keys(prefix)       -> list[str]

Three implementations:

* ``MemoryCheckpointStore``: a dict (tests, one process that never restarts);
* ``FileCheckpointStore(directory)``: one JSON file per key. A save writes a temporary file in the same
  directory, ``fsync``s it, renames it over the old one (atomic on POSIX) and ``fsync``s the directory, so
  after a crash at any moment the file holds the old value or the new one, never a mix (a crash mid-save can
  leave a ``.tmp-*.part`` file; the store removes those older than ten minutes when it is created). A file that is not
  valid JSON (damaged by hand or by the disk) raises ``CheckpointError`` naming it and is left untouched;
* ``RedisCheckpointStore(redis)``: one Redis string per key under a prefix (the ``redis`` extra: a
  ``redis.asyncio.Redis`` client is passed in, the package is never imported here). ``SET`` is atomic;
  durability is Redis's own (AOF with ``appendfsync`` for crash safety of the Redis server itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .. import _json
from ._errors import CheckpointError

__all__ = ["CheckpointStore", "FileCheckpointStore", "MemoryCheckpointStore", "RedisCheckpointStore"]


@runtime_checkable
class CheckpointStore(Protocol):
    """Where checkpoints live; see the module docstring."""

    async def load(self, key: str) -> dict[str, Any] | None: ...

    async def save(self, key: str, value: dict[str, Any]) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def keys(self, prefix: str = "") -> list[str]: ...


def _encode(key: str, value: dict[str, Any]) -> str:
    if not isinstance(value, dict):
        raise CheckpointError(f"a checkpoint must be a dict, got {type(value).__name__}", key=key)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _decode(key: str, text: str | bytes, where: str) -> dict[str, Any]:
    try:
        value = _json.loads(text)
    except ValueError as exc:  # JSONDecodeError: also invalid UTF-8, NaN, too deep
        raise CheckpointError(f"{where} is not valid JSON ({exc}); it was left as is", key=key) from None
    if not isinstance(value, dict):
        raise CheckpointError(f"{where} holds {type(value).__name__}, not a JSON object; it was left as is", key=key)
    return value


class MemoryCheckpointStore:
    """Checkpoints in a dict (values are copied through JSON, as the other stores do)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def load(self, key: str) -> dict[str, Any] | None:
        text = self.data.get(key)
        return None if text is None else _decode(key, text, "the stored value")

    async def save(self, key: str, value: dict[str, Any]) -> None:
        self.data[key] = _encode(key, value)

    async def delete(self, key: str) -> None:
        self.data.pop(key, None)

    async def keys(self, prefix: str = "") -> list[str]:
        return sorted(k for k in self.data if k.startswith(prefix))

    def __repr__(self) -> str:
        return f"<MemoryCheckpointStore {len(self.data)} keys>"


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")  # "." too: no hidden or relative names


def _file_name(key: str) -> str:
    """A file name for ``key`` that is reversible and stays inside the directory (``%XX`` escapes)."""
    return _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), key) + ".json"


def _key_of(name: str) -> str:
    raw = name[: -len(".json")]
    return re.sub(r"((?:%[0-9A-F]{2})+)", lambda m: bytes.fromhex(m.group().replace("%", "")).decode(), raw)


class FileCheckpointStore:
    """One JSON file per key in ``directory`` (created if missing); atomic, durable saves."""

    STALE_TEMP = 600.0  # seconds: a temporary file this old was left by a crash mid-save

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - self.STALE_TEMP
        for leftover in self.directory.glob(".tmp-*.part"):  # never another live writer's: those are fresh
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()

    def _path(self, key: str) -> Path:
        return self.directory / _file_name(key)

    async def load(self, key: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self._load, key)

    async def save(self, key: str, value: dict[str, Any]) -> None:
        text = _encode(key, value)
        await asyncio.to_thread(self._save, key, text)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)

    async def keys(self, prefix: str = "") -> list[str]:
        names = await asyncio.to_thread(lambda: [p.name for p in self.directory.glob("*.json")])
        return sorted(k for k in map(_key_of, names) if k.startswith(prefix))

    def _load(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return _decode(key, data, f"the file {path}")

    def _save(self, key: str, text: str) -> None:
        path = self._path(key)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        self._sync_dir()

    def _delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return
        self._sync_dir()

    def _sync_dir(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"<FileCheckpointStore {str(self.directory)!r}>"


class RedisCheckpointStore:
    """Checkpoints as Redis strings under ``prefix`` (pass a ``redis.asyncio.Redis``; the ``redis`` extra)."""

    def __init__(self, redis: Any, *, prefix: str = "intercom_async:checkpoint:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def load(self, key: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.prefix + key)
        return None if raw is None else _decode(key, raw, f"the Redis key {self.prefix + key!r}")

    async def save(self, key: str, value: dict[str, Any]) -> None:
        await self.redis.set(self.prefix + key, _encode(key, value))

    async def delete(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)

    async def keys(self, prefix: str = "") -> list[str]:
        out = []
        async for raw in self.redis.scan_iter(match=_glob_escape(self.prefix + prefix) + "*", count=500):
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            out.append(name[len(self.prefix) :])
        return sorted(out)

    def __repr__(self) -> str:
        return f"<RedisCheckpointStore prefix={self.prefix!r}>"


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)
