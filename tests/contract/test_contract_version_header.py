"""The ``Intercom-Version`` the client sends is one the published spec allows, operation by operation.

The normalisation rule ``drop_version_header_parameter`` removes the per-operation ``Intercom-Version``
parameter (the client sends the header from the version it was built for), so Prism, serving the
normalised spec, never sees it. This test reads the published spec instead: every operation that
declares the header with an ``enum`` must allow the client's ``VERSION``.

The exception, decided and explained here: Unstable's four custom channel event operations declare
``intercom_version_unstable`` = ``enum: [unstable]`` (lower case), while the same spec's ``intercom_version``
enum, used by its other operations, lists ``Unstable`` and not ``unstable``. The client keeps sending
``Unstable`` for them: one client speaks one version, ``Unstable`` is the value Intercom documents and
every other operation accepts, and a version header read differently per endpoint would be a server
quirk nobody has observed. Prism serving the published Unstable spec rejects ``Unstable`` on exactly
these four (422, ``header intercom-version must be equal to one of the allowed values: unstable``); if the
real API ever does the same, the fix is a per-operation header constant in the generator. Preview does the
same (``intercom_version_preview`` = ``enum: [preview]``) on 8 operations; the client sends ``Preview``.
The rule checked: an operation may exclude the client's version only by listing its lower-case spelling alone.
"""

from __future__ import annotations

import importlib

import pytest

from .conftest import VERSIONS, _ensure_normalised

LOWER_CASE_UNSTABLE = {
    "notifyAttributeCollected",
    "notifyNewConversation",
    "notifyNewMessage",
    "notifyQuickReplySelected",
}
ALLOWED_MISMATCHES = {"Unstable": LOWER_CASE_UNSTABLE}  # as found at the pinned commit; other versions below


@pytest.mark.parametrize("version", list(VERSIONS))
def test_client_version_header_is_allowed_by_each_operation(version: str):
    from codegen.generate import load_spec
    from codegen.pins import load_pins, select

    _ensure_normalised(version)  # fetches the published spec into the cache as well
    (pin,) = select(load_pins(), [version])
    spec = load_spec(pin.cache_file)

    def resolve(node: dict) -> dict:
        while isinstance(node, dict) and "$ref" in node:
            target = spec
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    client_version = importlib.import_module(f"intercom_async.{VERSIONS[version]}").VERSION
    refused = set()
    declaring = 0
    for item in spec["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            for param in map(resolve, op.get("parameters", [])):
                if param.get("in") == "header" and param.get("name", "").lower() == "intercom-version":
                    allowed = resolve(param.get("schema", {})).get("enum")
                    if allowed is not None:
                        declaring += 1
                        if client_version not in allowed:
                            refused.add(op["operationId"])
                            assert allowed == [client_version.lower()], (op["operationId"], allowed)
    assert declaring > 100, f"{version}: only {declaring} operations declare Intercom-Version"
    if version in ALLOWED_MISMATCHES:
        assert refused == ALLOWED_MISMATCHES[version], sorted(refused)
    if client_version.lower() == client_version:  # numbered versions: no excuse
        assert refused == set(), f"Intercom API {version}: {sorted(refused)} exclude {client_version!r}"
