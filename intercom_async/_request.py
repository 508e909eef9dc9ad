"""``Request``: one call's arguments as a single value, passed from the resource to the client and the pager.

A generated method builds ``Request(op, path=..., query=..., body=..., fields=..., options=...)`` once; the
client sends it, and a pager asks it for the next page with ``replace``. ``prepare`` turns it into what goes
on the wire, with no I/O and no credentials:

* the path, each parameter filling exactly its own segment (``Operation.format_path``);
* the query string: unset/``None`` dropped, booleans as ``true``/``false``, lists repeated, objects exploded
  into their keys (OpenAPI ``style: form, explode: true``, e.g. ``GET /events``' ``filter``);
* the JSON body: ``request_body=`` (the ``body`` slot) as a model's ``to_dict()`` (unchecked: it is typed
  already) or a dict, and/or the fields passed as keyword arguments (``fields``; ``from_`` sent as ``from``, see
  ``Operation.body_aliases``) merged over it, a field given both ways refused; a dict or fields are checked
  against the request model so a misspelt field (a near miss of a declared one; any undeclared field on a
  strict client), a missing required field of a body built from keywords, or a union body whose fields match
  no branch fails here with ``InvalidRequestError`` instead of reaching the server (see
  ``intercom_async._codec.check_request``); a whole body that is not a JSON object where the operation documents
  one (a string, a list) is refused too; ``extra_body`` is merged last, unchecked;
* the headers the operation adds (``Accept`` for non-JSON answers, ``Content-Type``, header parameters and
  ``extra_headers``); header names and values are validated, and ``Authorization``/``Intercom-Version``
  cannot be set this way.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ._codec import Model, check_request, dump
from ._errors import InvalidRequestError
from ._operation import Operation
from ._types import UNSET, RequestOptions

__all__ = ["PROTECTED_HEADERS", "Prepared", "Request", "check_header", "encode_query"]

PROTECTED_HEADERS = frozenset({"authorization", "intercom-version"})
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 field-name
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # controls (CR, LF, NUL...) but not TAB


def check_header(name: Any, value: Any, where: str, *, protected: bool = True) -> tuple[str, str]:
    """``(name, value)`` when both are valid HTTP header fields, else ``InvalidRequestError`` naming the problem
    (the value is never quoted: it may be a credential)."""
    if not isinstance(name, str) or not _TOKEN.match(name):
        raise InvalidRequestError(f"{where}: {name!r} is not a valid HTTP header name")
    if protected and name.lower() in PROTECTED_HEADERS:
        raise InvalidRequestError(f"{where}: the {name} header is set by the client and cannot be overridden")
    text = str(getattr(value, "value", value))
    if _BAD_VALUE.search(text):
        raise InvalidRequestError(f"{where}: the value of header {name!r} contains a control character")
    return name, text


# What ``Request.prepare`` produces: the path (encoded), the query pairs, the body bytes and the extra headers. A
# plain tuple, not a class: it is built and unpacked once on every call's path.
Prepared = tuple[str, "list[tuple[str, str]] | None", "bytes | None", Mapping[str, str]]
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class Request:
    """One call of one operation. Immutable by convention: ``replace`` returns a changed copy."""

    __slots__ = ("body", "fields", "headers", "operation", "options", "path", "query", "url")

    def __init__(
        self,
        operation: Operation,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        body: Any = UNSET,
        fields: Mapping[str, Any] | None = None,
        options: RequestOptions | None = None,
        url: str | None = None,
    ) -> None:
        self.operation = operation
        self.path = path  # path parameters by JSON name
        self.query = query  # query parameters by JSON name
        self.headers = headers  # header parameters by name
        self.body = body  # a model, a dict, or UNSET
        self.fields = fields  # body fields passed as keyword arguments
        self.options = options
        self.url = url  # an absolute URL replacing path and query (a next-page link)

    def replace(self, **changes: Any) -> Request:
        clone = Request.__new__(Request)
        for slot in Request.__slots__:
            setattr(clone, slot, changes[slot] if slot in changes else getattr(self, slot))
        return clone

    def __repr__(self) -> str:
        return f"<Request {self.operation.operation_id} path={self.path!r} query={self.query!r}>"

    @property
    def where(self) -> str:
        """How error messages name the call: ``contacts.find()``."""
        return f"{self.operation.qualname}()"

    def payload(self, *, strict: bool = False) -> Any:
        """The JSON body (``UNSET`` for none), checked as described in the module docstring."""
        op = self.operation
        body, fields = self.body, self.fields
        extra = (self.options or {}).get("extra_body")
        if body is UNSET and not fields:
            if op.body_required and not extra:
                raise InvalidRequestError(
                    f"{self.where}: a request body is required: pass request_body= or its fields as keyword arguments"
                )
            return dump(extra) if extra else UNSET
        if fields:
            aliases = op.body_aliases
            if aliases:  # fields named like Python keywords: ``from_=`` is sent as ``from``
                fields = {aliases.get(key, key): value for key, value in fields.items()}
            if body is UNSET:
                payload: Any = dump(dict(fields))
            else:
                base = dump(body)
                if not isinstance(base, dict):
                    raise InvalidRequestError(
                        f"{self.where}: body fields passed as keyword arguments need request_body to be a JSON "
                        f"object, got {_json_type(base)}"
                    )
                both = base.keys() & fields.keys()
                if both:
                    raise InvalidRequestError(
                        f"{self.where}: {', '.join(map(repr, sorted(both)))} given both in request_body and as a "
                        "keyword argument: give each field once"
                    )
                payload = {**base, **dump(dict(fields))}
            check_request(
                op.body_models(), payload, self.where, required=body is UNSET, strict=strict, keywords=fields.keys()
            )
        elif type(body) is dict:
            payload = dump(body)
            check_request(op.body_models(), payload, self.where, strict=strict)
        elif op.body and not isinstance(body, Model):
            if not isinstance(body, Mapping):  # a str, a list, a number: never what an object body documents
                raise InvalidRequestError(
                    f"{self.where}: request_body must be a JSON object ({' | '.join(op.body)} or a dict), "
                    f"got {_json_type(body)}"
                )
            payload = dump(body)
            check_request(op.body_models(), payload, self.where, strict=strict)
        else:
            payload = dump(body)  # a model: typed already
        if extra:
            if not isinstance(payload, dict):
                raise InvalidRequestError(
                    f"{self.where}: extra_body needs a JSON object body, got {type(payload).__name__}"
                )
            payload = {**payload, **dump(extra)}
        return payload

    def prepare(self, *, strict: bool = False) -> Prepared:
        op = self.operation
        if (  # fast path, the usual call: no body, no header parameters, no per-call options
            self.options is None
            and self.body is UNSET
            and not self.fields
            and not self.headers
            and not op.body_required
            and op.accept == "application/json"
        ):
            params = encode_query(self.query) if self.query and self.url is None else None
            return op.format_path(self.path), params, None, _NO_HEADERS
        options = self.options or {}
        headers: dict[str, str] = {}
        if op.accept != "application/json":
            headers["Accept"] = op.accept  # e.g. text/plain for GET /calls/{id}/transcript
        payload = self.payload(strict=strict)
        data = None
        if payload is not UNSET:
            data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        for key, value in (self.headers or {}).items():
            if value is not UNSET and value is not None:
                name, text = check_header(key, value, self.where)
                headers[name] = text
        for key, value in (options.get("extra_headers") or {}).items():
            name, text = check_header(key, value, self.where)
            headers[name] = text
        params = None if self.url is not None else encode_query(self.query, options.get("extra_query"))
        return op.format_path(self.path), params, data, headers


def _json_type(value: Any) -> str:
    """How an error names the JSON type of a value (``a string``, ``an array``)."""
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "None" if value is None else f"a {type(value).__name__}"


def _query_value(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def encode_query(
    query: Mapping[str, Any] | None, extra: Mapping[str, Any] | None = None
) -> list[tuple[str, str]] | None:
    """Query pairs: unset/None dropped, booleans as ``true``/``false``, lists repeated, objects exploded."""
    merged = {**(query or {}), **(extra or {})} if extra else query
    if not merged:
        return None
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is UNSET or value is None:
            continue
        if hasattr(value, "to_dict"):
            value = value.to_dict()
        if isinstance(value, Mapping):
            pairs.extend((k, _query_value(v)) for k, v in value.items() if v is not None and v is not UNSET)
        elif isinstance(value, (list, tuple)):
            pairs.extend((key, _query_value(v)) for v in value)
        else:
            pairs.append((key, _query_value(value)))
    return pairs or None
