"""Frozen dataclasses to JSON values and back, guided by their type hints (for the record's tick rows).

Handles what the frame's parts are made of: dataclasses, enums, `Literal`, `X | None`, `tuple[X, ...]`,
fixed tuples, `Mapping[str, X]` and plain numbers and strings. A field missing from older data takes its
default; an unknown key is ignored, so a record stays readable when a frame part gains a field.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any

_PLAIN = frozenset({str, int, float, bool, type(None)})


def to_json(value: Any) -> Any:
    """A JSON-ready copy of a value (dataclasses as objects, tuples as lists, enums as their value).

    Args:
        value: A dataclass instance or anything it holds.

    Returns:
        Dicts, lists, strings, numbers, booleans and None.
    """
    cls: Any = type(value)
    if cls in _PLAIN:  # most values are leaves: no lookups for them
        return value
    names = _field_names(cls)
    if names is not None:
        return {name: to_json(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


@functools.cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None for other types), looked up once per class."""
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    return None


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_json(tp: Any, data: Any) -> Any:
    """Rebuild a value of type `tp` from what to_json produced.

    Args:
        tp: The type (a dataclass, a tuple type, a union ...).
        data: The JSON value.

    Returns:
        The value, typed.

    Raises:
        ValueError: when the data does not fit the type.
    """
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        last: Exception | None = None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return from_json(arg, data)
            except (ValueError, TypeError, KeyError) as exc:
                last = exc
        raise ValueError(f"{data!r} fits none of {tp}") from last
    if origin is typing.Literal:
        if data not in typing.get_args(tp):
            raise ValueError(f"{data!r} is not one of {typing.get_args(tp)}")
        return data
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_json(args[0], v) for v in data)
        return tuple(from_json(a, v) for a, v in zip(args, data, strict=True))
    if origin in (Mapping, dict) or tp is dict:
        key_t, val_t = typing.get_args(tp) or (str, Any)
        return {from_json(key_t, k): from_json(val_t, v) for k, v in data.items()}
    if tp is Any:
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"expected an object for {tp.__name__}, got {type(data).__name__}")
        hints = _hints(tp)
        names = {f.name for f in dataclasses.fields(tp) if f.init}
        return tp(**{k: from_json(hints[k], v) for k, v in data.items() if k in names})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    return _scalar(tp, data)


def _scalar(tp: Any, data: Any) -> Any:
    if tp is float:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return float(data)
        raise ValueError(f"expected a number, got {data!r}")
    if tp is int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
        raise ValueError(f"expected an integer, got {data!r}")
    if tp is bool:
        if isinstance(data, bool):
            return data
        raise ValueError(f"expected true or false, got {data!r}")
    if tp is str:
        if isinstance(data, str):
            return data
        raise ValueError(f"expected a string, got {data!r}")
    if tp is type(None) and data is None:
        return None
    raise ValueError(f"cannot read {tp!r} from {data!r}")
