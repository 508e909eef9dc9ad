"""Runtime of the generated models: lazy tolerant decoding, lossless encoding, strict validation.

**Lazy decoding.** A generated model is an attrs class deriving from ``Model``. Parsing does no per-field work:
``from_dict`` (and the decoders a response or a parent model uses) make the object and keep the JSON object
it came from (``_raw``). Each declared field is a small non-data descriptor installed on the class by
``lazy_fields``: reading ``contact.email`` returns ``_raw["email"]``; the first read of ``contact.tags``
decodes ``_raw["tags"]`` (a dict becomes a ``ContactTags``, a list of dicts a list of models, a known enum
value its member) and stores the result in the instance's ``__dict__``, where later reads find it at plain
attribute speed (as they find assigned values). A walk over 10,000 contacts that reads ``contact.id``
therefore builds 10,000 small objects, not 10,000 x 8 nested models. How a field decodes is read from the
generated ``_FIELDS`` table, once per class and field (``decoder``).

**Tolerant.** Decoding never raises on off-spec data: a value of an unexpected JSON type is kept exactly as
received, an unknown enum value (or an array or object where an enum belongs) stays as received, a missing
field reads as ``UNSET`` and an unexpected ``null`` as ``None``; keys the spec does not declare are in
``additional_properties``. Nothing recurses over the data, so a body of any depth the JSON decoder accepts
(orjson: 1,024 levels) parses. One exception when *reading*: the identity fields of a response object that the
models type as present (``Contact.id: str``, ``Model._PRESENT``) raise ``MissingFieldError`` (an
``AttributeError`` too) when the JSON lacks them, rather than return an ``UNSET`` the annotation denies;
parsing, ``to_dict()``, ``repr`` and every other field are unaffected.

**Request bodies** (``check_request``): a dict body or one built from keyword arguments is checked against its
request model(s) before sending (near-miss keys, required fields of a keyword body); for a union body the
fields select the branch (``branch``: the values the spec fixes, ``_LITERALS``, first) and an error names it.

**Lossless.** ``to_dict()`` (``dump``) gives back the JSON the model was parsed from: the fields read or set
since are encoded from their current values (so changes show), the others are copied from ``_raw``. ``dump``
walks with an explicit stack, never recursion, so any depth encodes. The model keeps a reference to the
JSON it was parsed from and never modifies it; ``from_dict`` copies the top-level dict it is given, nested
objects are read from the caller's dicts on first access.

**Strict mode** (``Model.from_dict(data, strict=True)``, ``Intercom(strict=True)``) first runs ``validate``,
which walks the JSON against the field tables (down to ``MAX_VALIDATION_DEPTH`` nested values) and raises only
``StrictValidationError``, naming the path of the first difference
(``$.conversation_parts.conversation_parts[3].author.type``).
"""

from __future__ import annotations

import difflib
import enum
import functools
import reprlib
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from ._errors import InvalidRequestError, MissingFieldError, StrictValidationError
from ._types import UNSET

__all__ = ["MAX_VALIDATION_DEPTH", "Model", "check_request", "dump", "lazy_fields", "validate", "value_decoder"]

MAX_VALIDATION_DEPTH = 100  # nested arrays/objects at typed positions strict mode follows (recursion stays bounded)
MAX_DUMP_DEPTH = 100_000  # deeper than any JSON decoder allows: only a reference cycle in user-built data gets here

_M = TypeVar("_M", bound="Model")
_new = object.__new__
_NO_JSON: Mapping[str, Any] = MappingProxyType({})  # ``_raw`` of a model built with its constructor
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


# ------------------------------------------------------------------ the model base class


class Model:
    """Base of every generated model: parsing (``from_dict``), encoding (``to_dict``), ``model["key"]`` for
    ``additional_properties``, and a readable ``repr``. Subclasses are attrs classes with ``_FIELDS``."""

    # (json name, attribute, required, nullable, type descriptor), generated per model
    _FIELDS: ClassVar[tuple[tuple[str, str, bool, bool, Any], ...]] = ()
    _ADDITIONAL: ClassVar[Any] = None  # descriptor of undeclared keys' values; None: not declared by the spec
    # request models that are a branch of a union body: fields whose value the spec fixes (``{"type": ("admin",)}``)
    _LITERALS: ClassVar[Mapping[str, tuple[Any, ...]]] = MappingProxyType({})
    # response objects: the attributes of the identity fields typed as present (``id``, ``type_``); reading one the
    # JSON lacks raises ``MissingFieldError`` (see ``_PresentField``)
    _PRESENT: ClassVar[frozenset[str]] = frozenset()
    _raw: Mapping[str, Any] = _NO_JSON  # the JSON object parsed from (instance attribute), never modified
    additional_properties: dict[str, Any]

    @classmethod
    def from_dict(cls: type[_M], src_dict: Mapping[str, Any], *, strict: bool = False) -> _M:
        """Parse a JSON object; tolerant of off-spec data unless ``strict`` (see ``intercom_async._codec``)."""
        if not isinstance(src_dict, Mapping):
            raise not_an_object(cls, src_dict)
        data = dict(src_dict)  # the caller may reuse its dict; nested dicts are read as they are on access
        if strict:
            validate(cls, data)
        obj = _new(cls)
        obj._raw = data
        return obj

    def to_dict(self) -> dict[str, Any]:
        """The JSON object for this model: what it was parsed from, with the changes made since."""
        out: dict[str, Any] = dump(self)
        return out

    def _json_items(self) -> Iterable[tuple[str, Any]]:
        """The (key, value) pairs of this model's JSON object, values not yet encoded (see ``dump``)."""
        state = self.__dict__
        raw = self._raw
        if len(state) == 1 and "_raw" in state:  # nothing read or set since parsing: the JSON as received
            return raw.items()
        out: dict[str, Any] = {}
        for key, attr, _required, _nullable, _desc in self._FIELDS:
            if attr in state:
                value = state[attr]
                if value is not UNSET:
                    out[key] = value
            elif key in raw:
                out[key] = raw[key]
        extra = state.get("additional_properties")
        if extra is None:
            declared = _shape(type(self))[0]
            out.update((k, v) for k, v in raw.items() if k not in declared)
        else:
            out.update(extra)
        return out.items()

    def __repr__(self) -> str:
        return model_repr(self)

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties


class _Field:
    """A declared field whose JSON value is used as is (strings, numbers, booleans, free-form values): each
    read returns ``_raw[key]`` (``UNSET`` when absent), the same object every time, so changing a list or dict
    in place shows in ``to_dict()``. Assigning the attribute stores the new value in the instance's
    ``__dict__``, which shadows this non-data descriptor from then on."""

    __slots__ = ("attr", "desc", "key", "owner")

    def __init__(self, owner: type[Model], key: str, attr: str, desc: Any) -> None:
        self.owner = owner
        self.key = key
        self.attr = attr
        self.desc = desc

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return obj._raw.get(self.key, UNSET)


class _DecodedField(_Field):
    """A declared field whose type needs decoding (models, enums, lists and unions of them): on first read the
    JSON value is decoded and stored in the instance's ``__dict__``, where later reads find it directly (so a
    nested model is built once, and changes made to it show in ``to_dict()``)."""

    __slots__ = ("decode",)

    def __init__(self, owner: type[Model], key: str, attr: str, desc: Any) -> None:
        super().__init__(owner, key, attr, desc)
        self.decode: Callable[[Any], Any] | None = None

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        value = obj._raw.get(self.key, UNSET)
        if value is not UNSET:
            decode = self.decode
            if decode is None:
                decode = self.decode = value_decoder(self.desc, _shape(self.owner)[2])
            value = decode(value)
        obj.__dict__[self.attr] = value
        return value


class _PresentField(_Field):
    """A ``_Field`` typed as present (an Intercom object's ``id``): reading it when the JSON lacks it raises
    ``MissingFieldError`` (an ``AttributeError`` too) rather than returning a value the annotation denies."""

    __slots__ = ()

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        value = obj._raw.get(self.key, UNSET)
        if value is UNSET:
            raise MissingFieldError(self.owner.__name__, self.attr)
        return value


class _PresentDecodedField(_DecodedField):
    """``_DecodedField`` typed as present (an Intercom object's ``type`` when it is an enum)."""

    __slots__ = ()

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        if self.key not in obj._raw:
            raise MissingFieldError(self.owner.__name__, self.attr)
        return _DecodedField.__get__(self, obj, objtype)


class _Extra:
    """``additional_properties``, read lazily: the keys of ``_raw`` the model does not declare (values decoded
    when the spec types them, e.g. a map of SLA states)."""

    __slots__ = ("decode", "owner")

    def __init__(self, owner: type[Model]) -> None:
        self.owner = owner
        self.decode: Callable[[Any], Any] | None = None

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        declared, _required, models = _shape(self.owner)
        decode = self.decode
        if decode is None:
            decode = self.decode = value_decoder(self.owner._ADDITIONAL, models)
        if decode is _identity:
            extra = {k: v for k, v in obj._raw.items() if k not in declared}
        else:
            extra = {k: decode(v) for k, v in obj._raw.items() if k not in declared}
        obj.__dict__["additional_properties"] = extra
        return extra


def _identity(value: Any) -> Any:
    return value


def lazy_fields(cls: type[_M]) -> type[_M]:
    """Class decorator, applied after attrs' ``define(slots=False)``: install the lazy field descriptors."""
    for key, attr, _required, _nullable, desc in cls._FIELDS:
        if attr in Model.__dict__ or attr == "_raw":
            raise TypeError(f"{cls.__name__}: field {attr!r} would hide a method of Model")
        if attr in cls._PRESENT:
            kind: type[_Field] = _PresentDecodedField if _needs_decoding(desc) else _PresentField
        else:
            kind = _DecodedField if _needs_decoding(desc) else _Field
        setattr(cls, attr, kind(cls, key, attr, desc))
    cls.additional_properties = _Extra(cls)  # type: ignore[assignment]
    return cls


def _needs_decoding(desc: Any) -> bool:
    if isinstance(desc, str):
        return False
    kind, arg = desc
    if kind == "model" or kind == "enum":
        return True
    if kind == "union":
        return any(_needs_decoding(d) for d in arg)
    return _needs_decoding(arg)  # list, list?


# ------------------------------------------------------------------ tolerant decoders


def value_decoder(desc: Any, models: Any) -> Callable[[Any], Any]:
    """The function decoding a JSON value of type ``desc`` (a descriptor: a model field, a response body, a page
    item), the identity when the value is used as is. Built once per field, response status or paging."""
    return decoder(desc, models) or _identity


def decoder(desc: Any, models: Any) -> Callable[[Any], Any] | None:
    """The function decoding a JSON value of type ``desc`` (a ``_FIELDS`` descriptor), built once per class
    field; ``None`` when the value is used as is. Every decoder returns a value it cannot decode unchanged."""
    if desc is None or isinstance(desc, str) or not _needs_decoding(desc):
        return None
    kind, arg = desc
    if kind == "model":
        return functools.partial(_model, getattr(models, arg))  # a partial: no Python frame of its own
    if kind == "enum":
        members = getattr(models, arg)._value2member_map_
        return lambda value: members.get(value, value) if type(value) is str or type(value) is int else value
    if kind == "list" or kind == "list?":
        if isinstance(arg, tuple) and arg[0] == "model":
            return functools.partial(_model_list, getattr(models, arg[1]))
        item = decoder(arg, models)
        assert item is not None
        return lambda value: [item(v) for v in value] if type(value) is list else value
    alts = [d for d in arg if isinstance(d, tuple)]
    classes = tuple(getattr(models, d[1]) for d in alts if d[0] == "model")
    enums = tuple(getattr(models, d[1]) for d in alts if d[0] == "enum")
    items = [d[1] for d in alts if d[0] in ("list", "list?") and isinstance(d[1], tuple)]
    items = [m for d in items for m in (d[1] if d[0] == "union" else (d,))]  # a list of a union of models
    item_classes = tuple(getattr(models, m[1]) for m in items if isinstance(m, tuple) and m[0] == "model")
    return lambda value: _union(value, classes, item_classes, enums)


def _model(cls: Any, value: Any) -> Any:
    if type(value) is dict:
        obj = _new(cls)
        obj._raw = value
        return obj
    return value


def _model_list(cls: Any, value: Any) -> Any:
    if type(value) is not list:
        return value
    out: list[Any] = []
    append = out.append
    for item in value:
        if type(item) is dict:
            obj = _new(cls)
            obj._raw = item
            append(obj)
        else:
            append(item)
    return out


def _member(cls: Any, value: Any) -> Any:
    """The enum member of ``cls`` with this JSON value, else ``None`` (only strings and integers can match;
    an array or object is never looked up, it is not hashable)."""
    if type(value) is str or type(value) is int:
        return cls._value2member_map_.get(value)
    return None


def _union(value: Any, models: tuple[Any, ...], item_models: tuple[Any, ...], enums: tuple[Any, ...]) -> Any:
    """Decode a oneOf/anyOf value: a dict becomes the best-fitting model, list items likewise."""
    kind = type(value)
    if kind is dict:
        return _model(pick(models, value), value) if models else value
    if kind is list and item_models:
        return [_model(pick(item_models, v), v) if type(v) is dict else v for v in value]
    if kind is str and enums:
        for e in enums:
            member = e._value2member_map_.get(value)
            if member is not None:
                return member
    return value


_Shape = tuple[dict[str, tuple[Any, ...]], frozenset[str], Any]


def _shape(cls: Any) -> _Shape:
    """(json name -> its ``_FIELDS`` row, required json names, models package) of a generated model, cached
    on the class; used by lazy decoding, union matching and strict validation."""
    shape: _Shape | None = cls.__dict__.get("_shape_cache")
    if shape is None:
        shape = (
            {f[0]: f for f in cls._FIELDS},
            frozenset(f[0] for f in cls._FIELDS if f[2]),
            sys.modules[cls.__module__.rsplit(".", 1)[0]],
        )
        cls._shape_cache = shape
    return shape


_SCALARS: dict[str, Any] = {"str": str, "int": int, "float": (int, float), "bool": bool}


def _is_scalar(desc: str, value: Any) -> bool:
    """``value`` is of the JSON scalar type ``desc`` (a bool is not an int or a float here)."""
    return isinstance(value, _SCALARS[desc]) and (desc == "bool" or type(value) is not bool)


def _fits(desc: Any, value: Any, models: Any) -> bool:
    """Shallow check: does this JSON value look like ``desc`` (type, or enum membership)?"""
    if value is None or desc == "any":
        return True
    if isinstance(desc, str):
        return _is_scalar(desc, value)
    kind, arg = desc
    if kind == "model":
        return type(value) is dict
    if kind == "list" or kind == "list?":
        return type(value) is list and all(_fits(arg, v, models) for v in value[:3])
    if kind == "enum":
        return _member(getattr(models, arg), value) is not None
    return any(_fits(d, value, models) for d in arg)


def pick(classes: tuple[Any, ...], value: dict[str, Any]) -> Any:
    """The model among ``classes`` that fits ``value`` best: all its required keys present first, then the
    most present keys whose values fit its declared types (enum values included), then the most keys it
    declares, then the fewest it does not; ties go to the first declared (spec order)."""
    if len(classes) == 1:
        return classes[0]
    best, best_score = classes[0], None
    present = value.keys()
    for cls in classes:
        declared, required, models = _shape(cls)
        matched = [k for k in present if k in declared]
        fitting = sum(1 for k in matched if _fits(declared[k][4], value[k], models))
        score = (required <= present, fitting, len(matched), len(matched) - len(present))
        if best_score is None or score > best_score:
            best, best_score = cls, score
    return best


# ------------------------------------------------------------------ encoding


def dump(value: Any) -> Any:
    """JSON-ready form of a value: models via their JSON (``Model._json_items``), enums by value, containers
    copied deeply. Iterative (an explicit stack), so the depth of the data does not matter."""
    if type(value) in _SCALAR_TYPES:
        return value
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]
    pop, push = stack.pop, stack.append
    scalars = _SCALAR_TYPES
    while stack:
        src, parent, key, depth = pop()
        if depth > MAX_DUMP_DEPTH:
            raise ValueError(f"cannot encode data nested deeper than {MAX_DUMP_DEPTH} levels (a reference cycle?)")
        kind = type(src)
        items: Iterable[tuple[Any, Any]]
        if kind is dict:
            items = src.items()
        elif kind is list or kind is tuple:
            out_list = list(src)
            parent[key] = out_list
            for i, item in enumerate(out_list):
                if type(item) not in scalars:
                    push((item, out_list, i, depth + 1))
            continue
        elif isinstance(src, Model):
            items = src._json_items()
        elif isinstance(src, enum.Enum):
            parent[key] = src.value
            continue
        elif hasattr(kind, "to_dict"):
            parent[key] = src.to_dict()
            continue
        elif isinstance(src, Mapping):
            items = src.items()
        else:
            parent[key] = src
            continue
        out: dict[Any, Any] = {}
        parent[key] = out
        for k, v in items:
            out[k] = v
            if type(v) not in scalars:
                push((v, out, k, depth + 1))
    return root[0]


_QUOTE = reprlib.Repr()
_QUOTE.maxlevel = 2
_QUOTE.maxstring = 60
_QUOTE.maxother = 60
_QUOTE.maxlist = _QUOTE.maxdict = 4

_SHOWN = reprlib.Repr()  # model reprs: readable values, any depth (reprlib stops at maxlevel)
_SHOWN.maxlevel = 8
_SHOWN.maxstring = _SHOWN.maxother = 200
_SHOWN.maxlist = _SHOWN.maxdict = _SHOWN.maxtuple = 50


def _quote(value: Any) -> str:
    """A short, bounded ``repr`` of a JSON value for error texts (any depth or size)."""
    return _QUOTE.repr(value)


_REPR_DEPTH = threading.local()  # models nested in the repr being built (bounds the work on deep data)


def model_repr(model: Any) -> str:
    """``Contact(id='1', email='a@b.c', tags=ContactTags(...))``: set fields only, so reprs stay readable;
    models nested more than 3 deep show as ``Name(...)``."""
    depth = getattr(_REPR_DEPTH, "value", 0)
    if depth >= 3:
        return f"{type(model).__name__}(...)"
    _REPR_DEPTH.value = depth + 1
    try:
        parts = []
        for _json, attr, _required, _nullable, _desc in model._FIELDS:
            value = getattr(model, attr, UNSET)  # an absent identity field raises MissingFieldError, an AttributeError
            if value is not UNSET:
                parts.append(f"{attr}={_SHOWN.repr(value)}")
        if model.additional_properties:
            parts.append(f"additional_properties={_SHOWN.repr(model.additional_properties)}")
    finally:
        _REPR_DEPTH.value = depth
    return f"{type(model).__name__}({', '.join(parts)})"


def not_an_object(cls: Any, value: Any) -> TypeError:
    return TypeError(
        f"{cls.__name__}.from_dict() expects a JSON object (a dict), got {_type_name(value)}: {_quote(value)}"
    )


# ------------------------------------------------------------------ strict validation


def validate(cls: Any, data: Any, path: str = "$") -> None:
    """Raise ``StrictValidationError`` where ``data`` differs from model ``cls``'s schema."""
    _check_model(cls, data, path, _shape(cls)[2], 0)


def validate_descriptor(desc: Any, data: Any, models: Any, path: str = "$") -> None:
    """Like ``validate`` for any descriptor (used for responses that are lists or unions)."""
    _check(desc, data, path, models, 0)


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}.get(
        type(value), type(value).__name__ if value is not None else "null"
    )


def _check(desc: Any, value: Any, path: str, models: Any, depth: int) -> None:
    if desc == "any":
        return
    if isinstance(desc, str):
        if not _is_scalar(desc, value):
            raise StrictValidationError(path, f"expected {desc}, got {_type_name(value)} {_quote(value)}")
        return
    if depth >= MAX_VALIDATION_DEPTH:
        raise StrictValidationError(path, f"nested deeper than {MAX_VALIDATION_DEPTH} levels; not validated")
    kind, arg = desc
    if kind == "model":
        return _check_model(getattr(models, arg), value, path, models, depth)
    if kind == "enum":
        cls = getattr(models, arg)
        if _member(cls, value) is None:
            allowed = ", ".join(repr(m.value) for m in cls)
            raise StrictValidationError(path, f"unknown {arg} value {_quote(value)} (allowed: {allowed})")
        return None
    if kind == "list" or kind == "list?":
        if not isinstance(value, list):
            raise StrictValidationError(path, f"expected array, got {_type_name(value)}")
        for i, item in enumerate(value):
            if item is None:
                if kind == "list?":
                    continue
                raise StrictValidationError(f"{path}[{i}]", "unexpected null")
            _check(arg, item, f"{path}[{i}]", models, depth + 1)
        return None
    if kind == "union":
        alts = list(arg)
        if isinstance(value, dict):
            # the variant the given fields point to goes first (``branch``), and its error is the one reported
            models_alts = [a for a in alts if isinstance(a, tuple) and a[0] == "model"]
            if models_alts:
                picked = branch(tuple(getattr(models, a[1]) for a in models_alts), value)[0].__name__
                alts.sort(key=lambda a: not (isinstance(a, tuple) and a[0] == "model" and a[1] == picked))
        first: StrictValidationError | None = None
        for alt in alts:
            try:
                _check(alt, value, path, models, depth)
                return None
            except StrictValidationError as exc:
                first = first or exc
        assert first is not None
        raise first
    raise AssertionError(f"unknown descriptor {desc!r}")


def _check_model(cls: Any, value: Any, path: str, models: Any, depth: int) -> None:
    if not isinstance(value, dict):
        raise StrictValidationError(path, f"expected object ({cls.__name__}), got {_type_name(value)}")
    declared, required, _models = _shape(cls)
    for json_name in declared:  # declaration order, so the first missing field named is stable
        if json_name in required and json_name not in value:
            raise StrictValidationError(f"{path}.{json_name}", f"required field missing ({cls.__name__})")
    extra_desc = cls._ADDITIONAL
    for key, item in value.items():
        sub = f"{path}.{key}"
        field = declared.get(key)
        if field is None:
            if extra_desc is None and cls._FIELDS:
                raise StrictValidationError(sub, f"field not in the spec for {cls.__name__}")
            if extra_desc not in (None, "any") and item is not None:
                _check(extra_desc, item, sub, models, depth + 1)
            continue
        if item is None:
            if not field[3]:
                raise StrictValidationError(sub, f"unexpected null ({cls.__name__})")
            continue
        _check(field[4], item, sub, models, depth + 1)


# ------------------------------------------------------------------ request bodies given as dicts


def check_request(
    classes: tuple[Any, ...],
    data: Any,
    where: str,
    *,
    required: bool = False,
    strict: bool = False,
    keywords: Iterable[str] = (),
) -> None:
    """Catch a misspelt field of a dict body before it reaches the server, nested objects included.

    A key the request model(s) do not declare raises ``InvalidRequestError`` when it is a near miss of a
    declared one (``emial`` for ``email``), or always with ``strict``; any other undeclared key is sent as
    given, since the spec lags the API (its own examples send fields it does not declare). With ``required``
    (a body built from keyword arguments), a missing required top-level field raises too, suggesting the given
    key it was probably meant as (``tag_id`` for ``id``); for a union body the fields given select the branch
    (``branch``) and the error names it. ``keywords`` are the keys passed as keyword arguments: ``body=`` where
    the body has no field of that name is refused (the whole body is ``request_body=``). A model that accepts
    undeclared keys (free-form objects such as ``custom_attributes``) is not checked below that point.
    """
    if type(data) is not dict or not classes:
        return
    if "body" in keywords and not any("body" in _shape(cls)[0] for cls in classes):
        raise InvalidRequestError(
            f"{where}: the body has no field 'body'; the whole request body is passed as request_body=... "
            "(or pass its fields as keyword arguments)"
        )
    if len(classes) == 1 or required:
        cls = classes[0] if len(classes) == 1 else branch(classes, data)[0]
        _check_keys(cls, data, "body", where, strict)
        if required:
            _check_required(classes, cls, data, where)
        for key in keywords:  # a keyword argument holding an object or array where the field is a scalar
            kind = type(data.get(key))
            if kind is not dict and kind is not list:
                continue
            field = _shape(cls)[0].get(key)
            if field is not None and field[4] in _SCALARS:
                hint = " (the whole request body is request_body=)" if key == "body" else ""
                raise InvalidRequestError(
                    f"{where}: {key}= is a {field[4]} field of {cls.__name__}, got {_type_name(data[key])}{hint}"
                )
        return
    declared: set[str] = set()
    for cls in classes:
        if cls._ADDITIONAL is not None or not cls._FIELDS:
            return
        declared.update(_shape(cls)[0])
    names = " | ".join(cls.__name__ for cls in classes)
    for key in data:
        if key not in declared:
            _unknown(where, "body", key, names, declared, strict)


def branch(classes: tuple[Any, ...], data: Mapping[str, Any]) -> tuple[Any, bool]:
    """The branch of a union body that ``data`` (a JSON object) is meant as, and whether any branch admits its
    fixed values. The fixed fields decide first (``type="admin"`` rules out the contact replies), then the
    branch whose required fields are all given, then the most given fields it fixes, then the most it
    declares, then the fewest required fields missing; ties go to the first in spec order. Values no branch
    admits are not refused by themselves (the spec lags the API: its own examples send a contact's
    ``quick_reply``): the other rules choose among all the branches then."""
    admitted = [cls for cls in classes if all(data[k] in v for k, v in cls._LITERALS.items() if k in data)]
    best, best_score = None, None
    for cls in admitted or classes:
        declared, required, _models = _shape(cls)
        fixed = sum(1 for k in data if k in cls._LITERALS)
        score = (required <= data.keys(), fixed, sum(1 for k in data if k in declared), -len(required - data.keys()))
        if best_score is None or score > best_score:
            best, best_score = cls, score
    return best, bool(admitted)


def _shapes(classes: tuple[Any, ...]) -> str:
    """``AdminReply (type='admin', message_type='comment'|'note', admin_id), ...``: each branch, its required fields
    and the values it fixes."""
    out = []
    for cls in classes:
        declared, required, _models = _shape(cls)
        parts = []
        for key in declared:
            values = cls._LITERALS.get(key)
            if values:
                parts.append(f"{key}=" + "|".join(repr(v) for v in values))
            elif key in required:
                parts.append(key)
        out.append(f"{cls.__name__} ({', '.join(parts)})")
    return "; ".join(out)


def _no_branch(classes: tuple[Any, ...], data: Mapping[str, Any]) -> str:
    given = [k for k in data if any(k in cls._LITERALS for cls in classes)]
    alone = [k for k in given if not any(data[k] in cls._LITERALS.get(k, (data[k],)) for cls in classes)]
    shown = ", ".join(f"{k}={_quote(data[k])}" for k in alone or given)
    return f"no shape of the body takes {shown}" + ("" if alone else " together")


def _check_required(classes: tuple[Any, ...], cls: Any, data: Mapping[str, Any], where: str) -> None:
    declared, required, _models = _shape(cls)
    if required <= data.keys():
        return
    missing = [name for name in declared if name in required and name not in data]  # declaration order
    unknown = [str(k) for k in data if k not in declared]
    hints = []
    for name in missing:
        for key in unknown:
            if (
                key.endswith("_" + name)
                or name.endswith("_" + key)
                or difflib.SequenceMatcher(None, key, name).ratio() >= 0.6
            ):
                hints.append(f"{key!r} is not a field of {cls.__name__}: did you mean {name!r}?")
                break
    fields = ", ".join(map(repr, missing))
    if len(classes) == 1:
        text = f"{where}: missing required field(s) {fields} of {cls.__name__}"
    else:
        chosen = [f"{k}={_quote(data[k])}" for k in data if k in cls._LITERALS]
        why = f" ({', '.join(chosen)})" if chosen else ""
        unfit = "" if branch(classes, data)[1] else f" ({_no_branch(classes, data)})"
        text = (
            f"{where}: the fields given{why} point to {cls.__name__}, which lacks required field(s) {fields}; "
            f"the body is one of: {_shapes(classes)}{unfit}"
        )
    raise InvalidRequestError(text + "".join(f"; {h}" for h in hints))


def _check_keys(cls: Any, data: dict[str, Any], path: str, where: str, strict: bool) -> None:
    if cls._ADDITIONAL is not None or not cls._FIELDS:
        return
    declared, _required, models = _shape(cls)
    for key, value in data.items():
        field = declared.get(key)
        if field is None:
            _unknown(where, path, key, cls.__name__, declared, strict)
            continue
        desc = field[4]
        if type(value) is dict and isinstance(desc, tuple) and desc[0] == "model":
            _check_keys(getattr(models, desc[1]), value, f"{path}.{key}", where, strict)
        elif type(value) is list and isinstance(desc, tuple) and desc[0] in ("list", "list?"):
            inner = desc[1]
            if isinstance(inner, tuple) and inner[0] == "model":
                item_cls = getattr(models, inner[1])
                for i, item in enumerate(value):
                    if type(item) is dict:
                        _check_keys(item_cls, item, f"{path}.{key}[{i}]", where, strict)


def _unknown(where: str, path: str, key: Any, model: str, declared: Any, strict: bool) -> None:
    close = difflib.get_close_matches(str(key), [str(k) for k in declared], n=1, cutoff=0.75)
    if not close and not strict:
        return
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise InvalidRequestError(
        f"{where}: {path} has no field {str(key)!r} in {model}{hint} (to send a field the spec does not declare, "
        "use request_options={'extra_body': {...}})"
    )
