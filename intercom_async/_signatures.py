"""HMAC signatures of the requests Intercom sends to an app: webhook notifications (``X-Hub-Signature:
sha1=<hex>``) and Canvas Kit requests (``X-Body-Signature: <hex>``, SHA-256).

Both are an HMAC of the raw request body keyed with the app's client secret. ``check`` verifies one in
constant time and raises a typed ``SignatureError`` naming what is wrong (missing header, wrong scheme,
malformed hex, mismatch). Error texts never contain the secret, the expected signature or the body.

Several secrets may be given (a sequence): the signature is accepted when it matches any of them, which
lets an app rotate its client secret, or accept both the client secret and a subscription's ``hub_secret``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from typing import Union

from ._errors import IntercomError

Secret = Union[str, bytes]
Secrets = Union[str, bytes, Sequence[Union[str, bytes]]]

__all__ = [
    "Secret",
    "Secrets",
    "SignatureError",
    "MissingSignatureError",
    "SignatureSchemeError",
    "MalformedSignatureError",
    "SignatureMismatchError",
    "SignatureInputError",
]


class SignatureError(IntercomError, ValueError):
    """A signed request failed verification: reject it (answer 401). ``header`` is the header checked.

    The text says what is wrong and never contains the secret, the expected signature or the body."""

    def __init__(self, message: str, *, header: str) -> None:
        self.header = header
        super().__init__(message)


class MissingSignatureError(SignatureError):
    """The signature header is absent or empty."""


class SignatureSchemeError(SignatureError):
    """The header does not use the expected scheme (``sha1=`` for webhooks)."""


class MalformedSignatureError(SignatureError):
    """The signature is not hex of the digest's length."""


class SignatureMismatchError(SignatureError):
    """The signature is well formed but does not match the body under any of the secrets."""


class SignatureInputError(IntercomError, ValueError):
    """The verification itself cannot run: an empty secret, or a body that is not bytes (sign and verify the
    raw bytes received, never a re-serialised JSON document)."""


_SCHEME_NAME = re.compile(r"[A-Za-z0-9_-]{1,16}")


def keys(secret: Secrets) -> tuple[bytes, ...]:
    """The secrets as bytes, checked: at least one, none empty."""
    items: Sequence[str | bytes] = [secret] if isinstance(secret, (str, bytes)) else secret
    out = []
    try:
        for item in items:
            if isinstance(item, str):
                item = item.encode("utf-8")
            if not isinstance(item, bytes) or not item:
                raise SignatureInputError("a secret must be a non-empty str or bytes")
            out.append(item)
    except TypeError:
        raise SignatureInputError("the secret must be a str, bytes or a sequence of them") from None
    if not out:
        raise SignatureInputError("no secret given")
    return tuple(out)


def body_bytes(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    raise SignatureInputError(
        f"the body must be the raw request bytes, not {type(body).__name__}: a re-serialised JSON document does"
        " not hash to the same signature"
    )


def digest_hex(algorithm: str, secret: Secret, body: bytes) -> str:
    """The hex HMAC of ``body`` (signing, for tests and for fakes of Intercom)."""
    (key,) = keys(secret)
    return hmac.new(key, body_bytes(body), algorithm).hexdigest()


def check(
    body: object,
    header_value: object,
    secret: Secrets,
    *,
    algorithm: str,
    scheme: str | None,
    header: str,
) -> None:
    """Verify ``header_value`` (the header as received) against ``body`` in constant time, or raise."""
    candidates = keys(secret)
    data = body_bytes(body)
    if header_value is None or (isinstance(header_value, (str, bytes)) and not header_value.strip()):
        raise MissingSignatureError(f"the {header} header is missing", header=header)
    if isinstance(header_value, bytes):
        header_value = header_value.decode("latin-1")
    if not isinstance(header_value, str):
        raise SignatureInputError(f"the {header} header value must be a str, not {type(header_value).__name__}")
    value = header_value.strip()
    if scheme is not None:
        name, sep, value = value.partition("=")
        if not sep or name.strip().lower() != scheme:
            shown = f" ({name.strip()!r})" if sep and _SCHEME_NAME.fullmatch(name.strip()) else ""
            raise SignatureSchemeError(
                f"the {header} header must look like '{scheme}=<hex>'; it uses another scheme{shown}", header=header
            )
        value = value.strip()
    size = hashlib.new(algorithm).digest_size
    try:
        received = bytes.fromhex(value)
    except ValueError:
        received = b""
    if len(value) != size * 2 or len(received) != size:
        problem = f"got {len(value)} characters" if len(value) != size * 2 else "got characters that are not hex"
        raise MalformedSignatureError(
            f"the {header} signature must be {size * 2} hex digits ({algorithm.upper()}); {problem}", header=header
        )
    matched = False
    for key in candidates:  # every secret is tried, so timing does not tell which one matched
        matched |= hmac.compare_digest(hmac.new(key, data, algorithm).digest(), received)
    if not matched:
        raise SignatureMismatchError(
            f"the {header} signature does not match the body: wrong secret, or the body was altered", header=header
        )
