"""``Operation`` and ``Registry``: the introspectable description of every generated operation.

Each version package has ``OPERATIONS`` (``intercom_async.v2_12.OPERATIONS``), a read-only mapping from
operationId (or the synthesised name, see ``codegen/normalize.py``) to an ``Operation``. The client uses
the same objects to build requests and parse responses, so ``op.parse(status, content)`` is exactly what a
call returns for that status. ``op.bind(client)`` is the generated method (``client.contacts.find``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._codec import validate_descriptor, value_decoder
from ._errors import InvalidResponseError
from ._json import loads
from ._paging import Pagination
from ._urls import path_segment

_UNKNOWN: Any = object()

# (status pattern: "200" | "2XX" | "default", kind: "json" | "text" | "bytes" | "none", type descriptor: how the
# body decodes, see ``intercom_async._codec.decoder``, and what strict mode validates)
ResponseSpec = tuple[str, str, Any]
# (Python argument name, JSON name, "path" | "query" | "header", required)
ParamSpec = tuple[str, str, str, bool]


def _accept_for(responses: tuple[ResponseSpec, ...]) -> str:
    """The ``Accept`` header for an operation: the media type of its documented 2xx response."""
    kinds = {spec[1] for spec in responses if spec[0].startswith("2")}
    if "bytes" in kinds:
        return "application/octet-stream"
    if "text" in kinds and "json" not in kinds:
        return "text/plain"
    return "application/json"


class Operation:
    """One API operation. ``resource`` is the dotted group path (``"help_centers.collections"``), ``name`` the
    method name (``"list"``); ``op.bind(client)`` returns the bound method."""

    __slots__ = (
        "_by_status",
        "_decoders",
        "_models",
        "accept",
        "body",
        "body_aliases",
        "body_required",
        "method",
        "name",
        "operation_id",
        "pagination",
        "params",
        "path",
        "resource",
        "responses",
        "tag",
    )

    def __init__(
        self,
        *,
        operation_id: str,
        method: str,
        path: str,
        tag: str,
        resource: str,
        name: str,
        responses: tuple[ResponseSpec, ...],
        params: tuple[ParamSpec, ...] = (),
        body: tuple[str, ...] | None = None,
        body_required: bool = False,
        body_aliases: Mapping[str, str] | None = None,
        pagination: Pagination | None = None,
    ) -> None:
        self.operation_id = operation_id
        self.method = method
        self.path = path
        self.tag = tag
        self.resource = resource
        self.name = name
        self.responses = responses
        self.params = params  # every path, query and header parameter, in signature order
        self.body = body  # names of the request body's model(s) (several for a union); None: no JSON body
        self.body_required = body_required
        # keyword argument -> JSON name of the body fields named like Python keywords (``{"from_": "from"}``)
        self.body_aliases = body_aliases
        self.pagination = pagination  # how the operation pages (intercom_async._pagination); None: not paginated
        self.accept = _accept_for(responses)  # the Accept header the client sends
        self._by_status: dict[int, ResponseSpec | None] = {}
        self._decoders: dict[int, Callable[[Any], Any]] = {}  # per status, built on first parse
        self._models: Any = None

    def __repr__(self) -> str:
        return f"<Operation {self.operation_id}: {self.method} {self.path} -> client.{self.qualname}>"

    @property
    def qualname(self) -> str:
        """``"help_centers.collections.list"``: the method's path from the client."""
        return f"{self.resource}.{self.name}" if self.resource else self.name

    def bind(self, client: Any) -> Any:
        """The method of ``client`` (a versioned client) that performs this operation."""
        target = client
        for part in self.resource.split(".") if self.resource else ():
            target = getattr(target, part)
        return getattr(target, self.name)

    def body_models(self) -> tuple[Any, ...]:
        """The request body's model classes (empty when the operation takes no JSON object body)."""
        if not self.body or self._models is None:
            return ()
        return tuple(getattr(self._models, name) for name in self.body)

    def format_path(self, params: Mapping[str, Any] | None) -> str:
        """The path with each ``{name}`` replaced by its value, encoded to fill exactly that one segment
        (see ``intercom_async._urls``: dot segments and empty values refused)."""
        if not params:
            return self.path
        path = self.path
        for key, value in params.items():
            if type(value) is not str or not value.isascii() or not value.isalnum():  # a plain id needs no encoding
                value = path_segment(value, name=key, where=self.name)
            path = path.replace("{" + key + "}", value)
        return path

    def response_spec(self, status: int) -> ResponseSpec | None:
        """The documented response for ``status``: exact code, then ``NXX`` range, then ``default``."""
        try:
            return self._by_status[status]
        except KeyError:
            pass
        found = None
        for pattern in (str(status), f"{status // 100}XX", "default"):
            for spec in self.responses:
                if spec[0] == pattern:
                    found = spec
                    break
            if found is not None:
                break
        self._by_status[status] = found
        return found

    def parse(self, status: int, content: bytes, *, strict: bool = False) -> Any:
        """Parse a response body as the client does: the documented model for ``status``, the decoded JSON
        for an undocumented status, ``None`` for an empty undocumented body. Raises ``InvalidResponseError``
        when a body documented as JSON is empty or not JSON, and for an empty 2xx under an undocumented status
        when every documented 2xx is JSON (a 204 where the operation documents a 200 with a body)."""
        spec = self._by_status.get(status, _UNKNOWN)
        if spec is _UNKNOWN:
            spec = self.response_spec(status)
        if spec is None:
            if not content:
                if 200 <= status < 300 and self._success_is_json():
                    raise InvalidResponseError(
                        f"{self.method} {self.path}: empty {status} body where the operation documents a JSON body "
                        "(and no empty success)"
                    )
                return None
            try:
                return loads(content)
            except ValueError:
                return content.decode("utf-8", "replace")
        _, kind, descriptor = spec
        if kind == "json":
            if not content:
                raise InvalidResponseError(f"{self.method} {self.path}: empty body for a {status} documented as JSON")
            try:
                data = loads(content)
            except ValueError as exc:  # orjson's JSONDecodeError: not JSON, not UTF-8, or nested too deep
                snippet = content[:80].decode("utf-8", "replace")
                reason = getattr(exc, "msg", None) or type(exc).__name__
                raise InvalidResponseError(
                    f"{self.method} {self.path}: {status} body is not JSON ({reason}): {snippet!r}"
                ) from None
            if strict:
                validate_descriptor(descriptor, data, self._models)
            decode = self._decoders.get(status)
            if decode is None:
                decode = self._decoders[status] = value_decoder(descriptor, self._models)
            return decode(data)
        if kind == "text":
            return content.decode("utf-8", "replace")
        if kind == "bytes":
            return content
        return None

    def _success_is_json(self) -> bool:
        """Every documented 2xx response is a JSON body (at least one is documented): an empty 2xx under an
        undocumented status (a 204 instead of the documented 200) is then not a result but a broken answer."""
        kinds = [spec[1] for spec in self.responses if spec[0].startswith("2")]
        return bool(kinds) and all(kind == "json" for kind in kinds)


class Registry(dict[str, Operation]):
    """Read-only ``{operation_id: Operation}`` for one API version, in operationId order.

    A ``dict`` underneath so that the lookup every generated method makes per call (``OPERATIONS[...]``)
    costs what a dict lookup costs; every method that would change it raises ``TypeError``."""

    def __init__(self, version: str, models: Any, operations: list[Operation]) -> None:
        super().__init__((op.operation_id, op) for op in operations)
        self.version = version
        self.models = models
        for op in operations:
            op._models = models

    def __missing__(self, key: str) -> Operation:
        raise KeyError(f"Intercom API {self.version} has no operation {key!r}")

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"the operation registry of Intercom API {self.version} is read-only")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __repr__(self) -> str:
        return f"<Registry Intercom API {self.version}: {len(self)} operations>"

    def paginated(self) -> list[Operation]:
        """The operations whose method returns an ``AsyncPager`` (``op.pagination`` is set), in operationId order."""
        return [op for op in self.values() if op.pagination is not None]

    def by_resource(self) -> dict[str, list[Operation]]:
        out: dict[str, list[Operation]] = {}
        for op in self.values():
            out.setdefault(op.resource, []).append(op)
        return out
