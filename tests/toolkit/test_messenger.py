"""Messenger security: the JWT is checked by PyJWT and by a separate HS256 check written here with
hmac/base64; ``user_hash`` against a published HMAC-SHA256 vector."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json

import jwt
import pytest

from intercom_async import IntercomError
from intercom_async.messenger import MessengerSecurityError, messenger_jwt, user_hash

SECRET = "msgr_8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
NOW = 1_750_000_000


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def independent_hs256_claims(token: str, secret: str) -> dict:
    """Verify an HS256 JWT without the code under test or PyJWT."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    assert json.loads(_b64decode(header_b64)) == {"alg": "HS256", "typ": "JWT"}
    expected = hmac.new(secret.encode(), f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(_b64decode(signature_b64), expected)
    assert "=" not in token  # base64url without padding, as JWS requires
    return json.loads(_b64decode(payload_b64))


def test_pyjwt_decodes_and_verifies_the_token():
    token = messenger_jwt(
        SECRET,
        user_id="user-42",
        email="ada@example.com",
        attributes={"name": "Ada Lovelace", "plan": "pro", "seats": 12, "beta": True, "tags": ["a", "b"]},
        expires_in=3600,
    )
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp", "user_id"]})
    assert claims["user_id"] == "user-42" and claims["email"] == "ada@example.com"
    assert claims["name"] == "Ada Lovelace" and claims["seats"] == 12 and claims["tags"] == ["a", "b"]
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET + "x", algorithms=["HS256"])


def test_the_independent_check_agrees_and_exp_is_exact():
    token = messenger_jwt(SECRET, user_id="u1", expires_in=datetime.timedelta(minutes=30), now=NOW + 0.2)
    assert independent_hs256_claims(token, SECRET) == {"user_id": "u1", "exp": NOW + 1801}  # rounded up
    token = messenger_jwt(SECRET.encode(), user_id="ünïcode", email="e@x.io", now=NOW)
    assert independent_hs256_claims(token, SECRET) == {"user_id": "ünïcode", "email": "e@x.io", "exp": NOW + 3600}


def test_expired_tokens_are_refused_by_pyjwt_and_exp_can_be_left_out():
    expired = messenger_jwt(SECRET, user_id="u1", expires_in=60, now=NOW - 3600)
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(expired, SECRET, algorithms=["HS256"])
    no_exp = messenger_jwt(SECRET, user_id="u1", expires_in=None)
    assert jwt.decode(no_exp, SECRET, algorithms=["HS256"]) == {"user_id": "u1"}


def test_pyjwt_tokens_and_ours_are_byte_identical_for_the_same_claims():
    ours = messenger_jwt(SECRET, user_id="u1", email="a@b.co", attributes={"name": "A"}, now=NOW, expires_in=10)
    theirs = jwt.encode(
        {"user_id": "u1", "email": "a@b.co", "name": "A", "exp": NOW + 10},
        SECRET,
        algorithm="HS256",
        headers={"typ": "JWT"},
    )
    assert ours == theirs


@pytest.mark.parametrize(
    "kwargs",
    [
        {"user_id": ""},
        {"user_id": 42},
        {"user_id": "u", "email": ""},
        {"user_id": "u", "attributes": {"exp": 1}},
        {"user_id": "u", "attributes": {"user_id": "other"}},
        {"user_id": "u", "attributes": {"when": datetime.datetime(2024, 1, 1)}},
        {"user_id": "u", "attributes": {"ratio": float("nan")}},
        {"user_id": "u", "expires_in": 0},
        {"user_id": "u", "expires_in": -5},
        {"user_id": "u", "expires_in": float("inf")},
        {"user_id": "u", "expires_in": "3600"},
    ],
)
def test_bad_arguments_are_a_typed_error_without_the_secret(kwargs):
    with pytest.raises(MessengerSecurityError) as info:
        messenger_jwt(SECRET, **kwargs)
    assert isinstance(info.value, IntercomError) and isinstance(info.value, ValueError)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("secret", ["", b"", None, 7])
def test_unusable_secrets(secret):
    with pytest.raises(MessengerSecurityError):
        messenger_jwt(secret, user_id="u")  # type: ignore[arg-type]
    with pytest.raises(MessengerSecurityError):
        user_hash(secret, "u")  # type: ignore[arg-type]


def test_user_hash_is_hmac_sha256_hex():
    # RFC 4231 test case 2
    assert user_hash("Jefe", "what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert user_hash(SECRET, "user-42") == hmac.new(SECRET.encode(), b"user-42", hashlib.sha256).hexdigest()
    with pytest.raises(MessengerSecurityError):
        user_hash(SECRET, "")
