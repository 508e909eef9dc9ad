"""Run by ``make release-check`` with the interpreter of a clean virtualenv that has only the built wheel
installed: import every API version package and run the README's quick-start against the testing kit's fake.

Stdlib and the SDK only; prints one line per step and exits non-zero (with the failing step) on any failure.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

import intercom_async
from intercom_async.testing import FakeIntercom


def imports() -> None:
    where = Path(intercom_async.__file__).resolve()
    if "site-packages" not in where.parts:
        raise SystemExit(f"intercom_async was imported from {where}, not from the installed wheel")
    for name, info in intercom_async.VERSIONS.items():
        package = importlib.import_module(info.module)
        client_class = package.Intercom
        models = package.models
        print(
            f"  import {info.module}: {len(package.OPERATIONS)} operations, client {client_class.__name__}, "
            f"models {models.__name__} ({name})"
        )


async def quick_start() -> None:
    """The README's quick start (identify, create, list every page, a typed 404) against the default version's fake."""
    version = intercom_async.DEFAULT_VERSION
    async with FakeIntercom() as fake:
        fake.items("ListContacts", [{"type": "contact", "id": str(i), "email": f"c{i}@example.com"} for i in range(7)])
        fake.fail("ShowContact", status=404)
        async with fake.client() as client:
            me = await client.admins.identify()
            contact = await client.contacts.create(email="ada@example.com", name="Ada")
            listed = [c.id async for c in client.contacts.list(per_page=3)]
            try:
                await client.contacts.find("no-such-contact")
            except intercom_async.NotFoundError as e:
                status = e.status_code
            else:
                raise SystemExit("the fake's 404 did not raise NotFoundError")
    if listed != [str(i) for i in range(7)] or status != 404 or contact.id is None or me.email is None:
        raise SystemExit(f"quick start: unexpected results {listed} {status} {contact.id} {me.email}")
    print(
        f"  quick start against FakeIntercom({version!r}): identify {me.email}, create {contact.id}, "
        f"list {len(listed)} contacts over 3 pages, find -> NotFoundError {status}"
    )


def main() -> int:
    print(f"intercom_async {intercom_async.__version__} from the wheel, Python {sys.version.split()[0]}")
    imports()
    asyncio.run(quick_start())
    return 0


if __name__ == "__main__":
    sys.exit(main())
