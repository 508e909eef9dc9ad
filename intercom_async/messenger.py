"""Messenger security: prove to Intercom's Messenger who the logged-in user of your web app is.

Both values are computed on your server with the Messenger API secret (Messenger security settings) and
embedded in the page that loads the Messenger; the secret itself must never reach the browser.

* ``messenger_jwt(secret, user_id=..., email=..., attributes=..., expires_in=...)``: the JWT (HS256) that
  Messenger security expects as ``intercom_user_jwt`` in ``window.intercomSettings``. ``user_id`` is
  required; ``email`` and any other ``attributes`` are signed with it, so the browser cannot alter them; an
  ``exp`` claim limits how long a stolen token is any use (default one hour).
* ``user_hash(secret, identifier)``: the older identity verification, the hex HMAC-SHA256 of the user id
  (or of the email for users without one), sent as ``user_hash``.

The token is built here with ``hmac`` and ``base64`` (no JWT library needed); the tests decode it with PyJWT.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
import math
import time
from collections.abc import Mapping
from typing import Any

from ._errors import IntercomError

__all__ = ["messenger_jwt", "user_hash", "MessengerSecurityError", "RESERVED_CLAIMS"]

# Claims this module sets itself; ``attributes`` cannot override them.
RESERVED_CLAIMS = frozenset({"user_id", "email", "exp", "iat"})


class MessengerSecurityError(IntercomError, ValueError):
    """The token or hash cannot be built from these arguments (empty secret or user id, a claim that clashes,
    attributes that are not JSON)."""


def _secret(secret: str | bytes) -> bytes:
    if not isinstance(secret, (str, bytes)) or not secret:
        raise MessengerSecurityError("the Messenger secret must be a non-empty str or bytes")
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def user_hash(secret: str | bytes, identifier: str) -> str:
    """``user_hash`` for identity verification: hex HMAC-SHA256 of ``identifier`` (the ``user_id``, or the
    email for users without one) keyed with the Messenger secret."""
    key = _secret(secret)
    if not isinstance(identifier, str) or not identifier:
        raise MessengerSecurityError("the identifier (user_id or email) must be a non-empty str")
    return hmac.new(key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _seconds(expires_in: float | _dt.timedelta) -> float:
    seconds = expires_in.total_seconds() if isinstance(expires_in, _dt.timedelta) else expires_in
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise MessengerSecurityError(
            f"expires_in must be a positive number of seconds or a timedelta, got {expires_in!r}"
        )
    return float(seconds)


def messenger_jwt(
    secret: str | bytes,
    *,
    user_id: str,
    email: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    expires_in: float | _dt.timedelta | None = 3600,
    now: float | None = None,
) -> str:
    """The Messenger security JWT (HS256) for one user.

    Args:
        secret: the Messenger API secret.
        user_id: your stable id for the user (required by Messenger security).
        email: signed with the id when given.
        attributes: other user attributes to sign (``name``, custom attributes, ...); JSON values only, and
            none of ``RESERVED_CLAIMS``.
        expires_in: seconds (or a ``timedelta``) until the token expires: an ``exp`` claim, rounded up to a
            whole second. ``None`` leaves ``exp`` out (not recommended).
        now: the current Unix time (default ``time.time()``), for tests.
    """
    key = _secret(secret)
    if not isinstance(user_id, str) or not user_id:
        raise MessengerSecurityError("user_id must be a non-empty str")
    payload: dict[str, Any] = {"user_id": user_id}
    if email is not None:
        if not isinstance(email, str) or not email:
            raise MessengerSecurityError("email must be a non-empty str (or None)")
        payload["email"] = email
    if attributes:
        if not isinstance(attributes, Mapping):
            raise MessengerSecurityError("attributes must be a mapping of attribute name to JSON value")
        clash = sorted(RESERVED_CLAIMS & set(attributes))
        if clash:
            raise MessengerSecurityError(f"attributes cannot set {clash}: use the keyword arguments")
        for name in attributes:
            if not isinstance(name, str) or not name:
                raise MessengerSecurityError("attribute names must be non-empty str")
        payload.update(attributes)
    if expires_in is not None:
        issued = time.time() if now is None else now
        payload["exp"] = math.ceil(issued + _seconds(expires_in))
    try:
        claims = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise MessengerSecurityError(f"attributes must be JSON values: {exc}") from None
    header = _b64(b'{"alg":"HS256","typ":"JWT"}')
    signing_input = f"{header}.{_b64(claims)}"
    signature = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"
