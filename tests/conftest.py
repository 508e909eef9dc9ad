"""Suite-wide test setup.

aioresponses 0.7.9 (the newest release) builds ``aiohttp.ClientResponse`` without the ``stream_writer``
argument that aiohttp 3.14 made required (pnuckowski/aioresponses#289, open). Until a release fixes it,
aioresponses' module-level ``ClientResponse`` is replaced by a subclass that supplies a finished writer
(``output_size`` 0: the mocked request was "already sent"). Only aioresponses' mocked responses use it.
"""

from __future__ import annotations

import inspect

import aioresponses.core
from aiohttp import ClientResponse


class _SentWriter:
    output_size = 0


class _CompatClientResponse(ClientResponse):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("stream_writer", _SentWriter())
        super().__init__(*args, **kwargs)


if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
    aioresponses.core.ClientResponse = _CompatClientResponse
