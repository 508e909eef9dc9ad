"""Run one SDK call in a fresh process and report its peak memory, for the bounded-read and streaming tests.

    python -m tests.resilience.rss_client <scenario> <base_url> [<path for the export>]

Scenarios: ``capped`` (``admins.identify`` against a body that never ends or a gzip bomb: the call must
raise ``ResponseTooLargeError``), ``stream`` (the 2.12 content export written to a file through
``with_streaming_response``). Prints one JSON line: the outcome, the RSS after a warm-up call (``VmRSS``, the
baseline; the peak is reset there) and the peak since (``VmHWM``), in KiB. An optional 4th argument sets
``max_response_size`` (``none``: no limit), for measuring the unlimited case by hand.. Operations are looked up in the registry, not by name.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
from typing import Any

import intercom_async

TOKEN = "tok_SECRET_7f3c9a1e55d04b"


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def current_kib() -> int:
    """The resident set size now (``VmRSS``), which, unlike the peak, can be lower than before."""
    return _status("VmRSS")


def reset_peak() -> None:
    """Reset the peak RSS (``VmHWM``) to the current RSS (Linux >= 4.0), so the imports' transient peak does
    not hide (or pass for) what the scenario uses."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")


def peak_since_reset_kib() -> int:
    return _status("VmHWM")


def bound(client: Any, operation_id: str, view: str | None = None) -> Any:
    op = intercom_async.VERSIONS["2.12"].load().OPERATIONS[operation_id]
    target = client
    for part in op.resource.split("."):
        target = getattr(target, part)
    if view is not None:
        target = getattr(target, view)
    return getattr(target, op.name)


async def main(scenario: str, base_url: str, out: str | None) -> dict[str, Any]:
    limit: Any = {} if len(sys.argv) < 5 else {"max_response_size": None if sys.argv[4] == "none" else int(sys.argv[4])}
    async with intercom_async.Intercom(
        TOKEN, version="2.12", base_url=base_url, max_retries=0, rate_limiter=False, timeout=60, **limit
    ) as client:
        await bound(client, "identifyAdmin")()  # warm-up: session, connector, models imported
        reset_peak()
        report: dict[str, Any] = {"baseline_kib": current_kib()}
        if scenario == "capped":
            try:
                await bound(client, "identifyAdmin")()
                report["outcome"] = "returned"
            except intercom_async.ResponseTooLargeError as exc:
                report.update(outcome="ResponseTooLargeError", received=exc.received, limit=exc.limit)
            except intercom_async.IntercomError as exc:  # without a limit: the whole body read, then refused
                report["outcome"] = type(exc).__name__
        elif scenario == "stream":
            assert out is not None
            async with bound(client, "downloadDataExport", "with_streaming_response")("job-200mb") as response:
                report["written"] = await response.write_to(out)
                report["outcome"] = "written"
        report["peak_kib"] = peak_since_reset_kib()
        report["lifetime_peak_kib"] = peak_kib()
        return report


if __name__ == "__main__":
    result = asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
    print(json.dumps(result))
