"""Runtime support for the generated models: tolerant decoding, lossless encoding, strict validation.

Generated ``from_dict`` methods call the small helpers below for every non-scalar field. They never raise
on off-spec data: a value of an unexpected JSON type is kept exactly as received, an unknown enum value is
kept as the plain ``str``, a missing field stays ``UNSET`` and an unexpected ``null`` stays ``None``; keys
the spec does not declare land in ``additional_properties``. ``to_dict()`` (``dump``) therefore returns the
JSON a model was parsed from.

Strict mode (``Model.from_dict(data, strict=True)``, ``Intercom(strict=True)``) first runs ``validate``,
which walks the JSON against the generated field tables and raises ``StrictValidationError`` naming the
path of the first difference (``$.conversation_parts.conversation_parts[3].author.type``).
"""

from __future__ import annotations

import difflib
import enum
import sys
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import InvalidRequestError, StrictValidationError
from ._types import UNSET

__all__ = ["check_request", "dump", "validate"]


# ------------------------------------------------------------------ tolerant decoding (hot path)


def _model(cls: Any, value: Any) -> Any:
    return cls.from_dict(value) if type(value) is dict else value


def _enum(cls: Any, value: Any) -> Any:
    if type(value) is str or type(value) is int:
        return cls._value2member_map_.get(value, value)
    return value


def _model_list(cls: Any, value: Any) -> Any:
    if type(value) is not list:
        return value
    from_dict = cls.from_dict
    return [from_dict(item) if type(item) is dict else item for item in value]


def _enum_list(cls: Any, value: Any) -> Any:
    if type(value) is not list:
        return value
    members = cls._value2member_map_
    return [members.get(item, item) if type(item) is str else item for item in value]


def _list(value: Any, item: Callable[[Any], Any]) -> Any:
    return [item(v) for v in value] if type(value) is list else value


def _union(value: Any, models: tuple[Any, ...], item_models: tuple[Any, ...], enums: tuple[Any, ...]) -> Any:
    """Decode a oneOf/anyOf value: a dict becomes the best-fitting model, list items likewise."""
    kind = type(value)
    if kind is dict:
        return pick(models, value).from_dict(value) if models else value
    if kind is list and item_models:
        return [pick(item_models, v).from_dict(v) if type(v) is dict else v for v in value]
    if kind is str and enums:
        for e in enums:
            member = e._value2member_map_.get(value)
            if member is not None:
                return member
    return value


_Shape = tuple[dict[str, tuple[Any, ...]], frozenset[str], Any]


def _shape(cls: Any) -> _Shape:
    """(json name -> its ``_FIELDS`` row, required json names, models package) of a generated model, cached
    on the class; used by union matching and strict validation."""
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
        return value in getattr(models, arg)._value2member_map_
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
    """JSON-ready form of a value: models via ``to_dict()``, enums by value, containers deeply."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is list:
        return [dump(v) for v in value]
    if kind is dict:
        return {k: dump(v) for k, v in value.items()}
    to_dict = getattr(kind, "to_dict", None)
    if to_dict is not None:
        return to_dict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if kind is tuple:
        return [dump(v) for v in value]
    if isinstance(value, Mapping):
        return {k: dump(v) for k, v in value.items()}
    return value


def model_repr(model: Any) -> str:
    """``Contact(id='1', email='a@b.c', +2 more)``: set fields only, so reprs stay readable."""
    parts = []
    for _json, attr, _required, _nullable, _desc in model._FIELDS:
        value = getattr(model, attr)
        if value is not UNSET:
            parts.append(f"{attr}={value!r}")
    if model.additional_properties:
        parts.append(f"additional_properties={model.additional_properties!r}")
    return f"{type(model).__name__}({', '.join(parts)})"


def not_an_object(cls: Any, value: Any) -> TypeError:
    return TypeError(
        f"{cls.__name__}.from_dict() expects a JSON object (a dict), got {_type_name(value)}: {value!r:.80}"
    )


# ------------------------------------------------------------------ strict validation


def validate(cls: Any, data: Any, path: str = "$") -> None:
    """Raise ``StrictValidationError`` where ``data`` differs from model ``cls``'s schema."""
    _check_model(cls, data, path, _shape(cls)[2])


def validate_descriptor(desc: Any, data: Any, models: Any, path: str = "$") -> None:
    """Like ``validate`` for any descriptor (used for responses that are lists or unions)."""
    _check(desc, data, path, models)


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}.get(
        type(value), type(value).__name__ if value is not None else "null"
    )


def _check(desc: Any, value: Any, path: str, models: Any) -> None:
    if desc == "any":
        return
    if isinstance(desc, str):
        if not _is_scalar(desc, value):
            raise StrictValidationError(path, f"expected {desc}, got {_type_name(value)} {value!r:.60}")
        return
    kind, arg = desc
    if kind == "model":
        return _check_model(getattr(models, arg), value, path, models)
    if kind == "enum":
        cls = getattr(models, arg)
        if value not in cls._value2member_map_:
            allowed = ", ".join(repr(m.value) for m in cls)
            raise StrictValidationError(path, f"unknown {arg} value {value!r} (allowed: {allowed})")
        return None
    if kind == "list" or kind == "list?":
        if not isinstance(value, list):
            raise StrictValidationError(path, f"expected array, got {_type_name(value)}")
        for i, item in enumerate(value):
            if item is None:
                if kind == "list?":
                    continue
                raise StrictValidationError(f"{path}[{i}]", "unexpected null")
            _check(arg, item, f"{path}[{i}]", models)
        return None
    if kind == "union":
        errors = []
        for alt in arg:
            try:
                _check(alt, value, path, models)
                return None
            except StrictValidationError as exc:
                errors.append(exc)
        if isinstance(value, dict):
            # report against the variant the tolerant decoder would pick
            classes = tuple(getattr(models, a[1]) for a in arg if isinstance(a, tuple) and a[0] == "model")
            if classes:
                return _check_model(pick(classes, value), value, path, models)
        raise errors[0]
    raise AssertionError(f"unknown descriptor {desc!r}")


def _check_model(cls: Any, value: Any, path: str, models: Any) -> None:
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
                _check(extra_desc, item, sub, models)
            continue
        if item is None:
            if not field[3]:
                raise StrictValidationError(sub, f"unexpected null ({cls.__name__})")
            continue
        _check(field[4], item, sub, models)


# ------------------------------------------------------------------ request bodies given as dicts


def check_request(
    classes: tuple[Any, ...], data: Any, where: str, *, required: bool = False, strict: bool = False
) -> None:
    """Catch a misspelt field of a dict body before it reaches the server, nested objects included.

    A key the request model(s) do not declare raises ``InvalidRequestError`` when it is a near miss of a
    declared one (``emial`` for ``email``), or always with ``strict``; any other undeclared key is sent as
    given, since the spec lags the API (its own examples send fields it does not declare). With ``required``
    (a body built from keyword arguments), a missing required top-level field raises too. A model that
    accepts undeclared keys (free-form objects such as ``custom_attributes``) is not checked below that point.
    """
    if type(data) is not dict or not classes:
        return
    if len(classes) == 1:
        _check_keys(classes[0], data, "body", where, strict)
        if required:
            missing = [name for name in _shape(classes[0])[1] if name not in data]
            if missing:
                raise InvalidRequestError(
                    f"{where}: missing required field(s) {', '.join(map(repr, sorted(missing)))} "
                    f"of {classes[0].__name__}"
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
