"""Registry-driven smoke test of the testing kit: the fake Intercom answers every operation of every shipped
version, called through the public client, with a response that parses into the operation's declared type.

Two passes per version: the documented examples (as Intercom publishes them; some differ from the spec's own
schemas, so the client is tolerant there), and ``use_examples=False``, whose minimal bodies must pass a strict
client's validation, except where the real API's paging keys are missing from the spec (listed, not skipped).
"""

from __future__ import annotations

from typing import Any

import pytest

import intercom_async
from intercom_async import AsyncPager
from intercom_async.testing import FakeIntercom, sample_body

VERSIONS = list(intercom_async.VERSIONS)


def arguments(op: Any) -> tuple[list[Any], dict[str, Any]]:
    """Path parameters positional (a few are positional-only: a body field has the same name), the rest keywords."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for py_name, name, where, required in op.params:
        if where == "path":
            args.append(f"{name}-1")
        elif required:
            kwargs[py_name] = {"user_id": "u1"} if name == "filter" else "1"
    body = sample_body(op)
    if body is not None:
        kwargs["request_body"] = body
    return args, kwargs


def declared(op: Any, models: Any) -> type | None:
    """The model class the operation's success response is declared as (``None``: not a single model)."""
    spec = op.response_spec(200) or next((s for s in op.responses if s[0].startswith("2")), None)
    if spec is None or not isinstance(spec[2], tuple) or spec[2][0] != "model":
        return None
    return getattr(models, spec[2][1])


def pages_undeclared(op: Any, models: Any) -> bool:
    """The paging keys the API sends (items, next) are not declared by the response model (spec vs API)."""
    cls = declared(op, models)
    if op.pagination is None or cls is None:
        return False
    keys = {f[0] for f in cls._FIELDS}
    needed = {op.pagination.items[0][0], *(steps[0][0] for steps in (op.pagination.next, op.pagination.page) if steps)}
    return not needed <= keys


async def call_everything(fake: FakeIntercom, client: Any) -> tuple[int, list[str]]:
    problems: list[str] = []
    for op in fake.operations.values():
        if client.strict and pages_undeclared(op, fake.models):
            continue
        try:
            args, kwargs = arguments(op)
            result = op.bind(client)(*args, **kwargs)
            if isinstance(result, AsyncPager):
                items = [item async for item in result]
                first = await result
                if any(not hasattr(item, "to_dict") for item in items):
                    problems.append(f"{op.operation_id}: untyped items")
                result = first
            else:
                result = await result
        except Exception as exc:  # collected: one report of every operation that fails
            problems.append(f"{op.operation_id}: {type(exc).__name__}: {exc}")
            continue
        cls = declared(op, fake.models)
        if cls is not None and not isinstance(result, cls):
            problems.append(f"{op.operation_id}: {type(result).__name__}, declared {cls.__name__}")
    return len(fake.operations), problems


@pytest.mark.parametrize("version", VERSIONS)
async def test_every_operation_answers_its_documented_example_typed(version):
    async with FakeIntercom(version) as fake:
        count, problems = await call_everything(fake, fake.client(max_retries=0))
        assert count == len(intercom_async.VERSIONS[version].load().OPERATIONS) > 100
        assert problems == []
        assert {r.status for r in fake.requests} <= {200, 201, 202, 204}
        assert {r.operation_id for r in fake.requests} == set(fake.operations)


@pytest.mark.parametrize("version", VERSIONS)
async def test_every_minimal_answer_passes_strict_validation(version):
    async with FakeIntercom(version, use_examples=False) as fake:
        _count, problems = await call_everything(fake, fake.client(max_retries=0, strict=True))
        assert problems == []
        exempt = sorted(op.operation_id for op in fake.operations.values() if pages_undeclared(op, fake.models))
        assert exempt and set(exempt) <= {"lisDataEvents", "listConversations"}
