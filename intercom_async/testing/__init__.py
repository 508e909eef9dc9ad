"""A fake Intercom for your tests: ``FakeIntercom`` and the pytest plugin (``intercom_fake``, ``intercom_client``).

``FakeIntercom(version)`` runs the REST API of any shipped version on 127.0.0.1: it answers every operation
with the spec's documented example (or what the test registered), walks realistic pages for paginated
operations, validates request bodies against the spec (``422`` with Intercom's error shape), records the
requests, injects faults on demand (``429`` with ``X-RateLimit-Reset``, ``5xx``, slow bodies, dropped
connections) and delivers signed webhook notifications to your receiver::

    async with FakeIntercom("2.16") as fake:
        fake.items("ListContacts", [{"type": "contact", "id": str(i)} for i in range(120)])
        fake.fail("ShowContact", status=429, reset_in=0.1)
        client = fake.client()
        ids = [c.id async for c in client.contacts.list(per_page=50)]  # three pages

``FakeIntercom(version, workspace=Workspace(...), latency=..., rate_limit=..., rate_window=10,
workspace_limit=...)`` simulates a workspace with Intercom's rules instead (search by calendar day on stable
versions, indexing delay, merges, the single companies scroll, per-app and per-workspace rate windows): see
``Workspace``.

The pytest plugin (registered as ``intercom_async`` under ``pytest11``) provides the fixtures; see
``intercom_async.testing.plugin``. Nothing here is imported by ``import intercom_async``, and this package
imports its server (``aiohttp.web``) only when ``FakeIntercom`` is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Delivery", "FakeIntercom", "RecordedRequest", "Rule", "Stats", "Workspace", "examples", "sample_body"]

_EXPORTS = {
    "Delivery": "._fake",
    "FakeIntercom": "._fake",
    "RecordedRequest": "._fake",
    "Rule": "._fake",
    "Stats": "._limits",
    "Workspace": "._workspace",
    "examples": "._data",
    "sample_body": "._data",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from ._data import examples, sample_body
    from ._fake import Delivery, FakeIntercom, RecordedRequest, Rule
    from ._limits import Stats
    from ._workspace import Workspace
