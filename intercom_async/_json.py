"""The package's JSON decoder: orjson, one codec for every body the package decodes, bounded, integers exact.

Decoding a response is most of the CPU a typed call costs; ``orjson.loads`` decodes Intercom's payloads 2-3x
faster than the standard library's ``json.loads`` and is a maintained, wheel-only runtime dependency. One decoder
(rather than "orjson if installed") keeps behaviour identical everywhere, for 2xx bodies, error bodies and what
the app toolkit receives (webhooks, Canvas Kit requests, OAuth answers): what a body may contain is what orjson
accepts, namely RFC 8259 JSON in UTF-8, nesting up to 1,024 levels; ``NaN``/``Infinity`` literals, lone
surrogates, invalid UTF-8 and deeper nesting are refused with ``JSONDecodeError`` (a ``ValueError``), never
another exception (no ``RecursionError``).

**Integers stay exact.** orjson decodes an integer beyond 64 bits as a float (``-1180591620717411303424``
becomes ``-1.1805916207174113e+21``) and refuses one beyond a float's range. Such an integer has at least 19
digits, so a body without a run of 19 digits is returned as orjson decoded it. The check cannot be free (it
reads bytes orjson has already read), so it reads a quarter of them: every fourth byte (``content[::4]``,
translated to digit / not digit), where a run of 19 digits always shows as four digits in a row; the original
bytes are read only around such places (mostly hex ids such as ``"6762f0d51bb69f9f2193bb7f"``). It still
adds about a quarter to orjson's time on Intercom-shaped bodies (``benchmarks/bench_parse.py``: the 51 KB
conversation's ``Operation.parse`` 105 -> 130 us; a full scan would add about two fifths).

A body that has such a run is decoded again by the standard library, which keeps integers exact (up to
Python's 4,300-digit limit; longer is refused), after orjson has accepted it (or, when orjson refused it,
accepted it with its long digit runs masked), so the same bodies are accepted as before and only the numbers
change. The recursion limit is raised by orjson's 1,024 levels while it decodes (under a lock), so a body
orjson accepts is not too deep for it; should it still be (a Python whose C stack sets the limit), the body is
refused with ``JSONDecodeError``, never a ``RecursionError`` or a float.
"""

from __future__ import annotations

import json
import math
import re
import sys
import threading
from typing import Any

import orjson

__all__ = ["JSONDecodeError", "loads"]

JSONDecodeError = orjson.JSONDecodeError
_orjson_loads = orjson.loads

_LONG = 19  # digits of the shortest integer that can be beyond 64 bits (-2**63 - 1)
_STEP = 4  # a run of _LONG digits holds _LONG // _STEP = 4 samples taken _STEP bytes apart (10-digit times: 3)
_SAMPLED_RUN = b"0" * (_LONG // _STEP)
_SPAN = _STEP * (len(_SAMPLED_RUN) - 1) + 1  # the bytes those samples span
_RUN = b"0" * _LONG
_DIGITS = bytes(48 if 48 <= byte < 58 else 32 for byte in range(256))  # digit -> "0", anything else -> " "
_MAX_DEPTH = 1024  # orjson's nesting limit
_HEADROOM = threading.Lock()  # one raised recursion limit at a time, restored after
_LONG_NUMBER = re.compile(rb"(?<![0-9A-Za-z\\])[0-9]{%d,}" % _LONG)  # not after \u, a hex digit or an exponent


def loads(content: bytes | bytearray | memoryview | str) -> Any:
    """The decoded JSON of ``content``; ``JSONDecodeError`` (a ``ValueError``) when it is not accepted."""
    try:
        data = _orjson_loads(content)
    except JSONDecodeError:
        raw = _as_bytes(content)
        if not _has_long_run(raw):
            raise
        _orjson_loads(_LONG_NUMBER.sub(b"0", raw))  # refused maybe only for a number beyond a double: the rest?
        return _exact(raw)
    if type(content) is bytes:
        if _has_long_run(content):
            return _exact(content)
    elif _has_long_run(raw := _as_bytes(content)):
        return _exact(raw)
    return data


def _as_bytes(content: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(content, str):
        return content.encode("utf-8", "surrogatepass")
    return bytes(content)


def _has_long_run(raw: bytes) -> bool:
    """``raw`` holds a run of at least ``_LONG`` ASCII digits (in a number or a string)."""
    sampled = raw[::_STEP].translate(_DIGITS)
    k = sampled.find(_SAMPLED_RUN)
    while k >= 0:  # four sampled digits in a row: often a hex id (``"6762f0d51bb6..."``), rarely a long number
        start = k * _STEP
        if raw[start : start + _SPAN].isdigit():
            # the first sample in a run lies within its first _STEP bytes, so the run fits this window
            if _RUN in raw[max(start - _STEP + 1, 0) : start + _LONG].translate(_DIGITS):
                return True
        k = sampled.find(_SAMPLED_RUN, k + 1)
    return False


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number is infinity when parsed as double: {text[:20]}...")
    return value


def _exact(raw: bytes) -> Any:
    """The standard library's decoding of ``raw``, which orjson accepted: the same values, integers exact."""
    with _HEADROOM:  # orjson accepts 1,024 levels; the standard library's decoder recurses once per level
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(limit + _MAX_DEPTH)
        try:
            return json.loads(raw, parse_float=_finite)
        except RecursionError:
            raise JSONDecodeError("nested too deep to decode its long integers exactly", "", 0) from None
        except ValueError as exc:  # an integer beyond Python's digit limit, a float beyond a double's range
            raise JSONDecodeError(f"a number cannot be decoded exactly ({str(exc).split(';')[0]})", "", 0) from None
        finally:
            sys.setrecursionlimit(limit)
