"""Typed parts <-> plain JSON values, for the record contract and the analysis findings.

A part is a frozen dataclass; its JSON form is a dict with the fields in declaration order
(so a record reads the same way every time), tuples as lists. Loading checks every value
against the field's type (Literal choices included) and names the path of the first bad one,
so a hand-edited or truncated record fails with a clear message instead of deep inside a
consumer. Hand-written rather than pydantic: the parts are plain frozen dataclasses that the
analysis builds by the thousand per batch, and this is all the validation they need.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

T = TypeVar("T")
OMIT_NONE = {"omit_none": True}  # field metadata: leave the key out of the JSON when the value is None


class ContractError(ValueError):
    """A value does not fit the typed contract; the message names where."""


def dump(value: Any) -> Any:
    """A part (or a value inside one) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if v is None and f.metadata.get("omit_none"):
                continue
            out[f.metadata.get("key", f.name)] = dump(v)
        return out
    if isinstance(value, (tuple, list)):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {k: dump(v) for k, v in value.items()}
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def load(tp: Any, data: Any, where: str = "record") -> Any:
    """`data` (plain JSON values) as type `tp`, checked all the way down."""
    origin = get_origin(tp)
    if tp is Any:
        return data
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if data is None:
            if type(None) in options:
                return None
            raise ContractError(f"{where}: must not be null")
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return load(option, data, where)
            except ContractError as exc:
                errors.append(str(exc))
        raise ContractError(errors[0] if len(errors) == 1 else f"{where}: {data!r} fits none of {tp}")
    if origin is Literal:
        if data not in get_args(tp):
            raise ContractError(f"{where}: {data!r} is not one of {', '.join(map(repr, get_args(tp)))}")
        return data
    if origin is tuple:
        if not isinstance(data, list):
            raise ContractError(f"{where}: expected a list, got {type(data).__name__}")
        item = get_args(tp)[0]
        return tuple(load(item, v, f"{where}[{i}]") for i, v in enumerate(data))
    if origin is dict:
        if not isinstance(data, dict):
            raise ContractError(f"{where}: expected an object, got {type(data).__name__}")
        _, value_type = get_args(tp)
        return {str(k): load(value_type, v, f"{where}.{k}") for k, v in data.items()}
    if dataclasses.is_dataclass(tp):
        return _load_part(tp, data, where)
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise ContractError(f"{where}: expected a number, got {data!r}")
        return data  # kept as written (an int stays an int), so a record reads back unchanged
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise ContractError(f"{where}: expected a whole number, got {data!r}")
        return data
    if tp in (str, bool):
        if not isinstance(data, tp):
            raise ContractError(f"{where}: expected {tp.__name__}, got {data!r}")
        return data
    if tp is dict:
        if not isinstance(data, dict):
            raise ContractError(f"{where}: expected an object, got {type(data).__name__}")
        return data
    raise TypeError(f"{where}: no loader for {tp!r}")


def _load_part(cls: type[T], data: Any, where: str) -> T:
    if not isinstance(data, dict):
        raise ContractError(f"{where}: expected an object, got {type(data).__name__}")
    hints = _hints(cls)
    values = {}
    by_key = {f.metadata.get("key", f.name): f for f in dataclasses.fields(cls)}
    if unknown := sorted(set(data) - set(by_key)):
        raise ContractError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for key, f in by_key.items():
        if key not in data:
            has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            if has_default:
                continue
            raise ContractError(f"{where}: missing {key!r}")
        values[f.name] = load(hints[f.name], data[key], f"{where}.{key}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ContractError(f"{where}: {exc}") from exc
