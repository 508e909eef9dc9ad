"""URL building that user input and server data cannot steer elsewhere.

Two rules, both about RFC 3986 dot segments, which URL layers (yarl, proxies, servers) collapse:

* A path parameter fills exactly its own segment. It is percent-encoded with nothing left safe (``/``,
  ``?``, ``#`` and ``%`` included), and the URL is handed to aiohttp as already encoded. An empty value, and a
  value that is a dot segment (``.``, ``..``, or one of them percent-encoded up to eight times over: ``%2E``,
  ``%2e%2E``, ``%252E``), is refused with ``InvalidRequestError`` before anything is sent: RFC 3986 makes
  ``%2E`` equivalent to ``.``, so a normalising proxy or server would collapse even the encoded form
  (``DELETE /tickets/%2E%2E/tags/5`` reaching ``DELETE /tags/5``), and no Intercom id is a dot segment.
* A next-page link is resolved against the base URL and normalised (dot segments removed, as a server
  would) before it is compared with the base URL's origin and path prefix, so ``/proxy/../outside`` is seen
  for what it is. Only the normalised URL is ever requested.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from yarl import URL

from ._errors import InvalidRequestError

_DOT_SEGMENTS = frozenset({".", ".."})
_DECODE_LAYERS = 8  # percent-decoding passes tried on a path parameter (a server or proxy decodes one or two)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def path_segment(value: Any, *, name: str, where: str) -> str:
    """The encoded path segment for one path parameter value of the method named ``where`` (for messages)."""
    if value is None:
        raise InvalidRequestError(f"{where}(): path parameter {name!r} is required, got None")
    text = str(getattr(value, "value", value))
    if text == "":
        raise InvalidRequestError(f"{where}(): path parameter {name!r} must not be empty")
    if text in _DOT_SEGMENTS or ("%" in text and _is_dot_segment(text)):  # plain ids: two cheap tests
        raise InvalidRequestError(
            f"{where}(): path parameter {name!r} must not be a dot segment ('.' or '..', also percent-encoded), "
            f"got {text!r}: proxies and servers collapse it, retargeting the request"
        )
    return quote(text, safe="")


def _is_dot_segment(text: str) -> bool:
    """``text`` (holding a ``%``) is ``.`` or ``..`` under up to ``_DECODE_LAYERS`` layers of percent-encoding."""
    for _ in range(_DECODE_LAYERS):
        if "%" not in text:
            break
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text in _DOT_SEGMENTS


def normalise_base_url(base_url: str) -> str:
    """``base_url`` encoded and normalised once (dot segments resolved), without a trailing slash."""
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise InvalidRequestError(f"base_url must start with http:// or https://, got {base_url!r}")
    try:
        url = URL(base_url)
    except (ValueError, TypeError) as exc:
        raise InvalidRequestError(f"base_url is not a valid URL: {exc}") from None
    if url.user is not None or url.password is not None:
        raise InvalidRequestError("base_url must not carry credentials (user:password@)")
    if url.query_string or url.fragment:
        raise InvalidRequestError("base_url must not carry a query string or a fragment")
    return str(url).rstrip("/")


def request_url(url: str) -> URL:
    """The URL object sent to aiohttp: taken as already encoded, so no segment is decoded or collapsed."""
    return URL(url, encoded=True)


def _origin(url: URL) -> tuple[str, str | None, int | None]:
    scheme = (url.scheme or "").lower()
    return scheme, (url.host or "").lower() or None, url.port if url.port is not None else _DEFAULT_PORTS.get(scheme)


def resolve_link(base_url: str, link: Any) -> str | None:
    """The absolute, normalised next-page URL for ``link`` when it lies under ``base_url`` (same scheme, host,
    port and path prefix, no credentials); ``None`` when it does not or cannot be parsed."""
    if not isinstance(link, str) or not link:
        return None
    try:
        base = URL(base_url + "/")
        target = base.join(URL(link))
    except (ValueError, TypeError):
        return None
    if target.user is not None or target.password is not None:
        return None
    if _origin(target) != _origin(base):
        return None
    prefix = base.raw_path  # ends with "/"
    path = target.raw_path
    if not (path + "/").startswith(prefix) and path != prefix.rstrip("/"):
        return None
    return str(target)


def describe(url: Any) -> str:
    """``scheme://host/path`` of a URL for an error message: no credentials, no query string."""
    try:
        parsed = URL(str(url))
    except (ValueError, TypeError):
        return "<unparseable URL>"
    return f"{parsed.scheme}://{parsed.host or ''}{parsed.raw_path}"
