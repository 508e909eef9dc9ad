"""Webhook (X-Hub-Signature, HMAC-SHA1, ``sha1=`` scheme) and Canvas Kit (X-Body-Signature, HMAC-SHA256)
signatures: published HMAC test vectors, every failure's type, and no secret in any error text."""

from __future__ import annotations

import pytest

from intercom_async import IntercomError, canvas_kit, webhooks
from intercom_async._signatures import (
    MalformedSignatureError,
    MissingSignatureError,
    SignatureError,
    SignatureInputError,
    SignatureMismatchError,
    SignatureSchemeError,
)

from .conftest import OTHER_SECRET, SECRET, notification_body

# RFC 2202 (HMAC-SHA1) and RFC 4231 (HMAC-SHA256) test case 2: key "Jefe"
RFC_KEY = "Jefe"
RFC_DATA = b"what do ya want for nothing?"
RFC_SHA1 = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
RFC_SHA256 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

BODY = notification_body({"type": "conversation", "id": "123"})


def test_signatures_match_the_published_hmac_vectors():
    assert webhooks.sign(RFC_DATA, RFC_KEY) == "sha1=" + RFC_SHA1
    assert canvas_kit.sign(RFC_DATA, RFC_KEY) == RFC_SHA256
    webhooks.verify(RFC_DATA, "sha1=" + RFC_SHA1, RFC_KEY)
    canvas_kit.verify(RFC_DATA, RFC_SHA256, RFC_KEY)
    webhooks.verify(RFC_DATA, "SHA1=" + RFC_SHA1.upper(), RFC_KEY.encode())  # scheme and hex case do not matter


def test_valid_signature_passes_and_bytes_like_bodies_work():
    header = webhooks.sign(BODY, SECRET)
    webhooks.verify(BODY, header, SECRET)
    webhooks.verify(bytearray(BODY), header.encode("ascii"), SECRET)
    webhooks.verify(memoryview(BODY), f"  {header} ", SECRET)


def test_any_of_several_secrets_may_match():
    header = webhooks.sign(BODY, SECRET)
    webhooks.verify(BODY, header, [OTHER_SECRET, SECRET])
    canvas_kit.verify(BODY, canvas_kit.sign(BODY, SECRET), (SECRET, OTHER_SECRET))
    with pytest.raises(SignatureMismatchError):
        webhooks.verify(BODY, header, [OTHER_SECRET])


CASES = [
    # (verify, body, header, secret, error class, words in the message)
    (webhooks.verify, BODY, None, SECRET, MissingSignatureError, "missing"),
    (webhooks.verify, BODY, "", SECRET, MissingSignatureError, "missing"),
    (webhooks.verify, BODY, "   ", SECRET, MissingSignatureError, "missing"),
    (webhooks.verify, BODY, "sha256=" + "a" * 64, SECRET, SignatureSchemeError, "sha1=<hex>"),
    (webhooks.verify, BODY, "a" * 40, SECRET, SignatureSchemeError, "sha1=<hex>"),
    (webhooks.verify, BODY, "sha1=" + "g" * 40, SECRET, MalformedSignatureError, "not hex"),
    (webhooks.verify, BODY, "sha1=" + "ab cd" * 8, SECRET, MalformedSignatureError, "40 hex digits"),
    (webhooks.verify, BODY, "sha1=abc", SECRET, MalformedSignatureError, "got 3 characters"),
    (webhooks.verify, BODY + b" ", webhooks.sign(BODY, SECRET), SECRET, SignatureMismatchError, "does not match"),
    (webhooks.verify, BODY, webhooks.sign(BODY, SECRET), OTHER_SECRET, SignatureMismatchError, "does not match"),
    (canvas_kit.verify, BODY, None, SECRET, MissingSignatureError, "X-Body-Signature"),
    (canvas_kit.verify, BODY, "sha256=" + canvas_kit.sign(BODY, SECRET), SECRET, MalformedSignatureError, "64 hex"),
    (canvas_kit.verify, BODY, webhooks.sign(BODY, SECRET)[5:], SECRET, MalformedSignatureError, "64 hex"),
    (canvas_kit.verify, b"{}", canvas_kit.sign(BODY, SECRET), SECRET, SignatureMismatchError, "does not match"),
    (canvas_kit.verify, BODY, canvas_kit.sign(BODY, SECRET), OTHER_SECRET, SignatureMismatchError, "does not match"),
]


@pytest.mark.parametrize(("verify", "body", "header", "secret", "error", "words"), CASES)
def test_each_failure_has_its_type_and_never_echoes_the_secret(verify, body, header, secret, error, words):
    with pytest.raises(error) as info:
        verify(body, header, secret)
    exc = info.value
    assert isinstance(exc, SignatureError) and isinstance(exc, IntercomError) and isinstance(exc, ValueError)
    text = f"{exc} {exc!r} {exc.args}"
    assert words in text
    assert exc.header in ("X-Hub-Signature", "X-Body-Signature")
    for secret_value in (SECRET, OTHER_SECRET):
        assert secret_value not in text
    # nor the signature that would have been right, nor the body
    for right in (webhooks.sign(body, SECRET)[5:], canvas_kit.sign(body, SECRET)):
        assert right not in text
    assert "conversation" not in text


def test_scheme_name_is_shown_only_when_it_is_a_plain_word():
    with pytest.raises(SignatureSchemeError, match="'sha256'"):
        webhooks.verify(BODY, "sha256=" + "a" * 64, SECRET)
    with pytest.raises(SignatureSchemeError) as info:
        webhooks.verify(BODY, f"{SECRET}=" + "a" * 40, SECRET)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("secret", ["", b"", [], [""], None, 42, ["ok", 3]])
def test_unusable_secrets_are_a_typed_error(secret):
    with pytest.raises(SignatureInputError):
        webhooks.verify(BODY, webhooks.sign(BODY, "x"), secret)
    with pytest.raises(SignatureInputError):
        canvas_kit.verify(BODY, canvas_kit.sign(BODY, "x"), secret)


def test_a_text_body_is_refused_with_the_reason():
    with pytest.raises(SignatureInputError, match="raw request bytes"):
        webhooks.verify(BODY.decode(), webhooks.sign(BODY, SECRET), SECRET)
    with pytest.raises(SignatureInputError, match="raw request bytes"):
        webhooks.sign({"type": "notification_event"}, SECRET)  # type: ignore[arg-type]
    with pytest.raises(SignatureInputError):
        webhooks.verify(BODY, 12345, SECRET)  # type: ignore[arg-type]
