"""Property-based fuzzing of response parsing (hypothesis): "parsing never fails on off-spec data", "``to_dict()``
gives back the JSON", and strict mode raises only ``StrictValidationError``.

Registry-driven: every documented JSON response schema of every operation of every version is a case (operations
sharing a schema share a case, and each example is parsed through one of them). Values are generated from the
same type descriptors the models are generated with (``_FIELDS``), with off-spec values mixed in where the spec
says model, enum or union (any JSON value: arrays and objects where an enum belongs, scalars where an object
belongs, unknown enum strings, nulls, undeclared keys), and JSON nested as deep as the decoder accepts (1,024
levels) at those positions. For each body the decoder accepts:

* ``Operation.parse`` returns (or raises ``InvalidResponseError``), every field of every nested model can be read
  (the lazy decoders run), and ``dump`` of the result is exactly the decoded JSON;
* ``parse(..., strict=True)`` returns or raises ``StrictValidationError``, nothing else;
* values generated without off-spec mutations also pass strict mode and round-trip.

Bounded: a few derandomized examples per case (``max_examples``), no example database, no deadline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

import intercom_async
from intercom_async import InvalidResponseError, MissingFieldError, StrictValidationError
from intercom_async._codec import MAX_VALIDATION_DEPTH, dump
from tests.support import spec

set_hypothesis_home_dir(spec.ROOT / ".cache" / "hypothesis")  # its caches stay out of the tree (no example database)

DECODER_DEPTH = 1024  # orjson's nesting limit: the deepest body the SDK can receive
MODEL_DEPTH = 2  # nested models generated below a response's top-level model (off-spec values go deeper)

FUZZ = settings(
    max_examples=3,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


# ------------------------------------------------------------------ helpers: encoding, touching, comparing


class Deep:
    """A placeholder for JSON nested as deep as the decoder allows at the position it is encoded at."""

    def __init__(self, kind: str, share: float) -> None:
        self.kind, self.share = kind, share

    def __repr__(self) -> str:
        return f"Deep({self.kind!r}, {self.share})"


def encode(value: Any, depth: int = 0) -> str:
    """JSON text for a generated value; a ``Deep`` expands to nesting that ends exactly within the decoder's
    limit (``share`` of the levels left)."""
    if isinstance(value, Deep):
        levels = max(1, int((DECODER_DEPTH - depth) * value.share))
        if value.kind == "array":
            return "[" * levels + "]" * levels
        return '{"k":' * (levels - 1) + "{}" + "}" * (levels - 1)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v, depth + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(v, depth + 1) for v in value) + "]"
    return json.dumps(value)


def same_json(a: Any, b: Any) -> bool:
    """Exact JSON equality (types included: ``1``, ``1.0`` and ``True`` differ), iterative: any depth."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if type(x) is dict:
            if list(x) != list(y) and set(x) != set(y):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif type(x) is list:
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif x != y:
            return False
    return True


def touch(value: Any) -> int:
    """Read every field of every model reachable from ``value`` (so every lazy decoder runs); returns how
    many models were read. Iterative: any depth."""
    models = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if hasattr(type(item), "_FIELDS"):
            models += 1
            for key, attr, *_ in item._FIELDS:
                try:
                    stack.append(getattr(item, attr))
                except MissingFieldError as exc:  # an identity field typed present, and only when the JSON lacks it
                    assert attr in item._PRESENT and key not in item._raw and attr not in item.__dict__, exc
                    assert (exc.model, exc.field) == (type(item).__name__, attr)
            stack.extend(item.additional_properties.values())
            repr(item)
        elif type(item) is list:
            stack.extend(item)
        elif type(item) is dict:
            stack.extend(item.values())
    return models


# ------------------------------------------------------------------ generating JSON from descriptors

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
OFF_SPEC = st.one_of(
    ANY_JSON,
    st.lists(ANY_JSON, min_size=1, max_size=2),  # an array where an enum, a model or a union belongs
    st.dictionaries(st.text(max_size=6), ANY_JSON, min_size=1, max_size=2),  # an object there
    st.builds(Deep, st.sampled_from(["array", "object"]), st.sampled_from([1.0, 0.5])),
)


class Generator:
    """Hypothesis strategies for the JSON of one version's descriptors; ``off_spec`` mixes in wrong values."""

    def __init__(self, models: Any, off_spec: bool) -> None:
        self.models = models
        self.off_spec = off_spec
        self._cache: dict[tuple[str, int], st.SearchStrategy[Any]] = {}

    def value(self, desc: Any, depth: int = 0) -> st.SearchStrategy[Any]:
        key = (repr(desc), depth)
        if key not in self._cache:
            self._cache[key] = st.deferred(lambda: self._build(desc, depth))
        return self._cache[key]

    def _build(self, desc: Any, depth: int) -> st.SearchStrategy[Any]:
        if desc == "any":
            return ANY_JSON
        if isinstance(desc, str):
            return {
                "str": st.text(max_size=8),
                "int": st.integers(-(2**53), 2**53),
                "float": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-1000, 1000),
                "bool": st.booleans(),
            }[desc]
        kind, arg = desc
        if kind in ("list", "list?"):
            item = self.value(arg, depth)
            return st.lists(item | st.none() if kind == "list?" else item, max_size=2)
        if kind == "model":
            strategy = self._model(getattr(self.models, arg), depth)
        elif kind == "enum":
            strategy = st.sampled_from([m.value for m in getattr(self.models, arg)])
            if self.off_spec:
                strategy = strategy | st.text(max_size=6)  # an unknown value
        else:
            strategy = st.one_of([self.value(alt, depth) for alt in arg])
        return strategy | OFF_SPEC if self.off_spec else strategy

    def _model(self, cls: Any, depth: int) -> st.SearchStrategy[Any]:
        if depth >= MODEL_DEPTH:  # deeper models: required fields only, or empty
            fields = [f for f in cls._FIELDS if f[2]]
            if not fields:
                return st.just({})
        else:
            fields = list(cls._FIELDS)
        required = {f[0]: self._field(f, depth + 1) for f in fields if f[2]}
        optional = {f[0]: self._field(f, depth + 1) for f in fields if not f[2]}
        body = st.fixed_dictionaries(required, optional=optional)
        extra_desc = cls._ADDITIONAL
        if extra_desc is None and cls._FIELDS and not self.off_spec:
            return body
        declared = {f[0] for f in cls._FIELDS}
        extra_values = ANY_JSON if extra_desc in (None, "any") or self.off_spec else self.value(extra_desc, depth + 1)
        extra = st.dictionaries(
            st.text(min_size=1, max_size=6).filter(lambda k: k not in declared), extra_values, max_size=2
        )
        return st.builds(lambda d, e: {**d, **e}, body, extra)

    def _field(self, row: tuple[Any, ...], depth: int) -> st.SearchStrategy[Any]:
        strategy = self.value(row[4], depth)
        return strategy | st.none() if row[3] else strategy


# ------------------------------------------------------------------ the cases: every documented JSON response


def _cases() -> Iterator[Any]:
    for version in spec.VERSIONS:
        registry = intercom_async.VERSIONS[version].load().OPERATIONS
        by_desc: dict[str, list[tuple[Any, int]]] = {}
        for op in registry.values():
            for response in op.responses:
                if response[1] == "json" and response[2] != "any":
                    status = next(s for s in range(200, 600) if op.response_spec(s) is response)
                    by_desc.setdefault(repr(response[2]), []).append((op, status))
        for _desc, uses in sorted(by_desc.items()):
            yield pytest.param(version, uses, id=f"{version}-{uses[0][0].operation_id}-{uses[0][1]}+{len(uses) - 1}")


CASES = list(_cases())
_GENERATORS: dict[tuple[str, bool], Generator] = {}


def generator(version: str, off_spec: bool) -> Generator:
    key = (version, off_spec)
    if key not in _GENERATORS:
        _GENERATORS[key] = Generator(intercom_async.VERSIONS[version].load().models, off_spec)
    return _GENERATORS[key]


def test_every_documented_json_response_of_every_version_is_fuzzed():
    for version in spec.VERSIONS:
        registry = intercom_async.VERSIONS[version].load().OPERATIONS
        documented = {
            (op.operation_id, r[0])
            for op in registry.values()
            for r in op.responses
            if r[1] == "json" and r[2] != "any"
        }
        covered = {
            (op.operation_id, op.response_spec(s)[0]) for c in CASES if c.values[0] == version for op, s in c.values[1]
        }
        assert documented and documented == covered, version


def _check_body(op: Any, status: int, body: bytes) -> Any:
    expected = orjson.loads(body)  # what the decoder hands the models
    try:
        parsed = op.parse(status, body)
    except InvalidResponseError:  # allowed by the promise, but a body the decoder accepts should not need it
        pytest.fail(f"{op.operation_id} {status}: InvalidResponseError for a body orjson decodes")
    touch(parsed)
    assert same_json(dump(parsed), expected), f"{op.operation_id} {status}: to_dict() differs from the JSON"
    return parsed


@pytest.mark.parametrize(("version", "uses"), CASES)
@FUZZ
@given(data=st.data())
def test_off_spec_bodies_parse_round_trip_and_strict_raises_only_strict_validation_error(version, uses, data):
    op, status = data.draw(st.sampled_from(uses), label="operation")
    desc = op.response_spec(status)[2]
    body = encode(data.draw(generator(version, True).value(desc), label="body")).encode()
    _check_body(op, status, body)
    try:
        op.parse(status, body, strict=True)
    except StrictValidationError:
        pass


@pytest.mark.parametrize(("version", "uses"), CASES)
@FUZZ
@given(data=st.data())
def test_on_spec_bodies_pass_strict_mode_and_round_trip(version, uses, data):
    op, status = data.draw(st.sampled_from(uses), label="operation")
    desc = op.response_spec(status)[2]
    body = encode(data.draw(generator(version, False).value(desc), label="body")).encode()
    _check_body(op, status, body)
    op.parse(status, body, strict=True)


# ------------------------------------------------------------------ targeted: the shapes that used to fail


def _union_enum_cases() -> Iterator[Any]:
    """(version, parent model, field row, variant model, enum field row) for every union-typed field whose
    model variants have enum-typed fields, in every model of every version."""
    for version in spec.VERSIONS:
        models = intercom_async.VERSIONS[version].load().models
        for name in models.__all__:
            parent = getattr(models, name)
            for row in getattr(parent, "_FIELDS", ()):
                desc = row[4]
                if not (isinstance(desc, tuple) and desc[0] == "union"):
                    continue
                for alt in desc[1]:
                    if isinstance(alt, tuple) and alt[0] == "model":
                        variant = getattr(models, alt[1])
                        for enum_row in variant._FIELDS:
                            if isinstance(enum_row[4], tuple) and enum_row[4][0] == "enum":
                                yield version, parent, row, variant, enum_row


UNION_ENUM_CASES = list(_union_enum_cases())


@pytest.mark.parametrize("bad", [[], ["x"], {}, {"k": "v"}, [[1]], None, 1.5, True], ids=repr)
def test_enum_fields_of_union_variants_may_hold_any_json(bad):
    """The reported TypeError: an array or object where a union variant declares an enum made union matching
    hash it (``value in _value2member_map_``). Every such position of every version, every kind of value."""
    assert len(UNION_ENUM_CASES) > 30
    for _version, parent, row, variant, enum_row in UNION_ENUM_CASES:
        data = {row[0]: {enum_row[0]: bad, **{f[0]: "x" for f in variant._FIELDS if f[2] and f is not enum_row}}}
        parsed = parent.from_dict(data)
        touch(parsed)
        assert same_json(parsed.to_dict(), data), (parent, row[0], enum_row[0])
        try:
            parent.from_dict(data, strict=True)
        except StrictValidationError:
            pass


@pytest.mark.parametrize("kind", ["array", "object"])
def test_a_body_nested_as_deep_as_the_decoder_allows_parses_and_round_trips(kind):
    """About 1,000 levels used to raise RecursionError from parse(), and to_dict() from about 500."""
    registry = intercom_async.VERSIONS[intercom_async.DEFAULT_VERSION].load().OPERATIONS
    op = registry["ShowContact"] if "ShowContact" in registry else next(iter(registry.values()))
    for field in ("custom_attributes", "tags", "location", "undeclared"):
        body = encode({"type": "contact", "id": "1", field: Deep(kind, 1.0)}).encode()
        assert body.count(b"[" if kind == "array" else b"{") >= DECODER_DEPTH - 1
        parsed = _check_body(op, 200, body)
        assert same_json(parsed.to_dict(), orjson.loads(body))
        try:
            op.parse(200, body, strict=True)
        except StrictValidationError:
            pass


def test_a_body_nested_deeper_than_the_decoder_allows_is_an_invalid_response_naming_the_problem():
    registry = intercom_async.VERSIONS[intercom_async.DEFAULT_VERSION].load().OPERATIONS
    op = registry["ShowContact"]
    body = b'{"custom_attributes":' + b"[" * DECODER_DEPTH + b"]" * DECODER_DEPTH + b"}"
    with pytest.raises(InvalidResponseError, match="depth limit exceeded"):
        op.parse(200, body)
    with pytest.raises(InvalidResponseError, match="depth limit exceeded"):
        op.parse(200, body, strict=True)


def test_a_recursive_schema_nested_1000_levels_parses_and_strict_mode_stops_with_its_own_error():
    """``MultipleFilterSearchRequest`` contains itself: strict validation follows it to MAX_VALIDATION_DEPTH
    levels and reports that (quickly: the variant the decoder picks is checked first, never all of them at
    every level: an exponential walk would not finish), tolerant parsing and to_dict() handle any depth."""
    for version in spec.VERSIONS:
        models = intercom_async.VERSIONS[version].load().models
        data: dict[str, Any] = {"field": "role", "operator": "=", "value": "user"}
        for _ in range(1000):
            data = {"operator": "AND", "value": [data, {"field": "x", "operator": "=", "value": "y"}]}
        parsed = models.MultipleFilterSearchRequest.from_dict(data)
        assert touch(parsed) > 2000
        assert same_json(parsed.to_dict(), data)
        with pytest.raises(StrictValidationError, match=f"nested deeper than {MAX_VALIDATION_DEPTH} levels"):
            models.MultipleFilterSearchRequest.from_dict(data, strict=True)
