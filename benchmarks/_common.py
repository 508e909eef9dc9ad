"""Shared pieces of the benchmarks: deterministic Intercom-shaped fixtures and a local aiohttp server that
runs in its own process (so the client's CPU time is measured alone).

Not a test helper and not part of the SDK. The fixtures follow the 2.12 spec's ``contact`` and
``conversation`` schemas (and the examples in the spec), including the undeclared keys the real API sends
(``topics``, ``ticket``, ``custom_attributes`` on a conversation; ``opted_in_subscription_types`` on a
contact), which the SDK keeps in ``additional_properties``.
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import random
import re
import statistics
import sys
from pathlib import Path
from typing import Any

# The SDK under test: this checkout, or another one (e.g. an exported older commit) via BENCH_SDK_ROOT.
ROOT = Path(os.environ.get("BENCH_SDK_ROOT") or Path(__file__).resolve().parent.parent).resolve()
if sys.path[:1] != [str(ROOT)]:
    sys.path.insert(0, str(ROOT))

BASE_TS = 1736201547
CONTACT_ID = "677c554b6abd011ad17ff4ec"
CONVERSATION_ID = 41
N_PARTS = 100

_TEXT = (
    "thanks for reaching out we have looked into your account and the invoice was issued twice because the "
    "payment provider retried the charge after a timeout I have refunded the duplicate it should appear on "
    "your statement within five business days let me know if there is anything else I can help with today"
)
_WORDS = _TEXT.split()


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _admin(rng: random.Random, i: int) -> dict[str, Any]:
    n = 991266406 + (i % 4)
    return {"type": "admin", "id": str(n), "name": f"Ciaran{178 + i % 4} Lee", "email": f"admin{178 + i % 4}@email.com"}


def _user() -> dict[str, Any]:
    return {"type": "user", "id": CONTACT_ID, "name": "Joe Bloggs", "email": "joe@bloggs.com"}


def _bot() -> dict[str, Any]:
    return {
        "type": "bot",
        "id": "991266407",
        "name": "Fin",
        "email": "operator+this_is_an_id352_that_should_be_at_least_@intercom.io",
    }


def _attachment(i: int) -> dict[str, Any]:
    return {
        "type": "upload",
        "name": f"screenshot-{i}.png",
        "url": f"https://downloads.intercomcdn.com/i/o/{400000 + i}/0a1b2c3d4e5f/screenshot-{i}.png",
        "content_type": "image/png",
        "filesize": 48213 + i,
        "width": 1280,
        "height": 720,
    }


def make_part(rng: random.Random, i: int) -> dict[str, Any]:
    """One ``conversation_part``: mostly comments, with notes, assignments and attribute updates mixed in."""
    ts = BASE_TS + 60 * i
    kind = i % 10
    assigned_to = None
    attachments: list[dict[str, Any]] = []
    if kind in (0, 3, 6):
        part_type, author = "comment", _user()
        body = "<p>" + _sentence(rng, 24) + "</p><p>" + _sentence(rng, 10) + "</p>"
        if i % 20 == 0:
            attachments = [_attachment(i)]
    elif kind in (1, 4, 7, 8):
        part_type, author = "comment", _admin(rng, i)
        body = "<p>" + _sentence(rng, 22) + "</p><p>" + _sentence(rng, 9) + "</p>"
    elif kind == 2:
        part_type, author = "note", _admin(rng, i)
        body = "<p><b>Internal:</b> " + _sentence(rng, 24) + "</p>"
    elif kind == 5:
        part_type, author, body = "assignment", _admin(rng, i), None
        assigned_to = {"type": "team", "id": "5017691"}
    else:
        part_type, author, body = "conversation_attribute_updated_by_admin", _bot(), None
    return {
        "type": "conversation_part",
        "id": str(7000000 + i),
        "part_type": part_type,
        "body": body,
        "created_at": ts,
        "updated_at": ts,
        "notified_at": ts,
        "assigned_to": assigned_to,
        "author": author,
        "attachments": attachments,
        "external_id": None,
        "redacted": False,
    }


def make_conversation(n_parts: int = N_PARTS, seed: int = 12, extras: bool = True) -> dict[str, Any]:
    """A 2.12 ``conversation`` as ``GET /conversations/{id}`` returns it, with ``n_parts`` parts (~50 KB).

    ``extras=False`` drops the keys the spec does not declare (for strict-mode measurements)."""
    rng = random.Random(seed)
    last = BASE_TS + 60 * n_parts
    conversation = {
        "type": "conversation",
        "id": str(CONVERSATION_ID),
        "title": "Charged twice for the March invoice",
        "created_at": BASE_TS,
        "updated_at": last,
        "waiting_since": None,
        "snoozed_until": None,
        "open": True,
        "state": "open",
        "read": True,
        "priority": "not_priority",
        "admin_assignee_id": 991266406,
        "team_assignee_id": 5017691,
        "tags": {
            "type": "tag.list",
            "tags": [
                {
                    "type": "tag",
                    "id": str(123456 + k),
                    "name": name,
                    "applied_at": BASE_TS + 120,
                    "applied_by": {"type": "admin", "id": "991266406"},
                }
                for k, name in enumerate(("billing", "refund", "priority-customer"))
            ],
        },
        "conversation_rating": None,
        "source": {
            "type": "conversation",
            "id": "403918083",
            "delivered_as": "customer_initiated",
            "subject": "",
            "body": "<p>" + _sentence(rng, 40) + "</p>",
            "author": _user(),
            "attachments": [],
            "url": "https://example.com/account/billing",
            "redacted": False,
        },
        "contacts": {
            "type": "contact.list",
            "contacts": [{"type": "contact", "id": CONTACT_ID, "external_id": "70"}],
        },
        "teammates": {"type": "admin.list", "teammates": [{"type": "admin", "id": "991266406"}]},
        "first_contact_reply": {"created_at": BASE_TS, "type": "conversation", "url": None},
        "sla_applied": {"type": "conversation_sla_summary", "sla_name": "Billing 1h", "sla_status": "active"},
        "statistics": {
            "type": "conversation_statistics",
            "time_to_assignment": 0,
            "time_to_admin_reply": 340,
            "time_to_first_close": 0,
            "time_to_last_close": 0,
            "median_time_to_reply": 300,
            "first_contact_reply_at": BASE_TS,
            "first_assignment_at": BASE_TS + 5,
            "first_admin_reply_at": BASE_TS + 340,
            "first_close_at": BASE_TS + 7200,
            "last_assignment_at": BASE_TS + 300,
            "last_assignment_admin_reply_at": BASE_TS + 340,
            "last_contact_reply_at": last - 60,
            "last_admin_reply_at": last,
            "last_close_at": BASE_TS + 7200,
            "last_closed_by_id": "991266406",
            "count_reopens": 0,
            "count_assignments": 2,
            "count_conversation_parts": n_parts,
            "assigned_team_first_response_time": [{"team_id": 5017691, "team_name": "Billing", "response_time": 340}],
        },
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": [make_part(rng, i) for i in range(n_parts)],
            "total_count": n_parts,
        },
        "linked_objects": {"type": "list", "total_count": 0, "has_more": False, "data": []},
        "ai_agent_participated": False,
        "ai_agent": None,
    }
    if extras:
        conversation["custom_attributes"] = {"Plan": "Pro", "Order id": "A-10293", "Refund approved": True}
        conversation["topics"] = {}
        conversation["ticket"] = None
    return conversation


def contact_id(n: int) -> str:
    """The id of the ``n``-th contact of the benchmark workspace (``n=0`` is ``CONTACT_ID``)."""
    return CONTACT_ID if n == 0 else f"{int(CONTACT_ID, 16) + n:024x}"


def make_contact(n: int = 0) -> dict[str, Any]:
    """A 2.12 ``contact`` as ``GET /contacts/{id}`` returns it (~2.5 KB); ``n`` numbers the contacts of a list."""
    cid = contact_id(n)

    def listing(kind: str, data: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "list",
            "data": data,
            "url": f"/contacts/{cid}/{kind}",
            "total_count": len(data),
            "has_more": False,
        }

    return {
        "type": "contact",
        "id": cid,
        "workspace_id": "ecahpwf5",
        "external_id": str(70 + n),
        "role": "user",
        "email": "joe@bloggs.com" if n == 0 else f"joe{n}@bloggs.com",
        "email_domain": "bloggs.com",
        "phone": "+353871234567",
        "name": "Joe Bloggs",
        "avatar": {"type": "avatar", "image_url": "https://static.intercomassets.com/avatars/1/square_128/joe.png"},
        "owner_id": 991266406,
        "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": False,
        "created_at": BASE_TS - n,
        "updated_at": BASE_TS + 3600,
        "signed_up_at": BASE_TS - n,
        "last_seen_at": BASE_TS + 3000,
        "last_replied_at": BASE_TS + 2400,
        "last_contacted_at": BASE_TS + 2500,
        "last_email_opened_at": None,
        "last_email_clicked_at": None,
        "language_override": None,
        "browser": "chrome",
        "browser_version": "131.0.0.0",
        "browser_language": "en",
        "os": "OS X 10.15.7",
        "location": {
            "type": "location",
            "country": "Ireland",
            "region": "Dublin",
            "city": "Dublin",
            "country_code": "IRL",
            "continent_code": "EU",
        },
        "android_app_name": None,
        "android_app_version": None,
        "android_device": None,
        "android_os_version": None,
        "android_sdk_version": None,
        "android_last_seen_at": None,
        "ios_app_name": None,
        "ios_app_version": None,
        "ios_device": None,
        "ios_os_version": None,
        "ios_sdk_version": None,
        "ios_last_seen_at": None,
        "custom_attributes": {"plan": "pro", "seats": 12, "mrr": 490.0, "beta_tester": True},
        "tags": listing("tags", [{"type": "tag", "id": "123456", "url": "/tags/123456"}]),
        "notes": listing("notes", [{"type": "note", "id": "20114858", "url": "/notes/20114858"}]),
        "companies": listing(
            "companies", [{"type": "company", "id": "6762f0d51bb69f9f2193bb7f", "url": "/companies/6762f0d5"}]
        ),
        "opted_out_subscription_types": listing("subscriptions", []),
        "opted_in_subscription_types": listing("subscriptions", []),
        "utm_campaign": None,
        "utm_content": None,
        "utm_medium": None,
        "utm_source": None,
        "utm_term": None,
        "referrer": None,
        "sms_consent": False,
        "unsubscribed_from_sms": False,
    }


def encode(obj: Any) -> bytes:
    """Compact JSON, as the API sends it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


WORKSPACE_CONTACTS = 1_000_000  # contacts behind ``GET /contacts``: more than any benchmark walks


def cursor(n: int) -> str:
    """An opaque ``starting_after`` cursor for the page that starts at contact ``n``, shaped like Intercom's
    (base64 of ``[created_at ms, last contact id, position]``)."""
    return base64.b64encode(encode([(BASE_TS - n + 1) * 1000, contact_id(n - 1), n])).decode()


def cursor_offset(value: str) -> int:
    return int(json.loads(base64.b64decode(value))[2])


class ContactPages:
    """``GET /contacts`` pages (``?per_page=&starting_after=``), each contact a distinct ``make_contact(n)``,
    built by splicing per-contact values into one pre-encoded contact, so the server stays cheap."""

    _PROBE = 987_654_321  # a contact number whose values occur nowhere else in the encoded contact

    def __init__(self, total: int = WORKSPACE_CONTACTS, cache_below: int = 0) -> None:
        self.total = total
        self.cache_below = cache_below  # pages starting below this contact are built once and kept
        self._cache: dict[tuple[int, str | None], bytes] = {}
        m = self._PROBE
        fields = {contact_id(m): contact_id, str(70 + m): lambda n: str(70 + n), f"joe{m}@": lambda n: f"joe{n}@"}
        fields[str(BASE_TS - m)] = lambda n: str(BASE_TS - n)
        pieces = re.split("(" + "|".join(map(re.escape, fields)) + ")", encode(make_contact(m)).decode())
        self._literals = [p.encode() for p in pieces[0::2]]
        self._values = [fields[p] for p in pieces[1::2]]
        for n in (1, 4321):  # the splice is exactly the encoded fixture
            assert self.contact(n) == encode(make_contact(n)), n

    def contact(self, n: int) -> bytes:
        out = [self._literals[0]]
        for value, literal in zip(self._values, self._literals[1:], strict=True):
            out += (value(n).encode(), literal)
        return b"".join(out)

    def page(self, per_page: int, starting_after: str | None) -> bytes:
        start = cursor_offset(starting_after) if starting_after else 0
        if start < self.cache_below:
            key = (per_page, starting_after)
            if key not in self._cache:
                self._cache[key] = self._build(start, per_page)
            return self._cache[key]
        return self._build(start, per_page)

    def prebuild(self, per_page: int) -> None:
        """Build the cached pages of a walk from the start at ``per_page`` ahead of time."""
        for start in range(0, self.cache_below, per_page):
            self.page(per_page, cursor(start) if start else None)

    def _build(self, start: int, per_page: int) -> bytes:
        end = min(start + per_page, self.total)
        nxt = {"per_page": per_page, "starting_after": cursor(end)} if end < self.total else None
        pages = {"type": "pages", "next": nxt, "page": start // per_page + 1, "per_page": per_page}
        pages["total_pages"] = -(-self.total // per_page)
        data = b",".join(self.contact(n) for n in range(start, end))
        head = b'{"type":"list","data":['
        return head + data + b'],"total_count":' + str(self.total).encode() + b',"pages":' + encode(pages) + b"}"


# ------------------------------------------------------------------ server (runs in a child process)


def _serve(conn: Any, cpu: int | None = None) -> None:
    import asyncio
    import time

    from aiohttp import web

    if cpu is not None:
        os.sched_setaffinity(0, {cpu})

    contact = encode(make_contact())
    contact_pages = ContactPages(cache_below=15_000)  # the pages every pagination benchmark walks: prebuilt
    contact_pages.prebuild(150)
    conversation = encode(make_conversation())
    not_found = encode(
        {"type": "error.list", "request_id": "bench", "errors": [{"code": "not_found", "message": "Not found"}]}
    )
    counter = {"requests": 0}

    def headers() -> dict[str, str]:
        counter["requests"] += 1
        return {
            "X-Request-Id": "000f0bench",
            "X-RateLimit-Limit": "10000",
            "X-RateLimit-Remaining": "9999",
            "X-RateLimit-Reset": "1736201600",
        }

    async def show_contact(request: web.Request) -> web.Response:
        if request.match_info["id"] != CONTACT_ID:
            return web.Response(status=404, body=not_found, content_type="application/json", headers=headers())
        return web.Response(body=contact, content_type="application/json", headers=headers())

    async def list_contacts(request: web.Request) -> web.Response:
        per_page = min(int(request.query.get("per_page", "50")), 150)
        body = contact_pages.page(per_page, request.query.get("starting_after"))
        return web.Response(body=body, content_type="application/json", headers=headers())

    async def retrieve_conversation(request: web.Request) -> web.Response:
        return web.Response(body=conversation, content_type="application/json", headers=headers())

    async def stats(request: web.Request) -> web.Response:
        body = {"cpu": time.process_time(), "requests": counter["requests"]}
        return web.Response(body=encode(body), content_type="application/json")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/contacts", list_contacts)
        app.router.add_get("/contacts/{id}", show_contact)
        app.router.add_get("/conversations/{id}", retrieve_conversation)
        app.router.add_get("/_stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_reader(conn.fileno(), stop.set)  # anything on the pipe (or the parent exiting) stops us
        conn.send(port)
        await stop.wait()
        loop.remove_reader(conn.fileno())
        await runner.cleanup()

    asyncio.run(main())


class ServerProcess:
    """``with ServerProcess() as base_url:`` a fresh process serving the fixtures on 127.0.0.1 (pinned to
    CPU ``cpu`` if given); ``serve(conn, cpu)`` another server (it sends its port on ``conn``, stops on a
    message)."""

    def __init__(self, cpu: int | None = None, *, serve: Any = None, name: str = "benchmark server") -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=serve or _serve, args=(child, cpu), daemon=True, name=name)
        self._child = child
        self.base_url = ""

    def __enter__(self) -> str:
        self._proc.start()
        self._child.close()
        try:
            if not self._conn.poll(30):
                raise EOFError
            port = self._conn.recv()
        except EOFError:
            self._proc.kill()
            self._proc.join(5)
            raise RuntimeError(f"the {self._proc.name} did not start (see its traceback above)") from None
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    def __exit__(self, *exc: object) -> None:
        try:
            self._conn.send("stop")
        except OSError:
            pass
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)
        self._conn.close()


async def run_workers(fetch: Any, total: int, workers: int) -> tuple[float, float]:
    """(client CPU s, wall s) for ``total`` awaits of ``fetch()`` through ``workers`` concurrent workers."""
    import asyncio
    import time

    left = total

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await fetch()

    c0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.process_time() - c0, time.perf_counter() - t0


# ------------------------------------------------------------------ small statistics / formatting helpers


def median(values: list[float]) -> float:
    return statistics.median(values)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def table(rows: list[list[str]], header: list[str], left: int = 1) -> str:
    """A plain-text table, the first ``left`` columns left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            out.append(str(cell).ljust(widths[i]) if i < left else str(cell).rjust(widths[i]))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def machine_note() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load avg (1 min) {load:.2f}, SDK from {ROOT}"
