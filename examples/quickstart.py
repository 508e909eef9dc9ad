"""intercom_async quickstart: identify the admin, create and fetch a contact, walk every page of contacts, search,
handle a 404.

Three ways to run it:

* ``make demo`` (``python examples/quickstart.py --fake``): against ``intercom_async.testing.FakeIntercom``, the
  package's own fake Intercom API of the default version on 127.0.0.1, seeded with 120 contacts, so the walk
  reads three real pages of 50, 50 and 20. Python only: no token, no Node, nothing leaves the machine.
* ``INTERCOM_TOKEN=... make demo`` (optionally ``INTERCOM_REGION=eu`` or ``au``): against your real workspace,
  read-only: it lists, searches and fetches, but creates nothing.
* With ``INTERCOM_BASE_URL`` set (``tests/contract/prism.py`` does it): against that server, e.g. Stoplight Prism
  serving the spec, which checks every request against the spec and answers with its examples (the contract
  test ``tests/contract/test_contract_demo.py``).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, Final, Literal

import intercom_async
from intercom_async import IntercomError, NotFoundError

VERSION: Final = (
    "2.16"  # the default (newest stable) version; Final: a literal, so the type checker picks v2_16.Intercom
)
PER_PAGE = 50
LIST_LIMIT = 5  # against a real workspace or Prism: the first few contacts only
SEEDED = 120  # contacts in the fake

Mode = Literal["fake", "mock", "real"]


def show(step: str, text: str) -> None:
    print(f"  {step:<22} {text}")


async def run(client: intercom_async.v2_16.Intercom, *, mode: Mode) -> None:
    # 1. Who does the token belong to?
    me = await client.admins.identify()
    workspace = f', workspace "{me.app.name}" ({me.app.region})' if me.app else ""
    show("identify the admin", f"{me.name} <{me.email}>{workspace}")

    # 2. Create a contact (not against a real workspace: there this script changes nothing).
    contact_id = None
    if mode != "real":
        created = await client.contacts.create(email="ada@example.com", name="Ada Lovelace")  # typed body fields
        show("create a contact", f"id={created.id} email={created.email}")
        contact_id = created.id
    else:
        show("create a contact", "skipped: read-only against a real workspace")

    # 3. List contacts: `async for` over the pages (or over the pager itself for the items alone).
    walked = pages = 0
    first: list[str] = []
    async for page in client.contacts.list(per_page=PER_PAGE).pages():
        pages += 1
        for contact in page.items:
            walked += 1
            if len(first) < 3:
                first.append(contact.email or contact.name or contact.id or "?")
            if contact_id is None:
                contact_id = contact.id
        if mode != "fake" and walked >= LIST_LIMIT:
            break  # a real workspace may hold millions
    names = ", ".join(first) or "none"
    show("list contacts", f"{walked} in {pages} page(s) of up to {PER_PAGE} (first: {names})")

    # 4. Fetch one contact by id.
    if contact_id:  # model fields are `str | Unset` (tolerant models): narrow before passing one on
        fetched = await client.contacts.find(contact_id)
        show("fetch a contact", f"id={fetched.id} email={fetched.email} role={fetched.role}")
    else:
        show("fetch a contact", "skipped: the workspace has no contacts")

    # 5. Search: the first page of a query (await the pager instead of iterating it).
    found = await client.contacts.search(
        query={"field": "role", "operator": "=", "value": "user"}, pagination={"per_page": LIST_LIMIT}
    )
    show("search role = user", f"total_count={found.total_count}, {len(found.data or [])} on the first page")

    # 6. Errors are typed: a missing company is a NotFoundError carrying Intercom's error list.
    # (Prism answers the documented 404 when asked to; the fake was told to, below.)
    options: intercom_async.RequestOptions | None = (
        {"extra_headers": {"Prefer": "code=404"}} if mode == "mock" else None
    )
    try:
        await client.companies.find("no-such-company", request_options=options)
        show("a missing company", "unexpectedly found")
    except NotFoundError as exc:
        detail = ", ".join(f"{e.code}: {e.message}" for e in exc.errors) or exc.body
        show("a missing company", f"NotFoundError {exc.status_code} ({detail}; request_id={exc.request_id})")


def _contact(i: int) -> dict[str, Any]:
    role = "user" if i % 3 else "lead"
    return {"type": "contact", "id": f"6650{i:020x}", "role": role, "email": f"person{i}@example.com", "name": f"P{i}"}


async def with_fake(main: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``main(client)`` against a FakeIntercom seeded with ``SEEDED`` contacts that creates and finds them."""
    from intercom_async.testing import FakeIntercom

    contacts = [_contact(i) for i in range(1, SEEDED + 1)]
    by_id = {c["id"]: c for c in contacts}

    async def create(request: Any) -> dict[str, Any]:
        contact = {"type": "contact", "id": f"6650{len(by_id) + 1:020x}", "role": "user", **request.json}
        by_id[contact["id"]] = contact
        return contact

    async def find(request: Any) -> Any:
        return by_id.get(next(iter(request.path_params.values()), ""))

    async with FakeIntercom(VERSION) as fake:
        fake.items("contacts.list", contacts)
        fake.items("contacts.search", [c for c in contacts if c["role"] == "user"])
        fake.respond("contacts.create", handler=create)
        fake.respond("contacts.find", handler=find)
        not_found = [{"code": "company_not_found", "message": "Company Not Found"}]
        fake.respond(
            "companies.find", {"type": "error.list", "request_id": "req-demo", "errors": not_found}, status=404
        )
        print(f"intercom_async quickstart: API {VERSION}, FakeIntercom at {fake.base_url} ({SEEDED} contacts)")
        async with fake.client() as client:
            await main(client)


async def main(argv: list[str]) -> int:
    token = os.environ.get("INTERCOM_TOKEN")
    base_url = os.environ.get("INTERCOM_BASE_URL")
    failed: list[IntercomError] = []

    async def guarded(client: intercom_async.v2_16.Intercom, mode: Mode) -> None:
        try:
            await run(client, mode=mode)
        except IntercomError as exc:
            failed.append(exc)

    if token:
        region = os.environ.get("INTERCOM_REGION", "us")
        real = intercom_async.Intercom(token=token, version=VERSION, region=region, base_url=base_url)
        print(f"intercom_async quickstart: API {VERSION}, {real.base_url} (read-only)")
        async with real:
            await guarded(real, "real")
    elif base_url:
        mock = intercom_async.Intercom(token="mock-token", version=VERSION, base_url=base_url)
        print(f"intercom_async quickstart: API {VERSION}, mock at {base_url} (answers are the spec's examples)")
        async with mock:
            await guarded(mock, "mock")
    elif "--fake" in argv:
        await with_fake(lambda client: guarded(client, "fake"))
    else:
        print("Set INTERCOM_TOKEN to use your workspace, or run `make demo` to use a local fake.", file=sys.stderr)
        return 2
    if failed:
        print(f"failed: {type(failed[0]).__name__}: {failed[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
