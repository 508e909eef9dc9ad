"""The MCP server: the catalogue's tools on the official MCP SDK's low-level ``Server``, over stdio or HTTP.

The low-level ``Server`` (not FastMCP/``MCPServer``) because the tools are data, not Python functions: a
version has 108 to 256 operations whose input schemas come from ``tools.json``, and the low-level server takes
``tools/list`` and ``tools/call`` handlers that serve that list as it is, with our annotations and schemas,
without generating a function signature per operation.

Two modes:

* **full**: one tool per offered operation (``conversations_reply``), ``Config.allow`` deciding which writes;
* **compact**: three fixed tools whatever the version: ``intercom_list_groups`` (the groups, or one group's
  operations with their kind and summary), ``intercom_describe`` (one operation's description, kind and input
  schema) and ``intercom_call`` (an operation by name with its arguments); the same policy applies.

``serve(config)`` opens one client (``intercom_async.Intercom``: retries, default pacing or a shared
``RedisRateLimiter``, bounded reads, redaction) for the whole session and serves until the transport closes.
Logs go to stderr (one line per call: tool, outcome, milliseconds) and never hold the token or arguments.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any

import mcp_types as types
import orjson
from mcp.server.lowlevel import Server

from .._versions import DEFAULT_VERSION, VERSIONS, Intercom
from ._calls import DEFAULT_MAX_BYTES, Caller, ToolError
from ._catalog import Catalog, Policy, ToolSpec

__all__ = ["COMPACT_TOOLS", "Config", "build_server", "catalog_for", "client_for", "list_tools", "serve"]

logger = logging.getLogger("intercom_async.mcp")

COMPACT_TOOLS = ("intercom_list_groups", "intercom_describe", "intercom_call")


@dataclass(frozen=True)
class Config:
    """What ``python -m intercom_async.mcp`` is configured with (flags and environment; see ``__main__``).
    The token is not here: it is read from ``INTERCOM_TOKEN`` by the client and never stored elsewhere."""

    version: str = DEFAULT_VERSION
    region: str = "us"
    base_url: str | None = None
    allow: tuple[str, ...] = ()
    allow_destructive: bool = False
    compact: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    max_retries: int = 2
    timeout: float = 30.0
    redis_url: str | None = None
    redis_limit: int = 1666  # requests per 10 s window for the app (Intercom's default 10,000 a minute)

    @property
    def policy(self) -> Policy:
        return Policy(self.allow, self.allow_destructive)


def catalog_for(config: Config) -> Catalog:
    info = VERSIONS.get(config.version)
    if info is None:
        raise ValueError(f"unknown Intercom API version {config.version!r}; this SDK has {list(VERSIONS)}")
    return Catalog(info.load().OPERATIONS, config.policy)


def _tool(spec: ToolSpec) -> types.Tool:
    notes = spec.annotations
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=spec.input_schema,
        annotations=types.ToolAnnotations(  # no title here: the tool's own title says it once
            read_only_hint=notes["readOnlyHint"],
            destructive_hint=notes["destructiveHint"],
            idempotent_hint=notes["idempotentHint"],
            open_world_hint=notes["openWorldHint"],
        ),
    )


def _compact_tools(catalog: Catalog) -> list[types.Tool]:
    version, policy = catalog.version, catalog.policy
    name = {"type": "string", "description": "operation: tool name (conversations_reply) or SDK name"}
    return [
        types.Tool(
            name="intercom_list_groups",
            title="List Intercom operation groups",
            description=(
                f"Intercom API {version}: without `group`, the groups of operations this server allows and their "
                "sizes; with `group`, its operations (name, kind read/write/destructive, summary)."
            ),
            input_schema={
                "type": "object",
                "properties": {"group": {"type": "string", "description": "a group name from the list"}},
                "additionalProperties": False,
            },
            annotations=types.ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True),
        ),
        types.Tool(
            name="intercom_describe",
            title="Describe an Intercom operation",
            description="An operation's description, kind and the JSON Schema of its arguments (for intercom_call).",
            input_schema={
                "type": "object",
                "properties": {"operation": name},
                "required": ["operation"],
                "additionalProperties": False,
            },
            annotations=types.ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True),
        ),
        types.Tool(
            name="intercom_call",
            title="Call an Intercom operation",
            description=(
                "Call an operation by name with `arguments` as intercom_describe shows them (path and query "
                "parameters by name, the JSON body as `body`; paged operations take `limit` and `cursor`). "
                "Writes are refused unless the server allows them."
            ),
            input_schema={
                "type": "object",
                "properties": {"operation": name, "arguments": {"type": "object"}},
                "required": ["operation"],
                "additionalProperties": False,
            },
            annotations=types.ToolAnnotations(  # as safe as the policy makes it
                read_only_hint=not policy.allow,
                destructive_hint=bool(policy.allow) and policy.allow_destructive,
                idempotent_hint=not policy.allow,
            ),
        ),
    ]


def list_tools(catalog: Catalog, compact: bool) -> list[types.Tool]:
    """What ``tools/list`` answers."""
    return _compact_tools(catalog) if compact else [_tool(spec) for spec in catalog.offered()]


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class _Handler:
    def __init__(self, catalog: Catalog, caller: Caller, compact: bool) -> None:
        self.catalog = catalog
        self.caller = caller
        self.compact = compact
        self.tools = list_tools(catalog, compact)

    async def list_tools(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self.tools)

    async def call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        started = time.perf_counter()
        name, args = params.name, params.arguments or {}
        try:
            text = await self._dispatch(name, args)
            error, outcome = False, "ok"
        except ToolError as exc:
            text, error = str(exc), True
            outcome = "error: " + text.split(":", 1)[0][:60]
        except Exception as exc:  # never a traceback to the model, nor to the log (it could quote data)
            text, error, outcome = f"internal error ({type(exc).__name__})", True, f"error: {type(exc).__name__}"
        logger.info("call %s -> %s (%.1f ms)", name[:80], outcome, (time.perf_counter() - started) * 1000)
        return types.CallToolResult(content=[types.TextContent(text=text)], is_error=error)

    async def _dispatch(self, name: str, args: dict[str, Any]) -> str:
        if self.compact:
            if name == "intercom_list_groups":
                return self._groups(args.get("group"))
            if name == "intercom_describe":
                return self._describe(self._find(args.get("operation")))
            if name == "intercom_call":
                arguments = args.get("arguments") or {}
                if not isinstance(arguments, dict):
                    raise ToolError("invalid arguments for intercom_call: arguments must be an object")
                return await self.caller.call(self._find(args.get("operation")), arguments)
            raise ToolError(f"unknown tool {name!r}: this server (compact mode) has {', '.join(COMPACT_TOOLS)}")
        return await self.caller.call(self._find(name), args)

    def _find(self, name: Any) -> ToolSpec:
        tool = self.catalog.find(name)  # None for a name that is not a string
        if tool is None:
            shown = repr(name)[:80]
            raise ToolError(f"unknown operation {shown} in Intercom API {self.catalog.version}")
        return tool

    def _groups(self, group: Any) -> str:
        groups = self.catalog.groups()
        if group is None:
            return _dumps(
                {
                    "version": self.catalog.version,
                    "policy": self.catalog.policy.describe(),
                    "groups": {name: len(tools) for name, tools in groups.items()},
                }
            )
        tools = groups.get(group) if isinstance(group, str) else None
        if tools is None:
            raise ToolError(f"unknown group {repr(group)[:80]}; intercom_list_groups without arguments lists them")
        return _dumps(
            {"group": group, "operations": [{"name": t.name, "kind": t.kind, "summary": t.title} for t in tools]}
        )

    def _describe(self, tool: ToolSpec) -> str:
        refusal = self.catalog.refusal(tool)
        if refusal is not None:
            raise ToolError(refusal)
        return _dumps(
            {
                "name": tool.name,
                "kind": tool.kind,
                "route": f"{tool.op.method} {tool.op.path}",
                "description": tool.description,
                "annotations": tool.annotations,
                "input_schema": tool.input_schema,
            }
        )


def build_server(catalog: Catalog, caller: Caller, *, compact: bool = False) -> Server[Any]:
    """The low-level MCP ``Server`` answering ``tools/list`` and ``tools/call`` for ``catalog``."""
    handler = _Handler(catalog, caller, compact)
    mode = "compact" if compact else "full"
    return Server(
        "intercom-async",
        version="0.1.0",
        instructions=(
            f"Intercom REST API {catalog.version} through the intercom-async SDK ({mode} mode, "
            f"{catalog.policy.describe()}). Paged tools return up to `limit` items and a `next_cursor`."
        ),
        on_list_tools=handler.list_tools,
        on_call_tool=handler.call_tool,
    )


def client_for(config: Config) -> tuple[Any, Any]:
    """The client and the ``RedisRateLimiter`` it uses (``None``: the client's default pacing)."""
    limiter: Any = None
    if config.redis_url:
        import os

        from ..ratelimit_redis import RedisRateLimiter

        token = os.environ.get("INTERCOM_TOKEN")
        limiter = RedisRateLimiter(config.redis_url, limit=config.redis_limit, token=token)
    client = Intercom(
        version=config.version,
        region=config.region,
        base_url=config.base_url,
        max_retries=config.max_retries,
        timeout=config.timeout,
        rate_limiter=limiter,
    )
    return client, limiter


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def require_bearer(app: Any, secret: str) -> Any:
    """An ASGI app answering 401 to an HTTP request without ``Authorization: Bearer <secret>`` (constant-time
    comparison), else ``app``: anyone who can reach the port would otherwise use the Intercom token's access."""
    expected = ("Bearer " + secret).encode()

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or ()).get(b"authorization", b"")
            if not hmac.compare_digest(given, expected):
                await send(
                    {"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]}
                )
                await send({"type": "http.response.body", "body": b"unauthorized"})
                return
        await app(scope, receive, send)

    return guarded


async def serve(
    config: Config,
    *,
    transport: str = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    http_token: str | None = None,
) -> None:
    """Serve ``config``'s tools over ``transport`` (``"stdio"`` or ``"http"``, Streamable HTTP at ``/mcp``).
    Over HTTP, ``http_token`` (when given) is required of every request as a bearer token; listening beyond
    loopback without one is refused."""
    if transport == "http" and host not in LOOPBACK and not http_token:
        raise ValueError(
            f"refusing to serve on {host} without INTERCOM_MCP_HTTP_TOKEN: anyone reaching the port could use "
            "the Intercom token"
        )
    catalog = catalog_for(config)
    client, limiter = client_for(config)
    try:
        await _serve(config, catalog, client, transport, host, port, http_token)
    finally:
        await client.aclose()
        if limiter is not None:
            await limiter.aclose()


async def _serve(
    config: Config, catalog: Catalog, client: Any, transport: str, host: str, port: int, http_token: str | None
) -> None:
    caller = Caller(catalog, client, max_bytes=config.max_bytes)
    server = build_server(catalog, caller, compact=config.compact)
    count = len(COMPACT_TOOLS) if config.compact else len(catalog.offered())
    where = "stdio" if transport == "stdio" else f"http://{host}:{port}/mcp"
    logger.info(
        "Intercom API %s, %s mode, %d tools, %s, serving on %s",
        catalog.version,
        "compact" if config.compact else "full",
        count,
        catalog.policy.describe(),
        where,
    )
    if transport == "stdio":
        from mcp.server.stdio import stdio_server

        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
        return
    import uvicorn

    app = server.streamable_http_app(host=host)
    if http_token:
        app = require_bearer(app, http_token)
    await uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).serve()
