"""``intercom_async.mcp``: every Intercom operation as an MCP tool for LLM agents, safe by default.

Run ``python -m intercom_async.mcp`` (the ``mcp`` extra: ``pip install 'intercom-async[mcp]'``) with the token
in ``INTERCOM_TOKEN``; see ``python -m intercom_async.mcp --help`` and docs/recipes/llm-agents.md.

* ``_catalog``: one tool per operation of a version (names, input schemas from the generated ``tools.json``,
  read/write/destructive kinds, the allow-list policy); no MCP import, no I/O.
* ``_calls``: a tool call as an SDK ``Request`` through the client's send path; bounded answers, paged reads
  (``limit`` and ``cursor``), one-line typed errors.
* ``_server``: the official MCP SDK's low-level ``Server`` (full or compact mode) over stdio or Streamable HTTP.
* ``__main__``: flags and environment.

Above every layer of the SDK and imported by none of them (like ``intercom_async.testing``).
"""

from __future__ import annotations

try:
    import mcp as _mcp  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("intercom_async.mcp needs the MCP SDK: pip install 'intercom-async[mcp]'") from exc

from ._calls import DEFAULT_MAX_BYTES, Caller, ToolError, describe_error
from ._catalog import MAX_LIMIT, Catalog, Policy, ToolSpec, kind_of, tool_name
from ._server import COMPACT_TOOLS, Config, build_server, catalog_for, client_for, list_tools, serve

__all__ = [
    "COMPACT_TOOLS",
    "DEFAULT_MAX_BYTES",
    "MAX_LIMIT",
    "Caller",
    "Catalog",
    "Config",
    "Policy",
    "ToolError",
    "ToolSpec",
    "build_server",
    "catalog_for",
    "client_for",
    "describe_error",
    "kind_of",
    "list_tools",
    "serve",
    "tool_name",
]
