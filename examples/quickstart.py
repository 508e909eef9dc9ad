"""intercom_async quickstart: identify the admin, create and fetch a contact, list, search, handle a 404.

Two ways to run it:

* ``make demo`` with no ``INTERCOM_TOKEN``: Stoplight Prism serves Intercom's 2.16 spec (the default version) on 127.0.0.1
  (``tests/contract/prism.py`` sets ``INTERCOM_BASE_URL``) and answers every call with the spec's examples,
  after checking the request against the spec. Nothing leaves the machine and no token is needed.
* ``INTERCOM_TOKEN=... make demo`` (optionally ``INTERCOM_REGION=eu`` or ``au``): the same script against
  your real workspace, read-only: it lists, searches and fetches, but creates nothing.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Final

import intercom_async
from intercom_async import IntercomError, NotFoundError

VERSION: Final = (
    "2.16"  # the default (newest stable) version; Final: a literal, so the type checker picks v2_16.Intercom
)
LIST_LIMIT = 5


def show(step: str, text: str) -> None:
    print(f"  {step:<22} {text}")


async def run(client: intercom_async.v2_16.Intercom, *, mock: bool) -> None:
    # 1. Who does the token belong to?
    me = await client.admins.identify()
    workspace = f', workspace "{me.app.name}" ({me.app.region})' if me.app else ""
    show("identify the admin", f"{me.name} <{me.email}>{workspace}")

    # 2. Create a contact (mock only: against a real workspace this script changes nothing).
    contact_id = None
    if mock:
        created = await client.contacts.create(email="ada@example.com", name="Ada Lovelace")  # typed body fields
        show("create a contact", f"id={created.id} email={created.email}")
        contact_id = created.id
    else:
        show("create a contact", "skipped: read-only against a real workspace")

    # 3. List contacts: `async for` walks every page; stop after a few.
    listed = []
    async for contact in client.contacts.list(per_page=LIST_LIMIT):
        listed.append(contact)
        if len(listed) == LIST_LIMIT:
            break
    names = ", ".join(c.email or c.name or c.id or "?" for c in listed) or "none"
    show("list contacts", f"{len(listed)} (async for, first {LIST_LIMIT} at most): {names}")
    if not contact_id and listed:
        contact_id = listed[0].id

    # 4. Fetch one contact by id.
    if contact_id:  # model fields are `str | Unset` (tolerant models): narrow before passing one on
        fetched = await client.contacts.find(contact_id)
        show("fetch a contact", f"id={fetched.id} email={fetched.email} role={fetched.role}")
    else:
        show("fetch a contact", "skipped: the workspace has no contacts")

    # 5. Search: the first page of a query (await the pager instead of iterating it).
    page = await client.contacts.search(
        query={"field": "role", "operator": "=", "value": "user"}, pagination={"per_page": LIST_LIMIT}
    )
    show("search role = user", f"total_count={page.total_count}, {len(page.data or [])} on the first page")

    # 6. Errors are typed: a missing company is a NotFoundError carrying Intercom's error list.
    # ask Prism for the documented 404
    options: intercom_async.RequestOptions | None = {"extra_headers": {"Prefer": "code=404"}} if mock else None
    try:
        await client.companies.find("no-such-company", request_options=options)
        show("a missing company", "unexpectedly found")
    except NotFoundError as exc:
        detail = ", ".join(f"{e.code}: {e.message}" for e in exc.errors) or exc.body
        show("a missing company", f"NotFoundError {exc.status_code} ({detail}; request_id={exc.request_id})")


async def main() -> int:
    token = os.environ.get("INTERCOM_TOKEN")
    base_url = os.environ.get("INTERCOM_BASE_URL")
    if not token and not base_url:
        print("Set INTERCOM_TOKEN to use your workspace, or run `make demo` to use a local mock.", file=sys.stderr)
        return 2
    mock = not token
    if mock:
        client = intercom_async.Intercom(token="mock-token", version=VERSION, base_url=base_url)
        print(f"intercom_async quickstart: API {VERSION}, Prism mock at {base_url} (answers are the spec's examples)")
    else:
        region = os.environ.get("INTERCOM_REGION", "us")
        client = intercom_async.Intercom(token=token, version=VERSION, region=region, base_url=base_url)
        print(f"intercom_async quickstart: API {VERSION}, {client.base_url} (read-only)")
    async with client:
        try:
            await run(client, mock=mock)
        except IntercomError as exc:
            print(f"failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
