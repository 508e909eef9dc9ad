"""The four clients that ``bench.py`` compares, behind one small interface.

* ``raw_json``:   one ``aiohttp.ClientSession``, ``read()`` + ``json.loads``, plain dicts;
* ``raw_orjson``: the same with ``orjson.loads`` (the baseline of every ratio);
* ``sdk``:        intercom_async, each operation looked up in the 2.12 ``OPERATIONS`` registry (so renamed
                  methods keep working): ``ListContacts`` walked with ``async for``, ``ShowContact`` with its
                  path parameter passed by keyword, ``retrieveConversation``'s ``Operation.parse``;
* ``official``:   the python-intercom SDK (``AsyncIntercom``, ``contacts.list`` pager, ``contacts.find``;
                  its conversation parse is what ``conversations.find`` does with a body:
                  ``construct_type(Conversation, response.json())``, and httpx's ``json()`` is ``json.loads``).

Only the standard library is imported at module level: the import benchmark times ``import <library>`` and
then loads this module, so the libraries are imported here inside the functions, never before they are timed.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

NAMES = ("raw_json", "raw_orjson", "sdk", "official")
LABELS = {
    "raw_json": "raw aiohttp + json",
    "raw_orjson": "raw aiohttp + orjson",
    "sdk": "intercom_async",
    "official": "python-intercom",
}
# What the import benchmark times in a fresh interpreter, per client.
IMPORTS = {
    "raw_json": "import aiohttp",
    "raw_orjson": "import aiohttp, orjson",
    "sdk": "import intercom_async",
    "official": "import intercom",
}
# Drill-down variants (``bench_instructions.py --clients``; not in ``bench.py``'s table): what one choice costs.
VARIANTS = {
    "raw_orjson_session_headers": "raw aiohttp + orjson, session default headers",
    "sdk_unpaced": "intercom_async, rate_limiter=False",
    "sdk_floor_unpaced": "the SDK's per-call work in one coroutine",
    "sdk_floor": "the SDK's per-call work in one coroutine, default pacing",
}
PER_PAGE = 150
TOKEN = "tok"


class Client:
    """``await open(base)``, then ``get_contact()``, ``walk(n)`` (items seen), ``parse_conversation(body)``."""

    async def open(self, base: str, contact_id: str) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def get_contact(self) -> Any:
        raise NotImplementedError

    async def walk(self, n: int) -> int:
        raise NotImplementedError

    def parse_conversation(self, body: bytes) -> Any:
        raise NotImplementedError


class Raw(Client):
    """Hand-written aiohttp: the code a user would write without an SDK."""

    def __init__(self, loads: Callable[[bytes], Any], session_headers: bool = False) -> None:
        self.loads = loads
        self.session_headers = session_headers  # the headers as the session's defaults, none per request

    async def open(self, base: str, contact_id: str) -> None:
        import aiohttp

        headers = {
            "Authorization": f"Bearer {TOKEN}",
            "Intercom-Version": "2.12",
            "Accept": "application/json",
            "User-Agent": "raw-aiohttp-bench",
        }
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100), headers=headers if self.session_headers else None
        )
        self.headers: dict[str, str] | None = None if self.session_headers else headers
        self.contact_url = f"{base}/contacts/{contact_id}"
        self.list_url = f"{base}/contacts"

    async def close(self) -> None:
        await self.session.close()

    async def _get(self, url: str, params: dict[str, str] | None = None) -> Any:
        async with self.session.get(url, headers=self.headers, params=params) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"GET {url}: HTTP {resp.status}")
        return self.loads(body)

    async def get_contact(self) -> Any:
        return await self._get(self.contact_url)

    async def walk(self, n: int) -> int:
        seen = 0
        params = {"per_page": str(PER_PAGE)}
        while True:
            page = await self._get(self.list_url, params)
            for item in page["data"]:
                self.last_id = item["id"]  # touch each item, as a consumer would
                seen += 1
                if seen >= n:
                    return seen
            nxt = (page.get("pages") or {}).get("next")
            if not nxt or not page["data"]:
                return seen
            params = {"per_page": str(PER_PAGE), "starting_after": nxt["starting_after"]}

    def parse_conversation(self, body: bytes) -> Any:
        return self.loads(body)


class Sdk(Client):
    """intercom_async with its default settings (retries, rate-limit pacing, tolerant models)."""

    def __init__(self, paced: bool = True) -> None:
        self.paced = paced  # False: rate_limiter=False (the sdk_unpaced variant)

    async def open(self, base: str, contact_id: str) -> None:
        import intercom_async

        self.ops = intercom_async.VERSIONS["2.12"].load().OPERATIONS
        options: dict[str, Any] = {} if self.paced else {"rate_limiter": False}
        self.client = intercom_async.Intercom(TOKEN, version="2.12", base_url=base, **options)
        show = self.method("ShowContact")
        path_params = [p[0] for p in self.ops["ShowContact"].params if p[2] == "path"]
        if len(path_params) != 1 or path_params[0] not in inspect.signature(show).parameters:
            raise RuntimeError(f"ShowContact: expected one path parameter, found {path_params}")
        self.show_kwargs = {path_params[0]: contact_id}
        self.show = show
        self.list = self.method("ListContacts")
        self.parse = self.ops["retrieveConversation"].parse

    def method(self, operation_id: str) -> Any:
        op = self.ops[operation_id]
        return getattr(getattr(self.client, op.resource), op.name)

    async def close(self) -> None:
        await self.client.aclose()

    async def get_contact(self) -> Any:
        return await self.show(**self.show_kwargs)

    async def walk(self, n: int) -> int:
        seen = 0
        async for item in self.list(per_page=PER_PAGE):
            self.last_id = item.id
            seen += 1
            if seen >= n:
                break
        return seen

    def parse_conversation(self, body: bytes) -> Any:
        return self.parse(200, body)


class Floor(Sdk):
    """A lower bound, not a way to call the API: the SDK's per-call work for ``GET /contacts/{id}`` written as one
    coroutine on the client's own session (build the ``Request``, ``prepare`` it, send, the size check, the typed
    parse; with ``paced``, the default limiter's synchronous fast paths too). No retry loop, no layers, none of
    the checks a real call makes (typed errors, token rotation, streaming, a closed client)."""

    def __init__(self, paced: bool) -> None:
        super().__init__()
        self.floor_paced = paced

    async def open(self, base: str, contact_id: str) -> None:
        await super().open(base, contact_id)
        from intercom_async._request import Request
        from intercom_async._transport import _fits
        from intercom_async._urls import request_url

        op = self.ops["ShowContact"]
        client, transport = self.client, self.client._transport
        limiter = transport.rate_limiter if self.floor_paced else None
        limit = transport.max_response_size
        path_param = next(p[1] for p in op.params if p[2] == "path")

        async def get_contact() -> Any:
            path, params, data, headers = Request(op, path={path_param: contact_id}).prepare()
            url = request_url(client.base_url + path)
            if limiter is not None and not limiter.try_acquire():
                await limiter.acquire()
            try:
                async with transport.session().request(
                    op.method, url, headers=headers, params=params, data=data, allow_redirects=False
                ) as resp:
                    if not _fits(resp, limit, op.method, path):
                        raise RuntimeError("the floor client reads small bodies only")
                    body = await resp.read()
                if limiter is not None:
                    limiter.try_observe(resp.status, resp.headers)
            finally:
                if limiter is not None:
                    limiter.release()
            return op.parse(resp.status, body)

        self.get_contact = get_contact  # type: ignore[method-assign]


class Official(Client):
    """python-intercom (Fern-generated; httpx + pydantic), with the httpx client it would create itself."""

    async def open(self, base: str, contact_id: str) -> None:
        import httpx  # type: ignore[import-not-found,unused-ignore]  # bench env only
        from intercom import AsyncIntercom  # type: ignore[import-not-found,unused-ignore]
        from intercom.conversations.types.conversation import Conversation  # type: ignore[import-not-found,unused-ignore]
        from intercom.core.unchecked_base_model import construct_type  # type: ignore[import-not-found,unused-ignore]

        self.construct, self.conversation = construct_type, Conversation

        # The same httpx client AsyncIntercom creates by default (timeout 60 s, redirects followed), passed in
        # so it can be closed: AsyncIntercom has no close method.
        self.http = httpx.AsyncClient(timeout=60, follow_redirects=True)
        self.client = AsyncIntercom(token=TOKEN, base_url=base, httpx_client=self.http)
        self.contact_id = contact_id

    async def close(self) -> None:
        await self.http.aclose()

    async def get_contact(self) -> Any:
        return await self.client.contacts.find(contact_id=self.contact_id)

    async def walk(self, n: int) -> int:
        seen = 0
        async for item in await self.client.contacts.list(per_page=PER_PAGE):
            self.last_id = item.id
            seen += 1
            if seen >= n:
                break
        return seen

    def parse_conversation(self, body: bytes) -> Any:
        return self.construct(type_=self.conversation, object_=json.loads(body))


def make(name: str) -> Client:
    if name == "raw_json":
        return Raw(json.loads)
    if name == "raw_orjson":
        import orjson  # type: ignore[import-not-found,unused-ignore]  # bench env only

        return Raw(orjson.loads)
    if name == "raw_orjson_session_headers":
        import orjson  # type: ignore[import-not-found,unused-ignore]  # bench env only

        return Raw(orjson.loads, session_headers=True)
    if name == "sdk":
        return Sdk()
    if name == "sdk_unpaced":
        return Sdk(paced=False)
    if name in ("sdk_floor", "sdk_floor_unpaced"):
        return Floor(paced=name == "sdk_floor")
    if name == "official":
        return Official()
    raise ValueError(f"unknown client {name!r}; one of {NAMES + tuple(VARIANTS)}")


def check_contact(name: str, result: Any, contact_id: str) -> None:
    """The first call returned the contact, typed where the client types it."""
    got = result["id"] if isinstance(result, dict) else result.id
    if got != contact_id or (name.startswith("sdk") or name == "official") == isinstance(result, dict):
        raise RuntimeError(f"{name}: unexpected contact {type(result).__name__} {got!r}")
