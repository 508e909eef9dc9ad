"""``python -m intercom_async.mcp``: the MCP server's command line (flags, or the environment variables named).

The token is read only from ``INTERCOM_TOKEN`` (no flag: a command line is visible to other users of the
machine); it is never printed or logged. Over HTTP, ``INTERCOM_MCP_HTTP_TOKEN`` (when set) is the bearer token
every MCP request must carry; listening on a non-loopback ``--host`` without it is refused. ``--print-tools`` writes the ``tools/list`` answer as JSON to stdout
and exits (no token needed): the size an agent's context pays for this configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence

from .._versions import DEFAULT_VERSION, VERSIONS
from ._calls import DEFAULT_MAX_BYTES
from ._catalog import Policy
from ._server import Config, catalog_for, list_tools, serve


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = argparse.ArgumentParser(
        prog="python -m intercom_async.mcp",
        description="Intercom's REST API as MCP tools (read-only unless --allow). Token: INTERCOM_TOKEN.",
    )
    p.add_argument(
        "--api-version",
        default=env("INTERCOM_VERSION", DEFAULT_VERSION),
        choices=list(VERSIONS),
        help="Intercom API version (env INTERCOM_VERSION; default %(default)s)",
    )
    p.add_argument(
        "--region",
        default=env("INTERCOM_REGION", "us"),
        choices=["us", "eu", "au"],
        help="workspace region (env INTERCOM_REGION; default us)",
    )
    p.add_argument(
        "--base-url",
        default=env("INTERCOM_BASE_URL"),
        help="API base URL instead of the region's (env INTERCOM_BASE_URL; tests, proxies)",
    )
    p.add_argument(
        "--allow",
        default=env("INTERCOM_MCP_ALLOW", ""),
        help="comma-separated writes to offer: conversations.reply,tags.* or * (env INTERCOM_MCP_ALLOW)",
    )
    p.add_argument(
        "--allow-destructive",
        action="store_true",
        default=_flag("INTERCOM_MCP_ALLOW_DESTRUCTIVE"),
        help="also offer the allowed destructive writes: deletes, merges, archives, redactions, blocks",
    )
    p.add_argument(
        "--compact",
        action="store_true",
        default=_flag("INTERCOM_MCP_COMPACT"),
        help="three fixed tools (list groups, describe, call) instead of one tool per operation",
    )
    p.add_argument(
        "--transport",
        default=env("INTERCOM_MCP_TRANSPORT", "stdio"),
        choices=["stdio", "http"],
        help="stdio (default) or Streamable HTTP at http://HOST:PORT/mcp",
    )
    p.add_argument("--host", default="127.0.0.1", help="HTTP: address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="HTTP: port (default 8000)")
    p.add_argument(
        "--max-result-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        help="cap of one tool answer; larger answers are trimmed (default %(default)s)",
    )
    p.add_argument("--max-retries", type=int, default=2, help="client retries per call (default 2)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per attempt (default 30)")
    p.add_argument(
        "--redis-url",
        default=env("INTERCOM_REDIS_URL"),
        help="share one rate-limit budget between processes through Redis (RedisRateLimiter)",
    )
    p.add_argument("--redis-limit", type=int, default=1666, help="requests per 10 s for the app (default 1666)")
    p.add_argument(
        "--log-level",
        default=env("INTERCOM_MCP_LOG_LEVEL", "INFO").upper(),
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="stderr log level (default INFO)",
    )
    p.add_argument("--print-tools", action="store_true", help="print the tools/list answer as JSON and exit")
    return p


def config_from(args: argparse.Namespace) -> Config:
    allow = Policy.parse(str(args.allow or "")).allow
    return Config(
        version=args.api_version,
        region=args.region,
        base_url=args.base_url or None,
        allow=allow,
        allow_destructive=bool(args.allow_destructive),
        compact=bool(args.compact),
        max_bytes=max(1000, int(args.max_result_bytes)),
        max_retries=max(0, int(args.max_retries)),
        timeout=float(args.timeout),
        redis_url=args.redis_url or None,
        redis_limit=int(args.redis_limit),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    config = config_from(args)
    if args.print_tools:
        tools = list_tools(catalog_for(config), config.compact)
        payload = [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]
        sys.stdout.write(json.dumps({"tools": payload}, ensure_ascii=False, separators=(",", ":")) + "\n")
        return 0
    if not os.environ.get("INTERCOM_TOKEN"):
        sys.stderr.write("intercom-mcp: set INTERCOM_TOKEN to an Intercom access token\n")
        return 2
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="intercom-mcp %(levelname)s %(message)s")
    logging.getLogger("intercom_async").setLevel(args.log_level.upper())  # the MCP SDK's own loggers stay quiet
    try:
        http_token = os.environ.get("INTERCOM_MCP_HTTP_TOKEN") or None
        asyncio.run(serve(config, transport=args.transport, host=args.host, port=args.port, http_token=http_token))
    except KeyboardInterrupt:
        pass
    except ValueError as exc:  # a refused configuration: one line, no traceback
        sys.stderr.write(f"intercom-mcp: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
