"""The MCP server's tool catalogue and calls, in process: every schema of every version, the kinds and the policy,
paging with ``limit`` and ``cursor``, answer caps and the one-line errors (against ``FakeIntercom``).

The MCP transports (stdio, Streamable HTTP) are in ``test_server.py``."""

from __future__ import annotations

import json
import re
from collections import Counter

import jsonschema
import pytest

from intercom_async import VERSIONS
from intercom_async.mcp import COMPACT_TOOLS, Caller, Catalog, Policy, ToolError, kind_of, list_tools
from intercom_async.testing import FakeIntercom
from tests.resilience.redis_server import redis_server  # noqa: F401  (fixture)

TOKEN = "tok_mcp_catalog_0123456789abcdef"


def catalogs() -> dict[str, Catalog]:
    return {v: Catalog(info.load().OPERATIONS, Policy(("*",), True)) for v, info in VERSIONS.items()}


def test_every_tool_schema_of_every_version_is_valid_json_schema_2020_12():
    checked = 0
    for version, catalog in catalogs().items():
        assert len(catalog.tools) == len(catalog.registry), version  # one tool per operation
        for tool in catalog.tools.values():
            schema = tool.input_schema
            jsonschema.Draft202012Validator.check_schema(schema)
            assert schema["type"] == "object" and schema["additionalProperties"] is False
            refs = set(re.findall(r'"\$ref": "#/\$defs/([^"]+)"', json.dumps(schema)))
            assert refs <= set(schema.get("$defs", {})), (version, tool.name, refs - set(schema.get("$defs", {})))
            # every path parameter is a required argument, every declared parameter an argument
            for _py, name, where, _required in tool.op.params:
                if where == "path":
                    assert name in schema["required"], (tool.name, name)
            checked += 1
        for tool in list_tools(catalog, compact=True):
            jsonschema.Draft202012Validator.check_schema(tool.input_schema)
    assert checked == sum(len(info.load().OPERATIONS) for info in VERSIONS.values())


def test_tool_counts_per_version_and_mode():
    for version, info in VERSIONS.items():
        registry = info.load().OPERATIONS
        kinds = Counter(kind_of(op) for op in registry.values())
        default = list_tools(Catalog(registry), compact=False)
        everything = list_tools(Catalog(registry, Policy(("*",), True)), compact=False)
        writes = list_tools(Catalog(registry, Policy(("*",))), compact=False)
        assert len(default) == kinds["read"] and all(t.annotations.read_only_hint for t in default), version
        assert len(writes) == kinds["read"] + kinds["write"], version
        assert len(everything) == len(registry), version
        assert [t.name for t in list_tools(Catalog(registry), compact=True)] == list(COMPACT_TOOLS)
        destructive = [t for t in everything if t.annotations.destructive_hint]
        assert len(destructive) == kinds["destructive"] and all(not t.annotations.read_only_hint for t in destructive)
    assert len(Catalog(VERSIONS["2.16"].load().OPERATIONS).tools) == 231


def test_kinds_follow_the_documented_rules():
    tools = Catalog(VERSIONS["2.16"].load().OPERATIONS).tools
    expect = {
        "contacts_find": "read",
        "contacts_search": "read",  # POST search
        "companies_list": "read",  # POST list
        "conversations_reply": "write",
        "contacts_unarchive": "write",
        "contacts_archive": "destructive",
        "contacts_delete": "destructive",  # DELETE
        "conversations_merge": "destructive" if "conversations_merge" in tools else None,
        "conversations_redact_conversation_part": "destructive",
        "tags_untag_contact": "destructive",  # DELETE
    }
    for name, kind in expect.items():
        if kind is not None:
            assert tools[name].kind == kind, name
    assert tools["contacts_delete"].annotations["idempotentHint"] is True
    assert tools["conversations_reply"].annotations["idempotentHint"] is False


def test_allow_patterns_match_sdk_names_tool_names_and_groups():
    registry = VERSIONS["2.16"].load().OPERATIONS
    catalog = Catalog(registry, Policy.parse("conversations.reply, tags.*"))
    offered = {t.name for t in catalog.offered()}
    assert {"conversations_reply", "tags_create", "tags_tag_contact"} <= offered
    assert "conversations_update" not in offered and "contacts_create" not in offered
    assert "tags_delete" not in offered  # destructive: needs allow_destructive too
    message = catalog.refusal(catalog.tools["tags_delete"])
    assert message is not None and "--allow-destructive" in message
    refused = Catalog(registry).refusal(Catalog(registry).tools["conversations_reply"])
    assert refused is not None and "--allow conversations.reply" in refused


async def test_a_read_tool_answers_with_the_json_the_sdk_received():
    async with FakeIntercom("2.16", token=TOKEN) as fake:
        catalog = Catalog(fake.operations)
        text = await Caller(catalog, fake.client()).call(catalog.tools["admins_list"], {})
        assert json.loads(text) == fake.example("admins.list")


async def test_paging_with_limit_and_cursor_reads_every_item_once():
    async with FakeIntercom("2.16", token=TOKEN, per_page=50) as fake:
        fake.items("contacts.list", [{"type": "contact", "id": str(i), "email": f"u{i}@example.com"} for i in range(7)])
        catalog = Catalog(fake.operations)
        caller = Caller(catalog, fake.client())
        seen, cursor, calls = [], None, 0
        while True:
            args = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = json.loads(await caller.call(catalog.tools["contacts_list"], args))
            seen += [item["id"] for item in page["items"]]
            cursor, calls = page["next_cursor"], calls + 1
            assert len(page["items"]) <= 3
            if cursor is None:
                break
        assert seen == [str(i) for i in range(7)] and calls == 3
        assert all(r.query.get("per_page") == "3" for r in fake.requests_for("contacts.list"))
        with pytest.raises(ToolError, match="invalid cursor"):
            await caller.call(catalog.tools["contacts_list"], {"cursor": "not-a-cursor!"})


async def test_an_api_page_larger_than_the_limit_is_read_on_in_place():
    async with FakeIntercom("2.16", token=TOKEN, per_page=5) as fake:  # segments.list takes no per_page
        fake.items("segments.list", [{"type": "segment", "id": str(i), "name": f"s{i}"} for i in range(7)])
        catalog = Catalog(fake.operations)
        caller = Caller(catalog, fake.client())
        seen, cursor = [], None
        for _ in range(5):
            args = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = json.loads(await caller.call(catalog.tools["segments_list"], args))
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [str(i) for i in range(7)]  # 3 + 2 from the first API page, then 2 from the second


async def test_a_page_numbered_walk_keeps_its_page_size_when_the_limit_changes():
    async with FakeIntercom("2.16", token=TOKEN) as fake:
        fake.items("articles.list", [{"type": "article", "id": str(i), "title": f"a{i}"} for i in range(7)])
        catalog = Catalog(fake.operations)
        caller = Caller(catalog, fake.client())
        page = json.loads(await caller.call(catalog.tools["articles_list"], {"limit": 2}))
        seen = [item["id"] for item in page["items"]]
        while page["next_cursor"]:
            args = {"limit": 5, "cursor": page["next_cursor"]}  # a larger limit: page 2 must still mean items 2-3
            page = json.loads(await caller.call(catalog.tools["articles_list"], args))
            seen += [item["id"] for item in page["items"]]
        assert seen == [str(i) for i in range(7)]
        assert {r.query.get("per_page") for r in fake.requests_for("articles.list")} == {"2"}


async def test_a_search_pages_through_its_body_cursor():
    async with FakeIntercom("2.16", token=TOKEN) as fake:
        fake.items("contacts.search", [{"type": "contact", "id": str(i)} for i in range(5)])
        catalog = Catalog(fake.operations)
        caller = Caller(catalog, fake.client())
        body = {"query": {"field": "email", "operator": "~", "value": "example.com"}}
        page = json.loads(await caller.call(catalog.tools["contacts_search"], {"body": body, "limit": 2}))
        seen = [item["id"] for item in page["items"]]
        while page["next_cursor"]:
            args = {"body": body, "limit": 2, "cursor": page["next_cursor"]}
            page = json.loads(await caller.call(catalog.tools["contacts_search"], args))
            seen += [item["id"] for item in page["items"]]
        assert seen == [str(i) for i in range(5)]
        sent = [r.json for r in fake.requests_for("contacts.search")]
        assert all(b["query"] == body["query"] and b["pagination"]["per_page"] == 2 for b in sent)


async def test_a_large_answer_is_cut_to_the_cap_and_says_so():
    async with FakeIntercom("2.16", token=TOKEN) as fake:
        fake.respond("contacts.find", {"type": "contact", "id": "1", "notes": "x" * 50_000, "tags": list(range(500))})
        catalog = Catalog(fake.operations)
        text = await Caller(catalog, fake.client(), max_bytes=4000).call(
            catalog.tools["contacts_find"], {"contact_id": "1"}
        )
        assert len(text.encode()) <= 4000
        answer = json.loads(text)
        assert "trimmed" in answer and answer["value"]["id"] == "1"


async def test_integers_beyond_64_bits_reach_the_model_exactly():
    big = -1180591620717411303424
    name = "x" * 5000  # over the cap: the answer is decoded and trimmed, the number must survive both
    body = b'{"type":"list","data":[{"type":"admin","id":"1","name":"%s","n":%d}]}' % (name.encode(), big)
    async with FakeIntercom("2.16", token=TOKEN) as fake:
        fake.respond("admins.list", body, content_type="application/json")
        catalog = Catalog(fake.operations)
        text = await Caller(catalog, fake.client(), max_bytes=1000).call(catalog.tools["admins_list"], {})
    assert "trimmed" in text and str(big) in text and "e+21" not in text


async def test_refused_and_invalid_calls_never_reach_intercom():
    async with FakeIntercom("2.16", token=TOKEN) as fake:
        catalog = Catalog(fake.operations)
        caller = Caller(catalog, fake.client())
        with pytest.raises(ToolError, match="refused: tags_create"):
            await caller.call(catalog.tools["tags_create"], {"body": {"name": "vip"}})
        with pytest.raises(ToolError, match="contact_id' is a required property"):
            await caller.call(catalog.tools["contacts_find"], {})
        allowed = Catalog(fake.operations, Policy(("conversations.reply",)))
        with pytest.raises(ToolError, match="did you mean 'message_type'"):  # the SDK's own body check
            await Caller(allowed, fake.client()).call(
                allowed.tools["conversations_reply"], {"conversation_id": "1", "body": {"message_typo": "comment"}}
            )
        assert fake.count() == 0


async def test_intercom_errors_become_one_short_typed_line_without_the_token():
    async with FakeIntercom("2.16", token=TOKEN) as fake:
        catalog = Catalog(fake.operations)
        caller = Caller(catalog, fake.client())
        fake.fail("contacts.find", status=404, message=f"no contact for Bearer {TOKEN}")
        with pytest.raises(ToolError) as info:
            await caller.call(catalog.tools["contacts_find"], {"contact_id": "1"})
        text = str(info.value)
        assert text.startswith("NotFoundError: HTTP 404 | not_found: no contact for") and "request_id req_" in text
        assert TOKEN not in text and TOKEN[:12] not in text and "\n" not in text
        fake.fail("contacts.find", status=429, times=3, reset_in=0.05)
        with pytest.raises(ToolError, match=r"^RateLimitError: HTTP 429 \| rate_limit_exceeded"):
            await caller.call(catalog.tools["contacts_find"], {"contact_id": "1"})
        assert len(fake.requests_for("contacts.find")) == 1 + 3  # the client's 2 retries applied to the tool call


async def test_http_beyond_loopback_needs_a_bearer_token_of_its_own():
    from intercom_async.mcp import Config, serve

    with pytest.raises(ValueError, match="refusing to serve on 0.0.0.0 without INTERCOM_MCP_HTTP_TOKEN"):
        await serve(Config(), transport="http", host="0.0.0.0", port=1)


async def test_redis_url_paces_every_tool_call_through_the_shared_budget(redis_server, monkeypatch):  # noqa: F811
    from intercom_async.mcp import Config, client_for

    monkeypatch.setenv("INTERCOM_TOKEN", TOKEN)
    async with FakeIntercom("2.16", token=TOKEN) as fake:
        client, limiter = client_for(Config(base_url=fake.base_url, redis_url=redis_server.url, redis_limit=50))
        try:
            catalog = Catalog(fake.operations)
            caller = Caller(catalog, client)
            await caller.call(catalog.tools["admins_list"], {})
            await caller.call(catalog.tools["contacts_find"], {"contact_id": "1"})
            assert limiter.stats.shared == 2 and fake.count() == 2
        finally:
            await client.aclose()
            await limiter.aclose()
