"""Every documented JSON response example of the three specs parses into its declared type and round-trips:
``to_dict()`` of the parsed value is the example's JSON, exactly."""

from __future__ import annotations

import importlib
import json

import pytest

from intercom_async._codec import dump
from tests.support import spec

CASES = [
    pytest.param(version, op_id, status, value, id=f"{version}-{op_id}-{status}-{name}")
    for version in spec.VERSIONS
    for op_id, status, name, value in spec.response_examples(version)
]


def _declared_classes(descriptor, models) -> tuple[type, ...]:
    if isinstance(descriptor, tuple) and descriptor[0] == "model":
        return (getattr(models, descriptor[1]),)
    if isinstance(descriptor, tuple) and descriptor[0] == "union":
        return tuple(c for d in descriptor[1] for c in _declared_classes(d, models))
    return ()


@pytest.mark.parametrize("version", list(spec.VERSIONS))
def test_every_published_example_is_a_case(version):
    """Counted in the spec as Intercom publishes it: no documented JSON response example is left out."""
    published = sum(1 for _ in spec.response_examples(version, spec.published(version)))
    assert published > 0
    assert sum(1 for c in CASES if c.values[0] == version) == published


@pytest.mark.parametrize(("version", "op_id", "status", "value"), CASES)
def test_response_example_parses_and_round_trips(version, op_id, status, value):
    package = importlib.import_module(f"intercom_async.{spec.VERSIONS[version]}")
    op = package.OPERATIONS[op_id]
    documented = op.response_spec(status)
    assert documented is not None, f"{op_id} has no decoder for documented status {status}"
    parsed = op.parse(status, json.dumps(value).encode())
    classes = _declared_classes(documented[2], package.models)
    if classes and isinstance(value, dict):
        assert isinstance(parsed, classes), f"{op_id} {status}: got {type(parsed).__name__}, declared {classes}"
    elif isinstance(documented[2], tuple) and documented[2][0] == "list":
        assert isinstance(parsed, list)
    assert dump(parsed) == value
