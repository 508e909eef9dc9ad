"""A test suite as a user of intercom_async writes it: only the plugin's fixtures (``intercom_fake``,
``intercom_client``) and public API (``intercom_async``, ``intercom_async.testing``, ``intercom_async.webhooks``).

It covers every feature of the testing kit, for two API versions (2.12 and the default): documented examples,
registered data, paging in every style, request-body validation, recorded requests, faults (429 with
``X-RateLimit-Reset``, 5xx, slow bodies, dropped connections), rate-limit headers and limits, signed webhook
deliveries to a real receiver, and choosing the version.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

import intercom_async
from intercom_async import webhooks
from intercom_async.testing import FakeIntercom, RecordedRequest

VERSIONS = ["2.12", intercom_async.DEFAULT_VERSION]
assert len(set(VERSIONS)) == 2
SECRET = "cs_test_5b1e0f9a7c3d4e2f8a6b"
per_version = pytest.mark.parametrize("intercom_version", VERSIONS)


def models(fake: FakeIntercom) -> Any:
    return intercom_async.VERSIONS[fake.version].load().models


def contact_param(fake: FakeIntercom) -> str:
    """The name of ``contacts.find``'s path parameter in this version (``id`` in 2.12, ``contact_id`` later)."""
    return next(name for _py, name, where, _req in fake.operation("contacts.find").params if where == "path")


def contacts(n: int, prefix: str = "c") -> list[dict[str, Any]]:
    return [{"type": "contact", "id": f"{prefix}{i}", "email": f"{prefix}{i}@example.com"} for i in range(n)]


# ---------------------------------------------------------------------------------------------- answers


@per_version
async def test_every_call_gets_the_documented_example_typed(intercom_fake, intercom_client):
    contact = await intercom_client.contacts.find("123")
    assert isinstance(contact, models(intercom_fake).Contact)
    assert contact.to_dict() == intercom_fake.example("contacts.find") and contact.id
    me = await intercom_client.admins.identify()
    assert me.to_dict() == intercom_fake.example("admins.identify")
    (request, _) = intercom_fake.requests
    assert (request.method, request.path, request.operation_id) == ("GET", "/contacts/123", "ShowContact")
    assert request.path_params == {contact_param(intercom_fake): "123"}
    assert request.headers["intercom-version"] == intercom_fake.version  # headers are case-insensitive
    assert request.authorization == f"Bearer {intercom_fake.token}" and request.status == 200


@per_version
async def test_registered_data_answers_instead(intercom_fake, intercom_client):
    mine = {"type": "contact", "id": "c-1", "email": "ada@example.com", "name": "Ada"}
    intercom_fake.respond("contacts.find", mine, match={contact_param(intercom_fake): "c-1"})
    once = intercom_fake.respond("admins.identify", {"type": "admin", "id": "7", "email": "ops@example.com"}, times=1)
    found = await intercom_client.contacts.find("c-1")
    assert (found.id, found.name, found.email) == ("c-1", "Ada", "ada@example.com")
    other = await intercom_client.contacts.find("c-2")  # not matched: the documented example
    assert other.to_dict() == intercom_fake.example("contacts.find")
    assert (await intercom_client.admins.identify()).id == "7"
    assert (await intercom_client.admins.identify()).to_dict() == intercom_fake.example("admins.identify")
    assert once.used == 1 and once.remaining == 0

    async def echo(request: RecordedRequest) -> dict[str, Any]:
        return {"type": "contact", "id": request.path_params[contact_param(intercom_fake)], "role": "lead"}

    intercom_fake.respond("contacts.find", handler=echo)
    lead = await intercom_client.contacts.find("x 9")
    assert (lead.id, lead.role) == ("x 9", "lead")


@per_version
async def test_a_model_can_be_registered_and_created_bodies_are_recorded(intercom_fake, intercom_client):
    contact = models(intercom_fake).Contact.from_dict({"type": "contact", "id": "m1", "email": "m@example.com"})
    intercom_fake.respond("contacts.create", contact)
    created = await intercom_client.contacts.create(email="m@example.com", name="M")
    assert created.to_dict() == contact.to_dict()
    (request,) = intercom_fake.requests_for("contacts.create")
    assert request.json == {"email": "m@example.com", "name": "M"} and request.response == contact.to_dict()


# ---------------------------------------------------------------------------------------------- pages


def paging_cases(version: str) -> list[tuple[str, Any]]:
    cases: list[tuple[str, Any]] = [
        ("contacts.list", lambda c, n: c.contacts.list(per_page=n)),
        (
            "contacts.search",
            lambda c, n: c.contacts.search(
                query={"field": "id", "operator": ">", "value": "0"}, pagination={"per_page": n}
            ),
        ),
        ("companies.list", lambda c, n: c.companies.list(per_page=n)),
        ("companies.scroll", lambda c, n: c.companies.scroll()),
        ("contacts.list_attached_companies", lambda c, n: c.contacts.list_attached_companies("c1", per_page=n)),
    ]
    if "searchActivityLogs" in intercom_async.VERSIONS[version].load().OPERATIONS:
        cases.append(
            (
                "admins.search_activity_logs",
                lambda c, n: c.admins.search_activity_logs(created_at_after=1700000000, per_page=n),
            )
        )
    return cases


@per_version
async def test_registered_items_are_walked_page_by_page_in_every_paging_style(intercom_fake, intercom_client):
    items = contacts(23)
    shapes = set()
    for operation, call in paging_cases(intercom_fake.version):
        op = intercom_fake.operation(operation)
        shapes.add(op.pagination.shape)
        intercom_fake.items(operation, items, per_page=5)  # per_page: the page size when a request names none
        intercom_fake.clear()
        got = [item.to_dict()["id"] async for item in call(intercom_client, 5)]
        assert got == [i["id"] for i in items], operation
        expected = 5 + (1 if op.pagination.shape == "scroll" else 0)  # a scroll ends on an empty page
        assert intercom_fake.count(operation) == expected, operation
        assert {r.status for r in intercom_fake.requests} == {200}
    assert {"cursor", "body_cursor", "page", "scroll", "link"} <= shapes


@per_version
async def test_per_page_is_honoured_and_capped_like_intercom(intercom_fake, intercom_client):
    intercom_fake.items("contacts.list", contacts(320))
    pages = [page async for page in intercom_client.contacts.list(per_page=40).pages(max_pages=2)]
    assert [len(p.items) for p in pages] == [40, 40]
    assert [r.query["per_page"] for r in intercom_fake.requests] == ["40", "40"]
    intercom_fake.clear()
    got = [c.id async for c in intercom_client.contacts.list(per_page=500)]  # Intercom caps per_page at 150
    assert got == [c["id"] for c in contacts(320)]
    assert [len(r.response["data"]) for r in intercom_fake.requests] == [150, 150, 20]


@per_version
async def test_without_registered_items_the_documented_page_is_walked(intercom_fake, intercom_client):
    documented = intercom_fake.example("contacts.list")["data"]
    got = [c.to_dict() async for c in intercom_client.contacts.list()]
    assert got == documented and intercom_fake.count() == 1


# ---------------------------------------------------------------------------------------------- validation


@per_version
async def test_a_wrong_field_is_a_422_in_intercoms_error_shape(intercom_fake, intercom_client):
    with pytest.raises(intercom_async.UnprocessableEntityError) as info:
        await intercom_client.contacts.create(email="a@example.com", request_options={"extra_body": {"plan": "pro"}})
    error = info.value
    assert error.status_code == 422 and error.code == "parameter_invalid"
    assert error.body["type"] == "error.list" and error.body["errors"][0]["field"] == "plan"
    assert error.request_id == error.body["request_id"] == error.response.headers["X-Request-Id"]
    assert intercom_fake.count("contacts.create") == 1  # a 422 is not retried

    with pytest.raises(intercom_async.UnprocessableEntityError) as info:
        await intercom_client.request("POST", "/contacts", body={"email": 5})
    assert info.value.body["errors"][0]["field"] == "email" and "expected str" in str(info.value)

    with pytest.raises(intercom_async.UnprocessableEntityError) as info:
        await intercom_client.request("POST", "/contacts/c1/notes", body={})
    assert info.value.code == "parameter_not_found" and info.value.body["errors"][0]["field"] == "body"

    note = await intercom_client.notes.create("c1", body="hello")  # a valid body passes (body= is the note's field)
    assert note.to_dict() == intercom_fake.example("notes.create")


@per_version
async def test_unknown_routes_and_wrong_tokens_are_refused(intercom_fake, intercom_client):
    with pytest.raises(intercom_async.NotFoundError):
        await intercom_client.request("GET", "/no/such/endpoint")
    stranger = intercom_fake.client(token="tok_not_this_workspace")
    with pytest.raises(intercom_async.AuthenticationError) as info:
        await stranger.admins.identify()
    assert info.value.code == "unauthorized" and "tok_not_this_workspace" not in str(info.value)
    assert [r.status for r in intercom_fake.requests] == [404, 401]


# ---------------------------------------------------------------------------------------------- faults


@per_version
async def test_a_429_carries_the_reset_and_the_client_waits_for_it(intercom_fake, intercom_client):
    intercom_fake.fail("contacts.find", status=429, reset_in=0.2, times=2)
    response = await intercom_client.contacts.with_raw_response.find("c1")
    assert response.status_code == 200 and response.retries == 2
    assert [r.status for r in intercom_fake.requests] == [429, 429, 200]

    intercom_fake.fail("contacts.find", status=429, reset_in=0.2, times=3)
    before = time.time()
    with pytest.raises(intercom_async.RateLimitError) as info:
        await intercom_client.contacts.find("c1")
    error = info.value
    assert error.code == "rate_limit_exceeded" and error.retries == 2
    assert error.remaining == 0 and error.limit == intercom_fake.rate_limit
    assert before < error.reset_at <= time.time() + 0.2


@per_version
async def test_every_answer_carries_rate_limit_headers_and_the_limit_is_enforced(intercom_fake):
    intercom_fake.rate_limit = 3
    client = intercom_fake.client(max_retries=0, rate_limiter=False)  # no pacing: see the fake's own 429
    raw = await client.admins.with_raw_response.identify()
    assert raw.headers["X-RateLimit-Limit"] == "3" and raw.headers["X-RateLimit-Remaining"] == "2"
    assert float(raw.headers["X-RateLimit-Reset"]) > time.time() - 1
    await client.admins.identify()
    await client.admins.identify()
    with pytest.raises(intercom_async.RateLimitError) as info:
        await client.admins.identify()
    assert info.value.remaining == 0 and intercom_fake.count() == 4


@per_version
async def test_5xx_are_retried_for_reads_and_not_for_writes(intercom_fake, intercom_client):
    intercom_fake.fail("contacts.find", status=503)
    assert (await intercom_client.contacts.with_raw_response.find("c1")).retries == 1
    intercom_fake.fail("contacts.create", status=500, times=None)
    with pytest.raises(intercom_async.ServerError) as info:
        await intercom_client.contacts.create(email="a@example.com")
    assert info.value.status_code == 500 and info.value.code == "server_error"
    assert intercom_fake.count("contacts.create") == 1  # a POST that may have been processed is not repeated


@per_version
async def test_slow_bodies_time_out_and_then_arrive(intercom_fake):
    client = intercom_fake.client(max_retries=0)
    intercom_fake.slow("contacts.find", delay=2.0)
    with pytest.raises(intercom_async.APITimeoutError):
        await client.contacts.find("c1", request_options={"timeout": 0.2})
    intercom_fake.slow("contacts.find", delay=0.05)
    slow = await client.contacts.find("c1")
    assert slow.to_dict() == intercom_fake.example("contacts.find")
    assert [r.fault for r in intercom_fake.requests] == ["slow", "slow"]


@per_version
async def test_dropped_connections(intercom_fake, intercom_client):
    intercom_fake.drop_connection("contacts.find")
    intercom_fake.drop_connection("contacts.find", where="mid_body")
    found = await intercom_client.contacts.with_raw_response.find("c1")  # a read is retried
    assert found.retries == 2 and intercom_fake.count("contacts.find") == 3
    intercom_fake.drop_connection("contacts.create")
    with pytest.raises(intercom_async.APIConnectionError):
        await intercom_client.contacts.create(email="a@example.com")
    assert intercom_fake.count("contacts.create") == 1
    assert [r.status for r in intercom_fake.requests] == [None, None, 200, None]


# ---------------------------------------------------------------------------------------------- webhooks


class Inbox:
    def __init__(self) -> None:
        self.notifications: list[webhooks.Notification] = []

    async def __call__(self, notification: webhooks.Notification) -> None:
        self.notifications.append(notification)


async def serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@per_version
async def test_signed_notifications_reach_my_receiver(intercom_fake):
    inbox = Inbox()
    receiver = webhooks.WebhookReceiver(
        inbox, secret=SECRET, version=intercom_fake.version, deduplicator=webhooks.InMemoryDeduplicator()
    )
    app = web.Application()
    receiver.attach_aiohttp(app, "/hooks/intercom")
    contact = intercom_fake.example("contacts.find")
    async for base in serve(app):
        url = base + "/hooks/intercom"
        delivery = await intercom_fake.deliver(url, "contact.user.created", contact, SECRET, notification_id="n1")
        assert delivery.status == 200
        webhooks.verify(delivery.body, delivery.signature, SECRET)  # what Intercom would have signed
        again = await intercom_fake.deliver(
            url, "contact.user.created", contact, SECRET, notification_id="n1", delivery_attempts=2
        )
        assert again.status == 200 and b"duplicate" in again.response_body  # at least once: handled once
        assert (await intercom_fake.deliver(url, "contact.user.created", contact, "cs_wrong")).status == 401
        assert (await intercom_fake.deliver(url, "contact.user.created", contact, None)).status == 401
        assert await receiver.drain(5)
    (notification,) = inbox.notifications
    assert notification.id == "n1" and notification.topic == "contact.user.created"
    assert isinstance(notification.item, models(intercom_fake).Contact)
    assert notification.item.to_dict() == contact
    assert len(intercom_fake.deliveries) == 4


# ---------------------------------------------------------------------------------------------- versions


async def test_the_default_version(intercom_fake, intercom_client):
    assert intercom_fake.version == intercom_async.DEFAULT_VERSION
    assert isinstance(await intercom_client.admins.identify(), models(intercom_fake).AdminWithApp)


@pytest.mark.intercom_version("2.12")
async def test_the_version_marker(intercom_fake, intercom_client):
    assert intercom_fake.version == "2.12"
    await intercom_client.admins.identify()
    assert intercom_fake.requests[0].headers["Intercom-Version"] == "2.12"


@pytest.mark.parametrize("intercom_fake", ["Unstable"], indirect=True)
async def test_the_fixture_parameter(intercom_fake, intercom_client):
    assert intercom_fake.version == "Unstable" and intercom_client.base_url == intercom_fake.base_url


async def test_a_client_of_another_version_is_told(intercom_fake):
    other = intercom_async.Intercom(intercom_fake.token, version="2.10", base_url=intercom_fake.base_url)
    try:
        with pytest.raises(intercom_async.BadRequestError, match="intercom_version_invalid"):
            await other.admins.identify()
    finally:
        await other.aclose()


async def test_fake_intercom_without_the_fixtures():
    async with FakeIntercom("2.12", use_examples=False) as fake:
        client = fake.client(strict=True)  # minimal bodies pass a strict client's validation
        contact = await client.contacts.find("c1")
        assert isinstance(contact, intercom_async.v2_12.models.Contact)
        assert await asyncio.wait_for(client.admins.identify(), 5) is not None
    with pytest.raises(intercom_async.InvalidRequestError):
        FakeIntercom("1.0")
    with pytest.raises(intercom_async.InvalidRequestError, match="no operation"):
        FakeIntercom("2.12").respond("NoSuchOperation", {})
    with pytest.raises(intercom_async.InvalidRequestError, match="not parameters"):
        FakeIntercom("2.12").respond("contacts.find", {}, match={"contact_id": "c1"})  # 2.12 calls it id
