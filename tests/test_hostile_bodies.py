"""Hostile response bodies (issue 18): error bodies nested 100,000 levels deep, integers beyond 64 bits.

Through the public client against a real aiohttp server on 127.0.0.1, and the decoder itself
(``intercom_async._json.loads``): every body the package decodes goes through one bounded decoder that keeps
integers exact.
"""

from __future__ import annotations

import json

import orjson
import pytest
from aiohttp import web

import intercom_async
from intercom_async import (
    AuthenticationError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from intercom_async._json import JSONDecodeError, loads
from tests.support import loopback

TOKEN = "tok-hostile-bodies-secret"
DEEP = b"[" * 100_000 + b"]" * 100_000  # the reported body
BIG = -1180591620717411303424  # the reported integer: -2**70


async def _answer(status: int, body: bytes):
    async def handle(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type="application/json")

    return handle


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, NotFoundError), (401, AuthenticationError), (429, RateLimitError), (500, ServerError), (418, None)],
)
async def test_an_error_body_nested_100000_levels_is_the_typed_status_error(status, error):
    async with loopback.serve(await _answer(status, DEEP)) as url:
        async with intercom_async.Intercom(TOKEN, base_url=url, max_retries=0) as client:
            with pytest.raises(intercom_async.APIError) as info:
                await client.contacts.find("1")
    exc = info.value
    assert type(exc) is (error or intercom_async.APIError)
    assert exc.status_code == status
    assert exc.body is None and exc.errors == []
    assert exc.response.content == DEEP  # the raw bytes stay reachable
    assert "non-JSON body" in str(exc) and TOKEN not in str(exc)


async def test_a_2xx_body_nested_100000_levels_stays_an_invalid_response():
    async with loopback.serve(await _answer(200, DEEP)) as url:
        async with intercom_async.Intercom(TOKEN, base_url=url, max_retries=0) as client:
            with pytest.raises(InvalidResponseError, match="depth limit exceeded"):
                await client.contacts.find("1")


async def test_an_error_body_still_gives_intercoms_errors_and_exact_integers():
    body = json.dumps(
        {"type": "error.list", "request_id": "r-1", "errors": [{"code": "not_found", "message": "gone"}], "n": BIG}
    ).encode()
    async with loopback.serve(await _answer(404, body)) as url:
        async with intercom_async.Intercom(TOKEN, base_url=url, max_retries=0) as client:
            with pytest.raises(NotFoundError) as info:
                await client.contacts.find("1")
    assert info.value.code == "not_found" and info.value.request_id == "r-1"
    assert info.value.body["n"] == BIG and type(info.value.body["n"]) is int


async def test_integers_beyond_64_bits_come_back_exact_from_every_view():
    big_positive = 2**64  # one past what orjson keeps as an int
    contact = {
        "type": "contact",
        "id": "6762f0d51bb69f9f2193bb7f",
        "created_at": 1736201547,
        "custom_attributes": {"balance": BIG, "ids": [big_positive, 10**400]},
        "undeclared": BIG,
    }
    body = json.dumps(contact).encode()
    with pytest.raises(orjson.JSONDecodeError):  # 10**400: beyond a double, orjson refuses the whole body
        orjson.loads(body)
    assert orjson.loads(json.dumps(BIG)) == float(BIG)  # and BIG alone it turns into a float: the reported loss
    async with loopback.serve(await _answer(200, body)) as url:
        async with intercom_async.Intercom(TOKEN, base_url=url, max_retries=0) as client:
            model = await client.contacts.find("1")
            raw = await client.contacts.with_raw_response.find("1")
            requested = await client.request("GET", "/contacts/1")
    assert model.to_dict() == contact
    assert model["undeclared"] == BIG and type(model["undeclared"]) is int
    assert model.to_dict()["custom_attributes"]["ids"][1] == 10**400
    assert raw.json() == contact and raw.parsed.to_dict() == contact
    assert requested.json() == contact and requested.parsed == contact


@pytest.mark.parametrize(
    "text",
    [
        b"-1180591620717411303424",
        b"18446744073709551616",
        b"-9223372036854775809",
        b'{"a":[1,{"b":123456789012345678901234567890}],"c":"x"}',
        b"[1" + b"0" * 400 + b"]",  # beyond a double's range: orjson refuses it, the exact path does not
        b'{"s":"12345678901234567890123","n":12345678901234567890123}',
        b'["\\u00301234567890123456789012", 12345678901234567890123]',
        b" [ 12345678901234567890123 , -12345678901234567890123 ] ",
    ],
)
def test_the_decoder_keeps_long_integers_exact(text):
    expected = repr(json.loads(text))  # repr: 2**70 == float(2**70), but "1180591620717411303424" is not "1.18e+21"
    assert repr(loads(text)) == expected
    assert repr(loads(text.decode())) == expected
    assert repr(loads(bytearray(text))) == expected


@pytest.mark.parametrize("length", range(15, 26))
@pytest.mark.parametrize("offset", range(12))
def test_every_long_run_is_found_wherever_it_starts(length, offset):
    """The check samples every fourth byte: a run of 19 or more digits is found at every alignment, and a
    shorter one leaves the body to orjson (its floats, for the lengths orjson turns into one)."""
    number = int("9" * length)
    text = b'{"id":"6762f0d51bb69f9f2193bb7f","x":"' + b"a" * offset + b'","n":' + str(number).encode() + b"}"
    decoded = loads(text)
    assert decoded["n"] == number and type(decoded["n"]) is int
    assert repr(decoded) == repr(json.loads(text))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (b"[12345678901234567890123, NaN]", "unexpected character"),
        (b"[12345678901234567890123, 1e400]", "infinity"),
        (b"[12345678901234567890123e400]", "infinity"),
        (b"[1.5e+12345678901234567890]", "infinity"),
        (b"1" * 5000, "cannot be decoded exactly"),
        (b"[" * 1025 + b"12345678901234567890123" + b"]" * 1025, "depth limit exceeded"),
        (b'["\\ud800", 12345678901234567890123]', "surrogate"),
        (b"\xff 12345678901234567890123", "utf-8"),
    ],
)
def test_the_exact_path_refuses_what_orjson_refuses(text, problem):
    with pytest.raises(JSONDecodeError) as info:
        loads(text)
    assert problem.lower() in str(info.value).lower()
    assert isinstance(info.value, ValueError)


def test_a_body_orjson_accepts_at_its_depth_limit_is_not_too_deep_for_the_exact_path():
    text = b"[" * 1024 + b"12345678901234567890123" + b"]" * 1024
    value = loads(text)
    for _ in range(1024):
        (value,) = value
    assert value == 12345678901234567890123


def test_bodies_without_long_runs_are_orjsons_own_decoding():
    """Hex ids, timestamps, phone numbers and 18-digit numbers: nothing for the exact path."""
    text = json.dumps(
        {
            "ids": ["6762f0d51bb69f9f2193bb7f", "677c554b6abd011ad17ff4ec", "0123456789abcdef0123456789"],
            "times": [1736201547, 1736201547123],
            "phone": "+353871234567890",
            "max": 999999999999999999,
            "f": 0.1,
        }
    ).encode()
    assert loads(text) == orjson.loads(text)


async def test_the_fakes_deeply_nested_cursor_is_a_400():
    """``FakeIntercom`` decodes the ``starting_after`` cursors it is sent with the same bounded decoder (2,500
    levels: deeper than the standard library's decoder goes, short enough for a URL)."""
    import base64

    from intercom_async.testing import FakeIntercom

    cursor = base64.urlsafe_b64encode(b"[" * 2500 + b"]" * 2500).decode().rstrip("=")
    async with FakeIntercom("2.16") as fake:
        client = fake.client(max_retries=0)
        with pytest.raises(intercom_async.BadRequestError, match="not a valid cursor"):
            await client.contacts.list(starting_after=cursor)
